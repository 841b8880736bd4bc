//go:build unix

package transfer

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// TestNamedPipeIsNeverOpenedBlocking: a file that the walk saw as regular
// but that is a named pipe when it is opened (swapped in between) fails at
// once as a local error instead of waiting for a writer, for an upload and
// for the content comparison of sync --checksum; and the walk reports named
// pipes as skipped entries.
func TestNamedPipeIsNeverOpenedBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	e := New(nil, Options{JournalDir: t.TempDir()})
	for name, call := range map[string]func() error{
		"upload": func() error {
			return e.UploadFile(context.Background(), fifo, objstore.URL{Bucket: "b", Key: "k"}, PutOptions{})
		},
		"md5": func() error { _, err := fileMD5Raw(fifo, 0, 0); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			if fault.KindOf(err) != fault.Local || !strings.Contains(err.Error(), "named pipe") {
				t.Errorf("%s of a named pipe: %v (kind %v), want a local error naming it", name, err, fault.KindOf(err))
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s of a named pipe blocks (open waits for a writer)", name)
		}
	}
	var got []Entry
	for en, err := range expandLocal(dir, true, false) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, en)
	}
	if len(got) != 1 || got[0].Rel != "fifo" || !strings.Contains(got[0].Skip, "named pipe") {
		t.Errorf("walk of a directory with a named pipe: %+v", got)
	}
}
