package ui

import (
	"context"
	"iter"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/transfer"
)

// Transfer states.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// Transfer is one item of the page's transfer queue: an upload, a
// download, a copy, a move or a delete of one object or many, fed by the
// engine's events.
type Transfer struct {
	ID           string   `json:"id"`
	Op           string   `json:"op"` // upload, download, copy, move, delete, rename
	Title        string   `json:"title"`
	Ref          string   `json:"ref"`
	State        string   `json:"state"`
	BytesDone    int64    `json:"bytes_done"`
	BytesTotal   int64    `json:"bytes_total"`
	ObjectsDone  int64    `json:"objects_done"`
	ObjectsTotal int64    `json:"objects_total"`
	Failed       int64    `json:"failed"`
	ListingDone  bool     `json:"listing_done"`
	Rate         float64  `json:"rate"` // bytes per second
	Started      int64    `json:"started"`
	Ended        int64    `json:"ended,omitempty"`
	Error        *apiErr  `json:"error,omitempty"`
	Errors       []string `json:"errors,omitempty"` // per-object failures (first few)
	Retry        bool     `json:"retry"`            // can be run again from the queue
	Paused       bool     `json:"paused,omitempty"` // waiting for a sign-in

	cancel context.CancelFunc
	run    func(ctx context.Context, t *Transfer) error
	eng    *transfer.Engine
}

// queue holds the page's transfers until cleared.
type queue struct {
	hub *hub
	seq atomic.Int64

	mu    sync.Mutex
	items map[string]*Transfer
	order []string
}

func newQueue(h *hub) *queue { return &queue{hub: h, items: map[string]*Transfer{}} }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// snapshot returns a copy of t safe to encode (under q.mu).
func (t *Transfer) snapshot() Transfer {
	c := *t
	c.Errors = append([]string(nil), t.Errors...)
	c.cancel, c.run, c.eng = nil, nil, nil
	return c
}

func (q *queue) list() []Transfer {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Transfer, 0, len(q.order))
	for _, id := range q.order {
		out = append(out, q.items[id].snapshot())
	}
	return out
}

func (q *queue) publish(t *Transfer) {
	q.mu.Lock()
	s := t.snapshot()
	q.mu.Unlock()
	q.hub.send("transfer", s)
}

func (q *queue) update(t *Transfer, fn func(t *Transfer)) {
	q.mu.Lock()
	fn(t)
	s := t.snapshot()
	q.mu.Unlock()
	q.hub.send("transfer", s)
}

// start adds a transfer and runs it in the background with ctx (the
// server's). run does the work, reporting through t's engine (see
// runJobs); retry says whether it can be run again.
func (q *queue) start(ctx context.Context, t *Transfer, retry bool, run func(ctx context.Context, t *Transfer) error) *Transfer {
	t.ID = "t" + itoa(q.seq.Add(1))
	t.run, t.Retry = run, retry
	q.mu.Lock()
	q.items[t.ID] = t
	q.order = append(q.order, t.ID)
	q.mu.Unlock()
	q.launch(ctx, t)
	return t
}

// runHere adds a transfer and runs it in this goroutine (an upload or a
// download the request itself carries); it cannot be retried from the queue.
func (q *queue) runHere(ctx context.Context, t *Transfer, run func(ctx context.Context, t *Transfer) error) error {
	t.ID = "t" + itoa(q.seq.Add(1))
	t.run = run
	ctx, cancel := context.WithCancel(withSignInRef(ctx, t.Ref))
	defer cancel()
	t.cancel, t.State, t.Started = cancel, StateRunning, time.Now().UnixMilli()
	q.mu.Lock()
	q.items[t.ID] = t
	q.order = append(q.order, t.ID)
	q.mu.Unlock()
	q.publish(t)
	err := run(ctx, t)
	q.finish(t, err, ctx.Err() != nil)
	return err
}

func (q *queue) launch(ctx context.Context, t *Transfer) {
	ctx, cancel := context.WithCancel(withSignInRef(ctx, t.Ref))
	q.update(t, func(t *Transfer) {
		t.cancel, t.State, t.Started, t.Ended, t.Error, t.Errors = cancel, StateRunning, time.Now().UnixMilli(), 0, nil, nil
		t.BytesDone, t.ObjectsDone, t.Failed, t.Rate = 0, 0, 0, 0
	})
	go func() {
		defer cancel()
		err := t.run(ctx, t)
		q.finish(t, err, ctx.Err() != nil)
	}()
}

