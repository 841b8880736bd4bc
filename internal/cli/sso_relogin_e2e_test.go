package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/creack/pty"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// Re-login mid-job: a sync of reloginFiles files through the expiry proxy,
// with role credentials that live reloginLifetime. Once a few hundred
// objects are stored, the IAM Identity Center session ends (the emulator
// revokes every access and refresh token), so neither the token nor the
// role credentials can be renewed silently: the next renewal needs a new
// sign-in. The throttle makes the sync outlive its first credentials
// (reloginFiles x reloginFileSize at reloginRate takes at least 16 s).
const (
	reloginFiles    = 2000
	reloginFileSize = 2 << 10
	reloginRate     = 256 << 10
	reloginLifetime = 8 * time.Second
	reloginRevokeAt = 200 // objects stored before the session ends
)

const pauseNotice = "The transfer is paused"

type reloginEnv struct {
	*ssoEnv
	proxy    *ssotest.ExpiryProxy
	proxyURL string
	files    map[string][]byte
}

func setupRelogin(t *testing.T) *reloginEnv {
	t.Helper()
	m := testenv.SharedMinIO(t)
	d := &ssotest.Deadlines{}
	e := setupSSO(t, ssotest.Options{
		Credentials: d.Wrap(ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0), reloginLifetime),
	})
	p, err := ssotest.NewExpiryProxy(m.Endpoint, d, reloginRate)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	x := &reloginEnv{ssoEnv: e, proxy: p, proxyURL: srv.URL, files: map[string][]byte{}}
	for i := range reloginFiles {
		name := fmt.Sprintf("d%02d/f-%04d.bin", i%20, i)
		x.files[name] = randomData(reloginFileSize)
		testenv.WriteFile(t, filepath.Join(e.home, "up", name), string(x.files[name]))
	}
	e.mustS3sso("login", "--profile", "dev")
	return x
}

// args: the sync, through the proxy, with credentials replaced 2 s before
// they expire and checked every second.
func (x *reloginEnv) cmd(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, testenv.Binary(x.t), "--profile", "dev", "--endpoint-url", x.proxyURL, "--quiet",
		"sync", filepath.Join(x.home, "up"), "s3://"+x.bucket+"/up/", "--concurrency", "4")
	cmd.Env = append(append(os.Environ(), x.vars...), "S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW=2s", "S3SSO_TEST_REFRESH_INTERVAL=1s")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// revokeMidway ends the IAM Identity Center session once reloginRevokeAt
// objects are stored, and reports whether it did.
func (x *reloginEnv) revokeMidway(ctx context.Context) <-chan bool {
	done := make(chan bool, 1)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				done <- false
				return
			case <-t.C:
			}
			if len(x.proxy.Stored()) >= reloginRevokeAt {
				x.emu.RevokeAll()
				done <- true
				return
			}
		}
	}()
	return done
}

// checkStored: every file arrived byte-identical, and stored is how many
// objects the server stored (each at most once).
func (x *reloginEnv) checkStored(t *testing.T, wantAll bool) int {
	t.Helper()
	stored := x.proxy.Stored()
	for path, n := range stored {
		if n != 1 {
			t.Errorf("%s was stored %d times: sent again after the pause", path, n)
		}
	}
	if !wantAll {
		return len(stored)
	}
	client := x.minio.Client(t)
	for name, want := range x.files {
		out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(x.bucket), Key: aws.String("up/" + name)})
		var got []byte
		if err == nil {
			got, err = io.ReadAll(out.Body)
			out.Body.Close()
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s did not arrive intact (%d bytes, err %v)", name, len(got), err)
		}
	}
	return len(stored)
}

// TestSSOReloginPausesSync: on a terminal (a pty), the sync pauses when the
// session ends mid-way, says so once, signs in again through the browser
// (the fake $BROWSER completes PKCE against the emulator), and finishes:
// exit 0, every file byte-identical, no object failed or stored twice.
func TestSSOReloginPausesSync(t *testing.T) {
	x := setupRelogin(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	revoked := x.revokeMidway(ctx)
	cmd := x.cmd(ctx)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out syncBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, tty); close(copied) }()
	err = cmd.Wait()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	code := cmd.ProcessState.ExitCode()
	if !<-revoked {
		t.Fatalf("the sync ended before %d objects were stored (exit %d):\n%s", reloginRevokeAt, code, out.String())
	}
	text := out.String()
	if err != nil || code != 0 {
		t.Fatalf("sync on a terminal: exit %d (%v), want 0:\n%s", code, err, text)
	}
	if n := strings.Count(text, pauseNotice); n != 1 {
		t.Errorf("the pause was announced %d times, want once:\n%s", n, text)
	}
	if !strings.Contains(text, "Signed in again; the transfer continues.") {
		t.Errorf("no word that the transfer continues:\n%s", text)
	}
	if strings.Contains(text, "error") {
		t.Errorf("errors reported:\n%s", text)
	}
	if n := x.emu.Count("CreateToken:authorization_code"); n != 2 {
		t.Errorf("%d PKCE sign-ins, want 2 (login, then one re-login)", n)
	}
	if n := x.checkStored(t, true); n != reloginFiles {
		t.Errorf("%d objects stored, want %d", n, reloginFiles)
	}
	t.Logf("%d objects, %d requests refused by the proxy, terminal output:\n%s", reloginFiles, len(x.proxy.Rejected()), text)
	x.noSecrets(text)
}

// TestSSOReloginControlWithoutTerminal is the control: the same sync with
// no terminal (stdin /dev/null, output to pipes, as in CI) does not pause:
// it stops with the sign-in error (exit 6) naming the login command, and
// does not finish. Without it, TestSSOReloginPausesSync could pass because
// the session's end never bit.
func TestSSOReloginControlWithoutTerminal(t *testing.T) {
	x := setupRelogin(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	revoked := x.revokeMidway(ctx)
	cmd := x.cmd(ctx)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if !<-revoked {
		t.Fatalf("the sync ended before %d objects were stored (exit %d): %s", reloginRevokeAt, code, stderr.String())
	}
	if code != 6 || !strings.Contains(stderr.String(), "run `s3sso login --profile dev`") {
		t.Fatalf("without a terminal: exit %d, want 6 with the login hint:\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), pauseNotice) {
		t.Errorf("paused without a terminal:\n%s", stderr.String())
	}
	if n := x.emu.Count("CreateToken:authorization_code"); n != 1 {
		t.Errorf("%d PKCE sign-ins, want 1 (no re-login without a terminal)", n)
	}
	n := x.checkStored(t, false)
	if n >= reloginFiles {
		t.Errorf("all %d objects stored although the credentials could not be renewed", n)
	}
	t.Logf("exit %d after %d of %d objects: %s", code, n, reloginFiles, strings.TrimSpace(stderr.String()))
}
