//go:build !unix

package cli

import "syscall"

func daemonAttr() *syscall.SysProcAttr { return nil }

func processAlive(pid int) bool { return false }
