package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/testenv"
)

// The mount benchmark (issue 11): s3sso mount and peer FUSE mounts (rclone
// mount) side by side against one MinIO, each mount process started fresh
// (empty caches) for every timed run, plus `s3sso cp` of the same 1 GiB
// file as the reference rate.

// Mount workload names, in report order.
const (
	M1 = "M1" // sequential read of the big object
	M2 = "M2" // sequential write of the big file, to durable
	M3 = "M3" // create many 64 KiB files, to durable
	M4 = "M4" // cp -r of a tree of small files (geesefs's workload), to durable
	M5 = "M5" // ls -l of a large directory
	M6 = "M6" // time to first byte of the big object
)

// MountWorkloads lists every mount workload in report order.
var MountWorkloads = []string{M1, M2, M3, M4, M5, M6}

// Mount clients. S3ssoCp is the reference row of M1 and M2: `s3sso cp` of
// the same object or file, not a mount.
const (
	MountS3sso  = "s3sso"
	MountRclone = "rclone"
	S3ssoCp     = "s3sso cp"
)

// MountSizes are the data set sizes of a mount run.
type MountSizes struct {
	BigSize     int64 // M1, M2, M6
	CreateFiles int   // M3
	CreateSize  int64
	TreeFiles   int // M4
	TreeSize    int64
	TreeFanout  int // files per directory in M4's tree
	ListEntries int // M5
	TTFBRepeats int // M6 samples per client per round
}

// FullMountSizes are the sizes of issue 11.
var FullMountSizes = MountSizes{
	BigSize:     1 << 30,
	CreateFiles: 1000,
	CreateSize:  64 << 10,
	TreeFiles:   6400,
	TreeSize:    30 << 10,
	TreeFanout:  100,
	ListEntries: 10000,
	TTFBRepeats: 3,
}

// TinyMountSizes make a smoke run through every code path in seconds.
var TinyMountSizes = MountSizes{
	BigSize:     9 << 20,
	CreateFiles: 8,
	CreateSize:  64 << 10,
	TreeFiles:   20,
	TreeSize:    30 << 10,
	TreeFanout:  8,
	ListEntries: 40,
	TTFBRepeats: 1,
}

// MountConfig configures a [RunMount].
type MountConfig struct {
	Server  Server
	Sizes   MountSizes
	Rounds  int
	WorkDir string // data sets, mount points, caches; must exist

	// S3sso is required (the reference `s3sso cp`, and the mount unless
	// NoS3ssoMount). An empty peer path leaves the peer out.
	S3sso, Rclone string
	// NoS3ssoMount leaves s3sso mount out (only the peers and cp run).
	NoS3ssoMount bool

	// Fusermount unmounts the peers (default fusermount3 from PATH).
	Fusermount string

	// Workloads to run; nil means all.
	Workloads []string

	Log func(format string, args ...any)
}

func (c *MountConfig) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

func (c *MountConfig) wants(w string) bool {
	for _, x := range c.Workloads {
		if x == w {
			return true
		}
	}
	return false
}

// Remote data of the mount benchmark; the generator writes m/ (not timed),
// the clients write under w/.
const (
	mountBigKey     = "m/big.bin"
	mountListPrefix = "m/list/"
)

type mountHarness struct {
	cfg     MountConfig
	gen     *gen
	clients []*client // mount clients, s3sso first when present
	cp      *client   // s3sso with static keys for the cp reference
	bigFile string
	tree    string
	dl      string
	report  *MountReport
}

