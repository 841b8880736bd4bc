package creds

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/fault"
)

// TestLoadUsesProcessProvider: credential_process, on the profile itself or
// at the end of a source_profile chain, is run by s3sso, not by the SDK.
func TestLoadUsesProcessProvider(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/echo")
	}
	writeAWSFiles(t, `[profile proc]
credential_process = /bin/echo not-json

[profile role]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = proc

[profile both]
credential_process = /bin/echo not-json
aws_access_key_id = AKIDSTATIC
aws_secret_access_key = secret

[profile mfa]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = proc
mfa_serial = arn:aws:iam::123456789012:mfa/me
`, "")
	ctx := context.Background()
	plan, ok := planProcess(ctx, "proc")
	if !ok || plan.Profile != "proc" || plan.Command != "/bin/echo not-json" || len(plan.Roles) != 0 {
		t.Fatalf("proc: %+v, %v", plan, ok)
	}
	plan, ok = planProcess(ctx, "role")
	if !ok || plan.Profile != "proc" || len(plan.Roles) != 1 || plan.Roles[0].RoleARN != "arn:aws:iam::123456789012:role/r" {
		t.Fatalf("role: %+v, %v", plan, ok)
	}
	// Static keys come first in the SDK's order; mfa_serial is the SDK's
	// to refuse.
	for _, p := range []string{"both", "mfa", "nonexistent"} {
		if plan, ok := planProcess(ctx, p); ok {
			t.Errorf("%s: %+v", p, plan)
		}
	}

	cfg, err := Load(t.Context(), Options{Profile: "proc"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Credentials.Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "credential_process of profile proc returned unusable output: it is not JSON (9 bytes") {
		t.Fatalf("err = %v", err)
	}
	if _, ok := cfg.Credentials.(*aws.CredentialsCache); !ok {
		t.Errorf("credentials %T, want a cache", cfg.Credentials)
	}
	// Environment keys win when no profile is given by flag, as in the SDK.
	t.Setenv("AWS_PROFILE", "proc")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	cfg, err = Load(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := cfg.Credentials.Retrieve(ctx); err != nil || c.AccessKeyID != "AKIDENV" {
		t.Fatalf("%+v, %v", c, err)
	}
}

func TestLoadBadProcessTimeout(t *testing.T) {
	writeAWSFiles(t, "[profile proc]\ncredential_process = /bin/true\n", "")
	t.Setenv(ProcessTimeoutEnv, "forever")
	_, err := Load(t.Context(), Options{Profile: "proc"})
	if err == nil || !strings.Contains(err.Error(), ProcessTimeoutEnv) || fault.KindOf(err) != fault.Config {
		t.Fatalf("err = %v", err)
	}
}
