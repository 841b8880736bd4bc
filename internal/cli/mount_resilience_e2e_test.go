//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// Resilience tests of `s3sso mount` (issue 11): real FUSE (fusermount3 from
// Debian's fuse3), MinIO, and the IAM Identity Center emulator. The mount
// runs in the foreground as a child of the test, so that the test knows
// its process and can tell that it was never restarted.

// resMount is a running `s3sso mount --foreground`.
type resMount struct {
	t    *testing.T
	dir  string // the mount point
	bin  string
	env  []string // the mount's environment (for unmount and status too)
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncBuffer
}

// startResMount runs `s3sso GLOBAL... mount --foreground MOUNTFLAGS... SOURCE
// MOUNTPOINT` with env added to the test's environment and waits until the
// kernel lists the mount. The test's cleanup unmounts it (forcing, if the
// test failed before it did) and stops the process.
func startResMount(t *testing.T, env, global, mountFlags []string, source, dir string) *resMount {
	t.Helper()
	testenv.RequireTool(t, "fusermount3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &resMount{t: t, dir: dir, bin: testenv.Binary(t), env: append(append(os.Environ(), testenv.RaceEnv()...), env...), done: make(chan struct{}), log: &syncBuffer{}}
	args := append(append(append([]string(nil), global...), "mount", "--foreground"), mountFlags...)
	args = append(args, source, dir)
	m.cmd = exec.Command(m.bin, args...)
	m.cmd.Env = m.env
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	t.Cleanup(m.cleanup)
	deadline := time.Now().Add(time.Minute)
	for !resMounted(dir) {
		select {
		case <-m.done:
			t.Fatalf("s3sso mount exited before mounting (%v):\n%s", m.cmd.ProcessState, m.log.String())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("s3sso mount: %s not mounted after 1 min:\n%s", dir, m.log.String())
		}
	}
	return m
}

// running reports whether the mount process still runs.
func (m *resMount) running() bool {
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// s3sso runs another s3sso command (status, unmount) with the mount's
// environment.
func (m *resMount) s3sso(ctx context.Context, args ...string) testenv.Result {
	cmd := exec.CommandContext(ctx, m.bin, args...)
	cmd.Env = m.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := testenv.Result{Stdout: out.String(), Stderr: errb.String(), Code: -1}
	if cmd.ProcessState != nil {
		r.Code = cmd.ProcessState.ExitCode()
	}
	if err != nil && r.Code == 0 {
		r.Code = -1
		r.Stderr += fmt.Sprintf("\n(run: %v)", err)
	}
	return r
}

// unmount runs `s3sso unmount` (which uploads what is pending first) and
// waits for the mount process to exit 0.
func (m *resMount) unmount() {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if r := m.s3sso(ctx, "unmount", m.dir); r.Code != 0 {
		m.t.Fatalf("s3sso unmount %s: %s\nmount log:\n%s", m.dir, r, m.log.String())
	}
	select {
	case <-m.done:
	case <-time.After(time.Minute):
		m.t.Fatalf("the mount process still runs 1 min after s3sso unmount:\n%s", m.log.String())
	}
	if !m.cmd.ProcessState.Success() {
		m.t.Errorf("the mount process exited with %v:\n%s", m.cmd.ProcessState, m.log.String())
	}
	if resMounted(m.dir) {
		m.t.Errorf("%s is still mounted after s3sso unmount", m.dir)
	}
}

func (m *resMount) cleanup() {
	if resMounted(m.dir) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = m.s3sso(ctx, "unmount", "--force", m.dir)
		cancel()
		if resMounted(m.dir) {
			_ = exec.Command("fusermount3", "-uz", m.dir).Run()
		}
	}
	if m.running() {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(15 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.done
		}
	}
	if m.t.Failed() {
		m.t.Logf("mount log:\n%s", m.log.String())
	}
}

// resMounted reports whether dir is listed in /proc/self/mountinfo.
func resMounted(dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && resUnescape(f[4]) == dir {
			return true
		}
	}
	return false
}

func resUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// resStatus is what the tests read of `s3sso mount status --json`: the
// whole document, searched for the mount point and the sign-in state.
type resStatus struct {
	raw  string
	doc  any
	code int
}

func (m *resMount) status(ctx context.Context) resStatus {
	r := m.s3sso(ctx, "mount", "status", "--json")
	st := resStatus{raw: r.Stdout + r.Stderr, code: r.Code}
	_ = json.Unmarshal([]byte(r.Stdout), &st.doc)
	return st
}

// resCopyInto writes src to dst in 256 KiB writes, fsyncs it (the mount's
// fsync returns once the object is durable in S3) and closes it.
func resCopyInto(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", filepath.Dir(dst), err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, 256<<10)); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("fsync %s: %w", dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}

// resCopyOut reads src (in the mount) into dst (a local file).
func resCopyOut(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, 256<<10)); err != nil {
		out.Close()
		return fmt.Errorf("read %s: %w", src, err)
	}
	return out.Close()
}

// resTreeSums maps each regular file under root (by slash path relative to
// root) to its sha256 and size.
func resTreeSums(t *testing.T, root string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		sums[filepath.ToSlash(rel)] = fmt.Sprintf("%s %d", hex.EncodeToString(h.Sum(nil)), n)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("hash the tree %s: %v", root, err)
	}
	return sums
}

// resDiffSums reports the differences between two resTreeSums, at most a few.
func resDiffSums(want, got map[string]string) []string {
	var out []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			out = append(out, k+": missing")
		} else if g != w {
			out = append(out, fmt.Sprintf("%s: got %s, want %s", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, k+": unexpected")
		}
	}
	return out
}
