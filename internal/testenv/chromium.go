package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Chromium is a headless Chromium (Debian's /usr/bin/chromium, or
// S3SSO_CHROMIUM_BIN) driven through the DevTools protocol by chromedp. The
// browser is never downloaded: a missing one skips the test (fails it in
// CI, see [Skipf]). Tests open tabs in it with [Chromium.NewTab].
type Chromium struct {
	ctx    context.Context // the browser's first context: tabs derive from it
	cancel context.CancelFunc
	stopA  context.CancelFunc
	dir    string // --user-data-dir
	output syncBuffer
}

// TabTimeout bounds each call of [Tab.Do] and [TabRun] unless the tab's
// Timeout says otherwise.
const TabTimeout = time.Minute

// ScreenshotSize is the viewport of every tab, so that screenshots are
// alike from run to run.
var ScreenshotSize = struct{ Width, Height int64 }{1280, 800}

// StartChromium starts a headless Chromium for the test and stops it when
// the test ends. Most tests want [SharedChromium].
func StartChromium(t testing.TB) *Chromium {
	t.Helper()
	c, err := startChromium(chromiumBin(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

func chromiumBin(t testing.TB) string {
	t.Helper()
	if p, ok := Tool("chromium"); ok {
		return p
	}
	Skipf(t, "chromium not found: run scripts/apt.sh chromium (Debian's package), or set %s", toolEnvVar("chromium"))
	return ""
}

func startChromium(bin string) (_ *Chromium, err error) {
	dir, err := os.MkdirTemp("", "s3sso-chromium-")
	if err != nil {
		return nil, err
	}
	c := &Chromium{dir: dir}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(int(ScreenshotSize.Width), int(ScreenshotSize.Height)),
		chromedp.CombinedOutput(&c.output),
		// The environment the process started with: a test's temporary
		// HOME would make Chromium write its caches there mid-test.
		chromedp.NoInheritEnv,
		chromedp.Env(chromiumEnv()...),
	}
	actx, stopA := chromedp.NewExecAllocator(context.Background(), opts...)
	c.stopA = stopA
	c.ctx, c.cancel = chromedp.NewContext(actx)
	// The first Do starts the browser, bound to c.ctx (no timeout: the
	// timeout would end the browser), so a start that hangs is bounded
	// by a timer that cancels the browser instead.
	timer := time.AfterFunc(45*time.Second, c.cancel)
	err = chromedp.Do(c.ctx)
	if !timer.Stop() {
		err = fmt.Errorf("timed out: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("start chromium %s: %w\n%s", bin, err, c.output.String())
	}
	return c, nil
}

// chromiumEnv is the environment of the browser: the one the test process
// started with, without proxies (every server of a test is on loopback).
func chromiumEnv() []string {
	var env []string
	for _, kv := range initialEnv {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(strings.ToLower(k), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Stop closes the browser and removes its profile.
func (c *Chromium) Stop() {
	if c.cancel != nil {
		c.cancel()
	}
	if c.stopA != nil {
		c.stopA()
	}
	os.RemoveAll(c.dir)
}

// Output is what the browser process printed (for failure messages).
func (c *Chromium) Output() string { return c.output.String() }

// sharedChromium holds the package's shared browser (see SharedChromium).
var sharedChromium struct {
	mu  sync.Mutex
	c   *Chromium
	err error
}

// SharedChromium returns a browser shared by all tests of the package,
// started on first use and stopped by [Main] (which the package must use).
// Each test still gets its own tab and cookies from [Chromium.NewTab].
func SharedChromium(t testing.TB) *Chromium {
	t.Helper()
	bin := chromiumBin(t)
	shared.mu.Lock()
	isMain := shared.main
	shared.mu.Unlock()
	if !isMain {
		t.Fatal("testenv.SharedChromium needs the package's TestMain to call testenv.Main(m)")
	}
	sharedChromium.mu.Lock()
	defer sharedChromium.mu.Unlock()
	if sharedChromium.c == nil && sharedChromium.err == nil {
		sharedChromium.c, sharedChromium.err = startChromium(bin)
	}
	if sharedChromium.err != nil {
		t.Fatalf("shared Chromium: %v", sharedChromium.err)
	}
	return sharedChromium.c
}

// stopSharedChromium is called by Main after the tests.
func stopSharedChromium() {
	sharedChromium.mu.Lock()
	defer sharedChromium.mu.Unlock()
	if sharedChromium.c != nil {
		sharedChromium.c.Stop()
		sharedChromium.c = nil
	}
}

// Tab is a browser tab of one test, in a browser context of its own (its
// own cookies and storage, as a private window has). It records what the
// page reports as going wrong (console.error calls, uncaught exceptions and
// unhandled rejections, error entries of the browser log such as failed
// resource loads and CSP violations, and JavaScript dialogs such as alert,
// which it dismisses) and fails the test at its end if there was any that
// [Tab.Allow] does not excuse.
type Tab struct {
	// Ctx is the tab's chromedp context, for chromedp calls of the test's
	// own. Prefer [Tab.Do] and [TabRun], which bound each call.
	Ctx context.Context
	// Timeout bounds each call of Do and TabRun ([TabTimeout] by default).
	Timeout time.Duration

	t      testing.TB
	cancel context.CancelFunc

	mu        sync.Mutex
	problems  []string
	allowed   []*regexp.Regexp
	dialogs   []string
	acceptDlg bool
	downloads map[string]*Download // by GUID
	dlCond    chan struct{}        // closed and replaced on every download event
	closed    bool
}

// Download is a file the browser downloaded or is downloading.
type Download struct {
	GUID, URL, SuggestedName string
	// Path is where the file is (complete when State is "completed").
	Path          string
	State         string // inProgress, completed, canceled
	Received, All int64
}

// NewTab opens a tab in its own browser context, with the viewport set to
// [ScreenshotSize], and closes it when the test ends; then it fails the
// test if the page reported problems (see [Tab]).
func (c *Chromium) NewTab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	tab := &Tab{Ctx: ctx, Timeout: TabTimeout, t: t, cancel: cancel, downloads: map[string]*Download{}, dlCond: make(chan struct{})}
	// The first Do opens the tab; it must not carry a timeout (the
	// timeout would close the tab).
	timer := time.AfterFunc(30*time.Second, cancel)
	err := chromedp.Do(ctx)
	if !timer.Stop() {
		err = fmt.Errorf("timed out: %w", err)
	}
	if err != nil {
		cancel()
		t.Fatalf("open a tab: %v\n%s", err, c.Output())
	}
	console := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	dlBegin := chromedp.BrowserEvents(ctx, browser.DownloadWillBegin)
	dlProgress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	var wg sync.WaitGroup
	wg.Go(func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				where := ""
				if m.URL != "" {
					where = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
				}
				tab.report(fmt.Sprintf("console %s: %s%s", m.Type, m.Text, where))
			}
		}
	})
	wg.Go(func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tab.mu.Lock()
			accept := tab.acceptDlg
			tab.dialogs = append(tab.dialogs, ev.Message)
			tab.mu.Unlock()
			if !accept {
				tab.report(fmt.Sprintf("JavaScript %s dialog opened: %q", ev.Type, ev.Message))
			}
			// Answering blocks until the browser replies; the tab's
			// context bounds it.
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	})
	wg.Go(func() {
		for ev, err := range dlBegin {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.downloads[ev.GUID] = &Download{GUID: ev.GUID, URL: ev.URL, SuggestedName: ev.SuggestedFilename, State: "inProgress"}
			tab.notifyLocked()
			tab.mu.Unlock()
		}
	})
	wg.Go(func() {
		for ev, err := range dlProgress {
			if err != nil {
				return
			}
			tab.mu.Lock()
			d := tab.downloads[ev.GUID]
			if d == nil {
				d = &Download{GUID: ev.GUID}
				tab.downloads[ev.GUID] = d
			}
			d.State, d.Received, d.All = string(ev.State), int64(ev.ReceivedBytes), int64(ev.TotalBytes)
			if ev.FilePath != "" {
				d.Path = ev.FilePath
			}
			tab.notifyLocked()
			tab.mu.Unlock()
		}
	})
	tab.Do(chromedp.EmulateViewport(ScreenshotSize.Width, ScreenshotSize.Height))
	t.Cleanup(func() {
		tab.mu.Lock()
		tab.closed = true
		tab.mu.Unlock()
		cancel()
		wg.Wait()
		tab.CheckProblems()
	})
	return tab
}

func (tab *Tab) notifyLocked() {
	close(tab.dlCond)
	tab.dlCond = make(chan struct{})
}

func (tab *Tab) report(p string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	if tab.closed {
		return
	}
	tab.problems = append(tab.problems, p)
}

// Allow excuses problems matching the regular expression re (a test that
// provokes an error on purpose, such as a refused cross-origin request).
func (tab *Tab) Allow(re string) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.allowed = append(tab.allowed, regexp.MustCompile(re))
}

// AcceptDialogs makes the tab accept JavaScript dialogs (confirm, alert)
// instead of reporting them as problems; [Tab.Dialogs] lists them.
func (tab *Tab) AcceptDialogs(on bool) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.acceptDlg = on
}

