package authflow

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
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

func TestCallbackReturnsCodeAndBindsLoopbackOnly(t *testing.T) {
	c, err := Listen(0, "/oauth/callback")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.HasPrefix(c.RedirectURI(), "http://127.0.0.1:") || c.ln.Addr().String() != strings.TrimPrefix(strings.TrimSuffix(c.RedirectURI(), "/oauth/callback"), "http://") {
		t.Fatalf("redirect URI %s, listener %s", c.RedirectURI(), c.ln.Addr())
	}
	go callback(t, c, "code=abc&state=s1")
	code, err := c.Wait(context.Background(), "s1", 5*time.Second)
	if err != nil || code != "abc" {
		t.Fatalf("Wait = %q, %v", code, err)
	}
}

func TestCallbackStateMismatchAndError(t *testing.T) {
	c, _ := Listen(0, "cb")
	defer c.Close()
	go callback(t, c, "code=abc&state=forged")
	if _, err := c.Wait(context.Background(), "s1", 5*time.Second); !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("state mismatch: %v", err)
	}
	c2, _ := Listen(0, "cb")
	defer c2.Close()
	go callback(t, c2, "error=access_denied&error_description=user+said+no&state=s1")
	_, err := c2.Wait(context.Background(), "s1", 5*time.Second)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || fault.KindOf(err) != fault.AccessDenied {
		t.Fatalf("error callback: %v", err)
	}
}

func TestCallbackTimeoutAndCancel(t *testing.T) {
	c, _ := Listen(0, "cb")
	defer c.Close()
	if _, err := c.Wait(context.Background(), "s", 50*time.Millisecond); fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), "no sign-in response") {
		t.Fatalf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Wait(ctx, "s", time.Minute); fault.KindOf(err) != fault.Interrupted {
		t.Fatalf("cancel: %v", err)
	}
}

func TestListenBusyPortIsClear(t *testing.T) {
	c, _ := Listen(0, "cb")
	defer c.Close()
	_, err := Listen(c.Port(), "cb")
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
