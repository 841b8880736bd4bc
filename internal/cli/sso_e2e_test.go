package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/sso"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestMain lets the SSO end-to-end tests share one MinIO server and one
// built binary. (Keep a single TestMain per package.)
func TestMain(m *testing.M) { testenv.Main(m) }

const (
	e2eStartURL = "https://d-1234567890.awsapps.com/start"
	e2eAccount  = "111122223333"
)

// ssoEnv is one end-to-end world: MinIO, the IAM Identity Center emulator
// handing out credentials valid on it, an isolated HOME whose config has an
// sso-session profile "dev" and a legacy profile "old", and a fake browser.
type ssoEnv struct {
	t      *testing.T
	home   string
	minio  *testenv.MinIO
	emu    *ssotest.Server
	bucket string
	vars   []string
	opened string // file the fake browser appends URLs to
}

const configTemplate = `# my precious comment
[default]
region = us-east-1
cli_follow_urlparam = false

[profile dev]
sso_session = corp
sso_account_id = %[3]s
sso_role_name = ReadOnly
region = us-east-1
services = local

; sessions below
[sso-session corp]
sso_start_url = %[4]s
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile old]
sso_start_url = %[4]s
sso_region = us-east-1
sso_account_id = %[3]s
sso_role_name = ReadOnly
region = us-east-1
services = local

[profile conflict]
sso_session = corp
sso_start_url = %[4]s/
sso_account_id = %[3]s
sso_role_name = ReadOnly

[profile nosession]
sso_session = gone
sso_account_id = %[3]s
sso_role_name = ReadOnly

[services local]
s3 =
  endpoint_url = %[1]s
sts =
  endpoint_url = %[1]s
sso =
  endpoint_url = %[2]s
sso_oidc =
  endpoint_url = %[2]s
`

func setupSSO(t *testing.T, opts ssotest.Options) *ssoEnv {
	t.Helper()
	testenv.RequireTool(t, "curl")
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	if opts.Credentials == nil {
		opts.Credentials = ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0)
	}
	e := &ssoEnv{t: t, home: home, minio: m, emu: ssotest.Start(t, opts), bucket: m.NewBucket(t)}
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), fmt.Sprintf(configTemplate, m.Endpoint, e.emu.URL, e2eAccount, e2eStartURL))
	e.opened = filepath.Join(home, "opened-urls")
	browser := filepath.Join(home, "fake-browser")
	// The fake browser "signs in": it follows the URL (and the emulator's
	// redirect back to s3sso's loopback listener).
	testenv.WriteFile(t, browser, "#!/bin/sh\necho \"$1\" >> '"+e.opened+"'\nexec curl -fsSL -o /dev/null \"$1\"\n")
	if err := os.Chmod(browser, 0o700); err != nil {
		t.Fatal(err)
	}
	e.vars = []string{"BROWSER=" + browser}
	return e
}

func (e *ssoEnv) s3sso(args ...string) testenv.Result {
	e.t.Helper()
	return testenv.Run(e.t, e.vars, "", args...)
}

