package federation_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/testenv"
)

// scriptBrowser is a $BROWSER script that appends each URL to a file; a
// goroutine of the test picks the URLs up and signs in at Dex.
type scriptBrowser struct {
	env    []string
	urls   string
	mu     sync.Mutex
	seen   int
	errs   []error
	cancel context.CancelFunc
	done   chan struct{}
}

func newScriptBrowser(t *testing.T, dex *testenv.Dex) *scriptBrowser {
	t.Helper()
	dir := t.TempDir()
	b := &scriptBrowser{urls: filepath.Join(dir, "urls"), done: make(chan struct{})}
	script := filepath.Join(dir, "browser.sh")
	testenv.WriteFile(t, script, "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '"+b.urls+"'\n")
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	b.env = []string{"BROWSER=" + script}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() {
		defer close(b.done)
		handled := 0
		for ctx.Err() == nil {
			data, _ := os.ReadFile(b.urls)
			lines := strings.Fields(string(data))
			for ; handled < len(lines); handled++ {
				_, _, err := dex.SignIn(ctx, lines[handled])
				b.mu.Lock()
				b.seen++
				if err != nil {
					b.errs = append(b.errs, err)
				}
				b.mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); <-b.done })
	return b
}

func (b *scriptBrowser) opened() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen
}

