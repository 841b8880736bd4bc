package harness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
)

const bucket = "bench"

// Remote data sets created by the generator (not timed).
const (
	smallPrefix = "data/small/"
	bigKey      = "data/big/big.bin"
	// The same bytes without a checksum (MD5 ETag only).
	smallPrefixE = "data/small-e/"
	bigKeyE      = "data/big-e/big-50m.bin"
	bigKeyE8     = "data/big-e/big-8m.bin"
	listPrefix   = "list/"
	ttfbKey      = "data/w8.txt"
	ttfbBody     = "hello from the s3sso benchmark\n"
)

type harness struct {
	cfg     Config
	gen     *gen
	clients []*client
	keys    *client // s3sso with static keys, W8 only
	ssoEnv  []string
	emu     *ssotest.Server
	w8p     *w8pWorld

	smallDir, bigFile, treeDir, dlDir string
	report                            *Report
}

// Run runs the benchmark described by cfg and returns its report. A failing
// client command does not stop the run: it is recorded in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &harness{cfg: cfg, gen: newGen(cfg.Server, bucket)}
	defer func() {
		if h.emu != nil {
			_ = h.emu.Close()
		}
		if h.w8p != nil {
			h.w8p.close()
		}
	}()
	h.report = &Report{
		Started:  time.Now().UTC(),
		Sizes:    cfg.Sizes,
		Rounds:   cfg.Rounds,
		Results:  map[string]map[string]*Result{},
		Versions: map[string]string{},

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
	if cfg.CeilingDuration > 0 {
		cfg.logf("ceiling: in-process load generator, %s per phase", cfg.CeilingDuration)
		for _, c := range []struct {
			size int64
			conc int
		}{{64 << 10, 32}, {64 << 20, 8}} {
			put, get, err := h.gen.ceiling(ctx, c.size, c.conc, cfg.CeilingDuration, fmt.Sprintf("ceiling/%d/", c.size))
			if err != nil {
				return nil, err
			}
			h.report.Ceilings = append(h.report.Ceilings, put, get)
			cfg.logf("  %s: %.0f obj/s, %.0f MB/s; %s: %.0f obj/s, %.0f MB/s",
				put.Name, put.OpsPerSec(), put.MBPerSec(), get.Name, get.OpsPerSec(), get.MBPerSec())
		}
	}
	h.report.Elapsed = time.Since(h.report.Started)
	return h.report, nil
}

