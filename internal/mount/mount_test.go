//go:build linux

package mount

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env is a mounted bucket of the shared MinIO.
type env struct {
	t      *testing.T
	mp     string
	bucket string
	client *s3.Client
	store  *objstore.S3
	opts   Options
}

// requireFUSE fails (or skips where skips are allowed) without FUSE.
func requireFUSE(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("fusermount3"); err != nil {
		testenv.Skipf(t, "fusermount3 not installed (scripts/apt.sh fuse)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		testenv.Skipf(t, "no /dev/fuse")
	}
}

// newEnv mounts a new bucket; change adjusts the options first. The mount
// is unmounted when the test ends.
func newEnv(t *testing.T, change func(*Options)) *env {
	t.Helper()
	requireFUSE(t)
	testenv.Home(t)
	mi := testenv.SharedMinIO(t)
	bucket := mi.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", mi.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", mi.SecretKey)
	t.Setenv("AWS_REGION", mi.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", mi.Endpoint)
	e := &env{t: t, bucket: bucket, client: mi.Client(t)}
	e.opts = Options{Source: objstore.URL{Bucket: bucket}, Mountpoint: t.TempDir(), CacheDir: t.TempDir(),
		StateDir: t.TempDir(), DirCacheTTL: time.Second, Identity: "test"}
	if change != nil {
		change(&e.opts)
	}
	e.mount(e.opts.Store)
	return e
}

// mount runs the file system in the test process until the test ends.
func (e *env) mount(store *objstore.S3) {
	t := e.t
	t.Helper()
	if store == nil {
		mgr := session.New(session.Options{Prompter: NewPrompter(0, nil)})
		s, err := mgr.Open(t.Context(), session.Ref{}, session.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		if store, err = s.Store(); err != nil {
			t.Fatal(err)
		}
	}
	e.store = store
	o := e.opts
	o.Store = store
	ready := make(chan struct{})
	o.Ready = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("mount: %v", err)
	}
	e.mp = o.Mountpoint
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mount ended with %v", err)
		}
	})
}

func (e *env) path(rel string) string { return filepath.Join(e.mp, rel) }

func (e *env) put(key string, data []byte) {
	e.t.Helper()
	if _, err := e.client.PutObject(e.t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key),
		Body: bytes.NewReader(data)}); err != nil {
		e.t.Fatal(err)
	}
}

