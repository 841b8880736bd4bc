package testenv

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// awsCLIv2Path is where Debian's awscli package (the AWS CLI v2) puts the
// CLI; the AWS CLI v1 of the image stays first on PATH.
const awsCLIv2Path = "/usr/bin/aws"

var awsV2 struct {
	once    sync.Once
	path    string
	version string
}

// AWSCLIv2 returns the path of the AWS CLI v2 (see [FindAWSCLIv2]). When
// it is missing it skips the test, or fails it when skips are disallowed
// (see [Skipf]).
func AWSCLIv2(t testing.TB) string {
	t.Helper()
	p, ok := FindAWSCLIv2()
	if !ok {
		Skipf(t, "the AWS CLI v2 is not installed at %s: run scripts/apt.sh awscli (Debian's awscli package), or set %s", awsCLIv2Path, toolEnvVar("awscliv2"))
	}
	return p
}

// FindAWSCLIv2 returns the path of the AWS CLI v2: S3SSO_AWSCLIV2_BIN, or
// /usr/bin/aws when `aws --version` there says aws-cli/2 (scripts/apt.sh
// installs it; make test runs that).
func FindAWSCLIv2() (string, bool) {
	awsV2.once.Do(func() {
		p := os.Getenv(toolEnvVar("awscliv2"))
		if p == "" {
			p = awsCLIv2Path
		}
		cmd := exec.Command(p, "--version")
		cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true")
		out, err := cmd.Output()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/2.") {
			awsV2.path, awsV2.version = p, strings.TrimSpace(string(out))
		}
	})
	return awsV2.path, awsV2.path != ""
}
