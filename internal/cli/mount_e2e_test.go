//go:build linux

package cli_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/testenv"
)

type mountEnv struct {
	t      *testing.T
	minio  *testenv.MinIO
	proxy  *testenv.FaultProxy
	bucket string
	mp     string
	vars   []string
	client *s3.Client
}

// setupMount prepares a bucket behind a fault proxy and a mountpoint; the
// mount is forced off when the test ends.
func setupMount(t *testing.T) *mountEnv {
	t.Helper()
	if _, err := exec.LookPath("fusermount3"); err != nil {
		testenv.Skipf(t, "fusermount3 not installed (scripts/apt.sh fuse)")
	}
	testenv.Home(t)
	m := testenv.SharedMinIO(t)
	p := testenv.StartFaultProxy(t, m.Endpoint)
	e := &mountEnv{t: t, minio: m, proxy: p, bucket: m.NewBucket(t), mp: t.TempDir(), client: m.Client(t),
		vars: []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey,
			"AWS_REGION=" + m.Region, "AWS_ENDPOINT_URL_S3=" + p.URL}}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "s3sso", "mounts", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", l, b)
			}
		}
		if mounted(e.mp) {
			testenv.Run(t, e.vars, "", "unmount", "--force", e.mp)
			exec.Command("fusermount3", "-u", "-z", e.mp).Run()
		}
	})
	return e
}

func (e *mountEnv) run(args ...string) testenv.Result {
	e.t.Helper()
	return testenv.Run(e.t, e.vars, "", args...)
}

func (e *mountEnv) mount(args ...string) {
	e.t.Helper()
	r := e.run(append(append([]string{"mount"}, args...), "s3://"+e.bucket, e.mp)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "mounted") {
		e.t.Fatalf("mount: %s", r)
	}
	if !mounted(e.mp) {
		e.t.Fatalf("%s is not mounted after `s3sso mount` returned", e.mp)
	}
}

type mountStatus struct {
	Mountpoint string `json:"mountpoint"`
	PID        int    `json:"pid"`
	State      string `json:"state"`
	Pending    []struct {
		Key string `json:"key"`
	} `json:"pending"`
}

func (e *mountEnv) status() []mountStatus {
	e.t.Helper()
	r := e.run("mount", "status", "--json")
	if r.Code != 0 {
		e.t.Fatalf("mount status: %s", r)
	}
	var out []mountStatus
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if line == "" {
			continue
		}
		var s mountStatus
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			e.t.Fatalf("mount status line %q: %v", line, err)
		}
		if s.Mountpoint != "" {
			out = append(out, s)
		}
	}
	return out
}

// waitStatus polls the status until ok accepts it.
func (e *mountEnv) waitStatus(what string, ok func(mountStatus) bool) mountStatus {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, s := range e.status() {
			if s.Mountpoint == e.mp && ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("mount status never showed %s: %+v", what, e.status())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pendingKeys(s mountStatus) []string {
	var keys []string
	for _, p := range s.Pending {
		keys = append(keys, p.Key)
	}
	return keys
}

func (e *mountEnv) object(key string) []byte {
	e.t.Helper()
	out, err := e.client.GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		return nil
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return b
}

// mounted reports whether dir is a mountpoint.
func mounted(dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

// The mount goes to the background, status lists its pending uploads, and
// unmount waits until they are in S3.
func TestMountBackgroundStatusUnmountWaits(t *testing.T) {
	e := setupMount(t)
	e.mount()
	first := randomData(1 << 20)
	if err := os.WriteFile(filepath.Join(e.mp, "first.bin"), first, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("no pending uploads", func(s mountStatus) bool { return len(s.Pending) == 0 && s.State == "mounted" })
	if !bytes.Equal(e.object("first.bin"), first) {
		t.Fatal("first.bin is not in S3 after its upload")
	}

	// Uploads are held: the file stays pending.
	hold := make(chan struct{})
	e.proxy.Add(testenv.FaultRule{Method: "PUT", Fault: testenv.Hold{Until: hold}})
	second := randomData(3 << 20)
	if err := os.WriteFile(filepath.Join(e.mp, "second.bin"), second, 0o644); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("second.bin pending", func(s mountStatus) bool { return strings.Contains(strings.Join(pendingKeys(s), ","), "second.bin") })

	done := make(chan testenv.Result, 1)
	go func() { done <- testenv.Run(t, e.vars, "", "unmount", e.mp) }()
	e.waitStatus("the unmount flushing", func(s mountStatus) bool { return s.State == "flushing" })
	select {
	case r := <-done:
		t.Fatalf("unmount returned while an upload was pending: %s", r)
	default:
	}
	e.proxy.Clear()
	close(hold)
	r := <-done
	if r.Code != 0 {
		t.Fatalf("unmount: %s", r)
	}
	if mounted(e.mp) {
		t.Fatal("still mounted after unmount")
	}
	if got := e.object("second.bin"); sha256.Sum256(got) != sha256.Sum256(second) {
		t.Fatalf("second.bin in S3: %d bytes, want %d identical", len(got), len(second))
	}
	if s := e.status(); len(s) != 0 {
		t.Fatalf("status after unmount: %+v", s)
	}
}

// kill -9 with writes pending: the next mount uploads them, bytes identical,
// before it is ready.
func TestMountKill9ThenRemountUploads(t *testing.T) {
	e := setupMount(t)
	existing := randomData(2 << 20)
	if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("existing.bin"),
		Body: bytes.NewReader(existing)}); err != nil {
		t.Fatal(err)
	}
	e.mount()
	hold := make(chan struct{})
	e.proxy.Add(testenv.FaultRule{Method: "PUT", Fault: testenv.Hold{Until: hold}})

	files := map[string][]byte{"new-a.bin": randomData(3 << 20), "new-b.txt": []byte("small file\n")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(e.mp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(filepath.Join(e.mp, "existing.bin"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("CHANGED"), 1000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	changed := bytes.Clone(existing)
	copy(changed[1000:], "CHANGED")
	files["existing.bin"] = changed

	s := e.waitStatus("three pending uploads", func(s mountStatus) bool { return len(s.Pending) == 3 })
	if err := syscall.Kill(s.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(s.PID, 0) == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the mount survived kill -9")
		}
		time.Sleep(50 * time.Millisecond)
	}
	exec.Command("fusermount3", "-u", "-z", e.mp).Run()
	e.proxy.Clear()
	close(hold)
	for name := range files {
		if name != "existing.bin" && e.object(name) != nil {
			t.Fatalf("%s reached S3 before the remount: the test would prove nothing", name)
		}
	}
	if !bytes.Equal(e.object("existing.bin"), existing) {
		t.Fatal("existing.bin changed in S3 before the remount")
	}

	e.mount()
	for name, data := range files {
		if got := e.object(name); sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("%s after the remount: %d bytes, want %d identical", name, len(got), len(data))
		}
		if got, err := os.ReadFile(filepath.Join(e.mp, name)); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s through the mount: %d bytes, %v", name, len(got), err)
		}
	}
	if r := e.run("unmount", e.mp); r.Code != 0 {
		t.Fatalf("unmount: %s", r)
	}
}