// RunMount runs the mount benchmark described by cfg. A failing client run
// is recorded in the report; only a failure of the harness itself (data
// sets, the server) stops it.
func RunMount(ctx context.Context, cfg MountConfig) (*MountReport, error) {
	if cfg.Server.Endpoint == "" || cfg.S3sso == "" || cfg.WorkDir == "" {
		return nil, fmt.Errorf("mount bench: server, s3sso binary and work directory are required")
	}
	if cfg.Rounds < 1 {
		cfg.Rounds = 1
	}
	if cfg.Server.Region == "" {
		cfg.Server.Region = "us-east-1"
	}
	if cfg.Workloads == nil {
		cfg.Workloads = MountWorkloads
	}
	if cfg.Fusermount == "" {
		p, err := exec.LookPath("fusermount3")
		if err != nil {
			return nil, fmt.Errorf("mount bench: fusermount3 not found (apt-get install fuse3): %w", err)
		}
		cfg.Fusermount = p
	}
	h := &mountHarness{cfg: cfg, gen: newGen(cfg.Server, bucket)}
	h.report = &MountReport{
		Started:       time.Now().UTC(),
		Sizes:         cfg.Sizes,
		Rounds:        cfg.Rounds,
		Results:       map[string]map[string]*Result{},
		Versions:      map[string]string{},
		Settings:      map[string]string{},
		ServerVersion: cfg.Server.Version,
	}
	if err := h.setup(ctx); err != nil {
		return nil, err
	}
	for r := 1; r <= cfg.Rounds; r++ {
		for _, w := range cfg.Workloads {
			if err := h.round(ctx, w, r); err != nil {
				return nil, err
			}
		}
	}
	h.report.Elapsed = time.Since(h.report.Started)
	return h.report, nil
}