func (e *ssoEnv) mustS3sso(args ...string) testenv.Result {
	e.t.Helper()
	r := e.s3sso(args...)
	if r.Code != 0 {
		e.t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// aws runs the AWS CLI (awscli v1, botocore) in the test's HOME.
func (e *ssoEnv) aws(args ...string) (string, error) {
	e.t.Helper()
	bin := testenv.RequireTool(e.t, "aws")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), e.vars...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), fmt.Errorf("aws %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

func (e *ssoEnv) tokenPath(key string) string {
	return filepath.Join(e.home, ".aws", "sso", "cache", sso.TokenFileName(key))
}

func (e *ssoEnv) readToken(key string) map[string]any {
	e.t.Helper()
	b, err := os.ReadFile(e.tokenPath(key))
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// setExpiry rewrites expiresAt of a cached token (time passing).
func (e *ssoEnv) setExpiry(key string, at time.Time, dropRefresh bool) {
	e.t.Helper()
	b, err := os.ReadFile(e.tokenPath(key))
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := sso.ParseToken(b)
	if err != nil {
		e.t.Fatal(err)
	}
	tok.ExpiresAt = at
	if dropRefresh {
		tok.RefreshToken = ""
	}
	if err := (sso.Cache{Dir: filepath.Dir(e.tokenPath(key))}).WriteToken(key, tok); err != nil {
		e.t.Fatal(err)
	}
}

// noSecrets fails when any secret shows up in the outputs.
func (e *ssoEnv) noSecrets(outputs ...string) {
	e.t.Helper()
	secrets := []string{e.minio.SecretKey}
	for _, key := range []string{"corp", e2eStartURL} {
		if b, err := os.ReadFile(e.tokenPath(key)); err == nil {
			if tok, err := sso.ParseToken(b); err == nil {
				secrets = append(secrets, tok.AccessToken, tok.ClientSecret, tok.RefreshToken)
			}
		}
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if s != "" && strings.Contains(out, s) {
				e.t.Errorf("a secret (%s...) appears in the output:\n%s", s[:4], out)
			}
		}
	}
}

func TestSSOLoginPKCEThenS3AndAWSCLI(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	login := e.mustS3sso("login", "--profile", "dev", "--debug")
	if !strings.Contains(login.Stdout, "Signed in to sso-session corp (authorization code with PKCE)") {
		t.Errorf("login output: %s", login)
	}
	opened, _ := os.ReadFile(e.opened)
	if !strings.Contains(string(opened), e.emu.URL+"/authorize?response_type=code") {
		t.Errorf("browser opened %q", opened)
	}
	// The cache file is the AWS CLI's: name, permissions, keys and order.
	fi, err := os.Stat(e.tokenPath("corp"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v", fi.Mode())
	}
	raw, _ := os.ReadFile(e.tokenPath("corp"))
	if !strings.HasPrefix(string(raw), `{"startUrl": "`+e2eStartURL+`", "region": "us-east-1", "accessToken": "`) ||
		!strings.Contains(string(raw), `", "refreshToken": "`) || strings.HasSuffix(string(raw), "\n") {
		t.Errorf("cache file not in the AWS CLI's format: %s", raw)
	}

	// S3 commands with the SSO profile.
	src := filepath.Join(e.home, "hello.txt")
	testenv.WriteFile(t, src, "hello from sso")
	cp := e.mustS3sso("cp", src, "s3://"+e.bucket+"/hello.txt", "--profile", "dev")
	ls := e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if !strings.Contains(ls.Stdout, "hello.txt") {
		t.Errorf("ls: %s", ls)
	}
	dst := filepath.Join(e.home, "back.txt")
	e.mustS3sso("cp", "s3://"+e.bucket+"/hello.txt", dst, "--profile", "dev")
	if b, _ := os.ReadFile(dst); string(b) != "hello from sso" {
		t.Errorf("downloaded %q", b)
	}

	// The AWS CLI (botocore) uses the same login: GetRoleCredentials on the
	// emulator with s3sso's cached token, then S3 on MinIO.
	before := e.emu.Count("GetRoleCredentials")
	out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if err != nil || !strings.Contains(out, "hello.txt") {
		t.Fatalf("aws s3 ls with s3sso's login: %v\n%s", err, out)
	}
	if e.emu.Count("GetRoleCredentials") != before+1 {
		t.Error("the AWS CLI did not get role credentials from the emulator")
	}
	if n := e.emu.Count("Authorize"); n != 1 {
		t.Errorf("the browser was needed %d times, want 1", n)
	}

	// credential_process: any SDK can use the login through s3sso.
	cfgPath := filepath.Join(e.home, ".aws", "config")
	cfg, _ := os.ReadFile(cfgPath)
	testenv.WriteFile(t, cfgPath, string(cfg)+"\n[profile viaproc]\nregion = us-east-1\nservices = local\ncredential_process = "+
		testenv.Binary(t)+" credentials --profile dev --format process\n")
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "viaproc"); err != nil || !strings.Contains(out, "hello.txt") {
		t.Errorf("aws with credential_process = s3sso credentials: %v\n%s", err, out)
	}

	// whoami and credentials.
	who := e.mustS3sso("whoami", "--profile", "dev", "--json")
	var w map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(who.Stdout)), &w); err != nil {
		t.Fatalf("whoami --json: %v\n%s", err, who)
	}
	if w["sso_session"] != "corp" || w["account_id"] != e2eAccount || w["role"] != "ReadOnly" || w["refreshable"] != true ||
		!strings.HasSuffix(w["cache_file"].(string), sso.TokenFileName("corp")) || w["token_expires"] == nil || w["credentials_expires"] == nil {
		t.Errorf("whoami: %v", w)
	}
	for _, k := range []string{"token_expires", "credentials_expires"} {
		if v, _ := w[k].(string); !strings.HasSuffix(v, "Z") {
			t.Errorf("whoami --json %s = %q, want UTC (...Z)", k, v)
		}
	}
	whoText := e.mustS3sso("whoami", "--profile", "dev")
	// Local times name their zone: "2026-07-23 21:04:05 CEST (+02:00)".
	if !regexp.MustCompile(`token expires:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \([+-]\d\d:\d\d\)`).MatchString(whoText.Stdout) {
		t.Errorf("whoami: times without a zone:\n%s", whoText.Stdout)
	}
	proc := e.mustS3sso("credentials", "--profile", "dev", "--format", "process")
	var pc map[string]any
	if err := json.Unmarshal([]byte(proc.Stdout), &pc); err != nil || pc["Version"] != float64(1) || pc["SessionToken"] == "" || pc["Expiration"] == nil {
		t.Errorf("credentials --format process: %v %s", err, proc.Stdout)
	}
	env := e.mustS3sso("credentials", "--profile", "dev", "--format", "env")
	if !strings.Contains(env.Stdout, "export AWS_SESSION_TOKEN=") {
		t.Errorf("credentials --format env: %s", env.Stdout)
	}
	e.noSecrets(login.Stdout+login.Stderr, cp.Stdout+cp.Stderr, ls.Stdout+ls.Stderr, who.Stdout+who.Stderr, whoText.Stdout+whoText.Stderr)

	// Logout: portal Logout, token removed, registration kept; then a
	// command says which login to run.
	e.mustS3sso("logout", "--profile", "dev")
	if _, err := os.Stat(e.tokenPath("corp")); !os.IsNotExist(err) {
		t.Error("token file still there after logout")
	}
	if e.emu.Count("Logout") != 1 {
		t.Error("portal Logout not called")
	}
	regs, _ := filepath.Glob(filepath.Join(e.home, ".aws", "sso", "cache", "*.json"))
	if len(regs) != 1 {
		t.Errorf("want the client registration kept, have %v", regs)
	}
	r := e.s3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if r.Code != 6 || !strings.Contains(r.Stderr, "run `s3sso login --profile dev`") {
		t.Errorf("after logout: %s", r)
	}
}

