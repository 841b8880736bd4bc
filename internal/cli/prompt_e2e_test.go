package cli_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestCtrlCDuringPrompt: Ctrl-C while s3sso waits for an answer on the
// terminal (the role choice of `login --account`) ends it at once with exit
// 130, and nothing is saved.
func TestCtrlCDuringPrompt(t *testing.T) {
	e := accountEnv(t, ssotest.Options{}) // one account, roles ReadOnly and Admin
	e.mustS3sso("account", "add", "asked", "--type", "sso", "--start-url", e2eStartURL, "--sso-region", "us-east-1",
		"--endpoint-url", e.minio.Endpoint)
	before, err := os.ReadFile(filepath.Join(e.home, ".config", "s3sso", "accounts.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Binary(t), "login", "--account", "asked")
	cmd.Env = append(os.Environ(), e.vars...)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out syncBuffer
	go func() { _, _ = io.Copy(&out, tty) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Choose 1-2:") {
		if time.Now().After(deadline) {
			t.Fatalf("no role question:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	asked := time.Now()
	if _, err := tty.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	_ = cmd.Wait()
	took := time.Since(asked)
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d after Ctrl-C at the question, want 130:\n%s", code, out.String())
	}
	if took > 3*time.Second {
		t.Errorf("s3sso took %v to stop after Ctrl-C", took)
	}
	after, err := os.ReadFile(filepath.Join(e.home, ".config", "s3sso", "accounts.json"))
	if err != nil || string(after) != string(before) {
		t.Errorf("the accounts file changed after Ctrl-C (%v):\n%s\n---\n%s", err, before, after)
	}
}
