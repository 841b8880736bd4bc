package cli_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// The files TestConfigParseErrorsEveryCommand breaks. Nothing listens on
// 127.0.0.1:1 (S3, STS, SSO), so with good files every command fails at the
// network (or prints without it), never with a configuration error.
const (
	goodConfig = `# comment
[profile dev]
region = us-east-1
services = nowhere

[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
services = nowhere

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[services nowhere]
s3 =
  endpoint_url = http://127.0.0.1:1
sso =
  endpoint_url = http://127.0.0.1:1
sso_oidc =
  endpoint_url = http://127.0.0.1:1
sts =
  endpoint_url = http://127.0.0.1:1
`
	goodCredentials = `[dev]
aws_access_key_id = AKIAEXAMPLEEXAMPLE
aws_secret_access_key = SECRETVALUEneverPRINTED
`
	secretValue = "SECRETVALUEneverPRINTED"
)

// TestConfigParseErrorsEveryCommand: a config or credentials file that does
// not parse (a repeated section or key, garbage bytes, an unclosed
// [header], a line holding a secret without delimiter) is a configuration
// error (exit 10) naming the file and line for every command class: ls,
// whoami, credentials, cp and login. No secret of the file is printed.
func TestConfigParseErrorsEveryCommand(t *testing.T) {
	home := testenv.Home(t)
	cfgPath := filepath.Join(home, ".aws", "config")
	credPath := filepath.Join(home, ".aws", "credentials")
	local := filepath.Join(home, "upload.txt")
	testenv.WriteFile(t, local, "data")
	commands := [][]string{
		{"ls", "--profile", "dev"},
		{"whoami", "--profile", "dev"},
		{"credentials", "--profile", "dev", "--format", "env"},
		{"cp", local, "s3://bucket/upload.txt", "--profile", "dev"},
		{"login", "--profile", "sso", "--no-browser"},
	}

	// The control: good files give no configuration error.
	testenv.WriteFile(t, cfgPath, goodConfig)
	testenv.WriteFile(t, credPath, goodCredentials)
	for _, args := range commands {
		r := testenv.Run(t, nil, "", args...)
		if r.Code == 10 || strings.Contains(r.Stderr, "parse ") {
			t.Fatalf("good files: %s: %s", strings.Join(args, " "), r)
		}
	}

	cases := []struct {
		name        string
		config      string
		credentials string
		file        string // the file named in the error
		line        int
	}{
		{"config: repeated section", goodConfig + "\n[profile dev]\nregion = eu-west-1\n", goodCredentials, cfgPath, 27},
		{"config: repeated key", strings.Replace(goodConfig, "region = us-east-1\n", "region = us-east-1\nREGION = eu-west-1\n", 1), goodCredentials, cfgPath, 4},
		{"config: garbage bytes", strings.Replace(goodConfig, "services = nowhere\n", "services = nowhere\n\x00\xff\xfe\x01garbage\n", 1), goodCredentials, cfgPath, 5},
		{"config: garbage first", "\x7fELF\x02\x01\x01\x00\n" + goodConfig, goodCredentials, cfgPath, 1},
		{"config: unclosed header", strings.Replace(goodConfig, "[profile dev]", "[profile dev", 1), goodCredentials, cfgPath, 2},
		{"config: secret in an unclosed header", strings.Replace(goodConfig, "[profile dev]", "[profile dev aws_secret_access_key = "+secretValue, 1), goodCredentials, cfgPath, 2},
		{"credentials: repeated section", goodConfig, goodCredentials + "[dev]\naws_access_key_id = AKIAOTHER\n", credPath, 4},
		{"credentials: repeated key", goodConfig, goodCredentials + "aws_secret_access_key = " + secretValue + "2\n", credPath, 4},
		{"credentials: garbage bytes", goodConfig, "\xff\xfe\x00\x00" + goodCredentials, credPath, 1},
		{"credentials: unclosed header", goodConfig, "[dev\n" + strings.TrimPrefix(goodCredentials, "[dev]\n"), credPath, 1},
		{"credentials: secret without delimiter", goodConfig, strings.Replace(goodCredentials, "aws_secret_access_key = ", "aws_secret_access_key ", 1), credPath, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testenv.WriteFile(t, cfgPath, c.config)
			testenv.WriteFile(t, credPath, c.credentials)
			want := fmt.Sprintf("parse %s line %d: ", c.file, c.line)
			for _, args := range commands {
				r := testenv.Run(t, nil, "", args...)
				if r.Code != 10 || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "hint: fix the file") {
					t.Errorf("%s: want exit 10 and %q\n%s", strings.Join(args, " "), want, r)
				}
				if strings.Contains(r.Stdout+r.Stderr, secretValue) {
					t.Errorf("%s printed the secret:\n%s", strings.Join(args, " "), r)
				}
			}
		})
	}
}
