package transfer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// TestDownloadOntoDirectoryIsRefused checks that a small download whose
// destination is an existing directory fails with the directory hint and
// leaves no temporary file.
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