func (h *mountHarness) setup(ctx context.Context) error {
	cfg := &h.cfg
	tmp := filepath.Join(cfg.WorkDir, "tmp")
	h.tree = filepath.Join(cfg.WorkDir, "data", "tree")
	h.dl = filepath.Join(cfg.WorkDir, "dl")
	for _, d := range []string{tmp, h.tree, h.dl, filepath.Join(cfg.WorkDir, "mnt")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	h.bigFile = filepath.Join(cfg.WorkDir, "data", "big.bin")
	peers := []struct{ name, bin string }{{MountS3sso, cfg.S3sso}, {MountRclone, cfg.Rclone}}
	if cfg.NoS3ssoMount {
		peers = peers[1:]
	}
	for _, p := range peers {
		if p.bin == "" {
			continue
		}
		c, err := newClient(p.name, p.bin, cfg.WorkDir, tmp, cfg.Server)
		if err != nil {
			return err
		}
		h.clients = append(h.clients, c)
		h.report.Clients = append(h.report.Clients, p.name)
		h.report.Versions[p.name] = strings.TrimPrefix(version(ctx, c), "s3sso ")
		h.report.Settings[p.name] = strings.NewReplacer(cfg.Server.Endpoint, "ENDPOINT", filepath.Join(cfg.WorkDir, "cache-"+c.name), "CACHE").
			Replace(strings.Join(h.mountArgs(c, "MOUNTPOINT"), " "))
	}
	cp, err := newClient("s3sso-cp", cfg.S3sso, cfg.WorkDir, tmp, cfg.Server)
	if err != nil {
		return err
	}
	cp.env = append(cp.env, staticKeyEnv(cfg.Server)...)
	h.cp = cp
	if _, ok := h.report.Versions[MountS3sso]; !ok {
		h.report.Versions[MountS3sso] = strings.TrimPrefix(version(ctx, &client{name: S3sso, bin: cfg.S3sso, env: cp.env}), "s3sso ")
	}

	if err := h.gen.makeBucket(ctx); err != nil {
		return err
	}
	sz := cfg.Sizes
	start := time.Now()
	if cfg.wants(M1) || cfg.wants(M2) || cfg.wants(M6) {
		if err := writeBigFile(h.bigFile, sz.BigSize); err != nil {
			return err
		}
	}
	if cfg.wants(M1) || cfg.wants(M6) {
		if err := h.gen.putFile(ctx, mountBigKey, h.bigFile); err != nil {
			return err
		}
	}
	if cfg.wants(M4) {
		buf := make([]byte, sz.TreeSize)
		fan := max(1, sz.TreeFanout)
		for i := range sz.TreeFiles {
			d := filepath.Join(h.tree, fmt.Sprintf("d%03d", i/fan))
			if i%fan == 0 {
				if err := os.MkdirAll(d, 0o700); err != nil {
					return err
				}
			}
			fillRandom(buf, uint64(i)+7e6)
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d.dat", i)), buf, 0o600); err != nil {
				return err
			}
		}
	}
	if cfg.wants(M5) {
		if err := h.gen.putMany(ctx, sz.ListEntries, func(i int) string { return fmt.Sprintf("%sentry-%06d", mountListPrefix, i) }, []byte("list entry\n")); err != nil {
			return err
		}
	}
	cfg.logf("mount data sets ready in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// mountArgs is the command line (without the binary) that mounts the
// bench bucket at dir in the foreground, each client at its best
// documented setting for these workloads.
func (h *mountHarness) mountArgs(c *client, dir string) []string {
	cache := filepath.Join(h.cfg.WorkDir, "cache-"+c.name)
	switch c.name {
	case MountS3sso:
		return []string{"--endpoint-url", h.cfg.Server.Endpoint, "mount", "--foreground",
			"--cache-dir", cache, "s3://" + bucket, dir}
	case MountRclone:
		return []string{"mount", "bench:" + bucket, dir,
			"--vfs-cache-mode", "writes", "--cache-dir", cache,
			// Upload as soon as a file is closed (the default waits 5 s),
			// 32 uploads at once (default 4), big files in 16 MiB parts
			// 8 at a time as in W3, read-ahead of 64 MiB chunks.
			"--vfs-write-back", "0s", "--transfers", "32",
			"--s3-upload-concurrency", "8", "--s3-chunk-size", "16M",
			"--vfs-read-chunk-size", "64M", "--buffer-size", "64M",
			"--dir-cache-time", "1m", "--log-level", "ERROR"}
	}
	panic("bench: no mount command for " + c.name)
}

// mounted is a running mount process.
type mounted struct {
	c    *client
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	log  *tailWriter
}

// mount starts c's mount of the bucket on a fresh mount point with an
// empty cache and waits until the kernel lists the mount.
func (h *mountHarness) mount(ctx context.Context, c *client) (*mounted, error) {
	dir := filepath.Join(h.cfg.WorkDir, "mnt", c.name)
	cache := filepath.Join(h.cfg.WorkDir, "cache-"+c.name)
	if mountedAt(dir) {
		_ = exec.Command(h.cfg.Fusermount, "-uz", dir).Run()
	}
	for _, d := range []string{cache, dir} {
		if err := os.RemoveAll(d); err != nil {
			return nil, fmt.Errorf("clean %s: %w", d, err)
		}
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	m := &mounted{c: c, dir: dir, done: make(chan struct{}), log: &tailWriter{}}
	m.cmd = exec.Command(c.bin, h.mountArgs(c, dir)...)
	m.cmd.Env = c.env
	m.cmd.Dir = h.cfg.WorkDir
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	testenv.DieWithParent(m.cmd)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s mount: %w", c.name, err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	deadline := time.Now().Add(time.Minute)
	for !mountedAt(dir) {
		select {
		case <-m.done:
			return nil, fmt.Errorf("%s mount exited at start: %s", c.name, tail(m.log.String(), 600))
		case <-ctx.Done():
			h.kill(m)
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.kill(m)
			return nil, fmt.Errorf("%s mount not ready after 1 min: %s", c.name, tail(m.log.String(), 600))
		}
	}
	return m, nil
}

// peakRSS is the mount process's peak resident set size (VmHWM: the
// high-water mark of the address space it exec'd into, so the harness's
// own memory does not count), read while it runs.
func (m *mounted) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kib << 10
			}
		}
	}
	return 0
}

// unmount unmounts m the client's way (s3sso unmount flushes pending
// uploads first; the peers get fusermount3 -u) and waits for the process
// to exit. On failure the mount is detached and the process killed.
func (h *mountHarness) unmount(ctx context.Context, m *mounted) error {
	var cmd *exec.Cmd
	switch m.c.name {
	case MountS3sso:
		cmd = exec.CommandContext(ctx, m.c.bin, "unmount", m.dir)
		cmd.Env = m.c.env
	default:
		cmd = exec.CommandContext(ctx, h.cfg.Fusermount, "-u", m.dir)
	}
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.kill(m)
		return fmt.Errorf("unmount %s: %w: %s", m.c.name, err, tail(string(out), 300))
	}
	select {
	case <-m.done:
	case <-time.After(2 * time.Minute):
		h.kill(m)
		return fmt.Errorf("%s mount process still running 2 min after unmount", m.c.name)
	}
	if st := m.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("%s mount exited with %v: %s", m.c.name, st, tail(m.log.String(), 300))
	}
	return nil
}