// The built binary end to end: account add, sign-in through $BROWSER on the
// first S3 command, S3 commands with the STS credentials, renewal through
// the refresh token without a browser, login/whoami/logout when those
// commands exist, and no secret in any output.
func TestE2EBinaryAccount(t *testing.T) {
	home := testenv.Home(t)
	r := startReal(t, publicClient, false)
	bucket := r.minio.NewBucket(t)
	root := r.minio.Client(t)
	if _, err := root.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("hello.txt"),
		Body: strings.NewReader("hello from minio")}); err != nil {
		t.Fatal(err)
	}
	br := newScriptBrowser(t, r.dex)
	var outputs []string
	run := func(env []string, args ...string) testenv.Result {
		t.Helper()
		res := testenv.Run(t, env, "", args...)
		outputs = append(outputs, res.Stdout, res.Stderr)
		return res
	}

	res := run(nil, "account", "add", "dex", "--type", "oidc", "--issuer", r.dex.Issuer,
		"--client-id", publicClient, "--scopes", "openid,offline_access,email,profile",
		"--redirect-url", r.redirect, "--sts-endpoint", r.minio.Endpoint, "--role-arn", r.roleARN,
		"--duration", "15m", "--endpoint-url", r.minio.Endpoint, "--region", "us-east-1", "--path-style")
	if res.Code != 0 {
		t.Fatalf("account add: %s", res)
	}
	accountsFile := filepath.Join(home, ".config", "s3sso", "accounts.json")
	if st, err := os.Stat(accountsFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("accounts file: %v %v", st, err)
	}
	if res := run(nil, "account", "add", "dex", "--type", "oidc", "--issuer", r.dex.Issuer, "--client-id", "x"); res.Code == 0 ||
		!strings.Contains(res.Stderr, "already exists") {
		t.Errorf("duplicate account add: %s", res)
	}
	if res := run(nil, "account", "list"); res.Code != 0 || !strings.Contains(res.Stdout, "dex") || !strings.Contains(res.Stdout, "needs login") {
		t.Errorf("account list before login: %s", res)
	}

	// First S3 command: no cached sign-in, so the browser opens.
	res = run(br.env, "--account", "dex", "ls", "s3://"+bucket+"/")
	if res.Code != 0 || !strings.Contains(res.Stdout, "hello.txt") {
		t.Fatalf("ls --account: %s (browser errors %v)", res, br.errs)
	}
	if br.opened() != 1 {
		t.Fatalf("browser opened %d times, want 1", br.opened())
	}
	cacheFile := filepath.Join(home, ".cache", "s3sso", "oidc", "dex.json")
	if st, err := os.Stat(cacheFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token cache: %v %v", st, err)
	}
	if st, err := os.Stat(filepath.Dir(cacheFile)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("token cache dir: %v %v", st, err)
	}

	// Cached credentials: cp down and up, no browser.
	local := filepath.Join(t.TempDir(), "hello.txt")
	if res := run(br.env, "--account", "dex", "cp", "s3://"+bucket+"/hello.txt", local); res.Code != 0 {
		t.Fatalf("cp down: %s", res)
	}
	if b, _ := os.ReadFile(local); string(b) != "hello from minio" {
		t.Fatalf("downloaded %q", b)
	}
	if res := run(br.env, "--account", "dex", "cp", local, "s3://"+bucket+"/up.txt"); res.Code != 0 {
		t.Fatalf("cp up: %s", res)
	}
	if br.opened() != 1 {
		t.Fatalf("browser opened again with cached credentials (%d)", br.opened())
	}
	if res := run(nil, "account", "list"); !strings.Contains(res.Stdout, "signed in until") {
		t.Errorf("account list after login: %s", res)
	}

	// Expire credentials and ID token: the refresh token renews them.
	var entry map[string]any
	b, _ := os.ReadFile(cacheFile)
	if err := json.Unmarshal(b, &entry); err != nil {
		t.Fatal(err)
	}
	secrets := []string{entry["id_token"].(string), entry["refresh_token"].(string)}
	creds := entry["credentials"].(map[string]any)
	secrets = append(secrets, creds["secret_access_key"].(string), creds["session_token"].(string))
	oldKey := creds["access_key_id"].(string)
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	creds["expiration"] = past
	entry["id_token_expiry"] = past
	b, _ = json.Marshal(entry)
	testenv.WriteFile(t, cacheFile, string(b))
	res = run(nil, "--account", "dex", "ls", "s3://"+bucket+"/", "--debug")
	if res.Code != 0 || !strings.Contains(res.Stdout, "up.txt") {
		t.Fatalf("ls after expiry: %s", res)
	}
	if br.opened() != 1 {
		t.Fatalf("browser opened for a renewal (%d)", br.opened())
	}
	b, _ = os.ReadFile(cacheFile)
	_ = json.Unmarshal(b, &entry)
	creds = entry["credentials"].(map[string]any)
	if creds["access_key_id"] == oldKey {
		t.Fatal("credentials were not renewed")
	}
	secrets = append(secrets, entry["id_token"].(string), entry["refresh_token"].(string), creds["secret_access_key"].(string))

	// login / whoami / logout (commands of the sign-in issue).
	if res := run(nil, "login", "--help"); res.Code == 0 && strings.Contains(res.Stdout, "--account") {
		res = run(br.env, "login", "--account", "dex")
		if res.Code != 0 || br.opened() != 2 {
			t.Fatalf("login --account: %s (browser %d, %v)", res, br.opened(), br.errs)
		}
		res = run(nil, "whoami", "--account", "dex")
		if res.Code != 0 || !strings.Contains(res.Stdout, r.dex.Email) || !strings.Contains(res.Stdout, r.dex.Issuer) {
			t.Errorf("whoami --account: %s", res)
		}
		t.Logf("whoami --account dex:\n%s", res.Stdout)
		res = run(nil, "logout", "--account", "dex")
		if res.Code != 0 {
			t.Fatalf("logout: %s", res)
		}
		t.Logf("logout --account dex: %s", res)
		if _, err := os.Stat(cacheFile); !os.IsNotExist(err) {
			t.Errorf("token cache survived logout: %v", err)
		}
		res = run(nil, "--account", "dex", "ls", "s3://"+bucket+"/")
		if res.Code == 0 || !strings.Contains(res.Stderr, "s3sso login --account dex") {
			t.Errorf("ls after logout without a browser: %s", res)
		}
	} else {
		t.Log("login command not available; login/whoami/logout --account not exercised")
	}

	if res := run(nil, "account", "show", "dex"); res.Code != 0 || !strings.Contains(res.Stdout, r.roleARN) {
		t.Errorf("account show: %s", res)
	}
	if res := run(nil, "account", "rm", "dex"); res.Code != 0 {
		t.Errorf("account rm: %s", res)
	}
	if res := run(nil, "--account", "dex", "ls"); res.Code == 0 || !strings.Contains(res.Stderr, `account "dex"`) {
		t.Errorf("ls with a removed account: %s", res)
	}

	all := strings.Join(outputs, "\n")
	for _, s := range secrets {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("a token or secret appears in the output")
		}
	}
}

