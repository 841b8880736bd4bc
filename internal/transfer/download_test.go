package transfer

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// chunkReader returns its data a few bytes per Read, then err.
type chunkReader struct {
	data []byte
	err  error
}

func (c *chunkReader) Read(b []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, c.err
	}
	n := copy(b, c.data[:min(len(c.data), 1000)])
	c.data = c.data[n:]
	return n, nil
}

type countingWriter struct {
	writes int
	buf    []byte
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	w.buf = append(w.buf, b...)
	return len(b), nil
}

// TestCopyPooledFillsBeforeWriting checks that small bodies arriving in
// pieces are written with one call per 256 KiB, and that a body cut short
// (io.ErrUnexpectedEOF from net/http) stays an error for the retry logic.
func TestCopyPooledFillsBeforeWriting(t *testing.T) {
	data := []byte(strings.Repeat("0123456789abcdef", 40000)) // 640,000 bytes
	w := &countingWriter{}
	n, err := copyPooled(w, &chunkReader{data: data, err: io.EOF})
	if err != nil || n != int64(len(data)) || string(w.buf) != string(data) {
		t.Fatalf("copy: n=%d err=%v, content equal %v", n, err, string(w.buf) == string(data))
	}
	if w.writes != 3 {
		t.Errorf("%d writes for 640,000 bytes, want 3 (256 KiB each)", w.writes)
	}
	w = &countingWriter{}
	_, err = copyPooled(w, &chunkReader{data: data[:5000], err: io.ErrUnexpectedEOF})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated body: err %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestDownloadOntoDirectoryIsRefused checks that a small download whose
// destination is an existing directory fails with the directory hint and
// leaves no temporary file (rename(2) refuses, no stat beforehand).
func TestDownloadOntoDirectoryIsRefused(t *testing.T) {
	w := newWorld(t)
	e := w.engine(w.m.Endpoint, false)
	w.put("d/obj", []byte("small"))
	dir := t.TempDir()
	target := filepath.Join(dir, "obj")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	err := e.Download(context.Background(), Remote{URL: w.url("d/obj"), Size: -1}, target)
	if err == nil || fault.KindOf(err) != fault.Local || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("download onto a directory: %v, want a local-file-system error naming the directory", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
}
