//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// Credentials under the mount: the emulator reports role credentials as
// living resLifetime and an ssotest.ExpiryProxy in front of MinIO
// answers ExpiredToken to requests signed with a key past that deadline,
// as AWS does. The proxy throttles all bodies together to resRate, so
// copying resObjects x resObjectSize in each direction at once takes
// at least 2 x 12 x 256 KiB / 256 KiB/s = 24 s: three credential lifetimes.
const (
	resLifetime   = 8 * time.Second
	resObjects    = 12 // per direction
	resObjectSize = 256 << 10
	resRate       = 256 << 10
)

// resExpiryEnv is a signed-in SSO profile, the proxy, objects under
// down/ in the bucket and files in $HOME/up to copy through a mount of the
// bucket.
type resExpiryEnv struct {
	*ssoEnv
	deadlines *ssotest.Deadlines
	proxy     *ssotest.ExpiryProxy
	proxyURL  string
	down      map[string][]byte
	up        map[string][]byte
}

func setupResExpiry(t *testing.T) *resExpiryEnv {
	t.Helper()
	m := testenv.SharedMinIO(t)
	d := &ssotest.Deadlines{}
	e := setupSSO(t, ssotest.Options{
		Credentials: d.Wrap(ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0), resLifetime),
	})
	p, err := ssotest.NewExpiryProxy(m.Endpoint, d, resRate)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	x := &resExpiryEnv{ssoEnv: e, deadlines: d, proxy: p, proxyURL: srv.URL, down: map[string][]byte{}, up: map[string][]byte{}}
	client := m.Client(t)
	for i := range resObjects {
		name := fmt.Sprintf("obj-%02d.bin", i)
		x.down[name], x.up[name] = randomData(resObjectSize), randomData(resObjectSize)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("down/" + name), Body: bytes.NewReader(x.down[name])})
		cancel()
		if err != nil {
			t.Fatalf("seed %s: %v", name, err)
		}
		testenv.WriteFile(t, filepath.Join(e.home, "up", name), string(x.up[name]))
	}
	e.mustS3sso("login", "--profile", "dev")
	return x
}

// mount mounts the bucket through the proxy with profile dev; credentials
// are replaced 3 s before they expire and checked every second; file
// operations wait up to 2 minutes for a sign-in.
func (x *resExpiryEnv) mount() *resMount {
	env := append(append([]string(nil), x.vars...), "S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW=3s", "S3SSO_TEST_REFRESH_INTERVAL=1s")
	return startResMount(x.t, env, []string{"--profile", "dev", "--endpoint-url", x.proxyURL},
		[]string{"--cache-dir", filepath.Join(x.home, "cache"), "--login-wait", "2m"},
		"s3://"+x.bucket, filepath.Join(x.home, "mnt"))
}

// copyBoth copies every up/ file into the mount (each fsync'd) and every
// down/ object out of it, at once, and returns the first error of each.
func (x *resExpiryEnv) copyBoth(mnt string) (upErr, downErr error) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for name := range x.up {
			if err := resCopyInto(filepath.Join(x.home, "up", name), filepath.Join(mnt, "up", name)); err != nil {
				upErr = err
				return
			}
		}
	})
	wg.Go(func() {
		for name := range x.down {
			if err := resCopyOut(filepath.Join(mnt, "down", name), filepath.Join(x.home, "down", name)); err != nil {
				downErr = err
				return
			}
		}
	})
	wg.Wait()
	return upErr, downErr
}

// checkCopies: every download is byte-identical, and so is every object
// uploaded (read from MinIO with the root keys).
func (x *resExpiryEnv) checkCopies(t *testing.T) {
	t.Helper()
	for name, want := range x.down {
		got, err := os.ReadFile(filepath.Join(x.home, "down", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s copied out of the mount is not intact (%d bytes, err %v)", name, len(got), err)
		}
	}
	client := x.minio.Client(t)
	for name, want := range x.up {
		out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(x.bucket), Key: aws.String("up/" + name)})
		var got []byte
		if err == nil {
			got, err = io.ReadAll(out.Body)
			out.Body.Close()
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s copied into the mount is not intact in the bucket (%d bytes, err %v)", name, len(got), err)
		}
	}
}

// lateKeys counts the credentials, other than the first, that signed a
// request after the first credentials' deadline: more than zero means the
// copy outlived its first credentials.
func (x *resExpiryEnv) lateKeys() int {
	issued := x.deadlines.Issued()
	if len(issued) == 0 {
		return 0
	}
	first, _ := x.deadlines.Deadline(issued[0])
	n := 0
	for _, k := range issued[1:] {
		if last, ok := x.proxy.LastUse(k); ok && last.After(first) {
			n++
		}
	}
	return n
}

