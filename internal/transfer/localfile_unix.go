//go:build unix

package transfer

import "syscall"

// oNonblock keeps open(2) of a named pipe from waiting for a writer.
const oNonblock = syscall.O_NONBLOCK
