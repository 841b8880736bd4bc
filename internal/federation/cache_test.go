package federation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/atomicfile"
	"github.com/s3sso/s3sso/internal/fault"
)

// TestCacheFiles: the OIDC token cache writes through a symbolic link,
// refuses a directory in its file's place with the path and the fix, and
// does not read an oversized entry.
func TestCacheFiles(t *testing.T) {
	base := t.TempDir()
	c := &Cache{Dir: filepath.Join(base, "oidc")}
	target := filepath.Join(base, "elsewhere", "work.json")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, c.path("work")); err != nil {
		t.Fatal(err)
	}
	if err := c.Save("work", &Entry{Issuer: "https://issuer", ClientID: "cli", Subject: "alice"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(c.path("work")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if e, err := c.Load("work"); err != nil || e == nil || e.Subject != "alice" {
		t.Fatalf("%+v, %v", e, err)
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "alice") {
		t.Fatalf("target: %s", b)
	}

	if err := os.Mkdir(c.path("dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := c.Save("dir", &Entry{})
	var nf *atomicfile.NotFileError
	if !errors.As(err, &nf) || fault.KindOf(err) != fault.Local || !strings.Contains(fault.HintOf(err), "rmdir "+c.path("dir")) {
		t.Fatalf("save onto a directory: %v (hint %q)", err, fault.HintOf(err))
	}

	f, err := os.Create(c.path("big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(atomicfile.MaxSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var tl *atomicfile.TooLargeError
	if e, err := c.Load("big"); e != nil || !errors.As(err, &tl) {
		t.Fatalf("oversized entry: %+v, %v", e, err)
	}
}
