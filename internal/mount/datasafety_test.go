//go:build linux

package mount

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/testenv"
)

// settle waits until the mount's journal is empty: every upload has
// landed (or was dropped), so the bucket holds the final state.
func (e *env) settle() {
	e.t.Helper()
	dir := filepath.Join(e.opts.CacheDir, JournalID(e.opts.Identity, e.store.Endpoint(), e.opts.Source), "journal")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ents, err := os.ReadDir(dir)
		if err != nil {
			e.t.Fatal(err)
		}
		n := 0
		for _, x := range ents {
			if strings.HasSuffix(x.Name(), ".json") {
				n++
			}
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d journal records still pending", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitBig waits (longer than waitObject) until key holds want.
func (e *env) waitBig(key string, want []byte) {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !bytes.Equal(e.object(key), want) {
		if time.Now().After(deadline) {
			e.t.Fatalf("object %s never got its %d bytes", key, len(want))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// A directory renamed while it holds a file with unsaved content: the new
// name gets the new content, not the old object's (the server-side copy of
// the old version must not win over the cached file's upload).
func TestRenameDirKeepsCachedContent(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 40 {
		e.put(fmt.Sprintf("dir/f%02d", i), []byte("x"))
	}
	old := bytes.Repeat([]byte("OLD"), 1000)
	e.put("dir/zz", old)
	f, err := os.OpenFile(e.path("dir/zz"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	neu := bytes.Repeat([]byte("NEW"), 1000)
	if _, err := f.Write(neu); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(e.path("dir"), e.path("dir2")); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if got := e.object("dir2/zz"); !bytes.Equal(got, neu) {
		t.Errorf("dir2/zz: %d bytes, old content %v; want the new content", len(got), bytes.Equal(got, old))
	}
	if got := e.object("dir2/f07"); !bytes.Equal(got, []byte("x")) {
		t.Errorf("dir2/f07: %q", got)
	}
	for _, k := range e.keys() {
		if strings.HasPrefix(k, "dir/") {
			t.Errorf("%s left under the old name", k)
		}
	}
}

// A file renamed while it uploads, then a new file at the old name: the old
// upload must neither land on nor delete the new file (vim's backup,
// logrotate).
func TestRenameWhileUploadingKeepsNewFileAtOldName(t *testing.T) {
	e := newEnv(t, nil)
	big := random(96<<20, 7)
	if err := os.WriteFile(e.path("A"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the upload start (not an assertion)
	if err := os.Rename(e.path("A"), e.path("B")); err != nil {
		t.Fatal(err)
	}
	small := []byte("the new A\n")
	f, err := os.Create(e.path("A"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(small); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	e.waitBig("B", big)
	e.settle()
	if got := e.object("A"); !bytes.Equal(got, small) {
		t.Errorf("A (fsynced) holds %d bytes (the old content: %v), keys %v", len(got), bytes.Equal(got, big), e.keys())
	}
}

// Files that are not cached renamed over ones that are uploading (of
// several sizes, so that some uploads end during the rename): each target
// ends with its renamed file's content, the sources are gone.
func TestRenameOverUploadingFile(t *testing.T) {
	e := newEnv(t, nil)
	const n = 16
	for i := range n {
		e.put(fmt.Sprintf("S%02d", i), []byte(fmt.Sprintf("source %d\n", i)))
	}
	for i := range n {
		big := random((i+1)<<18, uint64(i))
		if err := os.WriteFile(e.path(fmt.Sprintf("T%02d", i)), big, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(e.path(fmt.Sprintf("S%02d", i)), e.path(fmt.Sprintf("T%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	e.settle()
	for i := range n {
		if got, want := e.object(fmt.Sprintf("T%02d", i)), []byte(fmt.Sprintf("source %d\n", i)); !bytes.Equal(got, want) {
			t.Errorf("T%02d holds %d bytes, want the renamed file's %d", i, len(got), len(want))
		}
		if got := e.object(fmt.Sprintf("S%02d", i)); got != nil {
			t.Errorf("S%02d still exists", i)
		}
	}
}

// A file unlinked while open stays usable through the open handle (POSIX),
// and is neither uploaded nor left in the journal.
func TestUnlinkWhileOpen(t *testing.T) {
	e := newEnv(t, nil)
	f, err := os.OpenFile(e.path("U"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(e.path("U")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "hello" {
		t.Errorf("read after unlink: %q, %v", b, err)
	}
	if _, err := f.WriteAt([]byte(" world"), 5); err != nil {
		t.Errorf("write after unlink: %v", err)
	}
	b = make([]byte, 11)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "hello world" {
		t.Errorf("read after unlink and write: %q, %v", b, err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	e.settle()
	if got := e.object("U"); got != nil {
		t.Errorf("U was uploaded: %q", got)
	}
}

// A mount stopped (SIGTERM) while a file is open in it exits: the busy
// unmount falls back to a lazy one instead of waiting forever.
func TestStopWithFileOpen(t *testing.T) {
	requireFUSE(t)
	testenv.Home(t)
	mi := testenv.SharedMinIO(t)
	bucket := mi.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", mi.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", mi.SecretKey)
	t.Setenv("AWS_REGION", mi.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", mi.Endpoint)
	mgr := session.New(session.Options{Prompter: NewPrompter(0, nil)})
	s, err := mgr.Open(t.Context(), session.Ref{}, session.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	store, err := s.Store()
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Source: objstore.URL{Bucket: bucket}, Mountpoint: t.TempDir(), CacheDir: t.TempDir(),
		StateDir: t.TempDir(), DirCacheTTL: time.Second, Identity: "test", Store: store}
	ready := make(chan struct{})
	o.Ready = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("mount: %v", err)
	}
	f, err := os.Create(filepath.Join(o.Mountpoint, "open"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("mount ended with %v", err)
		}
	case <-time.After(2 * time.Minute): // a liveness bound, not a timing assertion
		t.Fatal("the mount did not exit while a file was open in it")
	}
	f.Close()
	_ = exec.Command("fusermount3", "-uz", o.Mountpoint).Run()
}

// A file that is not cached renamed over one whose upload has just put
// its object (held there): the target ends with the renamed file's
// content, not the overwritten one's, and not deleted.
func TestRenameOverJustUploadedFile(t *testing.T) {
	uploaded := make(chan struct{}, 1)
	afterUploadHook = func(key string) {
		if key != "T" {
			return
		}
		select {
		case uploaded <- struct{}{}:
		default:
		}
		time.Sleep(2 * time.Second) // holds the attempt while the rename runs (not an assertion)
	}
	t.Cleanup(func() { afterUploadHook = nil })
	e := newEnv(t, nil)
	src := []byte("the source\n")
	e.put("S", src)
	if err := os.WriteFile(e.path("T"), []byte("the overwritten target\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	<-uploaded
	if err := os.Rename(e.path("S"), e.path("T")); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if got := e.object("T"); !bytes.Equal(got, src) {
		t.Errorf("T holds %q, want the renamed file's content; keys %v", got, e.keys())
	}
	if got := e.object("S"); got != nil {
		t.Errorf("S still exists")
	}
}