// A confidential client: its secret must never be printed.
func TestE2EBinaryClientSecretNeverPrinted(t *testing.T) {
	testenv.Home(t)
	r := startReal(t, confClient, true)
	bucket := r.minio.NewBucket(t)
	br := newScriptBrowser(t, r.dex)
	var all strings.Builder
	run := func(env []string, stdin string, args ...string) testenv.Result {
		res := testenv.Run(t, env, stdin, args...)
		all.WriteString(res.Stdout + res.Stderr)
		return res
	}
	res := run(nil, confSecret+"\n", "account", "add", "c", "--type", "oidc", "--issuer", r.dex.Issuer,
		"--client-id", confClient, "--client-secret", "-", "--scopes", "openid,offline_access,email,profile",
		"--redirect-url", r.redirect, "--sts-endpoint", r.minio.Endpoint, "--endpoint-url", r.minio.Endpoint)
	if res.Code != 0 {
		t.Fatalf("account add: %s", res)
	}
	if res := run(br.env, "", "--account", "c", "--debug", "ls", "s3://"+bucket+"/"); res.Code != 0 {
		t.Fatalf("ls (claim mode, confidential client): %s %v", res, br.errs)
	}
	run(nil, "", "account", "show", "c")
	run(nil, "", "--json", "account", "show", "c")
	// A wrong secret: one clear line naming the setting, without the secret.
	res = run(nil, "wrong-secret-0815\n", "account", "add", "bad", "--type", "oidc", "--issuer", r.dex.Issuer,
		"--client-id", confClient, "--client-secret", "-", "--redirect-url", r.redirect, "--sts-endpoint", r.minio.Endpoint,
		"--endpoint-url", r.minio.Endpoint)
	if res.Code != 0 {
		t.Fatal(res)
	}
	res = run(br.env, "", "--account", "bad", "ls", "s3://"+bucket+"/")
	if res.Code == 0 || !strings.Contains(res.Stderr, "--client-secret") {
		t.Errorf("wrong client secret: %s", res)
	}
	if strings.Contains(all.String(), confSecret) || strings.Contains(all.String(), "wrong-secret-0815") {
		t.Errorf("the client secret appears in the output:\n%s", all.String())
	}
}

// The standard non-interactive path, handled by the SDK's credential chain:
// role_arn + web_identity_token_file in a profile (or AWS_ROLE_ARN +
// AWS_WEB_IDENTITY_TOKEN_FILE), with STS pointed at MinIO through
// AWS_ENDPOINT_URL_STS or a [services] section. The token comes from Dex's
// password grant.
func TestE2EWebIdentityTokenFile(t *testing.T) {
	home := testenv.Home(t)
	r := startReal(t, publicClient, false)
	bucket := r.minio.NewBucket(t)
	root := r.minio.Client(t)
	if _, err := root.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("wi.txt"),
		Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(home, "token.jwt")
	token := r.dex.PasswordToken(t, publicClient, "")
	testenv.WriteFile(t, tokenFile, token)
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), `[profile wi-env]
region = us-east-1
role_arn = `+r.roleARN+`
web_identity_token_file = `+tokenFile+`

[profile wi-services]
region = us-east-1
role_arn = `+r.roleARN+`
web_identity_token_file = `+tokenFile+`
services = minio

[services minio]
sts =
  endpoint_url = `+r.minio.Endpoint+`
s3 =
  endpoint_url = `+r.minio.Endpoint+`
`)
	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"profile + AWS_ENDPOINT_URL_STS", []string{"AWS_ENDPOINT_URL_STS=" + r.minio.Endpoint},
			[]string{"--profile", "wi-env", "--endpoint-url", r.minio.Endpoint}},
		{"profile + services section", nil, []string{"--profile", "wi-services"}},
		{"AWS_WEB_IDENTITY_TOKEN_FILE", []string{"AWS_WEB_IDENTITY_TOKEN_FILE=" + tokenFile, "AWS_ROLE_ARN=" + r.roleARN,
			"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_STS=" + r.minio.Endpoint}, []string{"--endpoint-url", r.minio.Endpoint}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := testenv.Run(t, tc.env, "", append(tc.args, "ls", "s3://"+bucket+"/")...)
			if res.Code != 0 || !strings.Contains(res.Stdout, "wi.txt") {
				t.Fatalf("ls: %s", res)
			}
			if strings.Contains(res.Stdout+res.Stderr, token) {
				t.Error("the token appears in the output")
			}
		})
	}
	// A token MinIO rejects: a clear authentication error.
	testenv.WriteFile(t, tokenFile, token[:len(token)-8]+"AAAAAAAA")
	res := testenv.Run(t, []string{"AWS_ENDPOINT_URL_STS=" + r.minio.Endpoint}, "", "--profile", "wi-env", "--endpoint-url", r.minio.Endpoint, "ls", "s3://"+bucket+"/")
	// The SDK's chain reports MinIO's rejection; the wording and hint are
	// the credential chain's (internal/creds, objstore), not this package's.
	if res.Code == 0 || !strings.Contains(res.Stderr, "verification error") || strings.Count(strings.TrimSpace(res.Stderr), "\n") > 1 {
		t.Errorf("tampered token file: %s", res)
	}
}
