package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BinaryWithPeakRSS returns a command that runs the s3sso [Binary] with
// args in the test's environment plus env, and a function that reports,
// after the command has run, the peak resident set size of s3sso in KiB
// (false when it cannot be measured).
//
// The rusage of a process the test binary starts directly is useless for
// this: on Linux the child shares the test binary's memory until it execs,
// and that peak (hundreds of MB for a -race test binary) stays in the
// child's ru_maxrss. So the binary runs under GNU time, which forks it from
// a small process, when /usr/bin/time is installed; GNU time exits with
// s3sso's exit code.
func BinaryWithPeakRSS(t testing.TB, env []string, args ...string) (*exec.Cmd, func() (int64, bool)) {
	t.Helper()
	bin := Binary(t)
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		return cmd, func() (int64, bool) { return 0, false }
	}
	out := filepath.Join(t.TempDir(), "maxrss")
	cmd := exec.Command(timeBin, append([]string{"-o", out, "-f", "%M", bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	return cmd, func() (int64, bool) {
		b, err := os.ReadFile(out)
		if err != nil {
			return 0, false
		}
		// GNU time writes "Command exited with non-zero status N" first
		// when the command fails; the figure is on the last line.
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		kib, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
		return kib, err == nil
	}
}
