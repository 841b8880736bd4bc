package cli_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/sso"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// ssoRoleEntries returns the files of ~/.aws/cli/cache that hold SSO role
// credentials (ProviderType "sso", what `aws sso logout` deletes).
func ssoRoleEntries(t *testing.T, home string) []string {
	t.Helper()
	dir := filepath.Join(home, ".aws", "cli", "cache")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range entries {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			continue
		}
		var probe struct{ ProviderType string }
		if json.Unmarshal(b, &probe) == nil && probe.ProviderType == "sso" {
			out = append(out, de.Name())
		}
	}
	return out
}

// roleEntryPath is the AWS CLI's cache file of the role of profile dev.
func roleEntryPath(home string) string {
	return filepath.Join(home, ".aws", "cli", "cache", sso.CLIRoleCacheFileName(e2eAccount, "ReadOnly", "corp", ""))
}

// setCachedKey rewrites the access key of the cached role credentials, as
// if they had been revoked or came from another server.
func setCachedKey(t *testing.T, path, key string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := cachedKey(t, path)
	testenv.WriteFile(t, path, strings.Replace(string(b), `"AccessKeyId": "`+old+`"`, `"AccessKeyId": "`+key+`"`, 1))
}

func cachedKey(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Credentials struct{ AccessKeyId string } } //nolint:revive // the file's key
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Credentials.AccessKeyId
}

// TestSSORoleCacheReusedAndRefused: s3sso caches role credentials in the
// AWS CLI's cache and reuses them across processes; when S3 refuses the
// cached ones it drops them and fetches new ones once; when the portal then
// refuses the token, the entry is gone and a login is asked for.
func TestSSORoleCacheReusedAndRefused(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	e.mustS3sso("login", "--profile", "dev")
	if n := e.emu.Count("GetRoleCredentials"); n != 0 {
		t.Fatalf("login fetched role credentials %d times", n)
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	entry := roleEntryPath(e.home)
	fi, err := os.Stat(entry)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("role credentials not cached at %s: %v", entry, err)
	}
	if di, _ := os.Stat(filepath.Dir(entry)); di.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode %v", di.Mode())
	}
	raw, _ := os.ReadFile(entry)
	if !strings.HasPrefix(string(raw), `{"ProviderType": "sso", "Credentials": {"AccessKeyId": "`) || !strings.Contains(string(raw), `", "AccountId": "`+e2eAccount+`"}}`) {
		t.Errorf("entry not in the AWS CLI's format: %s", raw)
	}
	for range 2 {
		e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	}
	if n := e.emu.Count("GetRoleCredentials"); n != 1 {
		t.Errorf("three starts made %d GetRoleCredentials calls, want 1", n)
	}

	// S3 refuses the cached credentials: one new GetRoleCredentials, the
	// command succeeds, the entry holds the new key.
	setCachedKey(t, entry, "ASIAREVOKEDKEY000000")
	ls := e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if n := e.emu.Count("GetRoleCredentials"); n != 2 {
		t.Errorf("after the refusal: %d GetRoleCredentials calls, want 2", n)
	}
	if k := cachedKey(t, entry); k == "ASIAREVOKEDKEY000000" || k == "" {
		t.Errorf("the refused entry was not replaced: %q", k)
	}
	e.noSecrets(ls.Stdout + ls.Stderr)

	// The session ended too: the portal's 401 asks for a login, and the
	// refused credentials are not left behind.
	e.emu.RevokeAll()
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev") // cached credentials still work, as in the AWS CLI
	setCachedKey(t, entry, "ASIAREVOKEDKEY000000")
	r := e.s3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if r.Code != 6 || !strings.Contains(r.Stderr, "rejected the cached token") || !strings.Contains(r.Stderr, "run `s3sso login --profile dev`") {
		t.Errorf("revoked session: %s", r)
	}
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("refused role credentials left in the cache: %v", err)
	}
}

