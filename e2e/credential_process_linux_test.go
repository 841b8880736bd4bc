package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/s3sso/s3sso/internal/testenv"
)

// terminal is a pseudo-terminal that s3sso runs on as in an interactive
// shell: a shell with job control (sh -m) leads the session, owns the
// terminal, and runs s3sso as a foreground job in a process group of its
// own. (Were s3sso the session leader, its exit would hang up the terminal
// and SIGHUP would clean up for it.) The shell prints s3sso's exit code and
// stays until the test ends.
type terminal struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	cmd    *exec.Cmd
	done   chan struct{}
}

func startOnTerminal(t *testing.T, env []string, args ...string) *terminal {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, master: master, done: make(chan struct{})}
	script := `"$@"; echo "s3sso exited with $?"; exec sleep 600`
	term.cmd = exec.Command("/bin/sh", append([]string{"-m", "-c", script, "sh", testenv.Binary(t)}, args...)...)
	term.cmd.Env = append(os.Environ(), env...)
	term.cmd.Stdin, term.cmd.Stdout, term.cmd.Stderr = slave, slave, slave
	term.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := term.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { _ = term.cmd.Wait(); close(term.done) }()
	t.Cleanup(func() {
		_ = term.cmd.Process.Kill()
		<-term.done
		master.Close()
	})
	return term
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until the terminal shows s.
func (term *terminal) waitFor(s string) {
	term.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(term.output(), s) {
		if time.Now().After(deadline) {
			term.t.Fatalf("the terminal does not show %q:\n%s", s, term.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (term *terminal) typeIn(s string) {
	term.t.Helper()
	if _, err := term.master.WriteString(s); err != nil {
		term.t.Fatal(err)
	}
}

// exit waits for s3sso to end and returns its exit code.
func (term *terminal) exit(within time.Duration) int {
	term.t.Helper()
	deadline := time.Now().Add(within)
	for {
		out := term.output()
		if i := strings.Index(out, "s3sso exited with "); i >= 0 && strings.Contains(out[i:], "\n") {
			var code int
			if _, err := fmt.Sscanf(out[i:], "s3sso exited with %d", &code); err != nil {
				term.t.Fatal(err)
			}
			return code
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("s3sso still runs after %v:\n%s", within, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCredentialProcessOnTerminal: on a terminal the helper's process
// group gets the foreground, so a helper that prompts (e.g. for an MFA
// code) reads the answer, and Ctrl-C reaches the helper and its children
// (exit 130, nothing left running).
func TestCredentialProcessOnTerminal(t *testing.T) {
	e := setup(t)
	e.put("t.txt", []byte("typed"))
	e.addProcessProfile(fmt.Sprintf(`printf 'MFA code: ' >&2
read code
[ "$code" = 123456 ] || exit 1
echo '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'`, e.minio.AccessKey, e.minio.SecretKey))
	term := startOnTerminal(t, e.vars, "cat", e.url("t.txt"))
	term.waitFor("MFA code: ")
	term.typeIn("123456\n")
	if code := term.exit(30 * time.Second); code != 0 || !strings.Contains(term.output(), "typed") {
		t.Fatalf("exit %d:\n%s", code, term.output())
	}

	pidFile := e.hangingHelper()
	term = startOnTerminal(t, e.vars, "ls", e.url(""))
	pid := waitPID(t, pidFile)
	start := time.Now()
	term.typeIn("\x03") // Ctrl-C
	if code := term.exit(10 * time.Second); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130:\n%s", code, term.output())
	}
	if alive(pid) {
		t.Errorf("the helper's child %d still runs after Ctrl-C", pid)
	}
	t.Logf("exit 130 %v after Ctrl-C", time.Since(start).Round(time.Millisecond))
}
