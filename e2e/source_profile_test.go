package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestSourceProfileLoop: a source_profile loop is named, with the
// configuration exit code, instead of the SDK's "failed to load assume role
// ..., <nil>".
func TestSourceProfileLoop(t *testing.T) {
	e := setup(t)
	cfgPath := filepath.Join(e.home, ".aws", "config")
	testenv.WriteFile(t, cfgPath, string(readFile(t, cfgPath))+`
[profile a]
role_arn = arn:aws:iam::123456789012:role/a
source_profile = b

[profile b]
role_arn = arn:aws:iam::123456789012:role/b
source_profile = a
`)
	for _, args := range [][]string{{"--profile", "a", "ls", e.url("")}, {"--profile", "b", "whoami"}} {
		r := e.run(args...)
		want := "source_profile loop in " + cfgPath + ": profile " + args[1] + " -> "
		if r.Code != 10 || !strings.Contains(r.Stderr, want) || strings.Contains(r.Stderr, "<nil>") {
			t.Errorf("s3sso %s: want exit 10 and %q\n%s", strings.Join(args, " "), want, r)
		}
	}
}