func (h *mountHarness) kill(m *mounted) {
	_ = exec.Command(h.cfg.Fusermount, "-uz", m.dir).Run()
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

// mountedAt reports whether dir is a mount point (listed in
// /proc/self/mountinfo).
func mountedAt(dir string) bool {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && unescapeMountinfo(f[4]) == dir {
			return true
		}
	}
	return false
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (h *mountHarness) result(w, c string) *Result {
	m := h.report.Results[w]
	if m == nil {
		m = map[string]*Result{}
		h.report.Results[w] = m
	}
	r := m[c]
	if r == nil {
		r = &Result{}
		m[c] = r
	}
	return r
}

// round runs workload w once for every client (M6: TTFBRepeats times),
// in an order rotated by round, then the cp reference for M1 and M2.
func (h *mountHarness) round(ctx context.Context, w string, r int) error {
	n := len(h.clients)
	reps := 1
	if w == M6 {
		reps = max(1, h.cfg.Sizes.TTFBRepeats)
	}
	for range reps {
		for i := range n {
			c := h.clients[(i+r-1)%n]
			if err := h.one(ctx, c, w, r); err != nil {
				return err
			}
		}
	}
	if w == M1 || w == M2 {
		return h.reference(ctx, w, r)
	}
	return ctx.Err()
}

// one mounts, runs w once on c's mount, reads the mount's peak RSS,
// unmounts and checks the result.
func (h *mountHarness) one(ctx context.Context, c *client, w string, r int) error {
	res := h.result(w, c.name)
	tag := fmt.Sprintf("w/%s/%s/r%d/", c.name, w, r)
	if err := h.gen.deletePrefix(ctx, tag); err != nil {
		return err
	}
	m, err := h.mount(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.fail(fmt.Sprintf("round %d: %v", r, err))
		return nil
	}
	s, runErr := h.timed(ctx, m, w, tag)
	s.maxRSS = m.peakRSS()
	umErr := h.unmount(ctx, m)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if runErr == nil && umErr == nil {
		runErr = h.checkWritten(ctx, w, tag)
	}
	switch {
	case runErr != nil:
		res.fail(fmt.Sprintf("round %d: %v (mount log: %s)", r, runErr, tail(m.log.String(), 300)))
	case umErr != nil:
		res.fail(fmt.Sprintf("round %d: %v", r, umErr))
	default:
		res.add(s)
		metric := s.wall
		if w == M6 {
			metric = s.ttfb
		}
		h.cfg.logf("%s r%d %-8s %8s  rss %s", w, r, c.name, metric.Round(time.Millisecond), mib(s.maxRSS))
	}
	if w == M2 || w == M3 || w == M4 {
		return h.gen.deletePrefix(ctx, tag)
	}
	return nil
}

// timed runs the timed part of w on mount m. Writes end when the server
// holds every object with its full size ("to durable"), polled every
// 50 ms once the writer has finished.
func (h *mountHarness) timed(ctx context.Context, m *mounted, w, tag string) (sample, error) {
	sz := h.cfg.Sizes
	var s sample
	switch w {
	case M2, M3, M4:
		// The target directory is made before the clock starts.
		if err := os.MkdirAll(filepath.Join(m.dir, tag), 0o755); err != nil {
			return s, fmt.Errorf("mkdir in the mount: %w", err)
		}
	}
	start := time.Now()
	var n int
	var size int64
	switch w {
	case M1:
		got, err := readCompare(filepath.Join(m.dir, mountBigKey), h.bigFile)
		if err != nil {
			return s, err
		}
		if got != sz.BigSize {
			return s, fmt.Errorf("read %d bytes, want %d", got, sz.BigSize)
		}
	case M2:
		if err := copyFile(h.bigFile, filepath.Join(m.dir, tag, "big.bin")); err != nil {
			return s, err
		}
		n, size = 1, sz.BigSize
	case M3:
		buf := make([]byte, sz.CreateSize)
		for i := range sz.CreateFiles {
			fillRandom(buf, uint64(i)+3e6)
			if err := os.WriteFile(filepath.Join(m.dir, tag, fmt.Sprintf("f%05d", i)), buf, 0o644); err != nil {
				return s, fmt.Errorf("create file %d: %w", i, err)
			}
		}
		n, size = sz.CreateFiles, sz.CreateSize*int64(sz.CreateFiles)
	case M4:
		out, err := exec.CommandContext(ctx, "cp", "-r", h.tree, filepath.Join(m.dir, tag)).CombinedOutput()
		if err != nil {
			return s, fmt.Errorf("cp -r: %w: %s", err, tail(string(out), 300))
		}
		n, size = sz.TreeFiles, sz.TreeSize*int64(sz.TreeFiles)
	case M5:
		cmd := exec.CommandContext(ctx, "ls", "-l", filepath.Join(m.dir, mountListPrefix))
		out := &outWriter{}
		cmd.Stdout = out
		var errb tailWriter
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return s, fmt.Errorf("ls -l: %w: %s", err, errb.String())
		}
		// "total N" and one line per entry.
		if out.lines != sz.ListEntries+1 {
			return s, fmt.Errorf("ls -l printed %d lines, want %d", out.lines, sz.ListEntries+1)
		}
	case M6:
		f, err := os.Open(filepath.Join(m.dir, mountBigKey))
		if err != nil {
			return s, err
		}
		b := make([]byte, 1)
		_, err = io.ReadFull(f, b)
		s.ttfb = time.Since(start)
		f.Close()
		if err != nil {
			return s, fmt.Errorf("read the first byte: %w", err)
		}
	}
	if n > 0 {
		if err := h.waitDurable(ctx, tag, n, size, 10*time.Minute); err != nil {
			return s, err
		}
	}
	s.wall = time.Since(start)
	return s, nil
}

