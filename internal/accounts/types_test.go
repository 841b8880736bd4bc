package accounts

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/s3sso/s3sso/internal/fault"
)

func ssoAccount(mod func(*Account)) Account {
	a := Account{Name: "work", Type: TypeSSO, SSO: &SSO{StartURL: "https://d-1234567890.awsapps.com/start", Region: "eu-west-1"}}
	if mod != nil {
		mod(&a)
	}
	return a
}

func TestValidateTypes(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Account
		want string
	}{
		{"sso ok", ssoAccount(nil), ""},
		{"sso full", ssoAccount(func(a *Account) { a.SSO.AccountID, a.SSO.RoleName = "111122223333", "Read-Only+x" }), ""},
		{"sso no url", ssoAccount(func(a *Account) { a.SSO.StartURL = "" }), "--start-url is required"},
		{"sso http url", ssoAccount(func(a *Account) { a.SSO.StartURL = "http://d-1.awsapps.com/start" }), "not an https:// URL"},
		{"sso no host", ssoAccount(func(a *Account) { a.SSO.StartURL = "https:///start" }), "not an https:// URL"},
		{"sso no region", ssoAccount(func(a *Account) { a.SSO.Region = "" }), "--sso-region is required"},
		{"sso bad region", ssoAccount(func(a *Account) { a.SSO.Region = "Frankfurt" }), "not a region name"},
		{"sso short account", ssoAccount(func(a *Account) { a.SSO.AccountID = "12345678901" }), "12 digits"},
		{"sso letters account", ssoAccount(func(a *Account) { a.SSO.AccountID = "12345678901a" }), "12 digits"},
		{"sso role", ssoAccount(func(a *Account) { a.SSO.RoleName = "a role" }), "not an IAM role name"},
		{"aws region", ssoAccount(func(a *Account) { a.Region = "eu_west" }), "--region"},
		{"gov region", ssoAccount(func(a *Account) { a.Region = "us-gov-west-1" }), ""},
		{"custom region with endpoint", ssoAccount(func(a *Account) { a.Region, a.EndpointURL = "garage", "http://127.0.0.1:3900" }), ""},
		{"bad endpoint", ssoAccount(func(a *Account) { a.EndpointURL = "127.0.0.1:9000" }), "--endpoint-url"},
		{"dual-stack endpoint", ssoAccount(func(a *Account) { a.DualStack, a.EndpointURL = true, "http://127.0.0.1:1" }), "--dual-stack"},
		{"external ok", ssoAccount(func(a *Account) { a.ExternalBuckets = []string{"data", "logs.example/2024/"} }), ""},
		{"external bad", ssoAccount(func(a *Account) { a.ExternalBuckets = []string{"Data"} }), "not a bucket name"},
		{"profile", Account{Name: "p", Type: TypeProfile, Profile: &Profile{Name: "dev"}}, ""},
		{"profile empty", Account{Name: "p", Type: TypeProfile, Profile: &Profile{}}, "--profile"},
		{"keys", Account{Name: "k", Type: TypeKeys, Keys: &Keys{AccessKeyID: "AKIA"}}, ""},
		{"keys empty", Account{Name: "k", Type: TypeKeys}, "--access-key-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || fault.KindOf(err) != fault.Usage {
				t.Fatalf("err = %v (kind %v), want %q", err, fault.KindOf(err), tc.want)
			}
		})
	}
}

func TestParseExternalBucket(t *testing.T) {
	for in, want := range map[string][2]string{
		"data":                  {"data", ""},
		"s3://data/a/b":         {"data", "a/b/"},
		"data/a/b/":             {"data", "a/b/"},
		"my.bucket-1/x":         {"my.bucket-1", "x/"},
		"ab":                    {"", ""},
		"Data":                  {"", ""},
		"data/a//b":             {"", ""},
		"-data":                 {"", ""},
		"a..b":                  {"", ""},
		strings.Repeat("a", 64): {"", ""},
	} {
		b, p, err := ParseExternalBucket(in)
		if (err != nil) != (want[0] == "") || b != want[0] || p != want[1] {
			t.Errorf("ParseExternalBucket(%q) = %q, %q, %v; want %q", in, b, p, err, want)
		}
	}
	if n, _ := NormalizeExternalBucket("s3://data/a/"); n != "data/a" {
		t.Errorf("normalize: %q", n)
	}
	if n, _ := NormalizeExternalBucket("data/"); n != "data" {
		t.Errorf("normalize: %q", n)
	}
}