func TestSSODeviceFlowLegacyProfile(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	login := e.mustS3sso("login", "--profile", "old")
	if !strings.Contains(login.Stdout, "(device authorization)") {
		t.Errorf("legacy profiles use the device flow: %s", login)
	}
	tok := e.readToken(e2eStartURL)
	if tok["refreshToken"] != nil || tok["startUrl"] != e2eStartURL {
		t.Errorf("legacy token %v", tok)
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "old")
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "old"); err != nil {
		t.Errorf("aws with a legacy login by s3sso: %v %s", err, out)
	}
	// --use-device-code on a session profile.
	e.mustS3sso("login", "--profile", "dev", "--use-device-code")
	if e.readToken("corp")["refreshToken"] == nil {
		t.Error("a device login of a session with scopes gets a refresh token")
	}
	e.noSecrets(login.Stdout + login.Stderr)

	// logout --all: like `aws sso logout`, every token and every SSO entry
	// of the AWS CLI's role-credential cache go; registrations stay.
	cliCache := filepath.Join(e.home, ".aws", "cli", "cache")
	testenv.WriteFile(t, filepath.Join(cliCache, "x.json"), `{"ProviderType": "sso", "Credentials": {}}`)
	testenv.WriteFile(t, filepath.Join(cliCache, "y.json"), `{"Credentials": {}}`)
	// (The ls of profile old cached its role credentials there too.)
	out := e.mustS3sso("logout", "--all")
	if !strings.Contains(out.Stdout, "removed 2 cached token(s) and 2 cached role credential(s)") {
		t.Errorf("logout --all: %s", out)
	}
	if n := e.emu.Count("Logout"); n != 2 {
		t.Errorf("portal Logout calls %d, want 2", n)
	}
	left, _ := filepath.Glob(filepath.Join(e.home, ".aws", "sso", "cache", "*.json"))
	for _, p := range left {
		if b, _ := os.ReadFile(p); strings.Contains(string(b), "accessToken") {
			t.Errorf("token left: %s", p)
		}
	}
	if len(left) == 0 {
		t.Error("registrations must be kept")
	}
	if _, err := os.Stat(filepath.Join(cliCache, "y.json")); err != nil {
		t.Error("non-SSO role credentials must be kept")
	}
	if left := ssoRoleEntries(t, e.home); len(left) != 0 {
		t.Errorf("SSO role credentials left: %v", left)
	}
}

