//go:build linux

package cli_test

import (
	"bytes"
	"encoding/json"
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

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// When the IAM Identity Center session ends under a mount, file operations
// wait instead of failing; `mount status` names the login to run; after
// `s3sso login` in another terminal the waiting fsync completes and the
// file is in S3, without a remount.
func TestMountWaitsForSignInElsewhere(t *testing.T) {
	if _, err := exec.LookPath("fusermount3"); err != nil {
		testenv.Skipf(t, "fusermount3 not installed (scripts/apt.sh fuse)")
	}
	m := testenv.SharedMinIO(t)
	d := &ssotest.Deadlines{}
	const lifetime = 6 * time.Second
	e := setupSSO(t, ssotest.Options{Credentials: d.Wrap(ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0), lifetime)})
	p, err := ssotest.NewExpiryProxy(m.Endpoint, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	e.mustS3sso("login", "--profile", "dev")
	mp := t.TempDir()
	vars := append(e.vars, "S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW=2s", "S3SSO_TEST_REFRESH_INTERVAL=1s")
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "s3sso", "mounts", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", l, b)
			}
		}
		if mounted(mp) {
			testenv.Run(t, vars, "", "unmount", "--force", mp)
			exec.Command("fusermount3", "-u", "-z", mp).Run()
		}
	})
	r := testenv.Run(t, vars, "", "--profile", "dev", "--endpoint-url", srv.URL, "mount", "--login-wait", "3m", "s3://"+e.bucket, mp)
	if r.Code != 0 {
		t.Fatalf("mount: %s", r)
	}
	before := randomData(64 << 10)
	if err := os.WriteFile(filepath.Join(mp, "before.bin"), before, 0o644); err != nil {
		t.Fatal(err)
	}

	// The session ends; the role credentials in use expire after it.
	e.emu.RevokeAll()
	for _, k := range d.Issued() {
		if dl, ok := d.Deadline(k); ok {
			time.Sleep(time.Until(dl) + time.Second)
		}
	}

	after := randomData(256 << 10)
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		f, err := os.Create(filepath.Join(mp, "after.bin"))
		if err == nil {
			if _, err = f.Write(after); err == nil {
				err = f.Sync() // waits: the upload needs a new sign-in
			}
			f.Close()
		}
		done <- result{err}
	}()

	var command string
	deadline := time.Now().Add(90 * time.Second)
	for command == "" {
		st := testenv.Run(t, vars, "", "mount", "status", "--json")
		var s struct {
			SignIn *struct {
				Command string `json:"command"`
			} `json:"sign_in_waiting"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(st.Stdout)), &s) == nil && s.SignIn != nil {
			command = s.SignIn.Command
			break
		}
		select {
		case res := <-done:
			t.Fatalf("fsync returned (%v) before anyone signed in again", res.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mount status never said a sign-in is awaited: %s", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if command != "s3sso login --profile dev" {
		t.Fatalf("status names %q, want s3sso login --profile dev", command)
	}
	select {
	case res := <-done:
		t.Fatalf("fsync returned (%v) before anyone signed in again", res.err)
	default:
	}

	// The person signs in from another terminal.
	e.mustS3sso("login", "--profile", "dev")
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("fsync after the new sign-in: %v", res.err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("fsync still waiting after the new sign-in")
	}
	client := m.Client(t)
	for name, want := range map[string][]byte{"before.bin": before, "after.bin": after} {
		got := getObject(t, client, e.bucket, name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s in S3: %d bytes, want %d identical", name, len(got), len(want))
		}
	}
	if r := testenv.Run(t, vars, "", "unmount", mp); r.Code != 0 {
		t.Fatalf("unmount: %s", r)
	}
}

func getObject(t *testing.T, client *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return b
}
