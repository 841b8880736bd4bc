package ui_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// The browser tests (files *_browser_test.go) run `s3sso ui` (the built
// binary, with -race under make test) against the shared MinIO, the IAM
// Identity Center emulator and Dex, and drive its page in one shared
// headless Chromium (testenv.SharedChromium); every test has its own HOME,
// its own s3sso ui and its own tab (own cookies). A tab fails its test on
// any console error, uncaught exception, failed load or dialog.
//
// This is the package's one TestMain (package ui_test; the internal tests
// of ui_test.go run in the same binary).
func TestMain(m *testing.M) { testenv.Main(m) }

// uiEnv is one browser test's world.
type uiEnv struct {
	t      *testing.T
	home   string
	minio  *testenv.MinIO
	emu    *ssotest.Server
	bucket string
	// vars is the environment of s3sso commands and of s3sso ui: the
	// sign-in endpoints lead to the emulator; secrets to a 0600 file.
	vars []string
	ui   *testenv.UI
	tab  *testenv.Tab
}

type envOptions struct {
	// SSO configures the emulator (credentials valid on MinIO by default).
	SSO ssotest.Options
	// Vars are added to the environment of s3sso ui.
	Vars []string
}

const (
	startURL  = "https://d-1234567890.awsapps.com/start"
	accountID = "111122223333"
)

func setup(t *testing.T, o envOptions) *uiEnv {
	t.Helper()
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	if o.SSO.Credentials == nil {
		o.SSO.Credentials = ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0)
	}
	e := &uiEnv{t: t, home: home, minio: m, emu: ssotest.Start(t, o.SSO), bucket: m.NewBucket(t)}
	e.vars = append([]string{"AWS_ENDPOINT_URL_SSO=" + e.emu.URL, "AWS_ENDPOINT_URL_SSO_OIDC=" + e.emu.URL,
		"S3SSO_KEYRING=off", "BROWSER=/bin/false"}, o.Vars...)
	return e
}

