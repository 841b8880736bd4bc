package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/transfer"
)

// TestFailureLogPrintsEachFailureOnce drives failureLog as runJobs does.
func TestFailureLogPrintsEachFailureOnce(t *testing.T) {
	jobs := func(n int) func(func(transfer.Job, error) bool) {
		return func(yield func(transfer.Job, error) bool) {
			for i := range n {
				if !yield(transfer.Job{Op: "download", Src: fmt.Sprint("s3://b/", i)}, nil) {
					return
				}
			}
		}
	}
	boom := fault.New(fault.Integrity, "download s3://b/0: checksum mismatch", "")
	drain := func(l *failureLog, n int) {
		for range l.count(jobs(n)) {
		}
	}

	// One job that fails: the command's error shows it, nothing else does.
	var errb strings.Builder
	l := newFailureLog(NewPrinter(&strings.Builder{}, &errb, false, false))
	l.result("download", "s3://b/0", boom)
	drain(l, 1)
	if err := l.done(boom); err != boom || errb.Len() != 0 {
		t.Fatalf("one failed job: returned %v, printed %q", err, errb.String())
	}

	// The same failure when the batch ends otherwise (interrupted, or as a
	// count) is printed, once.
	for _, end := range []error{
		fault.Wrap(fault.Interrupted, errors.New("interrupted"), ""),
		fault.Wrap(fault.Partial, &transfer.BatchError{Failed: 1, Total: 1, First: boom}, ""),
	} {
		errb.Reset()
		l = newFailureLog(NewPrinter(&strings.Builder{}, &errb, false, false))
		l.result("download", "s3://b/0", boom)
		l.done(end)
		if n := strings.Count(errb.String(), "checksum mismatch"); n != 1 {
			t.Fatalf("batch ending with %v: failure printed %d times:\n%s", end, n, errb.String())
		}
	}

	// A failure before the listing ends is held until it has more jobs.
	errb.Reset()
	l = newFailureLog(NewPrinter(&strings.Builder{}, &errb, false, false))
	l.result("download", "s3://b/0", boom)
	if errb.Len() != 0 {
		t.Fatalf("printed before it was known not to be the only one: %q", errb.String())
	}
	drain(l, 3)
	if n := strings.Count(errb.String(), "checksum mismatch"); n != 1 {
		t.Fatalf("listing of 3 ended: failure printed %d times", n)
	}
	l.result("download", "s3://b/1", errors.New("second failure"))
	l.done(fault.Wrap(fault.Partial, &transfer.BatchError{Failed: 2, Total: 3, First: boom}, ""))
	if strings.Count(errb.String(), "checksum mismatch") != 1 || strings.Count(errb.String(), "second failure") != 1 {
		t.Fatalf("batch of failures:\n%s", errb.String())
	}
}
