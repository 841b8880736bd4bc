package config

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

const fixture = `# top comment
[default]
region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111122223333
SSO_Role_Name : ReadOnly
region = eu-west-1
services = local
; a comment inside

[profile 'my name']
x = a # not a comment
y=b;c

[profile a b]
ignored = yes

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access, ,sso:other

[services local]
s3 =
  endpoint_url = http://127.0.0.1:9000
sso_oidc =
  endpoint_url = http://127.0.0.1:7000

[profile default]
region = us-west-2

[something]
k = v
`

func parse(t *testing.T, content string) *File {
	t.Helper()
	f, err := Parse("config", content)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseLikeBotocore(t *testing.T) {
	f := parse(t, fixture)
	dev := f.Profile("dev")
	if got := dev.Value("sso_role_name"); got != "ReadOnly" {
		t.Errorf("':' delimiter and upper-case key: got %q", got)
	}
	my := f.Profile("my name")
	if my == nil {
		t.Fatal("quoted profile name not found")
	}
	if got := my.Value("x"); got != "a # not a comment" {
		t.Errorf("inline '#' must stay in the value, got %q", got)
	}
	if got := my.Value("y"); got != "b;c" {
		t.Errorf("got %q", got)
	}
	if f.Profile("a b") != nil || f.Profile("a") != nil {
		t.Error("[profile a b] must be ignored")
	}
	if got := f.Profile("default").Value("region"); got != "us-west-2" {
		t.Errorf("later [profile default] replaces [default]: got %q", got)
	}
	if got := f.Services("local").key("s3").Nested["endpoint_url"]; got != "http://127.0.0.1:9000" {
		t.Errorf("nested services value: %q", got)
	}
	if got, want := f.Names(KindProfile), []string{"default", "dev", "my name"}; !reflect.DeepEqual(got, want) {
		t.Errorf("profiles %v, want %v", got, want)
	}
}

// TestParseAgainstBotocore parses the fixture with botocore itself and
// compares every profile, session and services value.
func TestParseAgainstBotocore(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command(py, "-c", "import botocore").Run(); err != nil {
		t.Skip("botocore not installed")
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(fixture), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", `
import json, sys
from botocore.configloader import load_config
c = load_config(sys.argv[1])
print(json.dumps({"profiles": c["profiles"], "sso_sessions": c.get("sso_sessions", {}), "services": c.get("services", {})}))
`, path).Output()
	if err != nil {
		t.Fatalf("botocore: %v", err)
	}
	var bc map[string]map[string]map[string]any
	if err := json.Unmarshal(out, &bc); err != nil {
		t.Fatal(err)
	}
	f := parse(t, fixture)
	mine := map[string]map[string]map[string]any{"profiles": {}, "sso_sessions": {}, "services": {}}
	for kind, key := range map[string]string{KindProfile: "profiles", KindSSOSession: "sso_sessions", KindServices: "services"} {
		for _, name := range f.Names(kind) {
			m := map[string]any{}
			for _, k := range f.section(kind, name).Keys {
				if k.Nested != nil {
					n := map[string]any{}
					for nk, nv := range k.Nested {
						n[nk] = nv
					}
					m[k.Name] = n
				} else {
					m[k.Name] = k.Value
				}
			}
			mine[key][name] = m
		}
	}
	a, _ := json.Marshal(mine)
	b, _ := json.Marshal(bc)
	if string(a) != string(b) {
		t.Errorf("parse differs from botocore\n s3sso:    %s\n botocore: %s", a, b)
	}
}

// TestParseErrors: what botocore refuses is a *ParseError with the line;
// the message never repeats a value (a line meant to hold a secret).
func TestParseErrors(t *testing.T) {
	for name, c := range map[string]struct {
		content string
		line    int
	}{
		"duplicate section":       {"[profile a]\nx=1\n[profile a]\ny=2\n", 3},
		"duplicate key":           {"[profile a]\nx=1\nX=2\n", 3},
		"no section":              {"x=1\n", 1},
		"no delimiter":            {"[profile a]\njunk\n", 2},
		"garbage bytes":           {"[profile a]\nx=1\n\x00\xff\xfe\n", 3},
		"unclosed header":         {"[profile a]\nx=1\n[profile b\ny=2\n", 3},
		"empty header":            {"[]\n", 1},
		"secret without =":        {"[default]\naws_secret_access_key SECRETVALUE\n", 2},
		"secret in a header":      {"[default\taws_secret_access_key=SECRETVALUE\n", 1},
		"secret, duplicate key":   {"[default]\naws_secret_access_key = SECRETVALUE\naws_secret_access_key = SECRETVALUE2\n", 3},
		"secret, no section":      {"aws_secret_access_key = SECRETVALUE\n", 1},
		"secret header duplicate": {"[a=SECRETVALUE]\n[a=SECRETVALUE]\n", 2},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("c", c.content)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Path != "c" || pe.Line != c.line {
				t.Fatalf("want a parse error on line %d, got %v", c.line, err)
			}
			if strings.Contains(err.Error(), "SECRETVALUE") {
				t.Errorf("the error repeats a value: %v", err)
			}
		})
	}
}

func TestSSOForProfile(t *testing.T) {
	f := parse(t, fixture)
	got, err := f.SSOForProfile("dev", true)
	if err != nil {
		t.Fatal(err)
	}
	want := SSO{Profile: "dev", Session: "corp", StartURL: "https://d-1234567890.awsapps.com/start", Region: "us-east-1",
		Scopes: []string{"sso:account:access", "sso:other"}, AccountID: "111122223333", RoleName: "ReadOnly", ProfileRegion: "eu-west-1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got.CacheKey() != "corp" || got.LoginCommand() != "s3sso login --profile dev" {
		t.Errorf("cache key %q, command %q", got.CacheKey(), got.LoginCommand())
	}
}

func TestSSOValidation(t *testing.T) {
	cases := []struct {
		name, content, want string
		kind                fault.Kind
	}{
		{"conflict", "[profile p]\nsso_session = s\nsso_start_url = https://x/start/\nsso_account_id=1\nsso_role_name=r\n[sso-session s]\nsso_start_url = https://x/start\nsso_region = us-east-1\n",
			"The value for sso_start_url is inconsistent between profile (https://x/start/) and sso-session (https://x/start)", fault.Config},
		{"missing session", "[profile p]\nsso_session = nope\nsso_account_id=1\nsso_role_name=r\n",
			`The specified sso-session does not exist: "nope"`, fault.Config},
		{"missing keys", "[profile p]\nsso_session = s\nsso_account_id=1\n[sso-session s]\nsso_start_url = https://x/start\n",
			"missing required configuration: sso_region, sso_role_name", fault.Config},
		{"missing profile", "[profile q]\n", `profile "p" not found`, fault.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.content).SSOForProfile("p", true)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if k := fault.KindOf(err); k != c.kind {
				t.Errorf("kind %v, want %v", k, c.kind)
			}
		})
	}
}

func TestLegacyProfile(t *testing.T) {
	f := parse(t, "[profile old]\nsso_start_url = https://d-1234567890.awsapps.com/start#/\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = r\nsso_registration_scopes = x\n")
	s, err := f.SSOForProfile("old", true)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Legacy() || s.CacheKey() != "https://d-1234567890.awsapps.com/start#/" || s.Scopes != nil {
		t.Errorf("legacy: %+v", s)
	}
	if w := f.CommentCharWarnings("old"); len(w) != 1 || !strings.Contains(w[0], "sso_start_url") {
		t.Errorf("warnings %q", w)
	}
}

func TestEndpoint(t *testing.T) {
	f := parse(t, fixture)
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSO_OIDC", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	if got, src := f.Endpoint("dev", ServiceSSOOIDC); got != "http://127.0.0.1:7000" || src != EndpointServices {
		t.Errorf("services: %q %q", got, src)
	}
	if got, _ := f.Endpoint("dev", ServiceSSO); got != "" {
		t.Errorf("sso not configured, got %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://global")
	if got, src := f.Endpoint("dev", ServiceSSOOIDC); got != "http://global" || src != EndpointGlobalEnv {
		t.Errorf("global env wins over services: %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", "http://svc")
	if got, _ := f.Endpoint("dev", ServiceSSOOIDC); got != "http://svc" {
		t.Errorf("service env wins: %q", got)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if got, _ := f.Endpoint("dev", ServiceSSOOIDC); got != "" {
		t.Errorf("ignored: %q", got)
	}
}

func TestSetPreservesEverything(t *testing.T) {
	f := parse(t, fixture)
	if err := f.Set(KindProfile, "dev", KV{"sso_role_name", "Admin"}, KV{"output", "json"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(KindSSOSession, "new one", KV{"sso_start_url", "https://x.awsapps.com/start"}, KV{"sso_region", "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Set(KindServices, "local", KV{"s3", "x"}); err != nil {
		t.Fatal(err)
	}
	got := string(f.Bytes())
	want := strings.Replace(fixture, "SSO_Role_Name : ReadOnly", "sso_role_name = Admin", 1)
	want = strings.Replace(want, "services = local\n", "services = local\noutput = json\n", 1)
	want = strings.Replace(want, "s3 =\n  endpoint_url = http://127.0.0.1:9000\n", "s3 = x\n", 1)
	want += "\n[sso-session 'new one']\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	g := parse(t, got)
	if g.SSOSession("new one").Value("sso_region") != "eu-west-1" {
		t.Error("new session not readable")
	}
}

func TestSaveAtomicMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aws")
	f, err := Load(filepath.Join(dir, "config"))
	if err != nil || f.Exists {
		t.Fatalf("missing file: %v %v", f, err)
	}
	if err := f.Set(KindProfile, "p", KV{"region", "x"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	di, _ := os.Stat(dir)
	if di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", di.Mode())
	}
	b, _ := os.ReadFile(f.Path)
	if string(b) != "[profile p]\nregion = x\n" {
		t.Errorf("content %q", b)
	}
}

func TestShlex(t *testing.T) {
	for in, want := range map[string][]string{
		"profile 'my name'": {"profile", "my name"},
		`profile "a\"b"`:    {"profile", `a"b`},
		"profile  x ":       {"profile", "x"},
		"sso-session a\\ b": {"sso-session", "a b"},
	} {
		got, err := ShlexSplit(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ShlexSplit(%q) = %q, %v", in, got, err)
		}
	}
	if q := shlexQuote("it's x"); q != `'it'"'"'s x'` {
		t.Errorf("quote %s", q)
	}
}
