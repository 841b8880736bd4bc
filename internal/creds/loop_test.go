package creds

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/testenv"
)

func writeAWSFiles(t *testing.T, config, credentials string) {
	t.Helper()
	home := testenv.Home(t)
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), config)
	testenv.WriteFile(t, filepath.Join(home, ".aws", "credentials"), credentials)
}

const loopConfig = `[profile a]
role_arn = arn:aws:iam::123456789012:role/a
source_profile = b

[profile b]
role_arn = arn:aws:iam::123456789012:role/b
source_profile = a

[profile self]
role_arn = arn:aws:iam::123456789012:role/self
source_profile = self

[profile selfkeys]
role_arn = arn:aws:iam::123456789012:role/selfkeys
source_profile = selfkeys
aws_access_key_id = AKIDSELF
aws_secret_access_key = secret

[profile c]
role_arn = arn:aws:iam::123456789012:role/c
source_profile = d

[profile d]
role_arn = arn:aws:iam::123456789012:role/d
source_profile = c

[profile e]
role_arn = arn:aws:iam::123456789012:role/e
source_profile = f

[profile f]
role_arn = arn:aws:iam::123456789012:role/f
source_profile = g

[profile g]
role_arn = arn:aws:iam::123456789012:role/g
source_profile = f
`

// TestLoadSourceProfileLoop: the SDK says "failed to load assume role ...,
// <nil>" for a loop; s3sso names it, with the configuration exit code.
func TestLoadSourceProfileLoop(t *testing.T) {
	// d has keys in the credentials file, so c -> d is no loop.
	writeAWSFiles(t, loopConfig, "[d]\naws_access_key_id = AKIDD\naws_secret_access_key = secret\n")
	for profile, want := range map[string]string{
		"a":    "profile a -> b -> a",
		"b":    "profile b -> a -> b",
		"self": "profile self -> self",
		"e":    "profile e -> f -> g -> f",
	} {
		_, err := Load(t.Context(), Options{Profile: profile})
		if err == nil || !strings.Contains(err.Error(), "source_profile loop") || !strings.Contains(err.Error(), want) {
			t.Errorf("profile %s: err = %v, want %q", profile, err, want)
			continue
		}
		if fault.KindOf(err) != fault.Config {
			t.Errorf("profile %s: kind %v, want config", profile, fault.KindOf(err))
		}
		if strings.Contains(err.Error(), "<nil>") {
			t.Errorf("profile %s: %v", profile, err)
		}
	}
	// AWS_PROFILE selects a profile as --profile does.
	t.Setenv("AWS_PROFILE", "a")
	if _, err := Load(t.Context(), Options{}); err == nil || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Errorf("AWS_PROFILE=a: err = %v", err)
	}
	t.Setenv("AWS_PROFILE", "")
	// Not loops: a profile that is its own source with keys, and a chain
	// ending at a profile with keys.
	for _, profile := range []string{"selfkeys", "c"} {
		if _, err := Load(t.Context(), Options{Profile: profile}); err != nil {
			t.Errorf("profile %s: %v", profile, err)
		}
	}
}

// TestLoadSourceWithoutCredentials: the SDK's other "<nil>" error names
// the source profile.
func TestLoadSourceWithoutCredentials(t *testing.T) {
	writeAWSFiles(t, "[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = empty\n\n[profile empty]\nregion = us-east-1\n", "")
	_, err := Load(t.Context(), Options{Profile: "top"})
	if err == nil || !strings.Contains(err.Error(), "profile empty, the source_profile of role arn:aws:iam::123456789012:role/top, has no credentials") ||
		fault.KindOf(err) != fault.Config {
		t.Fatalf("err = %v", err)
	}
}
