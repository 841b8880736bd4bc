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
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// UIConfig configures [RunUI], the web UI benchmark: `s3sso ui` driven by
// a headless Chromium against a local MinIO.
type UIConfig struct {
	Server   Server
	S3sso    string // the s3sso binary (not built with -race)
	Chromium string // the browser (/usr/bin/chromium)
	WorkDir  string // must exist
	// ListObjects is the size of the listed prefix (100,000).
	ListObjects int
	// BigFile is the size of the file uploaded and downloaded (1 GiB).
	BigFile int64
	Rounds  int
	Log     func(format string, args ...any)
}

// UIReport holds what RunUI measured.
type UIReport struct {
	Started     time.Time
	Elapsed     time.Duration
	Cfg         UIConfig
	Version     string
	BrowserVer  string
	ListFirst   []time.Duration // navigation to the first rows shown
	ListAll     []time.Duration // navigation to the end of the listing
	ListRows    int             // rows in the DOM at the end (virtualised: far fewer than objects)
	ListRSS     int64           // peak RSS of s3sso ui while listing (VmHWM), bytes
	ListHeap    int64           // peak JS heap used by the tab while listing, bytes
	IdleRSS     int64           // RSS of s3sso ui before the first listing
	UpUI, UpCp  []time.Duration
	DnUI, DnCp  []time.Duration
	TransferRSS int64 // peak RSS of s3sso ui during the UI transfers
	CpRSS       int64 // peak RSS of s3sso cp
	Failures    []string
}

// The page's test hooks (docs/ui.md "Test hooks").
const (
	// uiRowsJS counts the listing's rows in the DOM.
	uiRowsJS = `document.querySelectorAll('[data-testid="row"]').length`
	// uiListDoneJS is true when the listing has ended.
	uiListDoneJS = `(() => { const s = document.querySelector('[data-testid="listing-status"]'); return !!s && s.dataset.state === 'done'; })()`
	// uiUploadInput is the file input of the upload button.
	uiUploadInput = `[data-testid="upload-input"]`
	// uiTransferStateJS is the state of the queue's upload items (the
	// queue is cleared before each upload): "" while there is none.
	uiTransferStateJS = `(() => { const r = [...document.querySelectorAll('[data-testid="transfer"][data-op="upload"]')]; if (!r.length) return ""; if (r.some(e => e.dataset.state === 'failed' || e.dataset.state === 'cancelled')) return "failed"; return r.every(e => e.dataset.state === 'done') ? "done" : "running"; })()`
	// uiClearTransfersJS clears the finished items of the queue.
	uiClearTransfersJS = `fetch("/api/transfers/clear", {method: "POST"}).then(r => r.status)`
)