// TestSSOLoginByAWSCLIUsedByS3sso: a device-flow login scripted with the AWS
// CLI's raw sso-oidc commands, saved by botocore's own token loader, works
// for s3sso; and a token that botocore refreshed and wrote back works too.
func TestSSOLoginByAWSCLIUsedByS3sso(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	awsJSON := func(args ...string) map[string]any {
		t.Helper()
		out, err := e.aws(append(args, "--region", "us-east-1", "--output", "json")...)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return m
	}
	e.vars = append(e.vars, "AWS_ENDPOINT_URL_SSO_OIDC="+e.emu.URL)
	reg := awsJSON("sso-oidc", "register-client", "--client-name", "botocore-client-corp", "--client-type", "public", "--scopes", "sso:account:access")
	sda := awsJSON("sso-oidc", "start-device-authorization", "--client-id", reg["clientId"].(string), "--client-secret", reg["clientSecret"].(string), "--start-url", e2eStartURL)
	if !e.emu.ApproveDevice(sda["userCode"].(string)) {
		t.Fatal("approve")
	}
	tok := awsJSON("sso-oidc", "create-token", "--client-id", reg["clientId"].(string), "--client-secret", reg["clientSecret"].(string),
		"--grant-type", "urn:ietf:params:oauth:grant-type:device_code", "--device-code", sda["deviceCode"].(string))
	// Save it exactly as the CLI's SSOTokenFetcher does, with botocore's
	// JSONFileCache and token serializer, expiring in 5 minutes so the next
	// user must refresh.
	py := `
import sys, json, datetime
from dateutil.tz import tzutc
from botocore.utils import JSONFileCache, SSOTokenLoader
from botocore.tokens import _sso_json_dumps
d = json.loads(sys.argv[2])
now = datetime.datetime.now(tzutc())
token = {"startUrl": d["startUrl"], "region": "us-east-1", "accessToken": d["accessToken"],
         "expiresAt": now + datetime.timedelta(minutes=5), "clientId": d["clientId"], "clientSecret": d["clientSecret"],
         "registrationExpiresAt": datetime.datetime.fromtimestamp(d["clientSecretExpiresAt"], tzutc()), "refreshToken": d["refreshToken"]}
SSOTokenLoader(JSONFileCache(sys.argv[1], dumps_func=_sso_json_dumps)).save_token(d["startUrl"], token, session_name="corp")
`
	arg, _ := json.Marshal(map[string]any{"startUrl": e2eStartURL, "accessToken": tok["accessToken"], "refreshToken": tok["refreshToken"],
		"clientId": reg["clientId"], "clientSecret": reg["clientSecret"], "clientSecretExpiresAt": reg["clientSecretExpiresAt"]})
	if out, err := exec.Command("python3", "-c", py, filepath.Join(e.home, ".aws", "sso", "cache"), string(arg)).CombinedOutput(); err != nil {
		t.Fatalf("botocore save_token: %v\n%s", err, out)
	}
	// botocore refreshes (less than 15 minutes left) and writes back.
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev"); err != nil {
		t.Fatalf("aws s3 ls: %v %s", err, out)
	}
	if n := e.emu.Count("CreateToken:refresh_token"); n != 1 {
		t.Fatalf("botocore refresh calls %d, want 1", n)
	}
	refreshed := e.readToken("corp")
	if refreshed["accessToken"] == tok["accessToken"] {
		t.Fatal("botocore did not write the refreshed token back")
	}
	// s3sso uses botocore's refreshed token as is: no refresh, no browser.
	ls := e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if n := e.emu.Count("CreateToken:refresh_token"); n != 1 {
		t.Errorf("s3sso refreshed a fresh token (%d refreshes)", n)
	}
	if e.emu.Count("Authorize") != 0 || e.emu.Count("CreateToken:authorization_code") != 0 {
		t.Error("s3sso asked for a new login")
	}
	// And s3sso refreshes a token botocore wrote, keeping its format (once
	// it needs the token: its role credentials are not cached any more).
	e.setExpiry("corp", time.Now().Add(5*time.Minute), false)
	if err := os.RemoveAll(filepath.Join(e.home, ".aws", "cli", "cache")); err != nil {
		t.Fatal(err)
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if n := e.emu.Count("CreateToken:refresh_token"); n != 2 {
		t.Errorf("s3sso refresh calls %d, want 1 more", n)
	}
	// ...and botocore reads s3sso's refreshed file.
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev"); err != nil {
		t.Fatalf("aws after s3sso's refresh: %v %s", err, out)
	}
	e.noSecrets(ls.Stdout + ls.Stderr)
}