func TestNewTypesRoundTripKeepUnknownFields(t *testing.T) {
	in := `{"type":"sso","future":1,"list_all_buckets":false,"external_buckets":["a-b/c/"],"dual_stack":true,"check_cloudfront":true,
"sso":{"start_url":"https://x.awsapps.com/start","sso_region":"us-east-1","future_sso":"k"},
"keys":{"access_key_id":"AK","secret_store":"file","future_keys":true},"profile":{"name":"p","future_profile":2}}`
	var a Account
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if a.ListsAllBuckets() || !a.DualStack || !a.CheckCloudFront || a.SSO.Region != "us-east-1" || a.Keys.AccessKeyID != "AK" {
		t.Fatalf("decoded %+v", a)
	}
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"future":1`, `"future_sso":"k"`, `"future_keys":true`, `"future_profile":2`, `"list_all_buckets":false`} {
		if !bytes.Contains(out, []byte(k)) {
			t.Errorf("lost %s: %s", k, out)
		}
	}
	var def Account
	if !def.ListsAllBuckets() {
		t.Error("list-all-buckets defaults to on")
	}
}

func TestSecretsFileFallback(t *testing.T) {
	s := newStore(t)
	sec := Secrets{Dir: filepath.Join(filepath.Dir(s.Path), "secrets"), NoKeyring: true}
	where, err := sec.Put("acct", "s3cr3t")
	if err != nil || where != SecretInFile {
		t.Fatalf("Put = %q, %v", where, err)
	}
	st, err := os.Stat(filepath.Join(sec.Dir, "acct.secret"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", err, st)
	}
	if d, _ := os.Stat(sec.Dir); d.Mode().Perm() != 0o700 {
		t.Errorf("secrets dir mode %v", d.Mode().Perm())
	}
	if got, err := sec.Get("acct", SecretInFile); err != nil || got != "s3cr3t" {
		t.Errorf("Get = %q, %v", got, err)
	}
	if err := sec.Delete("acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := sec.Get("acct", SecretInFile); err == nil || fault.KindOf(err) != fault.Config || !strings.Contains(fault.HintOf(err), "account edit acct") {
		t.Errorf("Get after Delete = %v", err)
	}
	// The keyring being off by environment.
	t.Setenv("S3SSO_KEYRING", "off")
	if !s.Secrets().NoKeyring {
		t.Error("S3SSO_KEYRING=off")
	}
}

func TestSecretsKeyring(t *testing.T) {
	keyring.MockInit()
	s := newStore(t)
	sec := Secrets{Dir: filepath.Join(filepath.Dir(s.Path), "secrets")}
	where, err := sec.Put("acct", "s3cr3t")
	if err != nil || where != SecretInKeyring {
		t.Fatalf("Put = %q, %v", where, err)
	}
	if _, err := os.Stat(filepath.Join(sec.Dir, "acct.secret")); !os.IsNotExist(err) {
		t.Errorf("a keyring secret must not also be in a file: %v", err)
	}
	if got, err := sec.Get("acct", SecretInKeyring); err != nil || got != "s3cr3t" {
		t.Errorf("Get = %q, %v", got, err)
	}
	_ = sec.Delete("acct")
	if _, err := sec.Get("acct", SecretInKeyring); err == nil {
		t.Error("Delete left the keyring entry")
	}
	// A failing keyring falls back to the file.
	keyring.MockInitWithError(os.ErrPermission)
	if where, err := sec.Put("acct2", "x"); err != nil || where != SecretInFile {
		t.Errorf("fallback Put = %q, %v", where, err)
	}
}

func TestUpdateKeepsBackupAndCorruptNamesIt(t *testing.T) {
	s := newStore(t)
	for _, n := range []string{"a", "b"} {
		if err := s.Update(t.Context(), func(f *File) error { f.Accounts[n] = oidcAccount(n); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	bak, err := os.ReadFile(s.BackupPath())
	if err != nil || !strings.Contains(string(bak), `"a"`) || strings.Contains(string(bak), `"b"`) {
		t.Fatalf("backup %s: %v", bak, err)
	}
	if err := os.WriteFile(s.Path, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load()
	if err == nil || !strings.Contains(err.Error(), s.Path) || !strings.Contains(fault.HintOf(err), s.BackupPath()) {
		t.Errorf("corrupt: %v (hint %q)", err, fault.HintOf(err))
	}
}