// s3sso runs a command of the CLI in the test's HOME and fails on an error.
func (e *uiEnv) s3sso(stdin string, args ...string) string {
	e.t.Helper()
	r := testenv.Run(e.t, e.vars, stdin, args...)
	if r.Code != 0 {
		e.t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// addKeysAccount saves an account of MinIO's root keys (the quick way to an
// account for tests that are not about signing in).
func (e *uiEnv) addKeysAccount(name string) {
	e.t.Helper()
	e.s3sso(e.minio.SecretKey+"\n", "account", "add", name, "--type", "keys", "--access-key-id", e.minio.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", e.minio.Endpoint, "--region", "us-east-1")
}

// start runs s3sso ui with args and opens its address in a new tab.
func (e *uiEnv) start(args ...string) {
	e.t.Helper()
	e.ui = testenv.StartUI(e.t, e.vars, args...)
	e.t.Cleanup(func() {
		if e.t.Failed() {
			out := e.ui.Output()
			if len(out) > 20000 {
				out = "…" + out[len(out)-20000:]
			}
			e.t.Logf("s3sso ui printed:\n%s", out)
		}
	})
	e.tab = testenv.SharedChromium(e.t).NewTab(e.t)
	e.tab.Do(chromedp.Navigate(e.ui.URL))
	e.waitApp()
}

// waitApp waits until the page's script has started.
func (e *uiEnv) waitApp() {
	e.t.Helper()
	e.tab.Do(chromedp.WaitVisible(tid("app")))
}

// tid selects the element with data-testid id (docs/ui.md "Test hooks").
func tid(id string) chromedp.CSS {
	return chromedp.CSS(`[data-testid="` + id + `"]`)
}

// tidIn selects the element with data-testid id inside the one with
// data-testid outer.
func tidIn(outer, id string) chromedp.CSS {
	return chromedp.CSS(`[data-testid="` + outer + `"] [data-testid="` + id + `"]`)
}

// js quotes s as a JavaScript string literal.
func js(s string) string { return strconv.Quote(s) }

// click clicks the element with data-testid id.
func (e *uiEnv) click(id string) {
	e.t.Helper()
	e.tab.Do(chromedp.Click(tid(id)))
}

// fill replaces the value of the field with data-testid id.
func (e *uiEnv) fill(id, value string) {
	e.t.Helper()
	e.tab.Do(chromedp.WaitVisible(tid(id)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="`+id+`"]').value = ""`),
		chromedp.SendKeys(tid(id), value))
}

// text is the visible text of the element with data-testid id.
func (e *uiEnv) text(id string) string {
	e.t.Helper()
	return testenv.TabRun(e.tab, chromedp.Text(tid(id)))
}

// waitText waits until the element with data-testid id contains want.
func (e *uiEnv) waitText(id, want string) {
	e.t.Helper()
	e.tab.WaitJS(`(() => { const el = document.querySelector('[data-testid="` + id + `"]'); return !!el && el.textContent.includes(` + js(want) + `); })()`)
}

// routeURL is the page's deep link to a folder: /a/ACCT/b/BUCKET/p/PREFIX.
func (e *uiEnv) routeURL(acct, bucket, prefix string) string {
	u := e.ui.Origin + "/a/" + url.PathEscape(acct) + "/"
	if bucket != "" {
		u += "b/" + url.PathEscape(bucket) + "/"
	}
	if prefix != "" {
		var segs []string
		for _, s := range strings.Split(prefix, "/") {
			segs = append(segs, url.PathEscape(s))
		}
		u += "p/" + strings.Join(segs, "/")
	}
	return u
}

// open loads the page at the folder's deep link and waits for the listing
// to end.
func (e *uiEnv) open(acct, bucket, prefix string) {
	e.t.Helper()
	e.tab.Do(chromedp.Navigate(e.routeURL(acct, bucket, prefix)))
	e.waitApp()
	e.waitListed()
}

// waitListed waits until the listing has ended (the status line's
// data-state is done or error).
func (e *uiEnv) waitListed() {
	e.t.Helper()
	e.tab.WaitJS(`(() => { const s = document.querySelector('[data-testid="listing-status"]'); return !!s && (s.dataset.state === "done" || s.dataset.state === "error"); })()`)
}

// cssString quotes s for a CSS attribute selector.
func cssString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `).Replace(s) + `"`
}

// row selects the listing's row named name (relative to the folder; a
// folder ends in "/").
func row(name string) chromedp.CSS {
	return chromedp.CSS(`[data-testid="row"][data-name=` + cssString(name) + `]`)
}

// waitRow waits until the row named name is shown.
func (e *uiEnv) waitRow(name string) {
	e.t.Helper()
	e.tab.Do(chromedp.WaitVisible(row(name)))
}

// waitNoRow waits until no row is named name.
func (e *uiEnv) waitNoRow(name string) {
	e.t.Helper()
	e.tab.WaitJS(`!document.querySelector('[data-testid="row"][data-name=' + ` + js(cssString(name)) + ` + ']')`)
}

// selectRow clicks the row named name (selecting only it).
func (e *uiEnv) selectRow(name string) {
	e.t.Helper()
	e.tab.Do(chromedp.Click(chromedp.CSS(string(row(name)) + ` [data-testid="row-name"]`)))
}

// putObject stores an object directly on MinIO.
func (e *uiEnv) putObject(bucket, key string, body []byte) {
	e.t.Helper()
	_, err := e.minio.Client(e.t).PutObject(e.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// putObjectMeta stores an object with user metadata directly on MinIO.
func (e *uiEnv) putObjectMeta(bucket, key string, body []byte, meta map[string]string) {
	e.t.Helper()
	_, err := e.minio.Client(e.t).PutObject(e.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), Metadata: meta})
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// getObject reads an object directly from MinIO (nil when missing).
func (e *uiEnv) getObject(bucket, key string) []byte {
	e.t.Helper()
	out, err := e.minio.Client(e.t).GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b
}

// keys lists the keys under prefix directly on MinIO.
func (e *uiEnv) keys(bucket, prefix string) []string {
	e.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(e.minio.Client(e.t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(e.t.Context())
		if err != nil {
			e.t.Fatalf("list %s/%s: %v", bucket, prefix, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// eventually polls cond every 100 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v", what, d)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// randomData returns n bytes of a deterministic pseudo-random pattern.
func randomData(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// writeTree writes files (relative path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for rel, b := range files {
		testenv.WriteFile(t, filepath.Join(dir, rel), string(b))
	}
}

// evalStrings evaluates a JavaScript expression giving a list of strings.
func evalStrings(e *uiEnv, expr string) []string {
	e.t.Helper()
	return testenv.Eval[[]string](e.tab, expr)
}

// shot takes the screenshot name (see testenv.Tab.Screenshot) without the
// toasts of the steps before, which would hide the screen's corner.
func (e *uiEnv) shot(name string) {
	e.t.Helper()
	e.tab.Do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('[data-testid="toast"]').forEach(t => t.remove())`))
	e.tab.Screenshot(name)
}
