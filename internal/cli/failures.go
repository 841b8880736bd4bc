package cli

import (
	"errors"
	"iter"
	"sync"

	"github.com/s3sso/s3sso/internal/transfer"
)

// failureLog prints the per-object failures of a batch on stderr, each
// exactly once.
//
// A batch that turns out to hold a single object ends with that object's
// own error (so that its exit code is, say, 9 for a checksum mismatch rather
// than 3), which the command then reports in full, with its hint. Printing
// the failure as it happened as well showed the same line twice. So the
// first failure is held back while it may still be the only result: it is
// printed as soon as another result arrives, the listing ends with more
// than one job, or the batch ends with an error that does not show it.
// Later failures are printed at once.
type failureLog struct {
	out *Printer

	mu       sync.Mutex
	results  int  // results seen
	produced int  // jobs produced (when counted)
	listed   bool // the counted producer has finished
	held     *heldFailure
	first    error // the first failure
}

type heldFailure struct {
	op, target string
	err        error
}

func newFailureLog(out *Printer) *failureLog { return &failureLog{out: out} }

// count passes jobs through, counting them, so that a first failure is not
// held once the listing has ended with more than one job.
func (l *failureLog) count(jobs iter.Seq2[transfer.Job, error]) iter.Seq2[transfer.Job, error] {
	return func(yield func(transfer.Job, error) bool) {
		for j, err := range jobs {
			if err == nil {
				l.mu.Lock()
				l.produced++
				l.mu.Unlock()
			}
			if !yield(j, err) {
				break
			}
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.listed = true
		if l.produced > 1 {
			l.flushLocked()
		}
	}
}

// result records the outcome of one object: a failure is printed (or held),
// a success releases a held failure before the caller prints its line.
func (l *failureLog) result(op, target string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.results++
	l.flushLocked()
	if err == nil {
		return
	}
	if l.first == nil {
		l.first = err
	}
	if l.results == 1 && !(l.listed && l.produced > 1) {
		l.held = &heldFailure{op: op, target: target, err: err}
		return
	}
	l.out.Failure(op, target, err)
}

// firstErr returns the first failure recorded, or nil.
func (l *failureLog) firstErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

// done is called with the batch's error before it is returned. It prints a
// held failure unless err shows it in full: err carries it and is not a
// *transfer.BatchError, which is reported only as a count.
func (l *failureLog) done(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var batch *transfer.BatchError
	if l.held != nil && (errors.As(err, &batch) || !errors.Is(err, l.held.err)) {
		l.flushLocked()
	}
	l.held = nil
	return err
}

func (l *failureLog) flushLocked() {
	if l.held != nil {
		l.out.Failure(l.held.op, l.held.target, l.held.err)
		l.held = nil
	}
}
