package authflow

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
)

func TestPKCEMatchesRFC7636Example(t *testing.T) {
	// RFC 7636 appendix B.
	if got := S256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("S256 = %s", got)
	}
	p := NewPKCE()
	if len(p.Verifier) < 43 || len(p.Verifier) > 128 || p.Method != "S256" || p.Challenge != S256(p.Verifier) {
		t.Fatalf("NewPKCE = %+v", p)
	}
	if NewPKCE().Verifier == p.Verifier {
		t.Fatal("two verifiers are equal")
	}
}

// callback plays the browser following the redirect. It runs on its own
// goroutine, so it reports failures with t.Error.
func callback(t *testing.T, c *Callback, query string) {
	resp, err := http.Get(c.RedirectURI() + "?" + query)
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
}

// get sends one request to the listener (host "" keeps the URL's) and
// returns the status and page.
func get(t *testing.T, method, rawURL, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func listen(t *testing.T, r Redirect) *Callback {
	t.Helper()
	c, err := Listen(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type waitResult struct {
	code string
	err  error
}

// startWait runs Wait on its own goroutine.
func startWait(c *Callback, timeout time.Duration) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		code, err := c.Wait(context.Background(), timeout)
		ch <- waitResult{code, err}
	}()
	return ch
}

func TestCallbackReturnsCodeAndBindsLoopbackOnly(t *testing.T) {
	c := listen(t, Redirect{Path: "/oauth/callback", State: "s1"})
	if !strings.HasPrefix(c.RedirectURI(), "http://127.0.0.1:") || c.ln.Addr().String() != strings.TrimPrefix(strings.TrimSuffix(c.RedirectURI(), "/oauth/callback"), "http://") {
		t.Fatalf("redirect URI %s, listener %s", c.RedirectURI(), c.ln.Addr())
	}
	go callback(t, c, "code=abc&state=s1")
	code, err := c.Wait(context.Background(), 5*time.Second)
	if err != nil || code != "abc" {
		t.Fatalf("Wait = %q, %v", code, err)
	}
}

// Requests that are not the sign-in response (another state, no code, not a
// GET, another Host header, another path) get an error page, and the wait
// goes on until the real redirect arrives.
func TestCallbackRefusesForgeriesAndKeepsWaiting(t *testing.T) {
	c := listen(t, Redirect{Path: "/oauth/callback", State: "the-state"})
	uri := c.RedirectURI()
	port := strconv.Itoa(c.Port())
	waiting := startWait(c, 30*time.Second)
	refusals := []struct {
		name, method, url, host string
		status                  int
	}{
		{"wrong state", "GET", uri + "?code=forged&state=wrong", "", 400},
		{"no state", "GET", uri + "?code=forged", "", 400},
		{"error with wrong state", "GET", uri + "?error=access_denied&state=wrong", "", 400},
		{"missing code", "GET", uri + "?state=the-state", "", 400},
		{"state twice", "GET", uri + "?code=forged&state=wrong&state=the-state", "", 400},
		{"malformed query", "GET", uri + "?code=%zz&state=the-state", "", 400},
		{"POST", "POST", uri + "?code=forged&state=the-state", "", 405},
		{"PUT", "PUT", uri + "?code=forged&state=the-state", "", 405},
		{"DNS rebinding", "GET", uri + "?code=forged&state=the-state", "attacker.example:" + port, 403},
		{"other loopback name", "GET", uri + "?code=forged&state=the-state", "localhost:" + port, 403},
		{"other port", "GET", uri + "?code=forged&state=the-state", "127.0.0.1:1", 403},
		{"no port", "GET", uri + "?code=forged&state=the-state", "127.0.0.1", 403},
		{"other path", "GET", strings.TrimSuffix(uri, "/oauth/callback") + "/other?code=forged&state=the-state", "", 404},
	}
	for _, r := range refusals {
		status, body := get(t, r.method, r.url, r.host)
		if status != r.status || strings.Contains(body, "Signed in") {
			t.Errorf("%s: status %d, want %d; page %q", r.name, status, r.status, body)
		}
		select {
		case res := <-waiting:
			t.Fatalf("%s ended the wait: %q, %v", r.name, res.code, res.err)
		default:
		}
	}
	if status, body := get(t, "GET", uri+"?code=real&state=the-state", ""); status != 200 || !strings.Contains(body, "Signed in") {
		t.Fatalf("the real redirect: %d %q", status, body)
	}
	res := <-waiting
	if res.err != nil || res.code != "real" {
		t.Fatalf("Wait = %q, %v", res.code, res.err)
	}
	// A reload shows the same page; another code after the end does not.
	if status, _ := get(t, "GET", uri+"?code=real&state=the-state", ""); status != 200 {
		t.Errorf("reload: %d", status)
	}
	if status, _ := get(t, "GET", uri+"?code=other&state=the-state", ""); status != 409 {
		t.Errorf("second code: %d, want 409", status)
	}
}

// A redirect URI with "localhost" accepts that Host header (and 127.0.0.1's).
func TestCallbackLocalhostRedirect(t *testing.T) {
	c := listen(t, Redirect{Host: "localhost", Path: "cb", State: "s"})
	port := strconv.Itoa(c.Port())
	if c.RedirectURI() != "http://localhost:"+port+"/cb" {
		t.Fatalf("redirect URI %s", c.RedirectURI())
	}
	addr := "http://127.0.0.1:" + port + "/cb"
	if status, _ := get(t, "GET", addr+"?state=s", "evil.localhost:"+port); status != 403 {
		t.Errorf("evil.localhost: %d", status)
	}
	if status, _ := get(t, "GET", addr+"?state=s", "127.0.0.1:"+port); status != 400 {
		t.Errorf("127.0.0.1 without code: %d, want 400 (host accepted)", status)
	}
	if status, _ := get(t, "GET", addr+"?code=c&state=s", "LocalHost:"+port); status != 200 {
		t.Errorf("localhost: %d", status)
	}
	if code, err := c.Wait(context.Background(), 5*time.Second); err != nil || code != "c" {
		t.Fatalf("Wait = %q, %v", code, err)
	}
	if _, err := Listen(Redirect{Host: "example.com", State: "s"}); fault.KindOf(err) != fault.Config {
		t.Errorf("non-loopback host: %v", err)
	}
}

// When only forged redirects came, the timeout says so.
func TestCallbackStateMismatchTimesOut(t *testing.T) {
	c := listen(t, Redirect{Path: "cb", State: "s1"})
	go callback(t, c, "code=abc&state=forged")
	_, err := c.Wait(context.Background(), 500*time.Millisecond)
	if !errors.Is(err, ErrStateMismatch) || fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), "after refusing 1 redirect(s)") {
		t.Fatalf("state mismatch: %v", err)
	}
}