// TestSSOParallelRefresh: several s3sso processes start with a token about
// to expire; exactly one refreshes it.
func TestSSOParallelRefresh(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	e.mustS3sso("login", "--profile", "dev")
	e.setExpiry("corp", time.Now().Add(5*time.Minute), false)
	var wg sync.WaitGroup
	results := make([]testenv.Result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(testenv.Binary(t), "ls", "s3://"+e.bucket+"/", "--profile", "dev")
			cmd.Env = append(os.Environ(), e.vars...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			results[i] = testenv.Result{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
			if err != nil && results[i].Code == 0 {
				results[i].Code = -1
			}
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Code != 0 {
			t.Errorf("process %d: %s", i, r)
		}
	}
	if n := e.emu.Count("CreateToken:refresh_token"); n != 1 {
		t.Errorf("refresh calls %d, want exactly 1", n)
	}
}

func TestSSOErrorPaths(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	// A redirect with a wrong state no longer ends the login: it waits on
	// for the real one, here for 3 s instead of 10 minutes.
	e.vars = append(e.vars, "S3SSO_TEST_CALLBACK_TIMEOUT=3s")
	cases := []struct {
		name  string
		setup func()
		args  []string
		code  int
		want  string
	}{
		{"not signed in", nil, []string{"ls", "--profile", "dev"}, 6, "run `s3sso login --profile dev`"},
		{"profile/session conflict", nil, []string{"ls", "--profile", "conflict"}, 10,
			"The value for sso_start_url is inconsistent between profile (" + e2eStartURL + "/) and sso-session (" + e2eStartURL + ")"},
		{"missing session", nil, []string{"login", "--profile", "nosession"}, 10, `The specified sso-session does not exist: "gone"`},
		{"state mismatch", func() { e.emu.SetTamperState(true) }, []string{"login", "--profile", "dev"}, 6,
			"no sign-in response within 3s after refusing 1 redirect(s) of another sign-in"},
		{"error callback", func() { e.emu.SetTamperState(false); e.emu.SetAuthorizeError("access_denied") }, []string{"login", "--profile", "dev"}, 5,
			"access_denied: the user did not allow the request\nhint: the sign-in was denied or cancelled in the browser: run `s3sso login --profile dev` again"},
		{"denied device", func() { e.emu.SetAuthorizeError(""); e.emu.SetDenyDevice(true) }, []string{"login", "--profile", "old"}, 5, "denied"},
	}
	for _, c := range cases {
		if c.setup != nil {
			c.setup()
		}
		r := e.s3sso(c.args...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%s: want exit %d and %q\n%s", c.name, c.code, c.want, r)
		}
	}
	e.emu.SetDenyDevice(false)

	// 401 from GetRoleCredentials: the session was revoked server-side.
	e.mustS3sso("login", "--profile", "dev")
	e.emu.RevokeAll()
	r := e.s3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if r.Code != 6 || !strings.Contains(r.Stderr, "rejected the cached token") || !strings.Contains(r.Stderr, "run `s3sso login --profile dev`") {
		t.Errorf("401: %s", r)
	}
	// Expired and not refreshable.
	e.mustS3sso("login", "--profile", "dev")
	e.setExpiry("corp", time.Now().Add(-time.Minute), true)
	r = e.s3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	if r.Code != 6 || !strings.Contains(r.Stderr, "expired") {
		t.Errorf("expired: %s", r)
	}
}

// TestSSOLoginCallbackRefusesForgeries sends real HTTP requests to the
// loopback listener of a pending `s3sso login` (the built binary): a wrong
// state, no code, a POST, a foreign Host header (DNS rebinding) and another
// path each get an error page and leave the login waiting; the real redirect
// then signs in. An error=access_denied with the right state ends a login
// with a hint for a sign-in that never happened.
func TestSSOLoginCallbackRefusesForgeries(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	// The browser only records the URL: the test plays it.
	browser := filepath.Join(e.home, "recording-browser")
	testenv.WriteFile(t, browser, "#!/bin/sh\necho \"$1\" >> '"+e.opened+"'\n")
	if err := os.Chmod(browser, 0o700); err != nil {
		t.Fatal(err)
	}
	e.vars = []string{"BROWSER=" + browser, "S3SSO_TEST_CALLBACK_TIMEOUT=60s"}

	type login struct {
		done             chan testenv.Result
		authURL          *url.URL
		redirect, state  string
		callbackHostPort string
	}
	start := func() *login {
		_ = os.Remove(e.opened)
		l := &login{done: make(chan testenv.Result, 1)}
		cmd := exec.Command(testenv.Binary(t), "login", "--profile", "dev")
		cmd.Env = append(os.Environ(), e.vars...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		go func() {
			_ = cmd.Wait()
			l.done <- testenv.Result{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
		}()
		deadline := time.Now().Add(time.Minute)
		for {
			b, _ := os.ReadFile(e.opened)
			if line := strings.TrimSpace(string(b)); line != "" {
				u, err := url.Parse(line)
				if err != nil {
					t.Fatal(err)
				}
				l.authURL = u
				l.redirect, l.state = u.Query().Get("redirect_uri"), u.Query().Get("state")
				ru, _ := url.Parse(l.redirect)
				l.callbackHostPort = ru.Host
				return l
			}
			select {
			case r := <-l.done:
				t.Fatalf("login ended before opening the browser: %s", r)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("the browser was not opened")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	send := func(method, rawURL, host string) (int, string) {
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

	l := start()
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return l.redirect + "?" + v.Encode()
	}
	_, port, _ := strings.Cut(l.callbackHostPort, ":")
	forged := []struct {
		name, method, url, host string
		status                  int
	}{
		{"wrong state", "GET", q("code", "forged", "state", "wrong"), "", 400},
		{"no code", "GET", q("state", l.state), "", 400},
		{"denied with a wrong state", "GET", q("error", "access_denied", "state", "wrong"), "", 400},
		{"POST", "POST", q("code", "forged", "state", l.state), "", 405},
		{"DNS rebinding", "GET", q("code", "forged", "state", l.state), "rebind.attacker.example:" + port, 403},
		{"other path", "GET", "http://" + l.callbackHostPort + "/elsewhere?" + url.Values{"code": {"forged"}, "state": {l.state}}.Encode(), "", 404},
	}
	for _, f := range forged {
		status, body := send(f.method, f.url, f.host)
		if status != f.status || strings.Contains(body, "Signed in") {
			t.Errorf("%s: HTTP %d, want %d; page %q", f.name, status, f.status, body)
		}
		time.Sleep(50 * time.Millisecond)
		select {
		case r := <-l.done:
			t.Fatalf("%s ended the login: %s", f.name, r)
		default:
		}
	}
	// The real browser: the emulator's authorize page redirects to the
	// callback with the right state and a real code.
	status, body := send("GET", l.authURL.String(), "")
	if status != 200 || !strings.Contains(body, "Signed in") {
		t.Errorf("real redirect: HTTP %d %q", status, body)
	}
	r := <-l.done
	if r.Code != 0 || !strings.Contains(r.Stdout+r.Stderr, "Signed in to sso-session corp") {
		t.Fatalf("login: %s", r)
	}
	if n := e.emu.Count("CreateToken:authorization_code"); n != 1 {
		t.Errorf("code exchanges %d, want 1 (the forged codes are never sent)", n)
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")

	// error=access_denied with the right state ends the login.
	l = start()
	status, body = send("GET", l.redirect+"?"+url.Values{"error": {"access_denied"}, "state": {l.state}}.Encode(), "")
	if status != 400 || !strings.Contains(body, "Sign-in failed") {
		t.Errorf("denied: HTTP %d %q", status, body)
	}
	r = <-l.done
	if r.Code != 5 || !strings.Contains(r.Stderr, "hint: the sign-in was denied or cancelled in the browser: run `s3sso login --profile dev` again") ||
		strings.Contains(r.Stderr, "whoami") {
		t.Errorf("denied: %s", r)
	}
	e.noSecrets(r.Stdout + r.Stderr)
}

func TestSSORegionMismatch(t *testing.T) {
	url := "https://ssoins-1234567890abcdef.portal.eu-west-1.app.aws"
	e := setupSSO(t, ssotest.Options{StartURLRegions: map[string]string{url: "eu-west-1"}})
	cfg := filepath.Join(e.home, ".aws", "config")
	b, _ := os.ReadFile(cfg)
	testenv.WriteFile(t, cfg, strings.Replace(string(b), "sso_start_url = "+e2eStartURL+"\nsso_region", "sso_start_url = "+url+"\nsso_region", 1))
	r := e.s3sso("login", "--profile", "dev")
	if r.Code != 10 || !strings.Contains(r.Stderr, "start URL region eu-west-1 does not match sso_region us-east-1: set sso_region = eu-west-1") {
		t.Errorf("region mismatch: %s", r)
	}
	who := e.s3sso("whoami", "--profile", "dev")
	if !strings.Contains(who.Stdout+who.Stderr, "does not match sso_region") {
		t.Errorf("whoami must warn: %s", who)
	}
}

func TestConfigureSSO(t *testing.T) {
	e := setupSSO(t, ssotest.Options{Accounts: []ssotest.Account{
		{ID: e2eAccount, Name: "dev", Email: "dev@example.com", Roles: []string{"ReadOnly", "Admin"}},
		{ID: "444455556666", Name: "prod", Email: "prod@example.com", Roles: []string{"ReadOnly"}},
		{ID: "777788889999", Name: "sandbox", Email: "sb@example.com", Roles: []string{"Admin"}},
	}})
	cfg := filepath.Join(e.home, ".aws", "config")
	before, _ := os.ReadFile(cfg)
	// The new profile has no services section: point the sign-in calls at
	// the emulator through the environment.
	e.vars = append(e.vars, "AWS_ENDPOINT_URL_SSO="+e.emu.URL, "AWS_ENDPOINT_URL_SSO_OIDC="+e.emu.URL)
	// Interactive: session corp exists, so its values are the defaults;
	// "pro" filters the accounts to prod, whose single role is skipped.
	// The AWS CLI v2's order: session, start URL (an http one is refused
	// and asked again), SSO region, scopes, account (9 is out of range),
	// role, default region (eu-west-9 is no region), output, profile name.
	stdin := "corp\nhttp://bad.example/start\n\n\n\n9\npro\neu-west-9\neu-west-1\n\nnew-prof\n"
	r := testenv.Run(t, e.vars, stdin, "configure", "sso")
	if r.Code != 0 {
		t.Fatalf("configure sso: %s", r)
	}
	for _, want := range []string{"Using prod (444455556666", "The only role available is ReadOnly", "the start URL must use https",
		"Choose an account", "There is no account 9: type a number from 1 to 3", `"eu-west-9" is not an AWS region`} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("prompts: want %q:\n%s", want, r.Stderr)
		}
	}
	if i, j := strings.Index(r.Stderr, "Default client region"), strings.Index(r.Stderr, "Profile name"); i < 0 || j < i {
		t.Errorf("the profile name must be asked after the region, as by the AWS CLI v2:\n%s", r.Stderr)
	}
	after, _ := os.ReadFile(cfg)
	if !strings.HasPrefix(string(after), string(before)) {
		t.Errorf("existing content changed:\n%s", after)
	}
	want := "\n[profile new-prof]\nsso_session = corp\nsso_account_id = 444455556666\nsso_role_name = ReadOnly\nregion = eu-west-1\n"
	if !strings.HasSuffix(string(after), want) {
		t.Errorf("new profile:\n%s", after)
	}
	// Non-interactive, every answer a flag; a new session and profile.
	r = testenv.Run(t, e.vars, "", "configure", "sso", "--profile", "flags", "--sso-session", "s2", "--start-url", e2eStartURL,
		"--sso-region", "us-east-1", "--account-id", e2eAccount, "--role-name", "Admin", "--region", "us-east-1")
	if r.Code != 0 {
		t.Fatalf("configure sso with flags: %s", r)
	}
	after, _ = os.ReadFile(cfg)
	if !strings.Contains(string(after), "[sso-session s2]\nsso_start_url = "+e2eStartURL+"\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n") {
		t.Errorf("session s2:\n%s", after)
	}
	// Refused before anything is written: an http start URL, an SSO region
	// the start URL contradicts (said once, with the fix), an unknown
	// default region, an account the portal does not list.
	written, _ := os.ReadFile(cfg)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--start-url", "http://d-1234567890.awsapps.com/start", "--sso-region", "us-east-1"}, "the start URL must use https"},
		{[]string{"--start-url", "https://ssoins-1234.portal.eu-west-1.app.aws", "--sso-region", "us-east-1"}, "set sso_region = eu-west-1"},
		{[]string{"--start-url", e2eStartURL, "--sso-region", "us-east-1", "--region", "mars-1"}, `"mars-1" is not an AWS region`},
		{[]string{"--start-url", e2eStartURL, "--sso-region", "us-east-1", "--account-id", "000000000000"}, "Account 000000000000 is not among the 3 accounts"},
	} {
		args := append([]string{"configure", "sso", "--profile", "refused", "--sso-session", "s3", "--role-name", "Admin"}, c.args...)
		if !slices.Contains(args, "--account-id") {
			args = append(args, "--account-id", e2eAccount)
		}
		r := testenv.Run(t, e.vars, "", args...)
		if r.Code == 0 || !strings.Contains(r.Stderr, c.want) || strings.Count(r.Stderr, "does not match") > 1 {
			t.Errorf("%v: want a refusal with %q:\n%s", c.args, c.want, r)
		}
		if now, _ := os.ReadFile(cfg); string(now) != string(written) {
			t.Errorf("%v: the config file changed:\n%s", c.args, now)
		}
	}

	// The AWS CLI reads the written file.
	if out, err := e.aws("configure", "get", "sso_role_name", "--profile", "flags"); err != nil || strings.TrimSpace(out) != "Admin" {
		t.Errorf("aws configure get: %v %q", err, out)
	}
}
