package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/s3sso/s3sso/internal/sso"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// accountEnv turns an ssoEnv into a world without ~/.aws/config: the
// emulator is reached through the environment only, as a user of S3
// Browser-like saved accounts would have it.
func accountEnv(t *testing.T, opts ssotest.Options) *ssoEnv {
	t.Helper()
	e := setupSSO(t, opts)
	if err := os.Remove(filepath.Join(e.home, ".aws", "config")); err != nil {
		t.Fatal(err)
	}
	e.vars = append(e.vars, "AWS_ENDPOINT_URL_SSO="+e.emu.URL, "AWS_ENDPOINT_URL_SSO_OIDC="+e.emu.URL,
		"AWS_EC2_METADATA_DISABLED=true", "S3SSO_KEYRING=off")
	return e
}

func (e *ssoEnv) browserOpens() int {
	b, _ := os.ReadFile(e.opened)
	return strings.Count(string(b), "\n")
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAccountsFile(t *testing.T, home string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fileBytes(t, filepath.Join(home, ".config", "s3sso", "accounts.json")), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSSOAccountLegacyCacheAndReuse: an sso account needs no config file;
// its login writes the start-URL token file and leaves an sso-session
// token file byte for byte alone; the cached token is then reused (and
// refreshed) without opening the browser; only a token that is expired and
// cannot be refreshed opens it again.
func TestSSOAccountLegacyCacheAndReuse(t *testing.T) {
	e := accountEnv(t, ssotest.Options{Accounts: []ssotest.Account{{ID: e2eAccount, Name: "dev", Email: "dev@example.com", Roles: []string{"ReadOnly"}}}})

	// An sso-session token of another tool, which must stay untouched.
	sessionTok := &sso.Token{StartURL: e2eStartURL, Region: "us-east-1", AccessToken: "session-access-token",
		ExpiresAt: time.Now().Add(time.Hour).UTC().Truncate(time.Second), RefreshToken: "session-refresh-token",
		ClientID: "cid", ClientSecret: "csecret", RegistrationExpiresAt: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)}
	cache := sso.Cache{Dir: filepath.Join(e.home, ".aws", "sso", "cache")}
	if err := cache.WriteToken("corp", sessionTok); err != nil {
		t.Fatal(err)
	}
	sessionFile := e.tokenPath("corp")
	before := fileBytes(t, sessionFile)
	beforeStat, _ := os.Stat(sessionFile)

	e.mustS3sso("account", "add", "work", "--type", "sso", "--start-url", e2eStartURL, "--sso-region", "us-east-1",
		"--endpoint-url", e.minio.Endpoint, "--region", "us-east-1")
	if r := e.mustS3sso("account", "list"); !strings.Contains(r.Stdout, "* work") || !strings.Contains(r.Stdout, "needs login") {
		t.Errorf("account list before login: %s", r)
	}

	login := e.mustS3sso("login", "--account", "work")
	if e.browserOpens() != 1 {
		t.Fatalf("login opened the browser %d times, want 1: %s", e.browserOpens(), login)
	}
	legacy := e.tokenPath(e2eStartURL)
	if filepath.Base(legacy) != sso.TokenFileName(e2eStartURL) {
		t.Fatal("legacy file name")
	}
	tok := e.readToken(e2eStartURL)
	if tok["startUrl"] != e2eStartURL || tok["region"] != "us-east-1" || tok["refreshToken"] == nil || tok["accessToken"] == nil {
		t.Errorf("legacy start-URL token file: %v", tok)
	}
	if st, _ := os.Stat(legacy); st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v", st.Mode().Perm())
	}
	// The single account and role were taken without a question and saved.
	acct := readAccountsFile(t, e.home)["accounts"].(map[string]any)["work"].(map[string]any)["sso"].(map[string]any)
	if acct["account_id"] != e2eAccount || acct["role_name"] != "ReadOnly" {
		t.Errorf("chosen account/role not saved: %v", acct)
	}
	if r := e.mustS3sso("account", "list"); !strings.Contains(r.Stdout, "signed in until") {
		t.Errorf("account list after login: %s", r)
	}
	// The AWS CLI's legacy profile of the same start URL uses the token.
	cfgPath := filepath.Join(e.home, ".aws", "config")
	testenv.WriteFile(t, cfgPath, fmt.Sprintf(configTemplate, e.minio.Endpoint, e.emu.URL, e2eAccount, e2eStartURL))
	if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "old"); err != nil {
		t.Errorf("the AWS CLI with the token of an sso account: %v %s", err, out)
	}
	if err := os.Remove(cfgPath); err != nil {
		t.Fatal(err)
	}

	// Reuse: S3 commands and a second login use the cached token.
	createTokens := e.emu.Count("CreateToken")
	testenv.WriteFile(t, filepath.Join(e.home, "f.txt"), "hello")
	e.mustS3sso("cp", filepath.Join(e.home, "f.txt"), "s3://"+e.bucket+"/f.txt", "--account", "work")
	if r := e.mustS3sso("ls", "s3://"+e.bucket+"/", "--account", "work"); !strings.Contains(r.Stdout, "f.txt") {
		t.Errorf("ls: %s", r)
	}
	if w := e.mustS3sso("whoami", "--account", "work"); !strings.Contains(w.Stdout, "signed in until") ||
		!strings.Contains(w.Stdout, "role-name:") || !strings.Contains(w.Stdout, sso.TokenFileName(e2eStartURL)) {
		t.Errorf("whoami: %s", w)
	}
	again := e.mustS3sso("login", "--account", "work")
	if !strings.Contains(again.Stdout+again.Stderr, "already signed in") {
		t.Errorf("second login: %s", again)
	}
	if e.browserOpens() != 1 || e.emu.Count("CreateToken") != createTokens {
		t.Errorf("the cached token was not reused: %d browser opens, CreateToken %d -> %d", e.browserOpens(), createTokens, e.emu.Count("CreateToken"))
	}

	// A token about to expire is refreshed without the browser.
	e.setExpiry(e2eStartURL, time.Now().Add(5*time.Minute), false)
	old := e.readToken(e2eStartURL)["accessToken"]
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--account", "work")
	if now := e.readToken(e2eStartURL)["accessToken"]; now == old {
		t.Error("the token was not refreshed")
	}
	if e.browserOpens() != 1 {
		t.Errorf("refresh opened the browser")
	}

	// Expired and not refreshable: the browser opens (BROWSER is set).
	e.setExpiry(e2eStartURL, time.Now().Add(-time.Minute), true)
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--account", "work")
	if e.browserOpens() != 2 {
		t.Errorf("an expired token must lead to a sign-in: %d opens", e.browserOpens())
	}

	out := e.mustS3sso("logout", "--account", "work")
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("logout left the token file: %v %s", err, out)
	}
	if !bytes.Equal(fileBytes(t, sessionFile), before) {
		t.Error("the sso-session token file changed")
	}
	if st, _ := os.Stat(sessionFile); !st.ModTime().Equal(beforeStat.ModTime()) {
		t.Error("the sso-session token file was rewritten")
	}
	// Without a browser and a terminal, a needed sign-in is an error naming the command.
	r := testenv.Run(t, []string{"BROWSER=", "AWS_ENDPOINT_URL_SSO=" + e.emu.URL, "AWS_ENDPOINT_URL_SSO_OIDC=" + e.emu.URL}, "", "ls", "--account", "work")
	if r.Code != 6 || !strings.Contains(r.Stderr, "s3sso login --account work") {
		t.Errorf("ls when signed out: %s", r)
	}
	// The device flow (sign in on another device) writes the same file.
	dev := e.mustS3sso("login", "--account", "work", "--use-device-code")
	if tok := e.readToken(e2eStartURL); tok["refreshToken"] == nil || tok["startUrl"] != e2eStartURL {
		t.Errorf("device-flow token: %v\n%s", tok, dev)
	}
	if !bytes.Equal(fileBytes(t, sessionFile), before) {
		t.Error("the sso-session token file changed")
	}
	e.noSecrets(login.Stdout+login.Stderr, again.Stdout+again.Stderr, out.Stdout+out.Stderr, r.Stderr, dev.Stdout+dev.Stderr)
}

