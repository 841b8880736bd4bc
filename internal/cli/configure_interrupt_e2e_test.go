package cli_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for the process's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConfigureSSOInterruptedAtEachPrompt: Ctrl-C (SIGINT) at each question
// before the sign-in ends configure sso at once with exit 130 and writes
// nothing, even when an answer arrives afterwards; SIGTERM likewise, with
// 143 (SIGTERM's code everywhere in s3sso). Stdin stays open, as a terminal
// does: the prompt used to keep reading after the signal and write the
// config on the next Enter.
func TestConfigureSSOInterruptedAtEachPrompt(t *testing.T) {
	home := testenv.Home(t)
	cfg := filepath.Join(home, ".aws", "config")
	const before = "# mine\n[profile keep]\nregion = eu-west-1\n"
	prompts := []struct{ prompt, answer string }{
		{"SSO session name", "corp\n"},
		{"SSO start URL", "https://d-1234567890.awsapps.com/start\n"},
		{"SSO region", "us-east-1\n"},
		{"SSO registration scopes", "sso:account:access\n"},
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for i, p := range prompts {
			t.Run(sig.String()+" at "+p.prompt, func(t *testing.T) {
				testenv.WriteFile(t, cfg, before)
				cmd := exec.Command(testenv.Binary(t), "configure", "sso", "--profile", "new", "--no-browser")
				cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_SSO=http://127.0.0.1:1", "AWS_ENDPOINT_URL_SSO_OIDC=http://127.0.0.1:1")
				stdin, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				defer stdin.Close()
				var stderr syncBuffer
				cmd.Stderr = &stderr
				cmd.Stdout = io.Discard
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				waitFor := func(s string) {
					deadline := time.Now().Add(10 * time.Second)
					for !strings.Contains(stderr.String(), s) {
						if time.Now().After(deadline) {
							_ = cmd.Process.Kill()
							t.Fatalf("no prompt %q:\n%s", s, stderr.String())
						}
						time.Sleep(10 * time.Millisecond)
					}
				}
				for _, q := range prompts[:i] {
					waitFor(q.prompt)
					io.WriteString(stdin, q.answer)
				}
				waitFor(p.prompt)
				start := time.Now()
				_ = cmd.Process.Signal(sig)
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(3 * time.Second):
					// The old behaviour: still waiting. An Enter must not write.
					io.WriteString(stdin, p.answer)
					select {
					case <-done:
					case <-time.After(5 * time.Second):
						_ = cmd.Process.Kill()
						<-done
					}
					t.Errorf("still running 3s after %v at %q", sig, p.prompt)
				}
				want := 130
				if sig == syscall.SIGTERM {
					want = 143
				}
				if code := cmd.ProcessState.ExitCode(); code != want {
					t.Errorf("exit %d after %v, want %d:\n%s", code, sig, want, stderr.String())
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %v to end", d)
				}
				if got, _ := os.ReadFile(cfg); string(got) != before {
					t.Errorf("the config file changed:\n%s", got)
				}
				if strings.Contains(stderr.String(), "written to") {
					t.Errorf("claims a profile was written:\n%s", stderr.String())
				}
			})
		}
	}
}
