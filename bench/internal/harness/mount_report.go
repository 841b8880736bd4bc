package harness

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// MountReport is the outcome of a [RunMount].
type MountReport struct {
	Started       time.Time
	Elapsed       time.Duration
	Sizes         MountSizes
	Rounds        int
	Clients       []string          // mount clients, s3sso first when it ran
	Versions      map[string]string // client -> version
	Settings      map[string]string // client -> mount command line
	Results       map[string]map[string]*Result
	ServerVersion string
}

// Failures lists every failed run as "M1 rclone: message".
func (rep *MountReport) Failures() []string {
	var out []string
	for _, w := range MountWorkloads {
		for _, c := range rep.rows(w) {
			if r := rep.Results[w][c]; r != nil {
				for _, f := range r.Failures {
					out = append(out, fmt.Sprintf("%s %s: %s", w, c, f))
				}
			}
		}
	}
	return out
}

// rows lists the rows of workload w's table: the mounts, then the cp
// reference for M1 and M2.
func (rep *MountReport) rows(w string) []string {
	if w == M1 || w == M2 {
		return append(slices.Clone(rep.Clients), S3ssoCp)
	}
	return rep.Clients
}

// metric returns the sorted metric of r on w (time to first byte for M6).
func mountMetric(r *Result, w string) []time.Duration {
	d := make([]time.Duration, len(r.samples))
	for i, s := range r.samples {
		if w == M6 {
			d[i] = s.ttfb
		} else {
			d[i] = s.wall
		}
	}
	slices.Sort(d)
	return d
}

func (rep *MountReport) median(w, c string) (time.Duration, bool) {
	r := rep.Results[w][c]
	if !r.ok() {
		return 0, false
	}
	return median(mountMetric(r, w)), true
}

// MountTitle describes workload w at the run's sizes.
func (rep *MountReport) MountTitle(w string) string {
	s := rep.Sizes
	switch w {
	case M1:
		return fmt.Sprintf("sequential read of a %s file", humanSize(s.BigSize))
	case M2:
		return fmt.Sprintf("sequential write of a %s file, to durable", humanSize(s.BigSize))
	case M3:
		return fmt.Sprintf("create %d files of %s, to durable", s.CreateFiles, humanSize(s.CreateSize))
	case M4:
		return fmt.Sprintf("`cp -r` of %d files of %s, to durable", s.TreeFiles, humanSize(s.TreeSize))
	case M5:
		return fmt.Sprintf("`ls -l` of a %d-entry directory", s.ListEntries)
	case M6:
		return fmt.Sprintf("time to first byte of a %s file", humanSize(s.BigSize))
	}
	return w
}

func (rep *MountReport) throughput(w string, d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	sec := d.Seconds()
	s := rep.Sizes
	switch w {
	case M1, M2:
		return fmt.Sprintf("%.0f MB/s", float64(s.BigSize)/sec/1e6)
	case M3:
		return fmt.Sprintf("%.0f files/s", float64(s.CreateFiles)/sec)
	case M4:
		return fmt.Sprintf("%.0f files/s, %.0f MB/s", float64(s.TreeFiles)/sec, float64(s.TreeSize)*float64(s.TreeFiles)/sec/1e6)
	case M5:
		return fmt.Sprintf("%.0f entries/s", float64(s.ListEntries)/sec)
	}
	return "—"
}

// fastestPeer is the peer mount (not s3sso, not the cp reference) with the
// smallest median on w.
func (rep *MountReport) fastestPeer(w string) (string, time.Duration) {
	best, bestD := "", time.Duration(0)
	for _, c := range rep.Clients {
		if c == MountS3sso {
			continue
		}
		if m, ok := rep.median(w, c); ok && (best == "" || m < bestD) {
			best, bestD = c, m
		}
	}
	return best, bestD
}

// peakRSS is the largest peak RSS of c's mount process over every workload.
func (rep *MountReport) peakRSS(c string) int64 {
	var m int64
	for _, w := range MountWorkloads {
		if r := rep.Results[w][c]; r != nil {
			m = max(m, r.PeakRSS())
		}
	}
	return m
}