func (h *harness) setup(ctx context.Context) error {
	cfg := &h.cfg
	dirs := map[string]*string{"data/small": &h.smallDir, "data/tree": &h.treeDir, "dl": &h.dlDir}
	for d, p := range dirs {
		*p = filepath.Join(cfg.WorkDir, d)
		if err := os.MkdirAll(*p, 0o700); err != nil {
			return err
		}
	}
	tmp := filepath.Join(cfg.WorkDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	h.bigFile = filepath.Join(cfg.WorkDir, "data", "big.bin")

	for _, p := range []struct{ name, bin string }{{S3sso, cfg.S3sso}, {S3ssoBase, cfg.S3ssoBase}, {S5cmd, cfg.S5cmd}, {Rclone, cfg.Rclone}, {MC, cfg.MC}, {AWS, cfg.AWS}} {
		if p.bin == "" {
			continue
		}
		c, err := newClient(p.name, p.bin, cfg.WorkDir, tmp, cfg.Server)
		if err != nil {
			return err
		}
		h.clients = append(h.clients, c)
		h.report.Clients = append(h.report.Clients, p.name)
		h.report.Versions[p.name] = version(ctx, c)
	}
	keys, err := newClient(S3ssoKeys, cfg.S3sso, cfg.WorkDir, tmp, cfg.Server)
	if err != nil {
		return err
	}
	h.keys = keys

	if err := h.gen.makeBucket(ctx); err != nil {
		return err
	}
	sz := cfg.Sizes
	start := time.Now()
	if cfg.wants(W1) || cfg.wants(W2) {
		buf := make([]byte, sz.SmallSize)
		for i := range sz.SmallFiles {
			fillRandom(buf, uint64(i))
			if err := os.WriteFile(filepath.Join(h.smallDir, fmt.Sprintf("f%05d", i)), buf, 0o600); err != nil {
				return err
			}
		}
	}
	if cfg.wants(W2) {
		buf := make([]byte, sz.SmallSize)
		fillRandom(buf, 99)
		if err := h.gen.putMany(ctx, sz.SmallFiles, func(i int) string { return fmt.Sprintf("%sf%05d", smallPrefix, i) }, buf); err != nil {
			return err
		}
	}
	if cfg.wants(W2e) {
		buf := make([]byte, sz.SmallSize)
		fillRandom(buf, 98)
		if err := h.gen.putManyPlain(ctx, sz.SmallFiles, func(i int) string { return fmt.Sprintf("%sf%05d", smallPrefixE, i) }, buf); err != nil {
			return err
		}
	}
	if cfg.wants(W3) || cfg.wants(W4) || cfg.wants(W4e) || cfg.wants(W4e8) {
		if err := writeBigFile(h.bigFile, sz.BigSize); err != nil {
			return err
		}
	}
	if cfg.wants(W4) {
		if err := h.gen.putFile(ctx, bigKey, h.bigFile); err != nil {
			return err
		}
	}
	if cfg.wants(W4e) {
		if err := h.gen.putFileMultipart(ctx, bigKeyE, h.bigFile, sz.PartSizeE); err != nil {
			return err
		}
	}
	if cfg.wants(W4e8) {
		if err := h.gen.putFileMultipart(ctx, bigKeyE8, h.bigFile, sz.PartSizeE8); err != nil {
			return err
		}
	}
	if cfg.wants(W5) {
		per := max(1, sz.ListObjects/20)
		if err := h.gen.putMany(ctx, sz.ListObjects, func(i int) string { return fmt.Sprintf("%sd%02d/o%06d", listPrefix, i/per, i) }, []byte("x")); err != nil {
			return err
		}
	}
	if cfg.wants(W7) {
		buf := make([]byte, 1024)
		for i := range sz.SyncFiles {
			d := filepath.Join(h.treeDir, fmt.Sprintf("d%03d", i/100))
			if i%100 == 0 {
				if err := os.MkdirAll(d, 0o700); err != nil {
					return err
				}
			}
			fillRandom(buf, uint64(i)+1e6)
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d", i)), buf, 0o600); err != nil {
				return err
			}
		}
	}
	if cfg.wants(W8) || cfg.wants(W8p) {
		if err := h.gen.put(ctx, ttfbKey, []byte(ttfbBody)); err != nil {
			return err
		}
	}
	if cfg.wants(W8) {
		if err := h.ssoLogin(ctx, tmp); err != nil {
			return err
		}
	}
	if cfg.wants(W8p) {
		if err := h.setupW8p(ctx, tmp); err != nil {
			return err
		}
	}
	cfg.logf("data sets ready in %s", time.Since(start).Round(time.Millisecond))
	// With little free memory every 1 GiB download first has the kernel
	// reclaim page cache: on 2026-11-28, with 2 GB free (20 GB of page
	// cache held by earlier runs' files), the 1 GiB downloads of every
	// client took 1.1 to 3 times as long, most in the first rounds.
	if free := memFree(); free >= 0 && free < 4<<30 {
		cfg.logf("warning: only %d MiB of memory free; page-cache reclaim will slow the large downloads (drop caches or remove old work directories)", free>>20)
	}

	// W7 measures the no-op path: each client first syncs the tree with
	// its own rules (not timed), so that the timed runs find nothing to do.
	if cfg.wants(W7) {
		for _, c := range h.clients {
			sp := h.command(c, W7, h.treeDir, bucket+"/w7/"+c.name+"/")
			s := h.exec(ctx, c, sp)
			if s.exitErr != nil {
				res := h.result(W7, c.name)
				res.fail(fmt.Sprintf("initial sync: %v: %s", s.exitErr, tail(s.stderr, 300)))
				res.broken = true
				continue
			}
			cfg.logf("W7 initial sync by %s: %s", c.name, s.wall.Round(time.Millisecond))
		}
	}
	return nil
}

