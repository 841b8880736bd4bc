package testenv

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// UI is a running `s3sso ui` (the [Binary]), started by [StartUI].
type UI struct {
	// URL is the address it printed, with its one-time token.
	URL string
	// Origin is its http://127.0.0.1:PORT.
	Origin string

	cmd    *exec.Cmd
	out    syncBuffer
	exited chan struct{}
}

var uiURL = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/\S*token=[0-9A-Za-z_-]+\S*`)

// StartUI runs `s3sso ui --no-browser ARGS...` in the test's environment
// (os.Environ(), so after [Home] the isolated one) plus env, waits for the
// address it prints (on stdout or stderr) and stops it (SIGINT, as Ctrl-C does) when the test
// ends. A UI that prints no address within a minute, or exits, fails the
// test.
func StartUI(t testing.TB, env []string, args ...string) *UI {
	t.Helper()
	u := &UI{exited: make(chan struct{})}
	u.cmd = exec.Command(Binary(t), append([]string{"ui", "--no-browser"}, args...)...)
	u.cmd.Env = append(append(os.Environ(), RaceEnv()...), env...)
	DieWithParent(u.cmd)
	pr, pw := io.Pipe()
	// The address may come on stdout or stderr.
	w := io.MultiWriter(&u.out, pw)
	u.cmd.Stdout, u.cmd.Stderr = w, w
	if err := u.cmd.Start(); err != nil {
		t.Fatalf("start s3sso ui: %v", err)
	}
	go func() {
		_ = u.cmd.Wait()
		pw.Close()
		close(u.exited)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := uiURL.FindString(sc.Text()); m != "" && !sent {
				found <- m
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(u.Stop)
	select {
	case u.URL = <-found:
	case <-u.exited:
		t.Fatalf("s3sso ui exited before printing its address:\n%s", u.out.String())
	case <-time.After(time.Minute):
		t.Fatalf("s3sso ui printed no address within a minute:\n%s", u.out.String())
	}
	pu, err := url.Parse(u.URL)
	if err != nil {
		t.Fatalf("s3sso ui printed %q: %v", u.URL, err)
	}
	u.Origin = pu.Scheme + "://" + pu.Host
	return u
}

// PID is the process id of s3sso ui.
func (u *UI) PID() int { return u.cmd.Process.Pid }

// Output is what s3sso ui printed so far (stdout and stderr).
func (u *UI) Output() string { return u.out.String() }

// Exited reports whether the process has ended.
func (u *UI) Exited() bool {
	select {
	case <-u.exited:
		return true
	default:
		return false
	}
}

// Stop interrupts s3sso ui (SIGINT) and waits up to 10 s for it to exit,
// then kills it.
func (u *UI) Stop() {
	if u.Exited() {
		return
	}
	_ = u.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-u.exited:
	case <-time.After(10 * time.Second):
		_ = u.cmd.Process.Kill()
		<-u.exited
	}
}

// Wait waits until s3sso ui has exited or ctx ends, and returns its exit
// code (-1 when ctx ended first).
func (u *UI) Wait(ctx context.Context) int {
	select {
	case <-u.exited:
		return u.cmd.ProcessState.ExitCode()
	case <-ctx.Done():
		return -1
	}
}

// String names the process for failure messages.
func (u *UI) String() string {
	return fmt.Sprintf("s3sso ui at %s (pid %d)\n%s", u.Origin, u.PID(), strings.TrimSpace(u.Output()))
}

// RaceEnabled reports whether the test binary (and so [Binary]) is built
// with -race: tests then move smaller files.
const RaceEnabled = raceEnabled