// RunUI runs the web UI benchmark.
func RunUI(ctx context.Context, cfg UIConfig) (*UIReport, error) {
	rep := &UIReport{Started: time.Now(), Cfg: cfg}
	defer func() { rep.Elapsed = time.Since(rep.Started) }()
	logf := cfg.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	home := filepath.Join(cfg.WorkDir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	env := uiEnv(home)
	run := func(stdin string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, cfg.S3sso, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("s3sso %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	v, _ := run("", "version")
	rep.Version, _, _ = strings.Cut(strings.TrimSpace(v), "\n")
	if _, err := run(cfg.Server.SecretKey+"\n", "account", "add", "bench", "--type", "keys", "--access-key-id", cfg.Server.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", cfg.Server.Endpoint, "--region", cfg.Server.Region); err != nil {
		return nil, err
	}

	const bucket = "uibench"
	g := newGen(cfg.Server, bucket)
	if err := g.makeBucket(ctx); err != nil {
		return nil, err
	}
	logf("creating %d objects under big/", cfg.ListObjects)
	if err := g.putManyPlain(ctx, cfg.ListObjects, func(i int) string { return fmt.Sprintf("big/obj-%06d.txt", i) }, []byte("x")); err != nil {
		return nil, err
	}
	big := filepath.Join(cfg.WorkDir, "big.bin")
	logf("writing the %s file", humanSize(cfg.BigFile))
	if err := writeBigFile(big, cfg.BigFile); err != nil {
		return nil, err
	}

	// s3sso cp, the reference.
	dl := filepath.Join(cfg.WorkDir, "cp-download")
	for r := range cfg.Rounds {
		logf("round %d: s3sso cp up and down", r+1)
		_ = g.deletePrefix(ctx, "cp/")
		d, rss, err := timed(ctx, env, cfg.S3sso, "--account", "bench", "--no-progress", "--quiet", "cp", big, "s3://"+bucket+"/cp/big.bin")
		if err != nil {
			rep.fail("cp upload: %v", err)
			continue
		}
		rep.UpCp = append(rep.UpCp, d)
		rep.CpRSS = max(rep.CpRSS, rss)
		_ = os.RemoveAll(dl)
		d, rss, err = timed(ctx, env, cfg.S3sso, "--account", "bench", "--no-progress", "--quiet", "cp", "s3://"+bucket+"/cp/big.bin", dl+"/big.bin")
		if err != nil {
			rep.fail("cp download: %v", err)
			continue
		}
		rep.DnCp = append(rep.DnCp, d)
		rep.CpRSS = max(rep.CpRSS, rss)
		_ = os.RemoveAll(dl)
	}

	// The UI.
	ui, err := startUIProcess(ctx, cfg.S3sso, env, "--account", "bench")
	if err != nil {
		return nil, err
	}
	defer ui.stop()
	bctx, stopBrowser, err := startBenchChromium(ctx, cfg.Chromium, filepath.Join(cfg.WorkDir, "chromium"))
	if err != nil {
		return nil, err
	}
	defer stopBrowser()
	if bv, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{}); err == nil {
		rep.BrowserVer = bv.Product
	}
	tab := bctx
	if err := chromedp.Do(tab, chromedp.Navigate(ui.url)); err != nil {
		return nil, fmt.Errorf("open the UI: %w", err)
	}
	rep.IdleRSS = ui.rss()

	listURL := ui.origin + "/a/bench/b/" + bucket + "/p/big/"
	for r := range cfg.Rounds {
		logf("round %d: listing %d objects in the UI", r+1, cfg.ListObjects)
		first, all, rows, heap, err := listOnce(tab, listURL, ui)
		if err != nil {
			rep.fail("listing: %v", err)
			continue
		}
		rep.ListFirst = append(rep.ListFirst, first)
		rep.ListAll = append(rep.ListAll, all)
		rep.ListRows = rows
		rep.ListHeap = max(rep.ListHeap, heap)
	}
	rep.ListRSS = ui.peakRSS()

	ui.resetPeak()
	upDir := filepath.Join(cfg.WorkDir, "ui-download")
	for r := range cfg.Rounds {
		logf("round %d: upload and download %s through the UI", r+1, humanSize(cfg.BigFile))
		_ = g.deletePrefix(ctx, "ui/")
		d, err := uiUpload(tab, ui.origin+"/a/bench/b/"+bucket+"/p/ui/", big)
		if err != nil {
			rep.fail("UI upload: %v", err)
			continue
		}
		rep.UpUI = append(rep.UpUI, d)
		_ = os.RemoveAll(upDir)
		d, err = uiDownload(tab, ui.origin, bucket, "ui/big.bin", upDir, cfg.BigFile)
		if err != nil {
			rep.fail("UI download: %v", err)
			continue
		}
		rep.DnUI = append(rep.DnUI, d)
		_ = os.RemoveAll(upDir)
	}
	rep.TransferRSS = ui.peakRSS()
	return rep, nil
}

func (rep *UIReport) fail(format string, args ...any) {
	rep.Failures = append(rep.Failures, fmt.Sprintf(format, args...))
}

// uiEnv is the environment of every s3sso run: an isolated HOME.
func uiEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") && k != "AWS_CA_BUNDLE" || strings.HasPrefix(k, "S3SSO_") || k == "HOME" || strings.HasPrefix(k, "XDG_") || k == "BROWSER" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache",
		"XDG_STATE_HOME="+home+"/.local/state", "AWS_CONFIG_FILE="+home+"/.aws/config",
		"AWS_SHARED_CREDENTIALS_FILE="+home+"/.aws/credentials", "AWS_EC2_METADATA_DISABLED=true", "S3SSO_KEYRING=off")
}

