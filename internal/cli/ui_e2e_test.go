package cli_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/cli"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestUIStopsQuietlyOnCtrlC: Ctrl-C (SIGINT) is how s3sso ui is stopped:
// it says "stopped" and exits 0, with no "error: interrupted".
func TestUIStopsQuietlyOnCtrlC(t *testing.T) {
	testenv.Home(t)
	u := testenv.StartUI(t, []string{"S3SSO_KEYRING=off"})
	u.Stop()
	code := u.Wait(context.Background())
	out := u.Output()
	if code != 0 || !strings.Contains(out, "s3sso ui: stopped") || strings.Contains(out, "error") || strings.Contains(out, "interrupted") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// TestUIBrowserGetsNoToken: the browser is not given the address with the
// one-time token on its command line (which every local user can read in
// /proc/PID/cmdline) but a private file (0600, in a 0700 directory) that
// leads to it. The file is gone once the token is exchanged.
func TestUIBrowserGetsNoToken(t *testing.T) {
	testenv.Home(t)
	t.Setenv("S3SSO_KEYRING", "off")
	rec := t.TempDir()
	script := filepath.Join(rec, "browser.sh")
	// The fake browser records its arguments and what it was given to open.
	if err := os.WriteFile(script, []byte(`#!/bin/sh
f="${1#file://}"
stat -c %a "$f" > "`+rec+`/mode"
stat -c %a "$(dirname "$f")" > "`+rec+`/dirmode"
cat "$f" > "`+rec+`/page"
printf '%s\n' "$f" > "`+rec+`/path"
printf '%s\n' "$@" > "`+rec+`/argv.tmp" && mv "`+rec+`/argv.tmp" "`+rec+`/argv"
`), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", script)

	var errOut syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	var code int
	go func() {
		code = cli.Run(ctx, []string{"ui"}, cli.Stdio{In: strings.NewReader(""), Out: &errOut, Err: &errOut})
		close(exited)
	}()
	defer func() { cancel(); <-exited }()

	var argv []byte
	deadline := time.Now().Add(time.Minute)
	for argv == nil {
		argv, _ = os.ReadFile(filepath.Join(rec, "argv"))
		select {
		case <-exited:
			t.Fatalf("s3sso ui exited %d:\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser was not started:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+/auth\?token=([0-9a-f]+)\S*`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no address printed:\n%s", errOut.String())
	}
	addr, token := m[0], m[1]
	if bytes.Contains(argv, []byte(token)) || !bytes.HasPrefix(argv, []byte("file://")) {
		t.Errorf("the browser's arguments: %q (token %s)", argv, token)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(rec, name))
		return strings.TrimSpace(string(b))
	}
	if read("mode") != "600" || read("dirmode") != "700" {
		t.Errorf("launch page mode %s, its directory %s", read("mode"), read("dirmode"))
	}
	if page := read("page"); !strings.Contains(page, token) || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("launch page:\n%s", page)
	}
	// The token exchange removes the page.
	res, err := http.Get(addr)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, err := os.Stat(read("path")); !os.IsNotExist(err) {
		t.Errorf("the launch page is still there after the exchange: %v", err)
	}
	cancel()
	<-exited
	if code != 0 || !strings.Contains(errOut.String(), "s3sso ui: stopped") {
		t.Errorf("exit %d:\n%s", code, errOut.String())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
