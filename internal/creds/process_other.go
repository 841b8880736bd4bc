//go:build !unix

package creds

import "os/exec"

// ttyState is a no-op where process groups and job control are not
// available.
type ttyState struct{}

func prepareGroup(*exec.Cmd) *ttyState { return &ttyState{} }
func (*ttyState) prepare()             {}
func (*ttyState) restore()             {}
func (*ttyState) given() bool          { return false }
func interruptSelf()                   {}

// killGroup kills the helper. Without Unix process groups its children are
// not reached.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

func interruptedBySignal(error) bool { return false }
