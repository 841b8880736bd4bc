package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// testenvRunBytes runs s3sso with binary stdin.
func testenvRunBytes(t *testing.T, e *env, stdin []byte, args ...string) testenv.Result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), testenv.Binary(t), args...)
	cmd.Env = append(os.Environ(), e.vars...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	return testenv.Result{Stdout: out.String(), Stderr: errb.String(), Code: cmd.ProcessState.ExitCode()}
}
