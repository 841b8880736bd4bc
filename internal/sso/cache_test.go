package sso

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileNameVectors(t *testing.T) {
	cases := map[string]string{
		TokenFileName("my-sso"):                                 "0ad374308c5a4e22f723adf10145eafad7c4031c.json",
		TokenFileName("https://d-1234567890.awsapps.com/start"): "7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json",
		RegistrationFileName("https://d-1234567890.awsapps.com/start", "us-east-1", []string{"sso:account:access"}, "my-sso"): "a8343d65418848d0bc13a5f25cbb32508ceec5d1.json",
		RegistrationFileName("https://d-1234567890.awsapps.com/start", "us-east-1", nil, ""):                                  "365414a68be7c9bfc776c660981dbdbd942acea4.json",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestTokenMarshalLikeCLI(t *testing.T) {
	tok := &Token{StartURL: "https://d-1234567890.awsapps.com/start", Region: "us-east-1", AccessToken: "aoaA",
		ExpiresAt: time.Date(2026, 7, 23, 19, 4, 5, 0, time.UTC), ClientID: "Abc", ClientSecret: "eyJ",
		RegistrationExpiresAt: time.Date(2026, 10, 21, 18, 4, 5, 0, time.UTC), RefreshToken: "aorv"}
	b, err := tok.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1", "accessToken": "aoaA", "expiresAt": "2026-07-23T19:04:05Z", "clientId": "Abc", "clientSecret": "eyJ", "registrationExpiresAt": "2026-10-21T18:04:05Z", "refreshToken": "aorv"}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

func TestParseTokenLenientAndUnknownKept(t *testing.T) {
	in := `{"accessToken":"x","expiresAt":"2019-01-02T03:04:05UTC","zeta":{"b":[1,2.5,"\u00e9\ud83d\ude00"],"a":null},"region":"eu-west-1","alpha":true}`
	tok, err := ParseToken([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("expiresAt %v", tok.ExpiresAt)
	}
	b, _ := tok.Marshal()
	want := `{"startUrl": "", "region": "eu-west-1", "accessToken": "x", "expiresAt": "2019-01-02T03:04:05Z", "zeta": {"b": [1, 2.5, "\u00e9\ud83d\ude00"], "a": null}, "alpha": true}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	for _, s := range []string{"2026-07-23T19:04:05.123Z", "2026-07-23T19:04:05+00:00", "2026-07-23T21:04:05+02:00"} {
		tm, err := ParseTime(s)
		if err != nil || tm.Unix() != time.Date(2026, 7, 23, 19, 4, 5, 0, time.UTC).Unix() {
			t.Errorf("ParseTime(%q) = %v, %v", s, tm, err)
		}
	}
	for _, bad := range []string{`{"accessToken":"x"}`, `{"expiresAt":"2026-07-23T19:04:05Z"}`, `not json`, `[]`} {
		if _, err := ParseToken([]byte(bad)); err == nil {
			t.Errorf("ParseToken(%s) should fail", bad)
		}
	}
}

// TestPyDumpsMatchesPython compares the encoder with Python's json.dumps.
func TestPyDumpsMatchesPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	in := `{"s": "a/b \"q\" \\ \n\t\u0001 \u007f é 😀 <&>", "n": [1, -2.5e3, true, false, null], "o": {"z": {}, "a": []}}`
	v, err := decodeOrdered([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	mine, err := pyDumps(v.([]pyField))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", "import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))")
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	// Python renders -2.5e3 as -2500.0; numbers are kept as written here.
	want := strings.Replace(string(out), "-2500.0", "-2.5e3", 1)
	if string(mine) != want {
		t.Errorf("got\n%s\nwant\n%s", mine, want)
	}
}

func TestWriteTokenModesAndAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sso", "cache")
	c := Cache{Dir: dir}
	tok := &Token{AccessToken: "a", ExpiresAt: time.Now()}
	if err := c.WriteToken("s", tok); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(c.TokenPath("s"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", fi.Mode())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", di.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	b, _ := os.ReadFile(c.TokenPath("s"))
	if strings.HasSuffix(string(b), "\n") {
		t.Error("the CLI writes no trailing newline")
	}
}

func TestRemoveTokensKeepsRegistrations(t *testing.T) {
	c := Cache{Dir: t.TempDir()}
	_ = c.WriteToken("s", &Token{AccessToken: "a", ExpiresAt: time.Now()})
	reg := RegistrationFileName("u", "r", nil, "")
	_ = c.WriteRegistration(reg, &Registration{ClientID: "c", ClientSecret: "s", ExpiresAt: time.Now()})
	got, err := c.RemoveTokens()
	if err != nil || len(got) != 1 {
		t.Fatalf("removed %v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, reg)); err != nil {
		t.Error("registration removed")
	}
	cli := t.TempDir()
	_ = os.WriteFile(filepath.Join(cli, "a.json"), []byte(`{"ProviderType": "sso", "Credentials": {}}`), 0o600)
	_ = os.WriteFile(filepath.Join(cli, "b.json"), []byte(`{"Credentials": {}}`), 0o600)
	if n, err := RemoveCLIRoleCredentials(cli); n != 1 || err != nil {
		t.Errorf("removed %d, %v", n, err)
	}
}

func TestStartURLRegion(t *testing.T) {
	for u, want := range map[string]string{
		"https://ssoins-1234567890abcdef.portal.eu-west-1.app.aws":     "eu-west-1",
		"https://x.us-east-2.portal.amazonaws.com/start":               "us-east-2",
		"https://x.cn-north-1.portal.amazonaws.com.cn":                 "cn-north-1",
		"https://x.portal.cn-northwest-1.app.amazonwebservices.com.cn": "cn-northwest-1",
		"https://x.eusc-de-east-1.portal.amazonaws.eu":                 "eusc-de-east-1",
		"https://d-1234567890.awsapps.com/start":                       "",
		"https://identitycenter.amazonaws.com/ssoins-1":                "",
		"https://sso.example.com":                                      "",
	} {
		if got := StartURLRegion(u); got != want {
			t.Errorf("StartURLRegion(%s) = %q, want %q", u, got, want)
		}
	}
	if m := RegionMismatch("https://ssoins-1.portal.eu-west-1.app.aws", "us-east-1"); !strings.Contains(m, "set sso_region = eu-west-1") {
		t.Errorf("mismatch message %q", m)
	}
}

func TestAuthorizeURL(t *testing.T) {
	got := AuthorizeURL("https://oidc.us-east-1.amazonaws.com", "X", "http://127.0.0.1:53127/oauth/callback", "2f1c", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", []string{"sso:account:access"})
	want := "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id=X&redirect_uri=http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback&state=2f1c&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCLIRoleCacheFileName(t *testing.T) {
	if got := CLIRoleCacheFileName("111122223333", "ReadOnly", "my-sso", ""); got != "0521d1f6a6c4e68f9e18540309367cc3cccb6305.json" {
		t.Errorf("got %s", got)
	}
}
