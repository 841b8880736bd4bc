package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestConfigReadLikeTheAWSCLI: the values the Go SDK's loader read
// differently from the AWS CLI reach the command as the CLI reads them:
// an access key with " ; note" stays whole, an indented line continues a
// value, AWS_CONFIG_FILE=~/x is expanded, [default] after [profile default]
// wins; and what the CLI refuses (an inline comment after a region, a BOM,
// services naming no section) is exit 10 with the file and the fix.
func TestConfigReadLikeTheAWSCLI(t *testing.T) {
	home := testenv.Home(t)
	cfgPath := filepath.Join(home, ".aws", "config")
	credPath := filepath.Join(home, ".aws", "credentials")

	t.Run("access key with a semicolon", func(t *testing.T) {
		testenv.WriteFile(t, cfgPath, "[default]\nregion = eu-west-1\n")
		testenv.WriteFile(t, credPath, "[default]\naws_access_key_id = AKIAEXAMPLE ; note\naws_secret_access_key = SECRETVALUE\n")
		r := testenv.Run(t, nil, "", "credentials", "--format", "env")
		if r.Code != 0 || !strings.Contains(r.Stdout, "AWS_ACCESS_KEY_ID='AKIAEXAMPLE ; note'") {
			t.Fatalf("want the whole value, as the AWS CLI reads it:\n%s", r)
		}
	})
	t.Run("continuation line", func(t *testing.T) {
		testenv.WriteFile(t, cfgPath, "[default]\nregion = eu-west-1\n")
		testenv.WriteFile(t, credPath, "[default]\naws_access_key_id = AKIAEXAMPLE\n  CONTINUED\naws_secret_access_key = SECRETVALUE\n")
		r := testenv.Run(t, nil, "", "credentials", "--format", "env")
		if r.Code != 0 || !strings.Contains(r.Stdout, "AKIAEXAMPLE\nCONTINUED") {
			t.Fatalf("want the continued value:\n%s", r)
		}
	})
	t.Run("AWS_CONFIG_FILE with ~ and [default] after [profile default]", func(t *testing.T) {
		testenv.WriteFile(t, credPath, "")
		testenv.WriteFile(t, cfgPath, "")
		testenv.WriteFile(t, filepath.Join(home, "alt", "cfg"), "[profile default]\nregion = eu-west-1\n[default]\nregion = ap-south-1\n")
		r := testenv.Run(t, []string{"AWS_CONFIG_FILE=~/alt/cfg"}, "", "debug", "resolve")
		if r.Code != 0 || !strings.Contains(r.Stdout, `"region": "ap-south-1"`) {
			t.Fatalf("want the later [default]'s region from ~/alt/cfg:\n%s", r)
		}
	})
	for _, c := range []struct{ name, config, want string }{
		{"inline comment after the region", "[default]\nregion = eu-west-1 # note\n", "is not a valid region name"},
		{"byte order mark", "\ufeff[default]\r\nregion = eu-west-1\r\n", "line 1: the file starts with a byte order mark"},
		{"services naming no section", "[default]\nservices = nope\n", "names no [services] section"},
		{"[default] and a repeated key", "[default]\nregion = eu-west-1\nregion = us-east-1\n", "line 3: key \"region\" appears more than once"},
	} {
		t.Run(c.name, func(t *testing.T) {
			testenv.WriteFile(t, cfgPath, c.config)
			testenv.WriteFile(t, credPath, "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRETVALUE\n")
			for _, args := range [][]string{{"credentials", "--format", "env"}, {"debug", "resolve"}} {
				r := testenv.Run(t, nil, "", args...)
				if r.Code != 10 || !strings.Contains(r.Stderr, c.want) || !strings.Contains(r.Stderr, "hint: ") {
					t.Errorf("%s: want exit 10 and %q:\n%s", args[0], c.want, r)
				}
				if strings.Contains(r.Stdout+r.Stderr, "SECRETVALUE") {
					t.Errorf("%s printed the secret:\n%s", args[0], r)
				}
			}
		})
	}
}

// TestUsageHintNamesARealCommand: a bad flag on the root command points at
// `s3sso --help`, not at the nonexistent `s3sso help --help`.
func TestUsageHintNamesARealCommand(t *testing.T) {
	testenv.Home(t)
	r := testenv.Run(t, nil, "", "--no-such-flag")
	if r.Code != 2 || !strings.Contains(r.Stderr, "see `s3sso --help`") || strings.Contains(r.Stderr, "help --help") {
		t.Fatalf("want the root hint:\n%s", r)
	}
	r = testenv.Run(t, nil, "", "ls", "--no-such-flag")
	if !strings.Contains(r.Stderr, "see `s3sso ls --help`") {
		t.Fatalf("want the ls hint:\n%s", r)
	}
}

// TestNotSignedInSaysTheCommandOnce: the sign-in error names the login
// command in its hint only, not twice.
func TestNotSignedInSaysTheCommandOnce(t *testing.T) {
	home := testenv.Home(t)
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = R\n"+
		"[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n")
	r := testenv.Run(t, nil, "", "ls", "--profile", "dev")
	if r.Code != 6 || strings.Count(r.Stderr, "s3sso login --profile dev") != 1 || !strings.Contains(r.Stderr, "hint: run `s3sso login --profile dev`") {
		t.Fatalf("want the login command once, in the hint:\n%s", r)
	}
}

// TestVersionFlagAndOutputAlias: --version works like `version`, and
// --output json|text is an alias of --json as in the AWS CLI.
func TestVersionFlagAndOutputAlias(t *testing.T) {
	testenv.Home(t)
	v := testenv.Run(t, nil, "", "version")
	r := testenv.Run(t, nil, "", "--version")
	if r.Code != 0 || r.Stdout != v.Stdout || !strings.HasPrefix(r.Stdout, "s3sso ") {
		t.Fatalf("--version:\n%s\nversion:\n%s", r, v)
	}
	j := testenv.Run(t, nil, "", "version", "--json")
	o := testenv.Run(t, nil, "", "version", "--output", "json")
	if o.Code != 0 || o.Stdout != j.Stdout || !strings.HasPrefix(o.Stdout, "{") {
		t.Fatalf("--output json:\n%s\n--json:\n%s", o, j)
	}
	if r := testenv.Run(t, nil, "", "version", "--output", "text"); r.Stdout != v.Stdout {
		t.Errorf("--output text:\n%s", r)
	}
	if r := testenv.Run(t, nil, "", "version", "--output", "yaml"); r.Code != 2 || !strings.Contains(r.Stderr, "--output must be json or text") {
		t.Errorf("--output yaml:\n%s", r)
	}
}
