package transfer

import (
	"context"
	"iter"
	"sync"
	"time"
)

// Event is what a run tells its front end as it goes: a Result when a job
// ends, and a Progress snapshot every Options.ProgressInterval (and once at
// the end). The CLI's printer and progress bar consume them; a web UI
// forwards them to the page.
type Event interface{ transferEvent() }

func (Result) transferEvent()   {}
func (Progress) transferEvent() {}

// Progress is a snapshot of a run's counters.
type Progress struct {
	BytesDone    int64
	BytesTotal   int64
	ObjectsDone  int64
	ObjectsTotal int64
	Failed       int64
	ListingDone  bool // every job is known (totals are final)
	Elapsed      time.Duration
	Final        bool // the run has ended
}

// Snapshot returns the counters of st as a Progress.
func (st *Stats) Snapshot() Progress {
	p := Progress{BytesDone: st.BytesDone.Load(), BytesTotal: st.BytesTotal.Load(), ObjectsDone: st.ObjectsDone.Load(),
		ObjectsTotal: st.ObjectsTotal.Load(), Failed: st.Failed.Load(), ListingDone: st.ListingDone.Load()}
	if !st.Started.IsZero() {
		p.Elapsed = time.Since(st.Started)
	}
	return p
}

// DefaultProgressInterval is how often RunEvents reports Progress.
const DefaultProgressInterval = 150 * time.Millisecond

// RunEvents is Run reporting Results and Progress snapshots to on. on is
// called from one goroutine at a time, never concurrently; it must not
// block for long.
func (e *Engine) RunEvents(ctx context.Context, jobs iter.Seq2[Job, error], on func(Event)) error {
	if on == nil {
		return e.Run(ctx, jobs, nil)
	}
	if e.Stats.Started.IsZero() {
		e.Stats.Started = time.Now()
	}
	var mu sync.Mutex
	emit := func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		on(ev)
	}
	interval := e.opts.ProgressInterval
	if interval <= 0 {
		interval = DefaultProgressInterval
	}
	done := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				emit(e.Stats.Snapshot())
			}
		}
	}()
	err := e.Run(ctx, jobs, func(r Result) { emit(r) })
	close(done)
	<-ticked
	p := e.Stats.Snapshot()
	p.Final = true
	emit(p)
	return err
}
