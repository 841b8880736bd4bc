package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestAssumeRoleChainFromSourceProfile proves the SDK's credential chain is
// used as is: role_arn + source_profile, with STS (MinIO's AssumeRole) found
// through the services section.
func TestAssumeRoleChainFromSourceProfile(t *testing.T) {
	e := setup(t)
	e.put("chained.txt", []byte("via assume-role"))
	testenv.WriteFile(t, filepath.Join(e.home, ".aws", "config"), fmt.Sprintf(`[profile base]
region = us-east-1

[profile chained]
region = us-east-1
role_arn = arn:aws:iam::123456789012:role/any
source_profile = base
role_session_name = e2e-chain
services = local

[services local]
s3 =
  endpoint_url = %[1]s
sts =
  endpoint_url = %[1]s
`, e.minio.Endpoint))
	testenv.WriteFile(t, filepath.Join(e.home, ".aws", "credentials"),
		fmt.Sprintf("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n", e.minio.AccessKey, e.minio.SecretKey))
	e.vars = nil
	r := e.ok("--profile", "chained", "cat", e.url("chained.txt"))
	if r.Stdout != "via assume-role" {
		t.Fatalf("cat = %q", r.Stdout)
	}
	// The credentials really are the assumed role's: temporary, so presign
	// warns when its expiry outlives them.
	r = e.ok("--profile", "chained", "presign", "--expires", "48h", e.url("chained.txt"))
	if !strings.Contains(r.Stderr, "temporary credentials") {
		t.Fatalf("expected the temporary-credentials warning:\n%s", r)
	}
	// AWS_PROFILE selects the same profile.
	e.vars = []string{"AWS_PROFILE=chained"}
	e.ok("ls", e.url(""))
}

func TestEndpointFromEnvironmentAndFlag(t *testing.T) {
	e := setup(t)
	e.put("env.txt", []byte("e"))
	// A profile with keys only; the endpoint comes from AWS_ENDPOINT_URL_S3.
	testenv.WriteFile(t, filepath.Join(e.home, ".aws", "config"), "[profile keysonly]\nregion = us-east-1\n")
	testenv.WriteFile(t, filepath.Join(e.home, ".aws", "credentials"),
		fmt.Sprintf("[keysonly]\naws_access_key_id = %s\naws_secret_access_key = %s\n", e.minio.AccessKey, e.minio.SecretKey))
	e.vars = []string{"AWS_PROFILE=keysonly", "AWS_ENDPOINT_URL_S3=" + e.minio.Endpoint}
	if r := e.ok("cat", e.url("env.txt")); r.Stdout != "e" {
		t.Fatalf("cat via AWS_ENDPOINT_URL_S3 = %q", r.Stdout)
	}
	e.vars = []string{"AWS_PROFILE=keysonly"}
	if r := e.ok("--endpoint-url", e.minio.Endpoint, "cat", e.url("env.txt")); r.Stdout != "e" {
		t.Fatalf("cat via --endpoint-url = %q", r.Stdout)
	}
	e.fails(2, "must start with http", "--endpoint-url", "127.0.0.1:9", "ls")
}