// TestSSOAccountRoleChoice: several roles and no terminal: the error lists
// them and says how to save one; with --role-name the login completes.
func TestSSOAccountRoleChoice(t *testing.T) {
	e := accountEnv(t, ssotest.Options{}) // one account, roles ReadOnly and Admin
	e.mustS3sso("account", "add", "multi", "--type", "sso", "--start-url", e2eStartURL, "--sso-region", "us-east-1",
		"--endpoint-url", e.minio.Endpoint)
	r := e.s3sso("login", "--account", "multi")
	if r.Code != 2 || !strings.Contains(r.Stderr, "ReadOnly") || !strings.Contains(r.Stderr, "Admin") ||
		!strings.Contains(r.Stderr, "s3sso account edit multi --role-name") {
		t.Fatalf("login with two roles: %s", r)
	}
	acct := readAccountsFile(t, e.home)["accounts"].(map[string]any)["multi"].(map[string]any)["sso"].(map[string]any)
	if acct["account_id"] != nil {
		t.Errorf("nothing is saved before both choices are made: %v", acct)
	}
	e.mustS3sso("account", "edit", "multi", "--role-name", "Admin")
	login := e.mustS3sso("login", "--account", "multi")
	if !strings.Contains(login.Stdout+login.Stderr, "role Admin in AWS account "+e2eAccount) {
		t.Errorf("login: %s", login)
	}
	if e.browserOpens() != 1 {
		t.Errorf("the token of the first attempt is reused: %d opens", e.browserOpens())
	}

	// On a terminal (script(1) gives the command a pty) the roles are
	// offered as a numbered list; the answer is saved.
	scriptBin := testenv.RequireTool(t, "script")
	e.mustS3sso("account", "add", "asked", "--type", "sso", "--start-url", e2eStartURL, "--sso-region", "us-east-1",
		"--endpoint-url", e.minio.Endpoint)
	cmd := exec.Command(scriptBin, "-qec", testenv.Binary(t)+" login --account asked", "/dev/null")
	cmd.Env = append(os.Environ(), e.vars...)
	cmd.Stdin = strings.NewReader("2\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1) ReadOnly") || !strings.Contains(string(out), "2) Admin") {
		t.Fatalf("interactive role choice: %v\n%s", err, out)
	}
	asked := readAccountsFile(t, e.home)["accounts"].(map[string]any)["asked"].(map[string]any)["sso"].(map[string]any)
	if asked["role_name"] != "Admin" || asked["account_id"] != e2eAccount {
		t.Errorf("the single account is taken without asking and the chosen role saved: %v\n%s", asked, out)
	}
	if strings.Contains(string(out), "choices of AWS account") {
		t.Errorf("a single account must not be asked for:\n%s", out)
	}
}