// Host names of IAM Identity Center in us-east-1, served by the emulator
// inside the test's namespace.
const (
	oidcHost   = "oidc.us-east-1.amazonaws.com"
	portalHost = "portal.sso.us-east-1.amazonaws.com"
)

// awsV2Env is a world in which the AWS CLI v2 (which knows no per-service
// endpoints) and s3sso reach the IAM Identity Center emulator under the
// real host names: a private namespace of the test with those names on
// 127.0.0.1, the emulator serving HTTPS on 127.0.0.1:443 with a test
// certificate, and MinIO forwarded into it.
type awsV2Env struct {
	t      *testing.T
	home   string
	ns     *testenv.Namespace
	emu    *ssotest.Server
	aws2   string
	s3     string // S3 endpoint inside the namespace
	bucket string
	vars   []string
}

func setupAWSv2(t *testing.T) *awsV2Env {
	t.Helper()
	testenv.RequireTool(t, "curl")
	aws2 := testenv.AWSCLIv2(t)
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	ns := testenv.NewNamespace(t, map[string]string{oidcHost: "127.0.0.1", portalHost: "127.0.0.1"})
	cert := testenv.NewTLSCert(t, oidcHost, portalHost)
	ln, err := ns.Listen("tcp", "127.0.0.1:443")
	if err != nil {
		t.Fatal(err)
	}
	emu := ssotest.New(ssotest.Options{Credentials: ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0)})
	emu.Serve(tls.NewListener(ln, cert.Config), "https://"+oidcHost)
	t.Cleanup(func() { _ = emu.Close() })
	e := &awsV2Env{t: t, home: home, ns: ns, emu: emu, aws2: aws2,
		s3: "http://" + ns.Forward(t, strings.TrimPrefix(m.Endpoint, "http://")), bucket: m.NewBucket(t)}
	// No endpoint for the sign-in anywhere: both tools resolve the AWS
	// host names themselves.
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), fmt.Sprintf(`[profile dev]
sso_session = corp
sso_account_id = %s
sso_role_name = ReadOnly
region = us-east-1

[sso-session corp]
sso_start_url = %s
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`, e2eAccount, e2eStartURL))
	browser := filepath.Join(home, "fake-browser")
	testenv.WriteFile(t, browser, "#!/bin/sh\nexec curl -fsSL -o /dev/null \"$1\"\n")
	if err := os.Chmod(browser, 0o700); err != nil {
		t.Fatal(err)
	}
	e.vars = []string{"BROWSER=" + browser, "AWS_PAGER=",
		"AWS_CA_BUNDLE=" + cert.CAFile, "CURL_CA_BUNDLE=" + cert.CAFile, "SSL_CERT_FILE=" + cert.CAFile, "REQUESTS_CA_BUNDLE=" + cert.CAFile}
	return e
}