// timed runs bin and returns its wall time and peak RSS (bytes).
func timed(ctx context.Context, env []string, bin string, args ...string) (time.Duration, int64, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s", err, tail(out.String(), 500))
	}
	return d, maxRSS(cmd.ProcessState), nil
}

type uiProcess struct {
	cmd         *exec.Cmd
	url, origin string
	done        chan struct{}
	out         *tailWriter
}

var uiURLRe = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/\S*token=\S+`)

func startUIProcess(ctx context.Context, bin string, env []string, args ...string) (*uiProcess, error) {
	cmd := exec.Command(bin, append([]string{"ui", "--no-browser"}, args...)...)
	cmd.Env = env
	pr, pw := io.Pipe()
	u := &uiProcess{cmd: cmd, done: make(chan struct{}), out: &tailWriter{}}
	w := io.MultiWriter(u.out, pw)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); pw.Close(); close(u.done) }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := uiURLRe.FindString(sc.Text()); m != "" {
				select {
				case found <- m:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case u.url = <-found:
	case <-u.done:
		return nil, fmt.Errorf("s3sso ui exited: %s", u.out.String())
	case <-time.After(30 * time.Second):
		u.stop()
		return nil, fmt.Errorf("s3sso ui printed no address: %s", u.out.String())
	case <-ctx.Done():
		u.stop()
		return nil, ctx.Err()
	}
	i := strings.Index(u.url[len("http://"):], "/")
	u.origin = u.url[:len("http://")+i]
	return u, nil
}

func (u *uiProcess) stop() {
	_ = u.cmd.Process.Signal(os.Interrupt)
	select {
	case <-u.done:
	case <-time.After(10 * time.Second):
		_ = u.cmd.Process.Kill()
		<-u.done
	}
}

// status reads a field (in kB) of /proc/PID/status, in bytes.
func (u *uiProcess) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", u.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (u *uiProcess) rss() int64     { return u.status("VmRSS") }
func (u *uiProcess) peakRSS() int64 { return u.status("VmHWM") }

// resetPeak resets the process's peak RSS to its current RSS
// (clear_refs 5, Linux).
func (u *uiProcess) resetPeak() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", u.cmd.Process.Pid), []byte("5"), 0o200)
}

func startBenchChromium(ctx context.Context, bin, dir string) (context.Context, context.CancelFunc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	actx, stopA := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("enable-precise-memory-info", true),
		chromedp.WindowSize(1280, 800))
	bctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		cancel()
		stopA()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return bctx, func() { cancel(); stopA() }, nil
}

type listState struct {
	Rows int   `json:"rows"`
	Done bool  `json:"done"`
	Heap int64 `json:"heap"`
}

// listOnce opens url and polls the page every 10 ms until the listing has
// ended: the times to the first rows and to the end, the rows in the DOM at
// the end and the peak JS heap seen.
func listOnce(tab context.Context, url string, ui *uiProcess) (first, all time.Duration, rows int, heap int64, err error) {
	ctx, cancel := context.WithTimeout(tab, 5*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		return 0, 0, 0, 0, err
	}
	ui.resetPeak()
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return 0, 0, 0, 0, err
	}
	probe := `({rows: ` + uiRowsJS + `, done: ` + uiListDoneJS + `, heap: performance.memory ? performance.memory.usedJSHeapSize : 0})`
	for {
		st, err := chromedp.Run(ctx, chromedp.Evaluate[listState](probe))
		if err != nil {
			return 0, 0, 0, 0, err
		}
		heap = max(heap, st.Heap)
		if st.Rows > 0 && first == 0 {
			first = time.Since(start)
		}
		if st.Done && st.Rows > 0 {
			all = time.Since(start)
			if h, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{}); err == nil {
				heap = max(heap, int64(h.UsedSize))
			}
			return first, all, st.Rows, heap, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// uiUpload opens the folder at url, gives the file to the upload input and
// waits until the transfer queue says it is done.
func uiUpload(tab context.Context, url, file string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(tab, 10*time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](uiClearTransfersJS, chromedp.EvalAwaitPromise)); err != nil {
		return 0, err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(uiUploadInput))); err != nil {
		return 0, err
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(uiUploadInput), []string{file})); err != nil {
		return 0, err
	}
	for {
		st, err := chromedp.Run(ctx, chromedp.Evaluate[string](uiTransferStateJS))
		if err != nil {
			return 0, err
		}
		switch st {
		case "done":
			return time.Since(start), nil
		case "failed":
			return 0, errors.New("the transfer failed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uiDownload downloads bucket/key through the UI's download link into dir
// and waits until the browser has the whole file.
func uiDownload(tab context.Context, origin, bucket, key, dir string, size int64) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(tab, 10*time.Minute)
	defer cancel()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
	}); err != nil {
		return 0, err
	}
	events := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	start := time.Now()
	link := origin + "/api/download?acct=bench&bucket=" + bucket + "&key=" + key
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const a = document.createElement('a'); a.href = `+strconv.Quote(link)+`; a.download = ''; document.body.appendChild(a); a.click(); a.remove(); })()`)); err != nil {
		return 0, err
	}
	for ev, err := range events {
		if err != nil {
			return 0, err
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			d := time.Since(start)
			if int64(ev.ReceivedBytes) != size {
				return 0, fmt.Errorf("downloaded %d bytes, want %d", int64(ev.ReceivedBytes), size)
			}
			return d, nil
		case browser.DownloadProgressStateCanceled:
			return 0, errors.New("the download was canceled")
		}
	}
	return 0, ctx.Err()
}

