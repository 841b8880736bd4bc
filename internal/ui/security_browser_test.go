package ui_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/s3sso/s3sso/internal/testenv"
)

// A key, a metadata value and a folder name carrying HTML are shown as
// text: no element is made from them and no script runs (the tab fails the
// test on any dialog, console error or CSP report, and an <img src=x>
// would fail to load, which the tab reports too).
func TestBrowserKeyIsText(t *testing.T) {
	e := setup(t, envOptions{})
	e.addKeysAccount("work")
	const evil = `<img src=x onerror=alert(1)>`
	const folder = `<svg onload=alert(2)>/`
	e.putObject(e.bucket, evil, []byte("hello"))
	e.putObject(e.bucket, folder+"inner.txt", []byte("x"))
	e.putObjectMeta(e.bucket, "meta.txt", []byte("m"), map[string]string{"note": `<b onmouseover=alert(3)>bold</b>`})
	e.start("--account", "work")
	e.open("work", e.bucket, "")
	e.waitRow(evil)
	e.waitRow(folder)

	if n := testenv.Eval[int](e.tab, `document.querySelectorAll('img[src="x"], img[src$="/x"], b[onmouseover], svg[onload], script:not([src])').length`); n != 0 {
		t.Errorf("%d elements made from object names or metadata", n)
	}
	e.selectRow(evil)
	e.waitText("props-general", evil)
	e.selectRow("meta.txt")
	e.waitText("props-metadata", `<b onmouseover=alert(3)>bold</b>`)
	if n := testenv.Eval[int](e.tab, `document.querySelectorAll('img[src="x"], img[src$="/x"], b[onmouseover], svg[onload], script:not([src])').length`); n != 0 {
		t.Errorf("%d elements made from object names or metadata in the properties", n)
	}
	// Give an injected handler time to run before the tab's check.
	time.Sleep(300 * time.Millisecond)
	if d := e.tab.Dialogs(); len(d) > 0 {
		t.Errorf("script ran: dialogs %q", d)
	}
	e.shot("xss-key-as-text")
}

// A page of another origin (another port on 127.0.0.1: same site, so the
// SameSite=Strict cookie would go along) cannot make a state-changing
// request succeed: a no-cors fetch with a JSON body and a form posted with
// text/plain (the classic JSON CSRF) are both refused, and nothing
// changes in the bucket. The control: the same fetch from the UI's own page
// deletes the object, so the requests are the right ones.
func TestBrowserCrossOriginRefused(t *testing.T) {
	e := setup(t, envOptions{})
	e.addKeysAccount("work")
	e.putObject(e.bucket, "keep.txt", []byte("keep"))
	e.start("--account", "work")
	e.open("work", e.bucket, "")
	e.waitRow("keep.txt")

	del := fmt.Sprintf(`{"acct":"work","bucket":%q,"keys":["keep.txt"]}`, e.bucket)
	mkdir := fmt.Sprintf(`{"acct":"work","bucket":%q,"prefix":"","name":"pwned","x":"`, e.bucket)
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><link rel="icon" href="data:,"></head><body>
<form id="f" method="POST" action="%[1]s/api/mkdir" enctype="text/plain" target="sink">
<input type="hidden" name=%[3]q value='"}'></form>
<iframe name="sink"></iframe>
<script>
window.result = "pending";
fetch(%[1]q + "/api/delete", {method: "POST", mode: "no-cors", credentials: "include",
  headers: {"Content-Type": "text/plain"}, body: %[2]q})
  .then(() => { window.result = "sent"; }, (err) => { window.result = "blocked: " + err; });
document.getElementById("f").submit();
</script></body></html>`, e.ui.Origin, del, mkdir)
	}))
	defer attacker.Close()
	if !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") {
		t.Fatalf("attacker at %s, want 127.0.0.1", attacker.URL)
	}

	// The attacker's page in a second tab of the same browser context
	// (same cookies): opened from the UI's page, as a link would be.
	other := e.tab
	// What the browser says about the refused requests (their answers
	// carry Cross-Origin-Resource-Policy and frame-ancestors 'none').
	other.Allow(`Failed to load resource: net::ERR_BLOCKED_BY_RESPONSE|Failed to load resource: the server responded with a status of 403|violates the following Content Security Policy directive: "frame-ancestors 'none'"`)
	other.Do(chromedp.Navigate(attacker.URL))
	other.WaitJS(`window.result !== "pending"`)
	// The form's answer lands in the iframe; wait for its load.
	time.Sleep(time.Second)

	if got := e.getObject(e.bucket, "keep.txt"); string(got) != "keep" {
		t.Errorf("keep.txt was deleted by a request from another origin")
	}
	if k := e.keys(e.bucket, "pwned"); len(k) != 0 {
		t.Errorf("a folder was created by a form from another origin: %q", k)
	}
	t.Logf("the attacker's fetch: %s", testenv.Eval[string](other, `window.result`))

	// Control: the same request from the UI's own page works.
	e.tab.Do(chromedp.Navigate(e.ui.Origin + "/"))
	e.waitApp()
	status := testenv.Eval[int](e.tab, `fetch("/api/delete", {method: "POST", headers: {"Content-Type": "application/json"}, body: `+js(del)+`}).then(r => r.status)`)
	if status >= 300 {
		t.Fatalf("the same delete from the UI's page: HTTP %d", status)
	}
	eventually(t, 30*time.Second, "keep.txt deleted by the UI's own request", func() bool {
		return !slices.Contains(e.keys(e.bucket, ""), "keep.txt")
	})
}
