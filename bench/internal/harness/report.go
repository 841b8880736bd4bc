package harness

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Result holds the samples of one client on one workload.
type Result struct {
	samples  []sample
	Failures []string
	broken   bool // setup for this client failed; no runs
}

func (r *Result) add(s sample)    { r.samples = append(r.samples, s) }
func (r *Result) fail(msg string) { r.Failures = append(r.Failures, msg) }
func (r *Result) ok() bool        { return r != nil && len(r.samples) > 0 }
func (r *Result) count() int      { return len(r.samples) }
func (r *Result) metric(w string) []time.Duration {
	d := make([]time.Duration, len(r.samples))
	for i, s := range r.samples {
		if ttfbWorkload(w) {
			d[i] = s.ttfb
		} else {
			d[i] = s.wall
		}
	}
	slices.Sort(d)
	return d
}

// Median is the median of the workload's metric (wall time; time to first
// byte for W8).
func (r *Result) Median(w string) time.Duration { return median(r.metric(w)) }

// Range is the smallest and largest metric.
func (r *Result) Range(w string) (time.Duration, time.Duration) {
	d := r.metric(w)
	return d[0], d[len(d)-1]
}

// PeakRSS is the largest peak RSS of all samples, in bytes.
func (r *Result) PeakRSS() int64 {
	var m int64
	for _, s := range r.samples {
		m = max(m, s.maxRSS)
	}
	return m
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

// ttfbWorkload reports whether w is measured by time to first byte.
func ttfbWorkload(w string) bool { return w == W8 || w == W8p }

// Report is the outcome of a [Run].
type Report struct {
	Started  time.Time
	Elapsed  time.Duration
	Sizes    Sizes
	Rounds   int
	Clients  []string          // in the order given, s3sso first
	Versions map[string]string // client -> version
	Results  map[string]map[string]*Result
	Ceilings []Ceiling
	// ServerVersion is the MinIO version, from [Server.Version].
	ServerVersion string
	// W8p lists the clients of W8p in report order; W8pSetup says how the
	// portal was reached.
	W8p      []string
	W8pSetup string
}

// Failures lists every failed client run as "W1 rclone: message".
func (rep *Report) Failures() []string {
	var out []string
	for _, w := range Workloads {
		for _, c := range rep.clientsOf(w) {
			if r := rep.Results[w][c]; r != nil {
				for _, f := range r.Failures {
					out = append(out, fmt.Sprintf("%s %s: %s", w, c, f))
				}
			}
		}
	}
	return out
}

func (rep *Report) clientsOf(w string) []string {
	switch w {
	case W8:
		return append(slices.Clone(rep.Clients), S3ssoKeys)
	case W8p:
		return rep.W8p
	}
	return rep.Clients
}

// Title describes workload w at the run's sizes.
func (rep *Report) Title(w string) string {
	s := rep.Sizes
	switch w {
	case W1:
		return fmt.Sprintf("upload %d × %s files", s.SmallFiles, humanSize(s.SmallSize))
	case W2:
		return fmt.Sprintf("download %d × %s objects", s.SmallFiles, humanSize(s.SmallSize))
	case W3:
		return fmt.Sprintf("upload one %s file", humanSize(s.BigSize))
	case W2e:
		return fmt.Sprintf("download %d × %s objects, MD5 ETag only", s.SmallFiles, humanSize(s.SmallSize))
	case W4:
		return fmt.Sprintf("download one %s object", humanSize(s.BigSize))
	case W4e, W4e8:
		ps := s.PartSizeE
		if w == W4e8 {
			ps = s.PartSizeE8
		}
		return fmt.Sprintf("download one %s object, MD5 ETag only, %d parts of %s", humanSize(s.BigSize), (s.BigSize+ps-1)/ps, humanSize(ps))
	case W5:
		return fmt.Sprintf("list %d objects recursively", s.ListObjects)
	case W6:
		return fmt.Sprintf("delete %d objects by prefix", s.DeleteObjs)
	case W7:
		return fmt.Sprintf("sync a %d-file tree, nothing changed", s.SyncFiles)
	case W8:
		return "process start to first byte of `cat` of a small object"
	case W8p:
		return "W8 with the IAM Identity Center portal 100 ms away: cold and warm role-credential cache"
	}
	return w
}

// throughput renders the rate of a run that took d.
func (rep *Report) throughput(w string, d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	sec := d.Seconds()
	s := rep.Sizes
	switch base(w) {
	case W1, W2:
		return fmt.Sprintf("%.0f obj/s, %.0f MB/s", float64(s.SmallFiles)/sec, float64(s.SmallSize)*float64(s.SmallFiles)/sec/1e6)
	case W3, W4:
		return fmt.Sprintf("%.0f MB/s", float64(s.BigSize)/sec/1e6)
	case W5:
		return fmt.Sprintf("%.0f obj/s", float64(s.ListObjects)/sec)
	case W6:
		return fmt.Sprintf("%.0f obj/s", float64(s.DeleteObjs)/sec)
	case W7:
		return fmt.Sprintf("%.0f files/s", float64(s.SyncFiles)/sec)
	}
	return "—"
}

// fastestPeer returns the peer with the smallest median on w.
func (rep *Report) fastestPeer(w string) (string, time.Duration) {
	best, bestD := "", time.Duration(0)
	for _, c := range rep.Clients {
		if c == S3sso || c == S3ssoBase {
			continue
		}
		if r := rep.Results[w][c]; r.ok() {
			if m := r.Median(w); best == "" || m < bestD {
				best, bestD = c, m
			}
		}
	}
	return best, bestD
}

// Markdown renders the results: machine, versions, a summary against the
// fastest peer, a table per workload and the list of gaps.
func (rep *Report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Run of %s UTC, %d round(s), %s in total.\n\n", rep.Started.Format("2006-01-02 15:04"), rep.Rounds, rep.Elapsed.Round(time.Second))
	p("**Machine:** %s.\n\n", Machine())
	p("**Versions:** ")
	var vs []string
	for _, c := range rep.Clients {
		vs = append(vs, fmt.Sprintf("%s %s", c, rep.Versions[c]))
	}
	if v, ok := rep.Versions[AWSv2]; ok {
		vs = append(vs, fmt.Sprintf("%s %s", AWSv2, v))
	}
	p("%s; MinIO %s; %s.\n\n", strings.Join(vs, ", "), rep.ServerVersion, runtime.Version())

	p("### Summary\n\n")
	p("Median wall time (W8, W8p: time to first byte; W8p: s3sso with a warm role-credential cache). *ratio* = fastest peer's time ÷ s3sso's time: below 1.00 the peer is faster.\n\n")
	p("| workload | s3sso | fastest peer | ratio | s3sso peak RSS |\n|---|---|---|---|---|\n")
	for _, w := range Workloads {
		r := rep.Results[w][S3sso]
		if r == nil && rep.Results[w] == nil {
			continue
		}
		s3 := "failed"
		var s3d time.Duration
		rss := "—"
		if r.ok() {
			s3d = r.Median(w)
			s3 = fmtDur(s3d)
			rss = mib(r.PeakRSS())
		}
		peer, pd := rep.fastestPeer(w)
		ps, ratio := "—", "—"
		if peer != "" {
			ps = fmt.Sprintf("%s %s", peer, fmtDur(pd))
			if s3d > 0 {
				ratio = fmt.Sprintf("%.2f", pd.Seconds()/s3d.Seconds())
			}
		}
		p("| %s %s | %s | %s | %s | %s |\n", w, rep.Title(w), s3, ps, ratio, rss)
	}
	p("\n")

	if len(rep.Ceilings) > 0 {
		p("### Ceiling (in-process load generator, warm connections)\n\n")
		p("| operation | concurrency | duration | objects/s | MB/s |\n|---|---|---|---|---|\n")
		for _, c := range rep.Ceilings {
			p("| %s | %d | %s | %.0f | %.0f |\n", c.Name, c.Concurrency, c.Duration.Round(100*time.Millisecond), c.OpsPerSec(), c.MBPerSec())
		}
		p("\n")
	}

	p("### Per workload\n\n")
	p("Median and range over the rounds; *÷ s3sso* = the client's median ÷ s3sso's median (above 1.00 s3sso is faster). Peak RSS is the largest peak RSS of the client process over the rounds: %s.\n\n", RSSMethod())
	for _, w := range Workloads {
		if rep.Results[w] == nil {
			continue
		}
		p("#### %s: %s\n\n", w, rep.Title(w))
		metric := "wall time"
		if ttfbWorkload(w) {
			metric = "time to first byte"
		}
		if w == W8p && rep.W8pSetup != "" {
			p("Setup: %s.\n\n", rep.W8pSetup)
		}
		p("| client | median %s | range | throughput | peak RSS | ÷ s3sso | runs |\n|---|---|---|---|---|---|---|\n", metric)
		var s3d time.Duration
		if r := rep.Results[w][S3sso]; r.ok() {
			s3d = r.Median(w)
		}
		for _, c := range rep.clientsOf(w) {
			r := rep.Results[w][c]
			name := c
			switch w {
			case W8:
				name = fmt.Sprintf("%s (%s)", c, clientNote(c))
			case W8p:
				name = fmt.Sprintf("%s (%s)", c, w8pNote(c))
			}
			if !r.ok() {
				p("| %s | failed | | | | | 0 |\n", name)
				continue
			}
			m := r.Median(w)
			lo, hi := r.Range(w)
			tp := rep.throughput(w, m)
			if ttfbWorkload(w) {
				var walls []time.Duration
				for _, s := range r.samples {
					walls = append(walls, s.wall)
				}
				slices.Sort(walls)
				tp = "wall " + fmtDur(median(walls))
			}
			ratio := "—"
			if s3d > 0 && c != S3sso {
				ratio = fmt.Sprintf("%.2f", m.Seconds()/s3d.Seconds())
			}
			p("| %s | %s | %s–%s | %s | %s | %s | %d |\n", name, fmtDur(m), fmtDur(lo), fmtDur(hi), tp, mib(r.PeakRSS()), ratio, r.count())
		}
		p("\n")
	}

	p("### Where s3sso is behind\n\n")
	behind := false
	for _, w := range Workloads {
		r := rep.Results[w][S3sso]
		if rep.Results[w] == nil {
			continue
		}
		if !r.ok() {
			p("- **%s**: s3sso failed.\n", w)
			behind = true
			continue
		}
		s3d := r.Median(w)
		peer, pd := rep.fastestPeer(w)
		if peer != "" && pd < s3d {
			p("- **%s** (%s): s3sso %s, %s %s: s3sso takes %.2f× the time of the fastest peer.\n", w, rep.Title(w), fmtDur(s3d), peer, fmtDur(pd), s3d.Seconds()/pd.Seconds())
			behind = true
		}
		if rss := r.PeakRSS(); rss > 64<<20 {
			p("- **%s**: s3sso's peak RSS is %s, above the 64 MiB bound.\n", w, mib(rss))
			behind = true
		}
	}
	if !behind {
		p("Nowhere in this run.\n")
	}
	if f := rep.Failures(); len(f) > 0 {
		p("\n### Failed runs\n\n")
		for _, x := range f {
			p("- %s\n", strings.ReplaceAll(x, "\n", " "))
		}
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}

func mib(n int64) string {
	if n <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// Machine describes the machine: CPU count and model, memory, kernel.
func Machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var kb int64
			if _, err := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kb); err == nil {
				mem = fmt.Sprintf(", %.1f GiB memory", float64(kb)/(1<<20))
				break
			}
		}
		f.Close()
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d CPUs (nproc), %s%s%s", runtime.NumCPU(), model, mem, kernel)
}