// Markdown renders the report.
func (rep *UIReport) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("Run of %s UTC, %d round(s), %s in total.\n\n", rep.Started.UTC().Format("2006-01-02 15:04"), rep.Cfg.Rounds, rep.Elapsed.Round(time.Second))
	p("**Machine:** %s. **Versions:** %s; %s; MinIO %s.\n\n", Machine(), rep.Version, rep.BrowserVer, rep.Cfg.Server.Version)
	rng := func(d []time.Duration) string {
		if len(d) == 0 {
			return "failed"
		}
		lo, hi := d[0], d[0]
		for _, x := range d {
			lo, hi = min(lo, x), max(hi, x)
		}
		return fmt.Sprintf("%s (%s–%s)", fmtDur(median(d)), fmtDur(lo), fmtDur(hi))
	}
	rate := func(d []time.Duration) float64 {
		if len(d) == 0 {
			return 0
		}
		return float64(rep.Cfg.BigFile) / (1 << 20) / median(d).Seconds()
	}
	p("| measurement | median (min–max) | memory |\n|---|---|---|\n")
	p("| open a prefix of %d objects: first rows shown | %s | |\n", rep.Cfg.ListObjects, rng(rep.ListFirst))
	p("| … the whole listing loaded | %s | s3sso ui peak RSS %s (idle before: %s); tab JS heap peak %s; %d rows in the DOM at the end |\n",
		rng(rep.ListAll), mib(rep.ListRSS), mib(rep.IdleRSS), mib(rep.ListHeap), rep.ListRows)
	ratio := func(ui, cp []time.Duration) string {
		if len(ui) == 0 || len(cp) == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f of cp's rate", rate(ui)/rate(cp))
	}
	p("| upload %s through the UI | %s, %.0f MiB/s (%s) | s3sso ui peak RSS %s |\n", humanSize(rep.Cfg.BigFile), rng(rep.UpUI), rate(rep.UpUI), ratio(rep.UpUI, rep.UpCp), mib(rep.TransferRSS))
	p("| `s3sso cp` of the same file up | %s, %.0f MiB/s | peak RSS %s |\n", rng(rep.UpCp), rate(rep.UpCp), mib(rep.CpRSS))
	p("| download %s through the UI (browser saves it) | %s, %.0f MiB/s (%s) | |\n", humanSize(rep.Cfg.BigFile), rng(rep.DnUI), rate(rep.DnUI), ratio(rep.DnUI, rep.DnCp))
	p("| `s3sso cp` of the same object down | %s, %.0f MiB/s | |\n", rng(rep.DnCp), rate(rep.DnCp))
	if len(rep.Failures) > 0 {
		p("\nFailed runs:\n\n")
		for _, f := range rep.Failures {
			p("- %s\n", strings.ReplaceAll(f, "\n", " "))
		}
	}
	return b.String()
}