// object returns the object's bytes, or nil when it does not exist.
func (e *env) object(key string) []byte {
	e.t.Helper()
	out, err := e.client.GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		if objstore.IsNotFound(err) {
			return nil
		}
		e.t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// keys lists the bucket.
func (e *env) keys() []string {
	e.t.Helper()
	var out []string
	for o, err := range e.store.List(e.t.Context(), e.bucket, "", false) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	return out
}

// waitObject waits until key holds want (uploads after close are
// asynchronous).
func (e *env) waitObject(key string, want []byte) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := e.object(key)
		if got != nil && bytes.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("object %s: %d bytes (sha256 %x), want %d bytes (sha256 %x)", key, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestReadListStat(t *testing.T) {
	e := newEnv(t, nil)
	big := random(3<<20+17, 1)
	e.put("a.txt", []byte("hello\n"))
	e.put("dir/big.bin", big)
	e.put("dir/sub/deep.txt", []byte("deep"))
	e.put("empty/", nil)                   // a marker: an empty directory
	e.put("implicit/x/y.txt", []byte("y")) // implicit directories

	if got, want := readDir(t, e.mp), []string{"a.txt", "dir/", "empty/", "implicit/"}; !slices.Equal(got, want) {
		t.Fatalf("root: %v, want %v", got, want)
	}
	if got, want := readDir(t, e.path("dir")), []string{"big.bin", "sub/"}; !slices.Equal(got, want) {
		t.Fatalf("dir: %v, want %v", got, want)
	}
	if got := readDir(t, e.path("empty")); len(got) != 0 {
		t.Fatalf("empty: %v", got)
	}
	if got := readDir(t, e.path("implicit/x")); !slices.Equal(got, []string{"y.txt"}) {
		t.Fatalf("implicit/x: %v", got)
	}
	fi, err := os.Stat(e.path("dir/big.bin"))
	if err != nil || fi.Size() != int64(len(big)) || !fi.Mode().IsRegular() {
		t.Fatalf("stat: %v %v", fi, err)
	}
	got, err := os.ReadFile(e.path("dir/big.bin"))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
	if b, err := os.ReadFile(e.path("dir/sub/deep.txt")); err != nil || string(b) != "deep" {
		t.Fatalf("deep: %q %v", b, err)
	}
	if _, err := os.Stat(e.path("nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v, want ENOENT", err)
	}
	// A new object appears once the listing's TTL passes.
	e.put("later.txt", []byte("later"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(e.path("later.txt")); err == nil && string(b) == "later" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an object written to S3 did not appear in the mount")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRandomReadsAndConcurrentReaders(t *testing.T) {
	e := newEnv(t, nil)
	size := 40 << 20
	if testenv.Race() {
		size = 12 << 20
	}
	data := random(size, 2)
	e.put("big.bin", data)

	f, err := os.Open(e.path("big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(3, 3))
	for i := range 200 {
		off := r.Int64N(int64(size))
		n := 1 + r.IntN(300<<10)
		if i%10 == 0 {
			off = int64(size) - int64(r.IntN(1000)) // near the end
		}
		buf := make([]byte, n)
		k, err := f.ReadAt(buf, off)
		want := data[off:min(off+int64(n), int64(size))]
		if (err != nil && err != io.EOF) || !bytes.Equal(buf[:k], want) {
			t.Fatalf("read %d at %d: %d bytes, %v; differs from the file", n, off, k, err)
		}
	}

	// Two readers of one file at once, each from the start to the end.
	var wg sync.WaitGroup
	sums := make([][32]byte, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := os.ReadFile(e.path("big.bin"))
			sums[i], errs[i] = sha256.Sum256(b), err
		}()
	}
	wg.Wait()
	want := sha256.Sum256(data)
	for i := range 2 {
		if errs[i] != nil || sums[i] != want {
			t.Fatalf("reader %d: %v, sha256 %x, want %x", i, errs[i], sums[i], want)
		}
	}
}

func TestWritesAppendTruncateOverwrite(t *testing.T) {
	e := newEnv(t, nil)
	orig := random(1<<20, 4)
	e.put("f.bin", orig)

	// A new file, fsync'd: durable before close.
	nf, err := os.Create(e.path("new.bin"))
	if err != nil {
		t.Fatal(err)
	}
	fresh := random(300<<10, 5)
	if _, err := nf.Write(fresh); err != nil {
		t.Fatal(err)
	}
	if err := nf.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := e.object("new.bin"); !bytes.Equal(got, fresh) {
		t.Fatalf("after fsync the object has %d bytes, want %d", len(got), len(fresh))
	}
	nf.Close()

	// Overwrite in the middle of an existing object.
	want := slices.Clone(orig)
	f, err := os.OpenFile(e.path("f.bin"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	patch := []byte("PATCHED IN THE MIDDLE")
	if _, err := f.WriteAt(patch, 500_000); err != nil {
		t.Fatal(err)
	}
	copy(want[500_000:], patch)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	e.waitObject("f.bin", want)

	// Append.
	f, err = os.OpenFile(e.path("f.bin"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want = append(want, "tail"...)
	e.waitObject("f.bin", want)

	// Truncate shorter, then longer (zeros).
	if err := os.Truncate(e.path("f.bin"), 1000); err != nil {
		t.Fatal(err)
	}
	want = want[:1000]
	e.waitObject("f.bin", want)
	if err := os.Truncate(e.path("f.bin"), 3000); err != nil {
		t.Fatal(err)
	}
	want = append(want, make([]byte, 2000)...)
	e.waitObject("f.bin", want)
	if got, err := os.ReadFile(e.path("f.bin")); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}

	// Overwrite a whole file (O_TRUNC).
	if err := os.WriteFile(e.path("f.bin"), []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitObject("f.bin", []byte("short"))

	// mtime is kept in the object's metadata.
	mt := time.Date(2020, 5, 17, 10, 0, 0, 0, time.UTC)
	if err := os.Chtimes(e.path("f.bin"), mt, mt); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := e.store.Head(t.Context(), objstore.URL{Bucket: e.bucket, Key: "f.bin"})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := parseMtime(info.Metadata[MetaMtime]); ok && got.Equal(mt) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtime metadata %q, want %v", info.Metadata[MetaMtime], mt)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRenameRemoveDirs(t *testing.T) {
	e := newEnv(t, nil)
	e.put("a.txt", []byte("A"))
	e.put("d/one.txt", []byte("1"))
	e.put("d/sub/two.txt", []byte("2"))

	if err := os.Rename(e.path("a.txt"), e.path("b.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(e.path("d"), e.path("e")); err != nil {
		t.Fatal(err)
	}
	if got, want := e.keys(), []string{"b.txt", "e/one.txt", "e/sub/two.txt"}; !slices.Equal(got, want) {
		t.Fatalf("keys after renames: %v, want %v", got, want)
	}
	if b, err := os.ReadFile(e.path("e/sub/two.txt")); err != nil || string(b) != "2" {
		t.Fatalf("renamed dir content: %q %v", b, err)
	}

	if err := os.Mkdir(e.path("m"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := e.object("m/"); got == nil {
		t.Fatal("mkdir made no marker object")
	}
	if err := os.WriteFile(e.path("m/x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(e.path("m")); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("rmdir of a non-empty dir: %v, want ENOTEMPTY", err)
	}
	if err := os.RemoveAll(e.path("e")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(e.path("m")); err != nil {
		t.Fatal(err)
	}
	if got := e.keys(); !slices.Equal(got, []string{"b.txt"}) {
		t.Fatalf("keys after rm -r: %v", got)
	}
	if got := readDir(t, e.mp); !slices.Equal(got, []string{"b.txt"}) {
		t.Fatalf("root after rm -r: %v", got)
	}
}

func TestRenameDirCap(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RenameDirCap = 3 })
	for i := range 4 {
		e.put(fmt.Sprintf("d/%d", i), []byte("x"))
	}
	err := os.Rename(e.path("d"), e.path("e"))
	if !errors.Is(err, syscall.EXDEV) {
		t.Fatalf("rename of a directory above the cap: %v, want EXDEV", err)
	}
	if got := e.keys(); len(got) != 4 || !strings.HasPrefix(got[0], "d/") {
		t.Fatalf("keys after a refused rename: %v", got)
	}
}

// An editor's save: write a temporary file, fsync, rename it over the file.
func TestEditorSavePattern(t *testing.T) {
	e := newEnv(t, nil)
	e.put("notes.txt", []byte("old text\n"))
	tmp := e.path(".notes.txt.swp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("new text\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, e.path("notes.txt")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(e.path("notes.txt")); err != nil || string(b) != "new text\n" {
		t.Fatalf("read after save: %q %v", b, err)
	}
	e.waitObject("notes.txt", []byte("new text\n"))
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(e.keys(), []string{"notes.txt"}) {
		if time.Now().After(deadline) {
			t.Fatalf("keys: %v, want only notes.txt", e.keys())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestReadOnly(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ReadOnly = true })
	e.put("a.txt", []byte("A"))
	if b, err := os.ReadFile(e.path("a.txt")); err != nil || string(b) != "A" {
		t.Fatalf("read: %q %v", b, err)
	}
	for name, op := range map[string]func() error{
		"create": func() error { return os.WriteFile(e.path("b.txt"), []byte("B"), 0o644) },
		"write":  func() error { _, err := os.OpenFile(e.path("a.txt"), os.O_WRONLY, 0); return err },
		"unlink": func() error { return os.Remove(e.path("a.txt")) },
		"mkdir":  func() error { return os.Mkdir(e.path("d"), 0o755) },
		"rename": func() error { return os.Rename(e.path("a.txt"), e.path("c.txt")) },
	} {
		if err := op(); !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s on a read-only mount: %v, want EROFS", name, err)
		}
	}
	if got := e.keys(); !slices.Equal(got, []string{"a.txt"}) {
		t.Fatalf("keys: %v", got)
	}
}

// chmod is accepted and changes nothing; chown to another owner is EPERM.
func TestChmodChownRule(t *testing.T) {
	e := newEnv(t, nil)
	e.put("a.txt", []byte("A"))
	if err := os.Chmod(e.path("a.txt"), 0o600); err != nil {
		t.Fatalf("chmod: %v", err)
	}
	fi, err := os.Stat(e.path("a.txt"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode after chmod: %v %v, want 0644", fi.Mode(), err)
	}
	if err := os.Chown(e.path("a.txt"), os.Getuid(), os.Getgid()); err != nil {
		t.Fatalf("chown to the owner: %v", err)
	}
	if err := os.Chown(e.path("a.txt"), 12345, -1); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("chown to another user: %v, want EPERM", err)
	}
}

// A full cache disk: the writer gets ENOSPC; files written before and
// after are intact.
func TestCacheDiskFull(t *testing.T) {
	cache := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", cache).CombinedOutput(); err != nil {
		testenv.Skipf(t, "mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", cache).Run() })
	e := newEnv(t, func(o *Options) { o.CacheDir = cache })

	small := random(100<<10, 6)
	if err := os.WriteFile(e.path("small.bin"), small, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitObject("small.bin", small)

	f, err := os.Create(e.path("huge.bin"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := random(1<<20, 7)
	var werr error
	for range 8 {
		if _, werr = f.Write(chunk); werr != nil {
			break
		}
	}
	f.Close()
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("writing 8 MiB into a 4 MiB cache: %v, want ENOSPC", werr)
	}
	if err := os.Remove(e.path("huge.bin")); err != nil {
		t.Fatal(err)
	}
	// The mount still works and nothing else changed.
	after := random(200<<10, 8)
	if err := os.WriteFile(e.path("after.bin"), after, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitObject("after.bin", after)
	e.waitObject("small.bin", small)
	if b, err := os.ReadFile(e.path("small.bin")); err != nil || !bytes.Equal(b, small) {
		t.Fatalf("small.bin read back: %d bytes, %v", len(b), err)
	}
	// The removed file does not come back (an upload that was in flight
	// when it was removed is stopped or undone).
	if got := e.keys(); !slices.Equal(got, []string{"after.bin", "small.bin"}) {
		t.Fatalf("keys: %v, want after.bin and small.bin", got)
	}
}

// A whole-object read whose bytes do not match the stored checksum fails
// with EIO; the same read through a good connection succeeds.
func TestIntegrityFailureIsEIO(t *testing.T) {
	requireFUSE(t)
	testenv.Home(t)
	mi := testenv.SharedMinIO(t)
	proxy := testenv.StartFaultProxy(t, mi.Endpoint)
	bucket := mi.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", mi.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", mi.SecretKey)
	t.Setenv("AWS_REGION", mi.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", proxy.URL)
	e := &env{t: t, bucket: bucket, client: mi.Client(t)}
	e.opts = Options{Source: objstore.URL{Bucket: bucket}, Mountpoint: t.TempDir(), CacheDir: t.TempDir(), DirCacheTTL: time.Second}
	e.mount(nil)
	data := random(2<<20, 9)
	e.put("x.bin", data)
	e.put("y.bin", data)

	if b, err := os.ReadFile(e.path("x.bin")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("control read: %d bytes, %v", len(b), err)
	}
	proxy.Add(testenv.FaultRule{Method: "GET", Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/y.bin") },
		Fault: testenv.FlipObjectByte{Off: 1 << 20}})
	_, err := os.ReadFile(e.path("y.bin"))
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("read of a corrupted object: %v, want EIO", err)
	}
}

// --cache-size bounds the staged bytes: a file that alone passes it gets
// ENOSPC; the mount goes on.
func TestCacheSizeLimit(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CacheSize = 1 << 20 })
	f, err := os.Create(e.path("big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	_, werr := f.Write(random(2<<20, 10))
	f.Close()
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("writing 2 MiB with a 1 MiB cache: %v, want ENOSPC", werr)
	}
	small := random(512<<10, 11)
	if err := os.WriteFile(e.path("small.bin"), small, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitObject("small.bin", small)
}
