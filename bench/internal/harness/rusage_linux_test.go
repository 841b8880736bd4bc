package harness

import (
	"context"
	"testing"
	"time"
)

// TestMachineProbes: /proc/stat and /proc/meminfo are read as the
// harness's quiet and free-memory checks need them.
func TestMachineProbes(t *testing.T) {
	idle, total, err := cpuTimes()
	if err != nil || total == 0 || idle > total {
		t.Fatalf("cpuTimes: idle %d total %d err %v", idle, total, err)
	}
	if free := memFree(); free <= 0 {
		t.Fatalf("memFree: %d", free)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waitQuiet(ctx, time.Second) {
		t.Fatal("waitQuiet reported quiet after its context ended")
	}
}
