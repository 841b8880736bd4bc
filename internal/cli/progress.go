package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/transfer"
)

// startProgress shows a live progress bar for the engine's stats on a
// terminal and returns the function that removes it. It does nothing when
// output is not a terminal or with --json, --quiet or --no-progress.
func (a *app) startProgress(st *transfer.Stats) (stop func()) {
	if !a.showProgress() {
		return func() {}
	}
	start := time.Now()
	a.out.SetStatus(func() string { return renderProgress(st, time.Since(start)) })
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				a.out.RefreshStatus()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		a.out.SetStatus(nil)
	}
}

// renderProgress draws "[#####.....] 12.0 MiB / 40.0 MiB  8.1 MiB/s  ETA 3s  3/10 objects".
func renderProgress(st *transfer.Stats, elapsed time.Duration) string {
	done, total := st.BytesDone.Load(), st.BytesTotal.Load()
	od, ot := st.ObjectsDone.Load(), st.ObjectsTotal.Load()
	listing := !st.ListingDone.Load()
	rate := 0.0
	if s := elapsed.Seconds(); s > 0.2 {
		rate = float64(done) / s
	}
	const width = 24
	frac := 0.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	fill := int(frac * width)
	bar := "[" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "]"
	eta := "--"
	if rate > 0 && total > done && !listing {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	} else if total > 0 && done >= total && !listing {
		eta = "0s"
	}
	objs := fmt.Sprintf("%d/%d objects", od, ot)
	if listing {
		objs = fmt.Sprintf("%d/%d+ objects", od, ot)
	}
	s := fmt.Sprintf("%s %s / %s  %s/s  ETA %s  %s", bar, humanBytes(done), humanBytes(total), humanBytes(int64(rate)), eta, objs)
	if f := st.Failed.Load(); f > 0 {
		s += fmt.Sprintf("  %d failed", f)
	}
	return s
}

// humanBytes formats n with binary units: 1023 B, 1.0 KiB, 12.3 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