// waitDurable polls the server until prefix holds n objects (directory
// markers, keys ending in /, aside) of size bytes in total.
func (h *mountHarness) waitDurable(ctx context.Context, prefix string, n int, size int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		gotN, gotSize, err := h.countFiles(ctx, prefix)
		if err != nil {
			return err
		}
		if gotN == n && gotSize == size {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s the server holds %d objects of %d bytes under %s, want %d of %d", timeout, gotN, gotSize, prefix, n, size)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (h *mountHarness) countFiles(ctx context.Context, prefix string) (n int, size int64, err error) {
	g := h.gen
	p := s3.NewListObjectsV2Paginator(g.s3, &s3.ListObjectsV2Input{Bucket: &g.bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), "/") {
				continue
			}
			n++
			size += aws.ToInt64(o.Size)
		}
	}
	return n, size, nil
}

// checkWritten verifies, after the unmount, that what a write workload
// wrote is what the server holds: the big file compared in full, the
// small files by a sample.
func (h *mountHarness) checkWritten(ctx context.Context, w, tag string) error {
	switch w {
	case M2:
		return h.compareObject(ctx, tag+"big.bin", h.bigFile)
	case M3:
		sz := h.cfg.Sizes
		buf := make([]byte, sz.CreateSize)
		for _, i := range []int{0, sz.CreateFiles / 2, sz.CreateFiles - 1} {
			fillRandom(buf, uint64(i)+3e6)
			if err := h.compareObjectBytes(ctx, fmt.Sprintf("%sf%05d", tag, i), buf); err != nil {
				return err
			}
		}
	case M4:
		sz := h.cfg.Sizes
		fan := max(1, sz.TreeFanout)
		for _, i := range []int{0, sz.TreeFiles / 2, sz.TreeFiles - 1} {
			key := fmt.Sprintf("%stree/d%03d/f%05d.dat", tag, i/fan, i)
			want, err := os.ReadFile(filepath.Join(h.tree, fmt.Sprintf("d%03d", i/fan), fmt.Sprintf("f%05d.dat", i)))
			if err != nil {
				return err
			}
			if err := h.compareObjectBytes(ctx, key, want); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *mountHarness) compareObjectBytes(ctx context.Context, key string, want []byte) error {
	out, err := h.gen.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &h.gen.bucket, Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s holds %d bytes that differ from the %d written", key, len(got), len(want))
	}
	return nil
}

func (h *mountHarness) compareObject(ctx context.Context, key, path string) error {
	out, err := h.gen.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &h.gen.bucket, Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return compareReaders(out.Body, f, key)
}

func compareReaders(got, want io.Reader, name string) error {
	a, b := make([]byte, 1<<20), make([]byte, 1<<20)
	var off int64
	for {
		n, errA := io.ReadFull(got, a)
		m, errB := io.ReadFull(want, b)
		if n != m || !bytes.Equal(a[:n], b[:m]) {
			return fmt.Errorf("%s differs from the file written near offset %d", name, off)
		}
		off += int64(n)
		endA := errA == io.EOF || errors.Is(errA, io.ErrUnexpectedEOF)
		endB := errB == io.EOF || errors.Is(errB, io.ErrUnexpectedEOF)
		if errA != nil && !endA {
			return fmt.Errorf("read %s: %w", name, errA)
		}
		if errB != nil && !endB {
			return errB
		}
		if endA || endB {
			if endA != endB {
				return fmt.Errorf("%s: sizes differ (at %d)", name, off)
			}
			return nil
		}
	}
}

// readCompare reads path sequentially in 1 MiB reads, as `dd bs=1M` does,
// and compares the first 4 KiB of every read with the same range of ref
// (the local copy, in the page cache), so a wrong byte order is caught
// without comparing a whole GiB on the clock.
func readCompare(path, ref string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := os.Open(ref)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	buf, want := make([]byte, 1<<20), make([]byte, 4<<10)
	var off int64
	for {
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			k := min(n, len(want))
			if _, err := r.ReadAt(want[:k], off); err != nil && err != io.EOF {
				return off, err
			}
			if !bytes.Equal(buf[:k], want[:k]) {
				return off, fmt.Errorf("%s: wrong bytes at offset %d", path, off)
			}
			off += int64(n)
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return off, nil
		}
		if err != nil {
			return off, fmt.Errorf("read %s at %d: %w", path, off, err)
		}
	}
}