// Dialogs returns the messages of the JavaScript dialogs opened so far.
func (tab *Tab) Dialogs() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.dialogs...)
}

// Problems returns the problems recorded so far that are not allowed.
func (tab *Tab) Problems() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	var out []string
	for _, p := range tab.problems {
		ok := false
		for _, re := range tab.allowed {
			if re.MatchString(p) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, p)
		}
	}
	return out
}

// CheckProblems fails the test (without stopping it) for each problem
// recorded and not allowed, and forgets them. The tab calls it when the
// test ends; a test calls it to check a step.
func (tab *Tab) CheckProblems() {
	tab.t.Helper()
	for _, p := range tab.Problems() {
		tab.t.Errorf("browser: %s", p)
	}
	tab.mu.Lock()
	tab.problems = nil
	tab.mu.Unlock()
}

// Do runs actions in the tab, each call bounded by tab.Timeout, and fails
// the test at once on an error (with a screenshot of the page in the
// test's artifact directory and the problems the page reported).
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := tab.Try(actions...); err != nil {
		tab.fail(err)
	}
}

// Try is [Tab.Do] returning the error instead of failing.
func (tab *Tab) Try(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// TabRun runs one action returning a value in tab, like [Tab.Do].
func TabRun[T any](tab *Tab, a chromedp.Action[T]) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tab.fail(err)
	}
	return v
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into T, failing the test on an error or exception.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	return TabRun(tab, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// WaitJS waits until the JavaScript expression expr is truthy (polled
// every 50 ms, up to tab.Timeout; a timer, not animation frames, which stop
// while another tab is in front).
func (tab *Tab) WaitJS(expr string) {
	tab.t.Helper()
	_ = TabRun(tab, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingTimeout(tab.Timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// BringToFront makes the tab the one in front (after the page opened
// another, such as a sign-in page): a page behind others gets no animation
// frames, so it would not draw.
func (tab *Tab) BringToFront() {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{}); err != nil {
		tab.fail(err)
	}
}

func (tab *Tab) fail(err error) {
	tab.t.Helper()
	msg := fmt.Sprintf("browser: %v", err)
	if url, uerr := tab.try(chromedp.Location()); uerr == nil {
		msg += "\npage: " + url
	}
	if png, serr := tab.try(chromedp.CaptureScreenshot()); serr == nil {
		p := filepath.Join(tab.t.ArtifactDir(), "failure.png")
		if os.WriteFile(p, []byte(png), 0o600) == nil {
			msg += "\nscreenshot: " + p + " (kept with go test -artifacts)"
		}
	}
	if text, terr := tab.try(chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`)); terr == nil {
		msg += "\npage text:\n" + text
	}
	for _, p := range tab.Problems() {
		msg += "\nbrowser problem: " + p
	}
	tab.t.Fatal(msg)
}

func (tab *Tab) try(a any) (string, error) {
	ctx, cancel := context.WithTimeout(tab.Ctx, 5*time.Second)
	defer cancel()
	switch a := a.(type) {
	case chromedp.Action[string]:
		return chromedp.Run(ctx, a)
	case chromedp.Action[[]byte]:
		b, err := chromedp.Run(ctx, a)
		return string(b), err
	}
	return "", errors.New("unsupported action")
}

// Screenshot saves a PNG of the tab's viewport as NAME.png and returns its
// path: into docs/img/ui/ of the module when S3SSO_UPDATE_SCREENSHOTS is
// set to a true value (the screenshots committed for the docs), else into
// the test's artifact directory (kept with go test -artifacts).
func (tab *Tab) Screenshot(name string) string {
	tab.t.Helper()
	png := TabRun(tab, chromedp.CaptureScreenshot())
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		tab.t.Fatalf("screenshot %s: not a PNG", name)
	}
	dir := ScreenshotDir(tab.t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tab.t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tab.t.Fatal(err)
	}
	return p
}

// ScreenshotDir is where [Tab.Screenshot] writes (see there).
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	// As the process started: Home unsets S3SSO_* variables.
	v := os.Getenv("S3SSO_UPDATE_SCREENSHOTS")
	if v == "" {
		v = initialGetenv("S3SSO_UPDATE_SCREENSHOTS")
	}
	if v, err := strconv.ParseBool(v); err == nil && v {
		root, err := ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Join(root, "docs", "img", "ui")
	}
	return t.ArtifactDir()
}

// ColorScheme makes the page see prefers-color-scheme as scheme ("light"
// or "dark"; "" for the system's).
func (tab *Tab) ColorScheme(scheme string) {
	tab.t.Helper()
	var features []*emulation.MediaFeature
	if scheme != "" {
		features = []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	}
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features}); err != nil {
		tab.fail(err)
	}
}

// AllowDownloads makes the tab save downloads into dir (created if
// missing) under their GUIDs; [Tab.WaitDownload] waits for one.
func (tab *Tab) AllowDownloads(dir string) {
	tab.t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tab.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
		BrowserContextID: chromedp.FromContext(tab.Ctx).BrowserContextID,
		DownloadPath:     dir,
		EventsEnabled:    new(true),
	})
	if err != nil {
		tab.fail(err)
	}
}

// Downloads returns the downloads seen so far.
func (tab *Tab) Downloads() []Download {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	out := make([]Download, 0, len(tab.downloads))
	for _, d := range tab.downloads {
		out = append(out, *d)
	}
	return out
}

// WaitDownload waits up to timeout for a download whose URL contains
// urlPart (any download when empty) to complete, and returns it; a
// canceled download or the timeout fails the test.
func (tab *Tab) WaitDownload(urlPart string, timeout time.Duration) Download {
	tab.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		tab.mu.Lock()
		wake := tab.dlCond
		var found *Download
		for _, d := range tab.downloads {
			if urlPart == "" || strings.Contains(d.URL, urlPart) {
				if d.State == "completed" || d.State == "canceled" {
					found = d
					break
				}
			}
		}
		var got Download
		if found != nil {
			got = *found
		}
		tab.mu.Unlock()
		if found != nil {
			if got.State != "completed" {
				tab.t.Fatalf("download %s: %s after %d bytes", got.URL, got.State, got.Received)
			}
			return got
		}
		select {
		case <-wake:
		case <-deadline.C:
			tab.t.Fatalf("no download of %q completed within %v (seen: %+v)", urlPart, timeout, tab.Downloads())
		case <-tab.Ctx.Done():
			tab.t.Fatalf("tab closed while waiting for a download: %v", tab.Ctx.Err())
		}
	}
}

// JSHeap returns the JavaScript heap of the tab's page in bytes (used and
// allocated), from the DevTools protocol's Runtime.getHeapUsage.
func (tab *Tab) JSHeap() (used, total int64) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	r, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		tab.fail(err)
	}
	return int64(r.UsedSize), int64(r.TotalSize)
}

// Metrics returns the page's run-time metrics (Performance.getMetrics:
// JSHeapUsedSize, Nodes, LayoutCount, ...), enabling the domain first.
func (tab *Tab) Metrics() map[string]float64 {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, tab.Timeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{}); err != nil {
		tab.fail(err)
	}
	r, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		tab.fail(err)
	}
	m := make(map[string]float64, len(r.Metrics))
	for _, x := range r.Metrics {
		m[x.Name] = x.Value
	}
	return m
}