// ssoLogin starts the IAM Identity Center emulator (role credentials minted
// by MinIO's STS), writes an SSO profile shared by s3sso and the AWS CLI,
// and signs in with s3sso through a fake browser, so that W8 runs with a
// cached token.
func (h *harness) ssoLogin(ctx context.Context, tmp string) error {
	srv := h.cfg.Server
	h.emu = ssotest.New(ssotest.Options{
		Region:      "us-east-1",
		Accounts:    []ssotest.Account{{ID: "111122223333", Name: "bench", Email: "bench@example.com", Roles: []string{"Bench"}}},
		Credentials: ssotest.MinIOCredentials(srv.Endpoint, srv.AccessKey, srv.SecretKey, 0),
	})
	if err := h.emu.Listen("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start the SSO emulator: %w", err)
	}
	home := filepath.Join(h.cfg.WorkDir, "home-sso")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		return err
	}
	conf := fmt.Sprintf(`[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Bench
region = %[1]s
services = bench

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[services bench]
s3 =
  endpoint_url = %[2]s
sts =
  endpoint_url = %[2]s
sso =
  endpoint_url = %[3]s
sso_oidc =
  endpoint_url = %[3]s
`, srv.Region, srv.Endpoint, h.emu.URL)
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(conf), 0o600); err != nil {
		return err
	}
	browser := filepath.Join(h.cfg.WorkDir, "browser")
	script := "#!/bin/sh\nexec curl -fsSL -o /dev/null \"$1\"\n"
	if err := os.WriteFile(browser, []byte(script), 0o700); err != nil {
		return err
	}
	h.ssoEnv = baseEnv(home, tmp)
	env := append(append([]string(nil), h.ssoEnv...), "BROWSER="+browser)
	s := measure(ctx, h.cfg.WorkDir, h.cfg.S3sso, []string{"login", "--profile", "dev"}, env, time.Minute)
	if s.exitErr != nil {
		return fmt.Errorf("s3sso login through the SSO emulator: %w: %s", s.exitErr, tail(s.stderr, 500))
	}
	return nil
}

