package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sample is one timed run of a client process.
type sample struct {
	wall    time.Duration
	ttfb    time.Duration // start to first byte on stdout; 0 if none
	maxRSS  int64         // bytes
	lines   int           // lines written to stdout
	head    string        // first bytes of stdout
	stderr  string        // last bytes of stderr
	exitErr error
}

// outWriter counts stdout lines, keeps the first bytes and notes when the
// first byte arrived, without keeping the output.
type outWriter struct {
	mu    sync.Mutex
	first time.Time
	lines int
	head  bytes.Buffer
}

const headMax = 4096

func (w *outWriter) Write(p []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first.IsZero() && len(p) > 0 {
		w.first = now
	}
	w.lines += bytes.Count(p, []byte{'\n'})
	if room := headMax - w.head.Len(); room > 0 {
		w.head.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// tailWriter keeps the last bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > 2*headMax {
		w.buf = append([]byte(nil), w.buf[len(w.buf)-headMax:]...)
	}
	return len(p), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

// timeBin is GNU time, used to measure the child's peak RSS when present.
//
// The child cannot be started from this process directly for that: Linux
// carries the high-water RSS of the address space a process execs from
// into its ru_maxrss, and Go starts children with vfork (CLONE_VM), so
// every child would report at least this process's own peak RSS. GNU time
// forks from its own small address space (about 2 MiB) and reports the
// child's ru_maxrss from wait4.
var timeBin = func() string {
	if p, err := exec.LookPath("/usr/bin/time"); err == nil {
		if exec.Command(p, "-f", "%M", "true").Run() == nil {
			return p
		}
	}
	return ""
}()

// RSSMethod says how peak RSS is measured, for the report.
func RSSMethod() string {
	if timeBin != "" {
		return "ru_maxrss of the client process from wait4, through GNU time (`/usr/bin/time -f %M`, which adds about 1 ms to every wall time)"
	}
	return "ru_maxrss from wait4 of the client started by the harness; GNU time is missing, so it includes the harness's own peak RSS (an overestimate)"
}

// measure runs bin with args and env in dir and measures wall time (from
// just before fork to the end of wait4), time to the first byte on stdout
// and the child's peak RSS (ru_maxrss from wait4, see timeBin).
func measure(ctx context.Context, dir, bin string, args, env []string, timeout time.Duration) sample {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rssFile string
	if timeBin != "" {
		f, err := os.CreateTemp("", "s3bench-rss-")
		if err == nil {
			rssFile = f.Name()
			f.Close()
			defer os.Remove(rssFile)
			args = append([]string{"-f", "%M", "-o", rssFile, "--", bin}, args...)
			bin = timeBin
		}
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	out := &outWriter{}
	errw := &tailWriter{}
	cmd.Stdout, cmd.Stderr = out, errw
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start), exitErr: err}
	if err != nil && ctx.Err() != nil {
		s.exitErr = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	out.mu.Lock()
	if !out.first.IsZero() {
		s.ttfb = out.first.Sub(start)
	}
	s.lines = out.lines
	s.head = out.head.String()
	out.mu.Unlock()
	s.stderr = errw.String()
	switch {
	case rssFile != "":
		s.maxRSS = readRSSFile(rssFile)
	case cmd.ProcessState != nil:
		s.maxRSS = maxRSS(cmd.ProcessState)
	}
	return s
}

// readRSSFile reads GNU time's output: the last line is %M, in KiB (earlier
// lines may say the command exited with a non-zero status).
func readRSSFile(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	kib, err := strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
	if err != nil {
		return 0
	}
	return kib * 1024
}
