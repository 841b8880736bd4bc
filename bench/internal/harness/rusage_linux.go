package harness

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxRSS is the child's peak resident set size in bytes (ru_maxrss is in
// KiB on Linux).
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}

// syncDisks writes every dirty page out (sync(2)).
func syncDisks() { syscall.Sync() }

// waitQuiet waits until the CPUs were at least 90% idle for a quarter of a
// second (/proc/stat), at most max; false if they never were.
func waitQuiet(ctx context.Context, max time.Duration) bool {
	deadline := time.Now().Add(max)
	for {
		idle0, total0, err := cpuTimes()
		if err != nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(250 * time.Millisecond):
		}
		idle1, total1, err := cpuTimes()
		if err != nil {
			return true
		}
		if total1 > total0 && float64(idle1-idle0)/float64(total1-total0) >= 0.9 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// cpuTimes returns the idle (idle and iowait) and total jiffies of all CPUs.
func cpuTimes() (idle, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: %q", line)
	}
	// user nice system idle iowait irq softirq steal; guest and
	// guest_nice are already in user and nice.
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return idle, total, nil
}

// memFree returns MemFree of /proc/meminfo in bytes, -1 if unknown.
func memFree() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemFree:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}