func (e *awsV2Env) s3sso(args ...string) testenv.Result {
	e.t.Helper()
	r := e.ns.Run(e.t, e.vars, "", args...)
	if r.Code != 0 {
		e.t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// aws runs the AWS CLI v2 inside the namespace.
func (e *awsV2Env) aws(args ...string) (string, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), testenv.RunTimeout)
	defer cancel()
	cmd := e.ns.Command(ctx, e.aws2, args...)
	cmd.Env = append(cmd.Env, e.vars...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("aws (v2) %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// TestSSORoleCacheSharedWithAWSCLIv2: role credentials fetched by either
// the AWS CLI v2 or s3sso serve the other without a GetRoleCredentials
// call, and `aws sso logout` and `s3sso logout` each leave no SSO entry.
func TestSSORoleCacheSharedWithAWSCLIv2(t *testing.T) {
	e := setupAWSv2(t)
	calls := func() int { return e.emu.Count("GetRoleCredentials") }
	e.s3sso("login", "--profile", "dev")
	testenv.WriteFile(t, filepath.Join(e.home, "hello.txt"), "hello")
	e.s3sso("cp", filepath.Join(e.home, "hello.txt"), "s3://"+e.bucket+"/hello.txt", "--profile", "dev", "--endpoint-url", e.s3)
	// s3sso fetched the role credentials once; drop them so that the AWS
	// CLI fetches first.
	if calls() != 1 || len(ssoRoleEntries(t, e.home)) != 1 {
		t.Errorf("s3sso: %d GetRoleCredentials calls, entries %v", calls(), ssoRoleEntries(t, e.home))
	}
	if err := os.Remove(roleEntryPath(e.home)); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}

	// The AWS CLI v2 fetches and caches; s3sso then makes no call.
	out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev", "--endpoint-url", e.s3)
	if err != nil || !strings.Contains(out, "hello.txt") {
		t.Fatalf("aws v2 s3 ls with s3sso's login: %v\n%s", err, out)
	}
	if calls() != 2 {
		t.Fatalf("the AWS CLI v2 made %d GetRoleCredentials calls, want 1", calls()-1)
	}
	byCLI := cachedKey(t, roleEntryPath(e.home))
	ls := e.s3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev", "--endpoint-url", e.s3)
	if !strings.Contains(ls.Stdout, "hello.txt") {
		t.Errorf("s3sso ls: %s", ls)
	}
	if n := calls() - 2; n != 0 {
		t.Errorf("after the AWS CLI v2, s3sso made %d GetRoleCredentials calls, want 0", n)
	}
	if k := cachedKey(t, roleEntryPath(e.home)); k != byCLI {
		t.Errorf("s3sso replaced the AWS CLI's credentials")
	}
	t.Logf("s3sso after aws v2: %d GetRoleCredentials calls", calls()-2)

	// aws sso logout: no token, no SSO entry.
	if out, err := e.aws("sso", "logout", "--profile", "dev"); err != nil {
		t.Fatalf("aws sso logout: %v\n%s", err, out)
	}
	if left := ssoRoleEntries(t, e.home); len(left) != 0 {
		t.Errorf("aws sso logout left SSO role credentials: %v", left)
	}
	if _, err := os.Stat(filepath.Join(e.home, ".aws", "sso", "cache", sso.TokenFileName("corp"))); !os.IsNotExist(err) {
		t.Errorf("aws sso logout left the token: %v", err)
	}

	// The AWS CLI v2 signs in again (device flow, the fake browser
	// approves); s3sso fetches and caches; the AWS CLI then makes no call.
	if out, err := e.aws("sso", "login", "--profile", "dev"); err != nil {
		t.Fatalf("aws sso login: %v\n%s", err, out)
	}
	before := calls()
	e.s3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev", "--endpoint-url", e.s3)
	if calls() != before+1 {
		t.Fatalf("s3sso made %d GetRoleCredentials calls, want 1", calls()-before)
	}
	raw, _ := os.ReadFile(roleEntryPath(e.home))
	if !strings.HasPrefix(string(raw), `{"ProviderType": "sso", "Credentials": {"AccessKeyId": "`) {
		t.Errorf("s3sso's entry: %s", raw)
	}
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev", "--endpoint-url", e.s3); err != nil || !strings.Contains(out, "hello.txt") {
		t.Fatalf("aws v2 s3 ls with s3sso's role credentials: %v\n%s", err, out)
	}
	if n := calls() - before - 1; n != 0 {
		t.Errorf("after s3sso, the AWS CLI v2 made %d GetRoleCredentials calls, want 0", n)
	}
	t.Logf("aws v2 after s3sso: %d GetRoleCredentials calls", calls()-before-1)

	// s3sso logout: no token, no SSO entry; the AWS CLI needs a login.
	e.s3sso("logout", "--profile", "dev")
	if left := ssoRoleEntries(t, e.home); len(left) != 0 {
		t.Errorf("s3sso logout left SSO role credentials: %v", left)
	}
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev", "--endpoint-url", e.s3); err == nil {
		t.Errorf("the AWS CLI v2 still works after s3sso logout:\n%s", out)
	}
	if n := e.emu.Count("Logout"); n != 2 {
		t.Errorf("portal Logout calls %d, want 2 (one per logout)", n)
	}
}
