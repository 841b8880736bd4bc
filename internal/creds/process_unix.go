//go:build unix

package creds

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// ttyState remembers that a helper was given the terminal, so that s3sso
// takes it back when the helper is done.
type ttyState struct {
	fd     int // the terminal (the helper's standard input); -1: none
	active bool
}

// prepareGroup makes the helper the leader of a new process group, so that
// it can be killed with every process it started. When s3sso runs in the
// foreground of a terminal that is also the helper's standard input, the
// helper's group becomes the terminal's foreground group: it can prompt
// (e.g. for an MFA code) and Ctrl-C reaches it and its children, as it
// would if it ran in s3sso's own group.
func prepareGroup(cmd *exec.Cmd) *ttyState {
	attr := &syscall.SysProcAttr{Setpgid: true}
	t := &ttyState{fd: -1}
	if f, ok := cmd.Stdin.(*os.File); ok {
		fd := int(f.Fd())
		if pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil && pgrp == syscall.Getpgrp() {
			attr.Foreground, attr.Ctty = true, fd
			t.fd = fd
		}
	}
	cmd.SysProcAttr = attr
	return t
}

// prepare runs just before the helper starts. While the helper's group
// owns the terminal s3sso is a background process: SIGTTOU is ignored so
// that s3sso's own output and taking the terminal back do not stop it.
func (t *ttyState) prepare() {
	if t == nil || t.fd < 0 || t.active {
		return
	}
	signal.Ignore(syscall.SIGTTOU)
	t.active = true
}

// restore gives the terminal back to s3sso's process group.
func (t *ttyState) restore() {
	if t == nil || !t.active {
		return
	}
	_ = unix.IoctlSetPointerInt(t.fd, unix.TIOCSPGRP, syscall.Getpgrp())
	signal.Reset(syscall.SIGTTOU)
	t.active = false
}

// given reports whether the helper was given the terminal.
func (t *ttyState) given() bool { return t != nil && t.fd >= 0 }

// interruptSelf sends SIGINT to s3sso itself.
func interruptSelf() { _ = syscall.Kill(os.Getpid(), syscall.SIGINT) }

// killGroup kills the helper's process group: the helper and every process
// it started that did not leave the group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		_ = cmd.Process.Kill()
	}
}

// interruptedBySignal reports whether the helper died of SIGINT: Ctrl-C on
// the terminal it had been given.
func interruptedBySignal(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}
