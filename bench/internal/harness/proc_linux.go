package harness

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill cmd when the harness dies, so that no
// server or mount outlives a benchmark that was killed.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