// copyFile writes src to dst (a new file) in 1 MiB writes and closes it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create in the mount: %w", err)
	}
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, make([]byte, 1<<20)); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}

// reference runs `s3sso cp` of the same object (M1) or file (M2) once.
func (h *mountHarness) reference(ctx context.Context, w string, r int) error {
	res := h.result(w, S3ssoCp)
	e := h.cfg.Server.Endpoint
	dl := filepath.Join(h.dl, "big.bin")
	key := fmt.Sprintf("w/cp/r%d/big.bin", r)
	var args []string
	if w == M1 {
		args = []string{"--endpoint-url", e, "--no-progress", "-q", "cp", "s3://" + bucket + "/" + mountBigKey, dl}
	} else {
		args = []string{"--endpoint-url", e, "--no-progress", "-q", "cp", h.bigFile, "s3://" + bucket + "/" + key}
	}
	s := measure(ctx, h.cfg.WorkDir, h.cp.bin, args, h.cp.env, 10*time.Minute)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var err error
	switch {
	case s.exitErr != nil:
		err = fmt.Errorf("%w: %s", s.exitErr, tail(s.stderr, 300))
	case w == M1:
		err = expectFiles(h.dl, 1, h.cfg.Sizes.BigSize)(s)
	default:
		n, size, cerr := h.countFiles(ctx, key)
		if err = cerr; err == nil && (n != 1 || size != h.cfg.Sizes.BigSize) {
			err = fmt.Errorf("%s: %d objects of %d bytes after cp", key, n, size)
		}
	}
	if err != nil {
		res.fail(fmt.Sprintf("round %d: %v", r, err))
	} else {
		res.add(s)
		h.cfg.logf("%s r%d %-8s %8s  rss %s", w, r, S3ssoCp, s.wall.Round(time.Millisecond), mib(s.maxRSS))
	}
	_ = os.Remove(dl)
	if w == M2 {
		return h.gen.deletePrefix(ctx, key)
	}
	return nil
}