// Markdown renders the report: versions and settings, a summary against
// the fastest peer and the cp reference, a table per workload and the
// list of gaps.
func (rep *MountReport) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Run of %s UTC, %d round(s), %s in total.\n\n", rep.Started.Format("2006-01-02 15:04"), rep.Rounds, rep.Elapsed.Round(time.Second))
	p("**Machine:** %s.\n\n", Machine())
	var vs []string
	for _, c := range rep.Clients {
		vs = append(vs, fmt.Sprintf("%s %s", c, rep.Versions[c]))
	}
	if _, ok := rep.Versions[MountS3sso]; ok && !slices.Contains(rep.Clients, MountS3sso) {
		vs = append(vs, "s3sso (cp only) "+rep.Versions[MountS3sso])
	}
	p("**Versions:** %s; MinIO %s; %s.\n\n", strings.Join(vs, ", "), rep.ServerVersion, runtime.Version())
	p("**Mount commands:**\n\n")
	for _, c := range rep.Clients {
		p("- %s: `%s %s`\n", c, c, rep.Settings[c])
	}
	p("\n")

	p("### Summary\n\n")
	p("Median wall time (M6: time to first byte). *ratio* = fastest peer's time ÷ s3sso mount's time: below 1.00 the peer is faster. *÷ cp* = `s3sso cp`'s time ÷ the mount's time on the same file (target ≥ 0.80).\n\n")
	p("| workload | s3sso mount | fastest peer | ratio | s3sso cp | ÷ cp | s3sso peak RSS |\n|---|---|---|---|---|---|---|\n")
	for _, w := range MountWorkloads {
		if rep.Results[w] == nil {
			continue
		}
		s3 := "failed"
		if !slices.Contains(rep.Clients, MountS3sso) {
			s3 = "not run"
		}
		s3d, ok := rep.median(w, MountS3sso)
		rss := "—"
		if ok {
			s3 = fmtDur(s3d)
			rss = mib(rep.Results[w][MountS3sso].PeakRSS())
		}
		peer, pd := rep.fastestPeer(w)
		ps, ratio := "—", "—"
		if peer != "" {
			ps = fmt.Sprintf("%s %s", peer, fmtDur(pd))
			if ok {
				ratio = fmt.Sprintf("%.2f", pd.Seconds()/s3d.Seconds())
			}
		}
		cps, cpr := "—", "—"
		if cd, cok := rep.median(w, S3ssoCp); cok {
			cps = fmtDur(cd)
			if ok {
				cpr = fmt.Sprintf("%.2f", cd.Seconds()/s3d.Seconds())
			}
		}
		p("| %s %s | %s | %s | %s | %s | %s | %s |\n", w, rep.MountTitle(w), s3, ps, ratio, cps, cpr, rss)
	}
	p("\n")

	p("### Per workload\n\n")
	p("Median and range over the rounds; *÷ s3sso* = the client's median ÷ s3sso mount's median (above 1.00 s3sso is faster). Peak RSS of a mount is the largest VmHWM of the mount process (read from /proc just before each unmount) over the rounds; of `s3sso cp`, %s.\n\n", RSSMethod())
	for _, w := range MountWorkloads {
		if rep.Results[w] == nil {
			continue
		}
		p("#### %s: %s\n\n", w, rep.MountTitle(w))
		metric := "wall time"
		if w == M6 {
			metric = "time to first byte"
		}
		p("| client | median %s | range | throughput | peak RSS | ÷ s3sso | runs |\n|---|---|---|---|---|---|---|\n", metric)
		s3d, s3ok := rep.median(w, MountS3sso)
		for _, c := range rep.rows(w) {
			r := rep.Results[w][c]
			name := c + " mount"
			if c == S3ssoCp {
				name = "`s3sso cp` (reference, not a mount)"
			}
			if !r.ok() {
				p("| %s | failed | | | | | 0 |\n", name)
				continue
			}
			d := mountMetric(r, w)
			m := median(d)
			ratio := "—"
			if s3ok && c != MountS3sso {
				ratio = fmt.Sprintf("%.2f", m.Seconds()/s3d.Seconds())
			}
			p("| %s | %s | %s–%s | %s | %s | %s | %d |\n", name, fmtDur(m), fmtDur(d[0]), fmtDur(d[len(d)-1]), rep.throughput(w, m), mib(r.PeakRSS()), ratio, r.count())
		}
		p("\n")
	}
	p("Peak RSS of each mount process over all workloads: ")
	var rs []string
	for _, c := range rep.Clients {
		rs = append(rs, fmt.Sprintf("%s %s", c, mib(rep.peakRSS(c))))
	}
	p("%s.\n\n", strings.Join(rs, ", "))

	p("### Where s3sso mount is behind\n\n")
	behind := false
	for _, w := range MountWorkloads {
		if rep.Results[w] == nil || !slices.Contains(rep.Clients, MountS3sso) {
			continue
		}
		s3d, ok := rep.median(w, MountS3sso)
		if !ok {
			p("- **%s**: s3sso mount failed.\n", w)
			behind = true
			continue
		}
		if peer, pd := rep.fastestPeer(w); peer != "" && pd < s3d {
			p("- **%s** (%s): s3sso %s, %s %s: s3sso takes %.2f× the time of the fastest peer.\n", w, rep.MountTitle(w), fmtDur(s3d), peer, fmtDur(pd), s3d.Seconds()/pd.Seconds())
			behind = true
		}
		if cd, ok := rep.median(w, S3ssoCp); ok && cd.Seconds()/s3d.Seconds() < 0.8 {
			p("- **%s**: the mount reaches %.2f of `s3sso cp`'s rate, below the 0.80 target.\n", w, cd.Seconds()/s3d.Seconds())
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
