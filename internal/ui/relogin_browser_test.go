package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestBrowserReloginPausesUpload: a folder upload from the page runs
// through an S3 proxy that enforces short-lived role credentials and is
// throttled, so it outlives them. Once some files are stored, the IAM
// Identity Center session ends (the emulator revokes every token), so the
// credentials cannot be renewed silently: the page shows the re-login
// banner with the sign-in link while the upload is paused; the test signs
// in again through the browser (PKCE), and the upload finishes: every file
// stored once, byte-identical, nothing failed.
func TestBrowserReloginPausesUpload(t *testing.T) {
	const (
		files    = 120
		fileSize = 4 << 10
		rate     = 48 << 10 // bytes per second through the proxy
		lifetime = 8 * time.Second
		revokeAt = 30
	)
	m := testenv.SharedMinIO(t)
	d := &ssotest.Deadlines{}
	e := setup(t, envOptions{
		SSO:  ssotest.Options{Credentials: d.Wrap(ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0), lifetime)},
		Vars: []string{"S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW=2s", "S3SSO_TEST_REFRESH_INTERVAL=1s"},
	})
	p, err := ssotest.NewExpiryProxy(m.Endpoint, d, rate)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(p)
	t.Cleanup(proxy.Close)

	// An SSO account whose S3 goes through the proxy, signed in by the
	// CLI (a scripted browser follows the emulator's page).
	e.s3sso("", "account", "add", "work", "--type", "sso", "--start-url", startURL, "--sso-region", "us-east-1",
		"--account-id", accountID, "--role-name", "ReadOnly", "--endpoint-url", proxy.URL, "--region", "us-east-1")
	browser := filepath.Join(e.home, "fake-browser")
	testenv.WriteFile(t, browser, "#!/bin/sh\nexec curl -fsSL -o /dev/null \"$1\"\n")
	if err := os.Chmod(browser, 0o700); err != nil {
		t.Fatal(err)
	}
	testenv.RequireTool(t, "curl")
	if r := testenv.Run(t, append(e.vars, "BROWSER="+browser), "", "login", "--account", "work"); r.Code != 0 {
		t.Fatalf("login: %s", r)
	}

	local := filepath.Join(e.home, "up")
	want := map[string][]byte{}
	for i := range files {
		rel := fmt.Sprintf("d%d/f-%03d.bin", i%4, i)
		want[rel] = randomData(fileSize, byte(i))
	}
	writeTree(t, local, want)

	e.start("--account", "work", "--debug")
	e.open("work", e.bucket, "")
	e.tab.Do(chromedp.SetUploadFiles(tid("folder-input"), []string{local}))

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for len(p.Stored()) < revokeAt {
		select {
		case <-ctx.Done():
			t.Fatalf("only %d files stored before the deadline", len(p.Stored()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	e.emu.RevokeAll()
	stored := len(p.Stored())

	// The banner, with the sign-in link; the upload waits.
	e.tab.Do(chromedp.WaitVisible(tid("relogin-banner")))
	e.tab.Do(chromedp.WaitVisible(tidIn("signin-panel", "signin-link")))
	if msg := e.text("relogin-banner"); !strings.Contains(msg, "paused") {
		t.Errorf("the banner says %q", msg)
	}
	e.shot("relogin-banner")
	if n := len(p.Stored()); n >= files {
		t.Fatalf("all %d files stored although the session ended after %d", n, stored)
	}

	// Sign in again: the link opens the emulator's page in a new tab.
	e.tab.Do(chromedp.Click(tidIn("signin-panel", "signin-link")))
	eventually(t, time.Minute, "the re-login's PKCE exchange", func() bool { return e.emu.Count("CreateToken:authorization_code") >= 2 })
	e.tab.BringToFront()
	e.tab.Do(chromedp.WaitNotPresent(tid("relogin-banner")))

	eventually(t, 3*time.Minute, "every file stored", func() bool { return len(p.Stored()) == files })
	for path, n := range p.Stored() {
		if n != 1 {
			t.Errorf("%s stored %d times", path, n)
		}
	}
	for rel, b := range want {
		if got := e.getObject(e.bucket, "up/"+rel); !bytes.Equal(got, b) {
			t.Errorf("up/%s: %d bytes, not the %d uploaded", rel, len(got), len(b))
		}
	}
	if n := testenv.Eval[int](e.tab, `document.querySelectorAll('[data-testid="transfer"][data-state="failed"]').length`); n != 0 {
		t.Errorf("%d transfers failed: %s", n, testenv.Eval[string](e.tab, `document.querySelector('[data-testid="transfer-list"]').innerText`))
	}
	if n := e.emu.Count("CreateToken:authorization_code"); n != 2 {
		t.Errorf("%d PKCE sign-ins, want 2 (the CLI's, then the page's re-login)", n)
	}
	t.Logf("%d files; the session ended after %d; %d requests refused by the proxy", files, stored, len(p.Rejected()))
}
