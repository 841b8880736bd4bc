//go:build !linux

package testenv

import "os/exec"

// DieWithParent does nothing where there is no parent-death signal;
// a server then outlives a test binary that dies without cleaning up.
func DieWithParent(*exec.Cmd) {}

// startWithoutDAC starts cmd as it is: dropping root's power over file
// modes is implemented for Linux only.
func startWithoutDAC(cmd *exec.Cmd) error { return cmd.Start() }
