//go:build !linux

package harness

import "os/exec"

// dieWithParent does nothing where there is no parent-death signal: a
// server then outlives a benchmark that was killed.
func dieWithParent(*exec.Cmd) {}
