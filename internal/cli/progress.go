package cli

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/s3sso/s3sso/internal/transfer"
)

// progressBar is the live progress bar of a batch on a terminal: it draws
// the engine's Progress events. It is inactive when output is not a
// terminal or with --json, --quiet or --no-progress.
type progressBar struct {
	a      *app
	mu     sync.Mutex
	last   transfer.Progress
	active bool
}

func (a *app) newProgressBar() *progressBar {
	b := &progressBar{a: a, active: a.showProgress()}
	if b.active {
		a.out.SetStatus(b.render)
	}
	return b
}

func (b *progressBar) render() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return renderProgress(b.last)
}

// update takes a Progress event; the final one removes the bar.
func (b *progressBar) update(p transfer.Progress) {
	if !b.active {
		return
	}
	b.mu.Lock()
	b.last = p
	b.mu.Unlock()
	if p.Final {
		b.a.out.SetStatus(nil)
		return
	}
	b.a.out.RefreshStatus()
}

// stop removes the bar (when the run ended without a final event).
func (b *progressBar) stop() {
	if b.active {
		b.a.out.SetStatus(nil)
	}
}

// renderProgress draws "[#####.....] 12.0 MiB / 40.0 MiB  8.1 MiB/s  ETA 3s  3/10 objects".
func renderProgress(p transfer.Progress) string {
	done, total := p.BytesDone, p.BytesTotal
	od, ot := p.ObjectsDone, p.ObjectsTotal
	listing := !p.ListingDone
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0.2 {
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
	if p.Failed > 0 {
		s += fmt.Sprintf("  %d failed", p.Failed)
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