// runJobs runs jobs on eng, feeding t's progress from the engine's events.
func (q *queue) runJobs(ctx context.Context, t *Transfer, eng *transfer.Engine, jobs iter.Seq2[transfer.Job, error]) error {
	q.mu.Lock()
	t.eng = eng
	q.mu.Unlock()
	return eng.RunEvents(ctx, jobs, func(ev transfer.Event) {
		switch ev := ev.(type) {
		case transfer.Progress:
			q.progress(t, ev)
		case transfer.Result:
			if ev.Err != nil && ctx.Err() == nil {
				q.update(t, func(t *Transfer) {
					if len(t.Errors) < 20 {
						t.Errors = append(t.Errors, ev.Err.Error())
					}
				})
			}
		}
	})
}

func (q *queue) progress(t *Transfer, p transfer.Progress) {
	q.update(t, func(t *Transfer) {
		t.BytesDone, t.ObjectsDone, t.Failed, t.ListingDone = p.BytesDone, p.ObjectsDone, p.Failed, p.ListingDone
		if p.BytesTotal > t.BytesTotal || p.ListingDone {
			t.BytesTotal = p.BytesTotal
		}
		if p.ObjectsTotal > t.ObjectsTotal || p.ListingDone {
			t.ObjectsTotal = p.ObjectsTotal
		}
		if s := p.Elapsed.Seconds(); s > 0 {
			t.Rate = float64(p.BytesDone) / s
		}
	})
}

func (q *queue) finish(t *Transfer, err error, cancelled bool) {
	q.update(t, func(t *Transfer) {
		t.Ended = time.Now().UnixMilli()
		if t.eng != nil {
			p := t.eng.Stats.Snapshot()
			t.BytesDone, t.ObjectsDone, t.Failed = p.BytesDone, p.ObjectsDone, p.Failed
			if p.BytesTotal > 0 {
				t.BytesTotal = p.BytesTotal
			}
			t.ObjectsTotal = max(t.ObjectsTotal, p.ObjectsTotal)
		}
		t.eng, t.Paused = nil, false
		switch {
		case cancelled:
			t.State = StateCancelled
		case err != nil:
			t.State = StateFailed
			e := errorBody(err)
			t.Error = &e
		default:
			t.State = StateDone
			if t.BytesTotal < t.BytesDone {
				t.BytesTotal = t.BytesDone
			}
		}
	})
}

// setPaused marks the running transfers of ref as waiting for a sign-in
// (the core holds their requests) or going on again.
func (q *queue) setPaused(ref string, paused bool) {
	for _, tr := range q.list() {
		if tr.Ref != ref || tr.State != StateRunning {
			continue
		}
		if t := q.get(tr.ID); t != nil {
			q.update(t, func(t *Transfer) { t.Paused = paused })
		}
	}
}

func (q *queue) get(id string) *Transfer {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items[id]
}

func (q *queue) cancelTransfer(id string) error {
	t := q.get(id)
	if t == nil {
		return fault.New(fault.NotFound, "no such transfer", "")
	}
	q.mu.Lock()
	c := t.cancel
	q.mu.Unlock()
	if c != nil {
		c()
	}
	return nil
}

func (q *queue) retry(ctx context.Context, id string) error {
	t := q.get(id)
	if t == nil {
		return fault.New(fault.NotFound, "no such transfer", "")
	}
	q.mu.Lock()
	st, ok := t.State, t.Retry
	q.mu.Unlock()
	if !ok {
		return fault.New(fault.Usage, "this transfer cannot be retried from the queue", "start it again (an upload needs its files again)")
	}
	if st == StateRunning {
		return fault.New(fault.Conflict, "the transfer is still running", "")
	}
	q.launch(ctx, t)
	return nil
}

// clear forgets the finished transfers.
func (q *queue) clear() {
	q.mu.Lock()
	var keep []string
	var gone []string
	for _, id := range q.order {
		if q.items[id].State == StateRunning {
			keep = append(keep, id)
		} else {
			delete(q.items, id)
			gone = append(gone, id)
		}
	}
	q.order = keep
	q.mu.Unlock()
	q.hub.send("transfers-cleared", gone)
}

func (s *Server) handleTransfers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.queue.list())
}

func (s *Server) handleTransferAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "cancel":
		err = s.queue.cancelTransfer(id)
	case "retry":
		err = s.queue.retry(s.ctx, id)
	default:
		err = fault.New(fault.NotFound, "unknown action", "")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) handleTransfersClear(w http.ResponseWriter, r *http.Request) {
	s.queue.clear()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
