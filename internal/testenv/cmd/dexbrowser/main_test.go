package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// callback is a loopback redirect target that records the queries it gets.
type callback struct {
	srv     *httptest.Server
	mu      sync.Mutex
	queries []url.Values
}

func newCallback(t *testing.T) *callback {
	c := &callback{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.queries = append(c.queries, r.URL.Query())
		c.mu.Unlock()
		_, _ = w.Write([]byte("signed in, you can close this window"))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *callback) got() []url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]url.Values(nil), c.queries...)
}

// A real Dex: the right password reaches the callback with a code and the
// state; a wrong one is reported (exit 1) and never reaches it; no password
// appears in the log.
func TestSignInAtRealDex(t *testing.T) {
	cb := newCallback(t)
	redirect := cb.srv.URL + "/callback"
	dex := testenv.StartDex(t, testenv.DexOptions{Clients: []testenv.DexClient{
		{ID: "demo", Public: true, RedirectURIs: []string{redirect}},
	}})
	authURL := dex.Issuer + "/auth?" + url.Values{"client_id": {"demo"}, "redirect_uri": {redirect},
		"response_type": {"code"}, "scope": {"openid email"}, "state": {"state-123"}}.Encode()
	logFile := filepath.Join(t.TempDir(), "browser.log")
	noEnv := func(string) string { return "" }

	var stderr bytes.Buffer
	if code := run([]string{"-log", logFile, authURL}, noEnv, &stderr); code != 0 {
		b, _ := os.ReadFile(logFile)
		t.Fatalf("exit %d: %s %s", code, stderr.String(), b)
	}
	q := cb.got()
	if len(q) != 1 || q[0].Get("code") == "" || q[0].Get("state") != "state-123" {
		t.Fatalf("callback queries %v, want one with a code and state-123", q)
	}

	wrong := func(k string) string {
		if k == "DEX_PASSWORD" {
			return "not-the-password"
		}
		return ""
	}
	if code := run([]string{"-log", logFile, authURL}, wrong, &stderr); code != 1 {
		t.Fatalf("wrong password: exit %d, want 1", code)
	}
	if n := len(cb.got()); n != 1 {
		t.Errorf("a rejected login reached the callback (%d calls)", n)
	}
	b, _ := os.ReadFile(logFile)
	log := string(b)
	if !strings.Contains(log, "signed in at Dex as alice@example.com") || !strings.Contains(log, "rejected the login") {
		t.Errorf("log:\n%s", log)
	}
	if strings.Contains(log, testenv.DexPassword) || strings.Contains(log, "not-the-password") {
		t.Errorf("a password appears in the log:\n%s", log)
	}
	if code := run(nil, noEnv, &stderr); code != 2 {
		t.Errorf("no URL: exit %d, want 2", code)
	}
}