// TestMountResilienceCredentialsExpire: a copy into the mount (each file
// fsync'd, so durable) and a copy out of it run at once through the proxy
// for at least three credential lifetimes. Both complete byte-identical,
// because the mount's session replaces the role credentials before they
// expire: the proxy refused no request and several keys signed requests
// in turn, later ones after the first key's deadline.
func TestMountResilienceCredentialsExpire(t *testing.T) {
	x := setupResExpiry(t)
	mt := x.mount()
	start := time.Now()
	upErr, downErr := x.copyBoth(mt.dir)
	took := time.Since(start)
	if upErr != nil {
		t.Errorf("copy into the mount: %v", upErr)
	}
	if downErr != nil {
		t.Errorf("copy out of the mount: %v", downErr)
	}
	x.checkCopies(t)
	if rej := x.proxy.Rejected(); len(rej) > 0 {
		t.Errorf("the proxy answered ExpiredToken to %d request(s), e.g. %s", len(rej), rej[0])
	}
	if n := x.lateKeys(); n < 1 {
		t.Errorf("the copies did not outlive their first credentials (%d keys issued, used %v); make the data larger", len(x.deadlines.Issued()), x.proxy.Accepted())
	}
	if n := x.emu.Count("GetRoleCredentials"); n < 3 {
		t.Errorf("GetRoleCredentials called %d time(s), want at least 3 (copies of %s through %s credentials)", n, took.Round(time.Second), resLifetime)
	}
	if n := x.proxy.Unknown(); n != 0 {
		t.Errorf("%d request(s) signed with keys the emulator did not hand out", n)
	}
	if !mt.running() {
		t.Fatalf("the mount process exited:\n%s", mt.log.String())
	}
	mt.unmount()
	t.Logf("copies took %s; %d credentials issued, keys used %v", took.Round(time.Millisecond), len(x.deadlines.Issued()), x.proxy.Accepted())
	x.noSecrets(mt.log.String())
}

// TestMountResilienceSignInWait: mid-copy the IAM Identity Center session
// ends (the emulator revokes every token), so neither the token nor the
// role credentials can be renewed without a new sign-in. The copies do not
// fail: file operations wait, and `s3sso mount status` says which login to
// run. A scripted `s3sso login --profile dev` in another process (the fake
// browser completes PKCE against the emulator) lets the same mount process
// go on, and both copies complete byte-identical, with no remount.
func TestMountResilienceSignInWait(t *testing.T) {
	x := setupResExpiry(t)
	mt := x.mount()
	pid := mt.cmd.Process.Pid
	type result struct{ up, down error }
	done := make(chan result, 1)
	go func() {
		up, down := x.copyBoth(mt.dir)
		done <- result{up, down}
	}()

	// End the session once the copies are under way: after the first
	// file's upload reached the server.
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	uploaded := func() bool {
		for path := range x.proxy.Stored() {
			if strings.HasSuffix(path, ".bin") {
				return true
			}
		}
		return false
	}
	for !uploaded() {
		select {
		case r := <-done:
			t.Fatalf("the copies ended before the session could end (up %v, down %v)", r.up, r.down)
		case <-ctx.Done():
			t.Fatal("no upload reached the server within 3 minutes")
		case <-time.After(50 * time.Millisecond):
		}
	}
	x.emu.RevokeAll()
	revoked := time.Now()

	// The mount waits for a sign-in and says which one.
	const login = "s3sso login --profile dev"
	var st resStatus
	for {
		st = mt.status(ctx)
		if strings.Contains(st.raw, login) {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the copies ended (up %v, down %v) before the mount waited for a sign-in; status:\n%s\nmount log:\n%s", r.up, r.down, st.raw, mt.log.String())
		case <-ctx.Done():
			t.Fatalf("mount status never named %q:\n%s\nmount log:\n%s", login, st.raw, mt.log.String())
		case <-time.After(500 * time.Millisecond):
		}
	}
	if st.code != 0 {
		t.Errorf("mount status exited %d while waiting for a sign-in:\n%s", st.code, st.raw)
	}
	if !strings.Contains(st.raw, mt.dir) {
		t.Errorf("mount status does not list the mount point %s:\n%s", mt.dir, st.raw)
	}
	t.Logf("waiting for a sign-in %s after the session ended; status:\n%s", time.Since(revoked).Round(time.Millisecond), st.raw)

	// Operations wait rather than fail: nothing ends for a few seconds.
	select {
	case r := <-done:
		t.Fatalf("the copies ended while the mount waited for a sign-in (up %v, down %v)", r.up, r.down)
	case <-time.After(3 * time.Second):
	}

	// Sign in again from another process; the mount goes on.
	x.mustS3sso("login", "--profile", "dev")
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatalf("the copies did not complete after the sign-in:\n%s", mt.log.String())
	}
	if r.up != nil {
		t.Errorf("copy into the mount: %v", r.up)
	}
	if r.down != nil {
		t.Errorf("copy out of the mount: %v", r.down)
	}
	x.checkCopies(t)
	if !mt.running() || mt.cmd.Process.Pid != pid {
		t.Fatalf("the mount process did not survive the sign-in:\n%s", mt.log.String())
	}
	if st := mt.status(ctx); strings.Contains(st.raw, login) {
		t.Errorf("mount status still asks for a sign-in after it:\n%s", st.raw)
	}
	if n := x.emu.Count("CreateToken:authorization_code"); n != 2 {
		t.Errorf("%d PKCE sign-ins, want 2 (login, then the one login during the wait)", n)
	}
	if !strings.Contains(mt.log.String(), login) {
		t.Errorf("the mount's log does not name %q:\n%s", login, mt.log.String())
	}
	mt.unmount()
	x.noSecrets(mt.log.String(), st.raw)
}
