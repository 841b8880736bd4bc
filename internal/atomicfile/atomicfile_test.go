package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

func TestWriteFileModesAndReplace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "cache.json")
	if err := WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %o, want 700", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %o, want 600", fi.Mode().Perm())
	}
	if err := WriteFile(path, []byte("two"), ExistingMode(path, 0o644)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestWriteFileFailureKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A directory where the file should be: the rename fails.
	target := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("new"), 0o600); err == nil {
		t.Fatal("writing over a non-empty directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("temporary file left behind: %v", entries)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("unrelated file changed")
	}
}

// TestWriteFileThroughSymlink: a link at the path is written through, as
// botocore's open-for-write does: the link stays, its target (relative or
// absolute, through a chain of links, or not yet existing) gets the data,
// and the temporary file lives beside the target.
func TestWriteFileThroughSymlink(t *testing.T) {
	base := t.TempDir()
	targetDir := filepath.Join(base, "real")
	linkDir := filepath.Join(base, "links")
	for _, d := range []string{targetDir, linkDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(targetDir, "token.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(linkDir, "abs.json")
	rel := filepath.Join(linkDir, "rel.json")
	chain := filepath.Join(linkDir, "chain.json")
	dangling := filepath.Join(linkDir, "dangling.json")
	mustLink(t, target, abs)
	mustLink(t, "../real/token.json", rel)
	mustLink(t, "rel.json", chain)
	mustLink(t, "../real/new.json", dangling)

	for i, link := range []string{abs, rel, chain} {
		data := fmt.Sprintf("new %d", i)
		if err := WriteFile(link, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a link: %v", link, err)
		}
		if b, _ := os.ReadFile(target); string(b) != data {
			t.Fatalf("target holds %q after writing %q through %s", b, data, link)
		}
	}
	if err := WriteFile(dangling, []byte("created"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(targetDir, "new.json")); string(b) != "created" {
		t.Fatalf("dangling link's target holds %q", b)
	}
	for _, d := range []string{targetDir, linkDir} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temporary file left: %s", filepath.Join(d, e.Name()))
			}
		}
	}
	loop := filepath.Join(linkDir, "loop.json")
	mustLink(t, "loop.json", loop)
	if err := WriteFile(loop, []byte("x"), 0o600); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("link loop: %v", err)
	}
}

func mustLink(t *testing.T, old, new string) {
	t.Helper()
	if err := os.Symlink(old, new); err != nil {
		t.Fatal(err)
	}
}

// TestNotAFile: a directory where the file belongs is an error naming the
// path and the fix, for writes and reads, with the local-file-system kind.
func TestNotAFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.json")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	mustLink(t, "cache.json", link)
	for _, p := range []string{path, link} {
		for op, err := range map[string]error{"write": WriteFile(p, []byte("x"), 0o600), "read": func() error { _, err := ReadFile(p, 0); return err }()} {
			// A write names the directory itself, a read the path it was given.
			want := path
			if op == "read" {
				want = p
			}
			var nf *NotFileError
			if !errors.As(err, &nf) || !strings.Contains(err.Error(), want+" is a directory, not a file") {
				t.Errorf("%s %s: err = %v", op, p, err)
				continue
			}
			if fault.KindOf(err) != fault.Local || !strings.Contains(fault.HintOf(err), "rmdir "+want) {
				t.Errorf("%s %s: kind %v, hint %q", op, p, fault.KindOf(err), fault.HintOf(err))
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary file left: %v", entries)
	}
}

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(small, 5); err != nil || string(b) != "12345" {
		t.Fatalf("%q, %v", b, err)
	}
	var tl *TooLargeError
	if _, err := ReadFile(small, 4); !errors.As(err, &tl) || tl.Size != 5 || fault.KindOf(err) != fault.Local {
		t.Fatalf("err = %v", err)
	}
	// A sparse 100 MB file is refused without being read.
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadFile(big, 0); !errors.As(err, &tl) || tl.Limit != MaxSize ||
		!strings.Contains(err.Error(), "104857600 bytes, more than the 1048576 bytes") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestWarnIfOpen(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	WarnIfOpen(logger, dir, "the cache directory")
	if buf.Len() != 0 {
		t.Fatalf("warned about 0755: %s", buf.String())
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	WarnIfOpen(logger, dir, "the cache directory")
	WarnIfOpen(logger, dir, "the cache directory")
	out := buf.String()
	if strings.Count(out, "level=WARN") != 1 || !strings.Contains(out, "chmod 700 "+dir) || !strings.Contains(out, "mode 0777") {
		t.Fatalf("want one warning naming the directory and chmod 700:\n%s", out)
	}
}
