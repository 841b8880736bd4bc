package transfer

import (
	"context"
	"errors"
	"testing"
	"time"
)

// RunEvents reports every job's Result and ends with a final Progress
// whose counters match the run.
func TestRunEvents(t *testing.T) {
	e := New(nil, Options{Concurrency: 2, ProgressInterval: time.Millisecond})
	jobs := func(yield func(Job, error) bool) {
		for i := range 5 {
			j := Job{Op: "test", Size: 10, Run: func(context.Context) error {
				time.Sleep(2 * time.Millisecond)
				if i == 3 {
					return errors.New("boom")
				}
				return nil
			}}
			if !yield(j, nil) {
				return
			}
		}
	}
	var results, progress int
	var last Progress
	err := e.RunEvents(t.Context(), jobs, func(ev Event) {
		switch ev := ev.(type) {
		case Result:
			results++
		case Progress:
			progress++
			if last.Final {
				t.Error("an event after the final Progress")
			}
			last = ev
		}
	})
	if err == nil {
		t.Fatal("want the failed job's error")
	}
	if results != 5 || progress < 2 || !last.Final || last.ObjectsDone != 5 || last.Failed != 1 || last.BytesTotal != 50 || !last.ListingDone {
		t.Fatalf("results %d, progress events %d, last %+v", results, progress, last)
	}
}
