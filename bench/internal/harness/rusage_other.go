//go:build !linux

package harness

import (
	"context"
	"os"
	"time"
)

// maxRSS is not measured outside Linux.
func maxRSS(*os.ProcessState) int64 { return 0 }

// syncDisks does nothing here.
func syncDisks() {}

// waitQuiet cannot tell here.
func waitQuiet(context.Context, time.Duration) bool { return true }

// memFree cannot tell here.
func memFree() int64 { return -1 }
