//go:build !unix

package transfer

import "time"

// cpuTime is 0 where getrusage is missing: the benchmarks then report no
// MB/cpu-s.
func cpuTime() time.Duration { return 0 }
