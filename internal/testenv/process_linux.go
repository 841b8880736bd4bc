package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// DieWithParent makes the kernel SIGKILL the child when the thread
// that starts it exits (see startProcess), so that no server outlives a
// test or benchmark binary that was killed.
func DieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

// startWithoutDAC starts cmd without CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH in its capability bounding set, so that even a root
// child is subject to file modes. The bounding set is a property of a
// thread, inherited by the children it forks: the start happens on a thread
// of its own, which drops the two capabilities and is then discarded (the
// goroutine ends while locked to it). Dropping needs CAP_SETPCAP; a process
// without it (not root) has nothing to drop and starts cmd as it is.
func startWithoutDAC(cmd *exec.Cmd) error {
	const prCapbsetDrop, capDacOverride, capDacReadSearch = 24, 1, 2
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if os.Geteuid() == 0 {
			for _, c := range []uintptr{capDacOverride, capDacReadSearch} {
				if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prCapbsetDrop, c, 0); e != 0 {
					errc <- fmt.Errorf("drop capability %d: %w", c, e)
					return
				}
			}
		}
		errc <- cmd.Start()
	}()
	return <-errc
}