// restrictedCredentials mints MinIO credentials whose session policy allows
// reading reports/ of one bucket only (no s3:ListAllMyBuckets, and no
// unconditional s3:ListBucket, with which MinIO would list that bucket).
func restrictedCredentials(m *testenv.MinIO, bucket string) ssotest.CredentialsFunc {
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""), HTTPClient: awshttp.NewBuildableClient()})
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%[1]s/reports/*"]},
{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::%[1]s"],"Condition":{"StringLike":{"s3:prefix":["reports/*"]}}}]}`, bucket)
	return func(ctx context.Context, account, role string) (ssotest.RoleCredentials, error) {
		out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + role),
			RoleSessionName: aws.String("restricted"), Policy: aws.String(policy), DurationSeconds: aws.Int32(3600)})
		if err != nil {
			return ssotest.RoleCredentials{}, err
		}
		c := out.Credentials
		return ssotest.RoleCredentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken: aws.ToString(c.SessionToken), Expiration: aws.ToTime(c.Expiration)}, nil
	}
}

// TestAccountListAllBucketsAndExternalBuckets: a user without ListBuckets
// (a MinIO session policy) gets a hint naming the settings; with
// list-all-buckets off, s3sso ls makes no ListBuckets call at all and shows
// the external buckets; a path entry starts browsing at its path.
func TestAccountListAllBucketsAndExternalBuckets(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	root := m.Client(t)
	for _, key := range []string{"top.txt", "reports/2024/a.csv", "reports/2024/b.csv"} {
		if _, err := root.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	e := accountEnv(t, ssotest.Options{Credentials: restrictedCredentials(m, bucket),
		Accounts: []ssotest.Account{{ID: e2eAccount, Name: "dev", Roles: []string{"Reader"}}}})
	proxy := testenv.StartFaultProxy(t, m.Endpoint) // counts ListBuckets calls
	e.mustS3sso("account", "add", "reader", "--type", "sso", "--start-url", e2eStartURL, "--sso-region", "us-east-1",
		"--endpoint-url", proxy.URL)
	e.mustS3sso("login", "--account", "reader")

	r := e.s3sso("ls", "--account", "reader")
	if r.Code == 0 || !strings.Contains(r.Stderr, "--list-all-buckets=false") || !strings.Contains(r.Stderr, "--external-bucket") {
		t.Fatalf("ls without ListBuckets permission: %s", r)
	}
	if proxy.Started("list-buckets") == 0 {
		t.Fatal("the proxy saw no ListBuckets call; it does not count what it should")
	}

	e.mustS3sso("account", "edit", "reader", "--list-all-buckets=false", "--external-bucket", bucket+"/reports/2024")
	calls := proxy.Started("list-buckets")
	ls := e.mustS3sso("ls", "--account", "reader")
	if !strings.Contains(ls.Stdout, bucket+"/reports/2024") || !strings.Contains(ls.Stdout, "(external)") || ls.Stderr != "" {
		t.Errorf("ls with external buckets: %s", ls)
	}
	js := e.mustS3sso("ls", "--account", "reader", "--json")
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(js.Stdout)), &line); err != nil || line["external"] != true ||
		line["name"] != bucket || line["path"] != "reports/2024" || line["type"] != "bucket" {
		t.Errorf("ls --json: %v %s", err, js)
	}
	browse := e.mustS3sso("ls", "s3://"+bucket, "--account", "reader")
	if !strings.Contains(browse.Stdout, "a.csv") || strings.Contains(browse.Stdout, "top.txt") {
		t.Errorf("browsing an external bucket with a path starts at the path: %s", browse)
	}
	if got := proxy.Started("list-buckets"); got != calls {
		t.Errorf("list-all-buckets=false made %d ListBuckets calls", got-calls)
	}
	// Explicit prefixes are browsed as given.
	if rep := e.mustS3sso("ls", "s3://"+bucket+"/reports/", "--account", "reader"); !strings.Contains(rep.Stdout, "PRE 2024/") {
		t.Errorf("ls of an explicit prefix: %s", rep)
	}
	e.mustS3sso("cat", "s3://"+bucket+"/reports/2024/a.csv", "--account", "reader")
}

// TestKeysAccountAndDefault: a keys account against MinIO keeps its secret
// out of accounts.json (0600 fallback file without a keyring); `account
// use` makes it the default for commands without --account, --profile or
// AWS_PROFILE; switching to another account changes what ls sees.
func TestKeysAccountAndDefault(t *testing.T) {
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	env := []string{"S3SSO_KEYRING=off", "AWS_EC2_METADATA_DISABLED=true"}
	run := func(stdin string, args ...string) testenv.Result {
		t.Helper()
		return testenv.Run(t, env, stdin, args...)
	}
	must := func(stdin string, args ...string) testenv.Result {
		t.Helper()
		r := run(stdin, args...)
		if r.Code != 0 {
			t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	if r := run("", "account", "add", "minio", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", m.SecretKey, "--endpoint-url", m.Endpoint); r.Code != 2 {
		t.Errorf("a secret on the command line must be refused: %s", r)
	}
	must(m.SecretKey+"\n", "account", "add", "minio", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", m.Endpoint, "--region", "us-east-1")
	cfgDir := filepath.Join(home, ".config", "s3sso")
	if b := fileBytes(t, filepath.Join(cfgDir, "accounts.json")); bytes.Contains(b, []byte(m.SecretKey)) {
		t.Fatal("the secret key is in accounts.json")
	}
	secretFile := filepath.Join(cfgDir, "secrets", "minio.secret")
	if st, err := os.Stat(secretFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v", err)
	}
	// A second account that cannot work (wrong secret), to switch to.
	must("wrong-secret\n", "account", "add", "broken", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", m.Endpoint, "--region", "us-east-1")

	list := must("", "account", "list")
	if !strings.Contains(list.Stdout, "* minio") || !strings.Contains(list.Stdout, "  broken") {
		t.Errorf("the first account is the default: %s", list)
	}
	testenv.WriteFile(t, filepath.Join(home, "x.txt"), "data")
	must("", "cp", filepath.Join(home, "x.txt"), "s3://"+bucket+"/x.txt")
	if r := must("", "ls"); !strings.Contains(r.Stdout, bucket) {
		t.Errorf("ls with the default account: %s", r)
	}
	must("", "account", "use", "broken")
	if r := run("", "ls", "s3://"+bucket+"/"); r.Code == 0 {
		t.Errorf("the default switched to the broken account, so ls must fail: %s", r)
	}
	if r := must("", "ls", "s3://"+bucket+"/", "--account", "minio"); !strings.Contains(r.Stdout, "x.txt") {
		t.Errorf("--account overrides the default: %s", r)
	}
	// --profile and AWS_PROFILE win over the default account.
	if r := run("", "ls", "--profile", "nosuch"); r.Code == 0 || strings.Contains(r.Stderr, "SignatureDoesNotMatch") {
		t.Errorf("--profile must bypass the default account: %s", r)
	}
	if r := testenv.Run(t, append(env, "AWS_PROFILE=nosuch"), "", "ls"); r.Code == 0 || strings.Contains(r.Stderr, "SignatureDoesNotMatch") {
		t.Errorf("AWS_PROFILE must bypass the default account: %s", r)
	}
	must("", "account", "use", "minio")
	if r := must("", "ls", "s3://"+bucket+"/"); !strings.Contains(r.Stdout, "x.txt") {
		t.Errorf("switched back: %s", r)
	}
	// A new secret through edit; rm forgets it.
	must(m.SecretKey+"\n", "account", "edit", "broken", "--secret-access-key", "-")
	must("", "ls", "s3://"+bucket+"/", "--account", "broken")
	must("", "account", "rm", "broken")
	if _, err := os.Stat(filepath.Join(cfgDir, "secrets", "broken.secret")); !os.IsNotExist(err) {
		t.Errorf("rm left the secret: %v", err)
	}
	for _, r := range []testenv.Result{list} {
		if strings.Contains(r.Stdout+r.Stderr, m.SecretKey) {
			t.Error("secret in output")
		}
	}
}

// TestAccountFileErrors: a corrupt accounts file is reported with its path
// and never overwritten; concurrent edits by separate processes lose
// nothing.
func TestAccountFileErrors(t *testing.T) {
	home := testenv.Home(t)
	env := []string{"S3SSO_KEYRING=off"}
	add := func(name string) testenv.Result {
		return testenv.Run(t, env, "", "account", "add", name, "--type", "profile", "--profile", "p-"+name)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make([]testenv.Result, n)
	for i := range n {
		wg.Go(func() { results[i] = add(fmt.Sprintf("acct%d", i)) })
	}
	wg.Wait()
	for i, r := range results {
		if r.Code != 0 {
			t.Errorf("add %d: %s", i, r)
		}
	}
	list := testenv.Run(t, env, "", "account", "list", "--json")
	if got := strings.Count(list.Stdout, `"type":"profile"`); got != n {
		t.Errorf("concurrent adds kept %d of %d accounts:\n%s", got, n, list)
	}
	if r := add("acct0"); r.Code == 0 || !strings.Contains(r.Stderr, "already exists") {
		t.Errorf("duplicate name: %s", r)
	}
	if r := testenv.Run(t, env, "", "account", "show", "nope"); r.Code == 0 || !strings.Contains(r.Stderr, `account "nope"`) {
		t.Errorf("unknown account: %s", r)
	}

	path := filepath.Join(home, ".config", "s3sso", "accounts.json")
	bad := []byte(`{"version": 1, "accounts": {"x": `)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	r := add("new")
	if r.Code == 0 || !strings.Contains(r.Stderr, path) || !strings.Contains(r.Stderr, path+".bak") {
		t.Errorf("corrupt file: %s", r)
	}
	if !bytes.Equal(fileBytes(t, path), bad) {
		t.Error("the corrupt file was overwritten")
	}
	var bak map[string]any
	if err := json.Unmarshal(fileBytes(t, path+".bak"), &bak); err != nil || len(bak["accounts"].(map[string]any)) < n-1 {
		t.Errorf("the backup holds the previous version: %v", err)
	}
}

// TestProfileAccount: an account of type profile uses an sso-session
// profile of ~/.aws/config through s3sso's own SSO sign-in, and as the
// default account.
func TestProfileAccount(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	e.vars = append(e.vars, "S3SSO_KEYRING=off", "AWS_EC2_METADATA_DISABLED=true")
	e.mustS3sso("account", "add", "p", "--type", "profile", "--profile", "dev")
	if r := e.mustS3sso("account", "list"); !strings.Contains(r.Stdout, "profile dev, needs login") {
		t.Errorf("list before login: %s", r)
	}
	e.mustS3sso("login", "--account", "p")
	if e.readToken("corp")["refreshToken"] == nil {
		t.Error("the profile's sso-session was signed in")
	}
	if r := e.mustS3sso("account", "list"); !strings.Contains(r.Stdout, "profile dev, signed in until") {
		t.Errorf("list after login: %s", r)
	}
	testenv.WriteFile(t, filepath.Join(e.home, "p.txt"), "p")
	e.mustS3sso("cp", filepath.Join(e.home, "p.txt"), "s3://"+e.bucket+"/p.txt", "--account", "p")
	// p is the default (first account): no flags needed.
	if r := e.mustS3sso("ls", "s3://"+e.bucket+"/"); !strings.Contains(r.Stdout, "p.txt") {
		t.Errorf("ls with the default profile account: %s", r)
	}
	if r := e.mustS3sso("whoami"); !strings.Contains(r.Stdout, "dev") {
		t.Errorf("whoami of the default account: %s", r)
	}
	e.mustS3sso("logout", "--account", "p")
	if _, err := os.Stat(e.tokenPath("corp")); !os.IsNotExist(err) {
		t.Errorf("logout of the profile account: %v", err)
	}
}
