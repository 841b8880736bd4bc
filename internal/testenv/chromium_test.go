package testenv

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// recordingT records what a Tab reports against its test, so that the
// test can check that problems do fail a test.
type recordingT struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingT) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingT) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

const harnessPage = `<!doctype html>
<html><head><title>harness</title><link rel="icon" href="data:,"></head>
<body>
<p id="p">hello</p>
<a id="dl" href="/file.bin" download>download</a>
<button id="err" onclick="console.error('boom from the page')">error</button>
<button id="throw" onclick="setTimeout(function(){ throw new Error('uncaught kaboom') })">throw</button>
<button id="alert" onclick="alert('xss ran')">alert</button>
<button id="missing" onclick="var i = new Image(); i.src = '/missing.png'; document.body.appendChild(i)">missing</button>
</body></html>`

// TestChromiumHarness: the tab reports console errors, uncaught
// exceptions, dialogs and failed loads as test failures; a clean page
// reports nothing; screenshots are PNGs of the viewport's size; downloads
// arrive byte-identical; dark mode and the JS heap can be read.
func TestChromiumHarness(t *testing.T) {
	file := bytes.Repeat([]byte("s3sso-download-"), 70000) // about 1 MiB
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, harnessPage)
	})
	mux.HandleFunc("/file.bin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="file.bin"`)
		_, _ = w.Write(file)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c := SharedChromium(t)

	t.Run("clean page", func(t *testing.T) {
		rt := &recordingT{TB: t}
		tab := c.NewTab(rt)
		tab.Do(chromedp.Navigate(srv.URL))
		if got := TabRun(tab, chromedp.Text(chromedp.ID("p"))); got != "hello" {
			t.Errorf("text %q, want hello", got)
		}
		tab.CheckProblems()
		if f := rt.failures(); f != "" {
			t.Errorf("a clean page failed the test:\n%s", f)
		}
	})

	t.Run("problems fail the test", func(t *testing.T) {
		rt := &recordingT{TB: t}
		tab := c.NewTab(rt)
		tab.Do(chromedp.Navigate(srv.URL))
		for _, id := range []string{"err", "throw", "alert", "missing"} {
			tab.Do(chromedp.Click(chromedp.ID(id)))
		}
		want := []string{"boom from the page", "uncaught kaboom", `dialog opened: "xss ran"`, "404"}
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := strings.Join(tab.Problems(), "\n")
			missing := ""
			for _, w := range want {
				if !strings.Contains(got, w) {
					missing = w
				}
			}
			if missing == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("problem %q not reported; reported:\n%s", missing, got)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if d := tab.Dialogs(); len(d) != 1 || d[0] != "xss ran" {
			t.Errorf("dialogs %q, want the one alert", d)
		}
		tab.Allow("boom from the page")
		tab.CheckProblems()
		f := rt.failures()
		if strings.Contains(f, "boom from the page") {
			t.Errorf("an allowed problem failed the test:\n%s", f)
		}
		for _, w := range want[1:] {
			if !strings.Contains(f, w) {
				t.Errorf("problem %q did not fail the test; failures:\n%s", w, f)
			}
		}
		// The page still works after the dialog was dismissed.
		if got := TabRun(tab, chromedp.Text(chromedp.ID("p"))); got != "hello" {
			t.Errorf("text after the dialog %q, want hello", got)
		}
	})

	t.Run("screenshot, dark mode, heap, download", func(t *testing.T) {
		t.Setenv("S3SSO_UPDATE_SCREENSHOTS", "false") // never into docs/ from here
		tab := c.NewTab(t)
		tab.Do(chromedp.Navigate(srv.URL))

		p := tab.Screenshot("harness")
		if filepath.Dir(p) != ScreenshotDir(t) {
			t.Errorf("screenshot at %s, want it in %s", p, ScreenshotDir(t))
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if int64(cfg.Width) != ScreenshotSize.Width || int64(cfg.Height) != ScreenshotSize.Height {
			t.Errorf("screenshot %dx%d, want %dx%d", cfg.Width, cfg.Height, ScreenshotSize.Width, ScreenshotSize.Height)
		}

		if Eval[bool](tab, `matchMedia("(prefers-color-scheme: dark)").matches`) {
			t.Error("dark before ColorScheme(dark)")
		}
		tab.ColorScheme("dark")
		if !Eval[bool](tab, `matchMedia("(prefers-color-scheme: dark)").matches`) {
			t.Error("not dark after ColorScheme(dark)")
		}

		if used, total := tab.JSHeap(); used <= 0 || total < used {
			t.Errorf("JS heap used %d of %d", used, total)
		}
		if m := tab.Metrics(); m["JSHeapUsedSize"] <= 0 || m["Nodes"] <= 0 {
			t.Errorf("metrics without the heap or nodes: %v", m)
		}

		dir := filepath.Join(t.TempDir(), "downloads")
		tab.AllowDownloads(dir)
		tab.Do(chromedp.Click(chromedp.ID("dl")))
		d := tab.WaitDownload("/file.bin", 30*time.Second)
		if d.SuggestedName != "file.bin" {
			t.Errorf("suggested name %q, want file.bin", d.SuggestedName)
		}
		got, err := os.ReadFile(filepath.Join(dir, d.GUID))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, file) {
			t.Errorf("downloaded %d bytes, not the %d served", len(got), len(file))
		}
	})
}