func version(ctx context.Context, c *client) string {
	// Peers built by scripts/tools.sh are symlinks to NAME-VERSION.
	if target, err := os.Readlink(c.bin); err == nil {
		if v, ok := strings.CutPrefix(filepath.Base(target), c.name+"-"); ok {
			return v
		}
	}
	var args []string
	switch c.name {
	case AWS, AWSv2:
		args = []string{"--version"}
	case MC:
		args = []string{"--version"}
	default:
		args = []string{"version"}
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, c.bin, args...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func writeBigFile(path string, size int64) error {
	if st, err := os.Stat(path); err == nil && st.Size() == size {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 8<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		fillRandom(buf, uint64(off))
		n := min(int64(len(buf)), size-off)
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func (h *harness) result(w, c string) *Result {
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

func (h *harness) exec(ctx context.Context, c *client, sp spec) sample {
	env := sp.env
	if env == nil {
		env = c.env
	}
	return measure(ctx, h.cfg.WorkDir, c.bin, sp.args, env, 10*time.Minute)
}

// round runs workload w once for every client, in an order rotated by
// round so that no client always runs first or after the same peer.
func (h *harness) round(ctx context.Context, w string, r int) error {
	if w == W8p {
		return h.roundW8p(ctx, r)
	}
	n := len(h.clients)
	order := make([]*client, 0, n+1)
	for i := range n {
		order = append(order, h.clients[(i+r-1)%n])
	}
	reps := 1
	if w == W8 {
		order = append(order, h.keys)
		reps = max(1, h.cfg.Sizes.TTFBRepeats)
	}
	for range reps {
		for _, c := range order {
			if err := h.one(ctx, c, w, r); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// one prepares, times, checks and cleans up one run of w by c. Only the
// client process is timed; errors of the preparation stop the benchmark,
// errors of the client are recorded.
func (h *harness) one(ctx context.Context, c *client, w string, r int) error {
	sz := h.cfg.Sizes
	tag := fmt.Sprintf("%s/r%d/", c.name, r)
	dl := filepath.Join(h.dlDir, c.name+fmt.Sprintf("-r%d", r))
	var local, remote string
	var check func(sample) error
	var cleanup func() error
	switch w {
	case W1:
		local, remote = h.smallDir, bucket+"/w1/"+tag
		check = h.expectObjects("w1/"+tag, sz.SmallFiles, sz.SmallSize*int64(sz.SmallFiles))
		cleanup = h.deletePrefix("w1/" + tag)
	case W2, W2e:
		local, remote = dl, bucket+"/"+smallPrefix
		if w == W2e {
			remote = bucket + "/" + smallPrefixE
		}
		check = expectFiles(dl, sz.SmallFiles, sz.SmallSize*int64(sz.SmallFiles))
		cleanup = func() error { return os.RemoveAll(dl) }
	case W3:
		local, remote = h.bigFile, bucket+"/w3/"+tag+"big.bin"
		check = h.expectObjects("w3/"+tag, 1, sz.BigSize)
		cleanup = h.deletePrefix("w3/" + tag)
	case W4, W4e, W4e8:
		key := map[string]string{W4: bigKey, W4e: bigKeyE, W4e8: bigKeyE8}[w]
		local, remote = filepath.Join(dl, "big.bin"), bucket+"/"+key
		check = expectFiles(dl, 1, sz.BigSize)
		cleanup = func() error { return os.RemoveAll(dl) }
	case W5:
		remote = bucket + "/" + listPrefix
		check = func(s sample) error {
			if s.lines < sz.ListObjects {
				return fmt.Errorf("listed %d lines, want at least %d", s.lines, sz.ListObjects)
			}
			return nil
		}
	case W6:
		remote = bucket + "/w6/" + tag
		if err := h.gen.putMany(ctx, sz.DeleteObjs, func(i int) string { return fmt.Sprintf("w6/%sd%d/o%05d", tag, i%10, i) }, []byte("delete me")); err != nil {
			return err
		}
		check = h.expectObjects("w6/"+tag, 0, 0)
		cleanup = h.deletePrefix("w6/" + tag)
	case W7:
		local, remote = h.treeDir, bucket+"/w7/"+c.name+"/"
		check = h.expectObjects("w7/"+c.name+"/", sz.SyncFiles, 1024*int64(sz.SyncFiles))
	case W8:
		remote = bucket + "/" + ttfbKey
		check = func(s sample) error {
			if s.head != ttfbBody {
				return fmt.Errorf("cat wrote %q, want %q", tail(s.head, 100), ttfbBody)
			}
			return nil
		}
	}
	if strings.HasPrefix(local, h.dlDir) {
		if err := os.MkdirAll(dl, 0o700); err != nil {
			return err
		}
	}
	res := h.result(w, c.name)
	if res.broken {
		return nil // its W7 initial sync failed
	}
	// Every run starts with nothing dirty in the page cache: the writeback
	// of the run before (1 GiB for W4) must not land on this one.
	// ... and on a quiet machine (another test suite or build on 2 CPUs
	// moves every figure).
	if h.cfg.QuietWait > 0 {
		syncDisks()
		if !waitQuiet(ctx, h.cfg.QuietWait) {
			h.cfg.logf("%s r%d %s: the machine is not quiet; measured anyway", w, r, c.name)
		}
	}
	s := h.exec(ctx, c, h.command(c, w, local, remote))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch {
	case s.exitErr != nil:
		res.fail(fmt.Sprintf("round %d: %v: %s", r, s.exitErr, tail(s.stderr, 300)))
	default:
		if err := check(s); err != nil {
			res.fail(fmt.Sprintf("round %d: wrong result: %v (stderr: %s)", r, err, tail(s.stderr, 300)))
		} else {
			res.add(s)
			h.cfg.logf("%s r%d %-10s %8s  rss %s", w, r, c.name, s.wall.Round(time.Millisecond), mib(s.maxRSS))
		}
	}
	if cleanup != nil {
		if err := cleanup(); err != nil {
			return fmt.Errorf("clean up after %s %s: %w", w, c.name, err)
		}
	}
	return nil
}

func (h *harness) deletePrefix(p string) func() error {
	return func() error { return h.gen.deletePrefix(context.Background(), p) }
}

func (h *harness) expectObjects(prefix string, n int, size int64) func(sample) error {
	return func(sample) error {
		gotN, gotSize, err := h.gen.count(context.Background(), prefix)
		if err != nil {
			return err
		}
		if gotN != n || gotSize != size {
			return fmt.Errorf("%s holds %d objects of %d bytes, want %d of %d", prefix, gotN, gotSize, n, size)
		}
		return nil
	}
}

func expectFiles(dir string, n int, size int64) func(sample) error {
	return func(sample) error {
		var gotN int
		var gotSize int64
		err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			gotN++
			gotSize += info.Size()
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if gotN != n || gotSize != size {
			return fmt.Errorf("%s holds %d files of %d bytes, want %d of %d", dir, gotN, gotSize, n, size)
		}
		return nil
	}
}