// error=access_denied with the right state ends the sign-in, with a hint for
// a sign-in that never happened.
func TestCallbackAccessDenied(t *testing.T) {
	c := listen(t, Redirect{Path: "cb", State: "s1"})
	waiting := startWait(c, 5*time.Second)
	status, body := get(t, "GET", c.RedirectURI()+"?error=access_denied&error_description=user+said+%3Cno%3E&state=s1", "")
	if status != 400 || !strings.Contains(body, "Sign-in failed") || !strings.Contains(body, "user said &lt;no&gt;") {
		t.Errorf("error page: %d %q", status, body)
	}
	err := (<-waiting).err
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description != "user said <no>" || fault.KindOf(err) != fault.AccessDenied {
		t.Fatalf("error callback: %v", err)
	}
	if h := fault.HintOf(err); !strings.Contains(h, "denied or cancelled") || strings.Contains(h, "whoami") {
		t.Errorf("hint %q", h)
	}
	// Another error code is a failed sign-in too.
	c2 := listen(t, Redirect{Path: "cb", State: "s2"})
	go callback(t, c2, "error=invalid_scope&state=s2")
	if _, err := c2.Wait(context.Background(), 5*time.Second); !errors.As(err, &ae) || ae.Code != "invalid_scope" || fault.KindOf(err) != fault.Auth {
		t.Fatalf("invalid_scope: %v", err)
	}
}

func TestCallbackTimeoutAndCancel(t *testing.T) {
	c := listen(t, Redirect{Path: "cb", State: "s"})
	if _, err := c.Wait(context.Background(), 50*time.Millisecond); fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), "no sign-in response") || errors.Is(err, ErrStateMismatch) {
		t.Fatalf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Wait(ctx, time.Minute); fault.KindOf(err) != fault.Interrupted {
		t.Fatalf("cancel: %v", err)
	}
	t.Setenv(envTestCallbackTimeout, "60ms")
	start := time.Now()
	if _, err := c.Wait(context.Background(), 0); fault.KindOf(err) != fault.Auth || time.Since(start) > 5*time.Second {
		t.Fatalf("test timeout hook: %v after %s", err, time.Since(start))
	}
}

func TestListenBusyPortIsClear(t *testing.T) {
	c := listen(t, Redirect{Path: "cb", State: "s"})
	_, err := Listen(Redirect{Port: c.Port(), Path: "cb", State: "s"})
	if err == nil || !strings.Contains(fault.HintOf(err), "--redirect-port") {
		t.Fatalf("busy port: %v", err)
	}
}

func TestOpenBrowserHonoursBROWSER(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opened")
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", "/nonexistent/browser:"+script+" %s")
	if err := OpenBrowser(context.Background(), "http://127.0.0.1/x?y=1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(out); err == nil && strings.TrimSpace(string(b)) == "http://127.0.0.1/x?y=1" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the $BROWSER command was not run with the URL")
}
