//go:build unix

package e2e

// Tests of local trees that hold more than regular files: named pipes,
// sockets and devices (skipped with a warning, never opened), and
// directories that cannot be read (one failed entry, the rest transferred).

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// hangBound is how long a command over a small tree may take before it
// counts as hanging (it takes well under a second).
const hangBound = 60 * time.Second

// runBounded runs s3sso and fails the test if it has not ended within
// hangBound (the command is then killed).
func (e *env) runBounded(args ...string) testenv.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), hangBound)
	defer cancel()
	return testenv.RunCtx(ctx, e.t, e.vars, "", args...)
}

// specialTree writes a tree with two regular files, a named pipe, a Unix
// socket and (as root) a character device, and returns its root and the
// names of the special files.
func specialTree(t *testing.T, e *env) (string, []string) {
	t.Helper()
	root := filepath.Join(e.home, "tree")
	e.file("tree/a.txt", []byte("a"))
	e.file("tree/sub/b.txt", []byte("b"))
	special := []string{"fifo", "sub/fifo2"}
	for _, n := range special {
		if err := syscall.Mkfifo(filepath.Join(root, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A listening Unix socket (the path must be short).
	sockDir, err := os.MkdirTemp("", "s3sso-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	ln, err := net.Listen("unix", filepath.Join(sockDir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := os.Link(filepath.Join(sockDir, "s"), filepath.Join(root, "sock")); err != nil {
		t.Fatal(err)
	}
	special = append(special, "sock")
	// A character device like /dev/zero (1, 5): an upload would never end.
	if err := syscall.Mknod(filepath.Join(root, "zero"), syscall.S_IFCHR|0o644, 1<<8|5); err == nil {
		special = append(special, "zero")
	} else {
		t.Logf("no device node in the tree (mknod: %v)", err)
	}
	return root, special
}

// TestSyncAndCpSkipSpecialFiles: sync and cp -r of a tree holding a named
// pipe (no writer: opening it would wait forever), a socket and a device
// upload the regular files, warn about each special file by name, exit 0,
// and never hang; cp of a single named pipe is refused with a hint to use
// standard input.
func TestSyncAndCpSkipSpecialFiles(t *testing.T) {
	e := setup(t)
	root, special := specialTree(t, e)
	for _, args := range [][]string{
		{"sync", root, e.url("sync/")},
		{"cp", "-r", root, e.url("cp/")},
		{"sync", "--checksum", root, e.url("sync/")},
	} {
		r := e.runBounded(args...)
		if r.Code != 0 {
			t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
		}
		for _, n := range special {
			if !strings.Contains(r.Stderr, "warning: skipping "+filepath.Join(root, n)+": ") {
				t.Errorf("s3sso %s: no warning about %s:\n%s", strings.Join(args, " "), n, r.Stderr)
			}
		}
		if !strings.Contains(r.Stderr, "named pipe (FIFO)") || !strings.Contains(r.Stderr, "a socket") {
			t.Errorf("the warnings do not say what the files are:\n%s", r.Stderr)
		}
	}
	for _, p := range []string{"sync/", "cp/"} {
		got := e.keys(p)
		want := []string{p + "a.txt", p + "sub/b.txt"}
		if !slices.Equal(got, want) {
			t.Errorf("objects under %s: %q, want %q", p, got, want)
		}
	}

	r := e.runBounded("cp", filepath.Join(root, "fifo"), e.url("k"))
	if r.Code != 2 || !strings.Contains(r.Stderr, "is a named pipe (FIFO)") || !strings.Contains(r.Stderr, "s3sso cp - s3://") {
		t.Errorf("cp of a named pipe: want exit 2 and the standard input hint\n%s", r)
	}
	if e.exists("k") {
		t.Error("cp of a named pipe created an object")
	}

	// A named pipe at a local destination is not an entry: never opened
	// (an empty object compared with --checksum would read it), never
	// deleted.
	e.put("down/empty", nil)
	e.put("down/x", []byte("x"))
	dst := filepath.Join(e.home, "down")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"empty", "extra-fifo"} {
		if err := syscall.Mkfifo(filepath.Join(dst, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.runBounded("sync", "--checksum", "--delete", e.url("down/"), dst); r.Code != 0 {
		t.Fatalf("sync down over named pipes: %s", r)
	}
	if fi, err := os.Lstat(filepath.Join(dst, "extra-fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("--delete removed or changed a named pipe at the destination: %v", err)
	}
	if string(readFile(t, filepath.Join(dst, "x"))) != "x" {
		t.Error("x not downloaded")
	}
}

// lockedTree writes tree/{a.txt, locked/c.txt, open/b.txt} and makes
// tree/locked unreadable (mode 000; the commands run without root's power
// over file modes, see testenv.RunWithoutDAC).
func lockedTree(t *testing.T, e *env, name string) string {
	t.Helper()
	root := filepath.Join(e.home, name)
	e.file(name+"/a.txt", []byte("a"))
	e.file(name+"/locked/c.txt", []byte("c"))
	e.file(name+"/open/b.txt", []byte("b"))
	locked := filepath.Join(root, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
	return root
}

func (e *env) runWithoutDAC(args ...string) testenv.Result {
	e.t.Helper()
	return testenv.RunWithoutDAC(e.t, e.vars, "", args...)
}

// TestUnreadableDirectoryIsOneFailure: a directory that cannot be read is
// one failed entry, reported by name: sync and cp -r upload everything else
// and exit 3; sync --delete keeps what the destination has under it (it
// could not be compared); a download sync into a tree with an unreadable
// directory downloads the rest.
func TestUnreadableDirectoryIsOneFailure(t *testing.T) {
	e := setup(t)
	root := lockedTree(t, e, "tree")
	locked := filepath.Join(root, "locked")
	e.put("sync/locked/c.txt", []byte("kept"))
	e.put("sync/stale.txt", []byte("deleted"))
	for _, args := range [][]string{
		{"sync", "--delete", root, e.url("sync/")},
		{"cp", "-r", root, e.url("cp/")},
	} {
		r := e.runWithoutDAC(args...)
		if r.Code != 3 || !strings.Contains(r.Stderr, "read directory "+locked+": permission denied") ||
			!strings.Contains(r.Stderr, "operations failed") {
			t.Errorf("s3sso %s: want exit 3 and the directory named\n%s", strings.Join(args, " "), r)
		}
	}
	if got, want := e.keys("sync/"), []string{"sync/a.txt", "sync/locked/c.txt", "sync/open/b.txt"}; !slices.Equal(got, want) {
		t.Errorf("after sync --delete: %q, want %q (the unreadable directory's objects kept, the stale one deleted)", got, want)
	}
	if string(e.get("sync/locked/c.txt")) != "kept" {
		t.Error("an object under the unreadable directory was replaced")
	}
	if got, want := e.keys("cp/"), []string{"cp/a.txt", "cp/open/b.txt"}; !slices.Equal(got, want) {
		t.Errorf("after cp -r: %q, want %q", got, want)
	}

	// Download into a tree whose directory "locked" cannot be read: the
	// objects under it are one failure, the others arrive.
	e.put("down/a.txt", []byte("a2"))
	e.put("down/locked/c.txt", []byte("c2"))
	e.put("down/open/b.txt", []byte("b2"))
	dst := lockedTree(t, e, "dst")
	r := e.runWithoutDAC("sync", e.url("down/"), dst)
	if r.Code != 3 || strings.Count(r.Stderr, "read directory "+filepath.Join(dst, "locked")+": permission denied") != 1 {
		t.Errorf("sync into a tree with an unreadable directory: want exit 3 and the directory named once\n%s", r)
	}
	for f, want := range map[string]string{"a.txt": "a2", "open/b.txt": "b2"} {
		if got := string(readFile(t, filepath.Join(dst, f))); got != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
}
