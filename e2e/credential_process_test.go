//go:build unix

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// Secret values a helper prints; no output of s3sso may contain them.
const (
	procSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPROCSECRET"
	procToken  = "IQoJb3JpZ2luX2VjEXAMPLEPROCSESSIONTOKEN"
)

// addProcessProfile writes an executable helper script and a profile
// "proc" whose credential_process runs it, and selects that profile.
func (e *env) addProcessProfile(script string) string {
	e.t.Helper()
	path := filepath.Join(e.home, "helper.sh")
	testenv.WriteFile(e.t, path, "#!/bin/sh\n"+script+"\n")
	if err := os.Chmod(path, 0o700); err != nil {
		e.t.Fatal(err)
	}
	cfgPath := filepath.Join(e.home, ".aws", "config")
	old := readFile(e.t, cfgPath)
	if !bytes.Contains(old, []byte("[profile proc]")) {
		testenv.WriteFile(e.t, cfgPath, string(old)+fmt.Sprintf("\n[profile proc]\nregion = us-east-1\ncredential_process = %s\nservices = local-minio\n", path))
	}
	e.vars = []string{"AWS_PROFILE=proc"}
	return path
}

// noSecretIn fails when any output of r holds a helper's secret.
func noSecretIn(t *testing.T, r testenv.Result) {
	t.Helper()
	for _, s := range []string{procSecret, procToken, "PROCSECRET", "PROCSESSIONTOKEN"} {
		if strings.Contains(r.Stdout, s) || strings.Contains(r.Stderr, s) {
			t.Fatalf("output contains a secret the helper printed:\n%s", r)
		}
	}
}

// TestCredentialProcessOutputNeverShown: a helper printing something other
// than the JSON credentials (here `s3sso credentials --format env`, put in
// credential_process by mistake) gets an error that says what is wrong and
// how many bytes came; its output appears nowhere, not even with --debug.
func TestCredentialProcessOutputNeverShown(t *testing.T) {
	e := setup(t)
	envOut := fmt.Sprintf("export AWS_ACCESS_KEY_ID=AKIAPROCTEST\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_SESSION_TOKEN=%s\n", procSecret, procToken)
	cases := []struct {
		name, out, want string
	}{
		{"env format", envOut, fmt.Sprintf("it is not JSON (%d bytes on standard output, not shown)", len(envOut))},
		{"wrong version", `{"Version": 2, "AccessKeyId": "AKIA", "SecretAccessKey": "` + procSecret + `"}`, "Version is 2, only 1 is supported"},
		{"missing field", `{"Version": 1, "SecretAccessKey": "` + procSecret + `", "SessionToken": "` + procToken + `"}`, "AccessKeyId is missing"},
		{"expired", `{"Version": 1, "AccessKeyId": "` + e.minio.AccessKey + `", "SecretAccessKey": "` + procSecret + `", "SessionToken": "` + procToken + `", "Expiration": "2020-01-02T03:04:05Z"}`, "returned credentials that expired at 2020-01-02T03:04:05Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(e.home, "out-"+strings.ReplaceAll(c.name, " ", "-"))
			testenv.WriteFile(t, out, c.out)
			e.addProcessProfile("cat " + out)
			for _, args := range [][]string{{"ls", e.url("")}, {"--debug", "ls", e.url("")}, {"--debug", "--log-format", "json", "cat", e.url("x")}, {"whoami"}} {
				r := e.run(args...)
				noSecretIn(t, r)
				if args[0] == "whoami" {
					continue
				}
				if r.Code != 6 || !strings.Contains(r.Stderr, c.want) {
					t.Fatalf("s3sso %s: want exit 6 and %q\n%s", strings.Join(args, " "), c.want, r)
				}
				if c.name == "env format" && !strings.Contains(r.Stderr, "--format process") {
					t.Errorf("no hint to use --format process:\n%s", r)
				}
			}
		})
	}
}

// TestCredentialProcessWorksAndChains: a helper's credentials are used, on
// the profile itself and as the source of an assume-role chain (MinIO's
// STS), and a broken helper at the end of a chain is reported the same way.
func TestCredentialProcessWorksAndChains(t *testing.T) {
	e := setup(t)
	e.put("p.txt", []byte("via helper"))
	helper := e.addProcessProfile(fmt.Sprintf(`echo '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}'`, e.minio.AccessKey, e.minio.SecretKey))
	if r := e.ok("cat", e.url("p.txt")); r.Stdout != "via helper" {
		t.Fatalf("cat = %q", r.Stdout)
	}
	cfgPath := filepath.Join(e.home, ".aws", "config")
	testenv.WriteFile(t, cfgPath, string(readFile(t, cfgPath))+fmt.Sprintf(`
[profile chained]
region = us-east-1
role_arn = arn:aws:iam::123456789012:role/any
source_profile = proc
services = local-sts

[services local-sts]
s3 =
  endpoint_url = %[1]s
sts =
  endpoint_url = %[1]s
`, e.minio.Endpoint))
	e.vars = []string{"AWS_PROFILE=chained"}
	if r := e.ok("cat", e.url("p.txt")); r.Stdout != "via helper" {
		t.Fatalf("cat via the chain = %q", r.Stdout)
	}
	testenv.WriteFile(t, helper, fmt.Sprintf("#!/bin/sh\necho 'AWS_SECRET_ACCESS_KEY=%s'\n", procSecret))
	r := e.run("--debug", "ls", e.url(""))
	noSecretIn(t, r)
	if r.Code != 6 || !strings.Contains(r.Stderr, "credential_process of profile proc returned unusable output: it is not JSON") {
		t.Fatalf("want exit 6 naming profile proc\n%s", r)
	}
}

// hangingHelper makes the proc helper start a child that sleeps forever
// (as `sh -c 'sleep 1000'` does) and wait for it; it returns the file the
// child's PID is written to.
func (e *env) hangingHelper() string {
	e.t.Helper()
	pidFile := filepath.Join(e.home, "child.pid")
	e.addProcessProfile("sleep 1000 &\necho $! > " + pidFile + "\nwait")
	e.t.Cleanup(func() {
		if pid := readPID(pidFile); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL) // only when the test failed
		}
	})
	return pidFile
}

func readPID(f string) int {
	b, err := os.ReadFile(f)
	if err != nil || !bytes.HasSuffix(b, []byte("\n")) {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func waitPID(t *testing.T, f string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if pid := readPID(f); pid > 0 {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the helper did not start its child")
	return 0
}

// alive reports whether pid runs (and is not a zombie) after waiting up to
// 2 seconds for it to go.
func alive(pid int) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		gone := err != nil && syscall.Kill(pid, 0) != nil
		if i := bytes.LastIndexByte(b, ')'); err == nil && i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
			gone = true
		}
		if gone {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCredentialProcessTimeout: a helper that never finishes is stopped,
// children included, after S3SSO_CREDENTIAL_PROCESS_TIMEOUT.
func TestCredentialProcessTimeout(t *testing.T) {
	e := setup(t)
	pidFile := e.hangingHelper()
	e.vars = append(e.vars, "S3SSO_CREDENTIAL_PROCESS_TIMEOUT=2s")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	r := testenv.RunCtx(ctx, t, e.vars, "", "ls", e.url(""))
	took := time.Since(start)
	if r.Code != 6 || !strings.Contains(r.Stderr, "did not finish within 2s; it was stopped with its child processes") ||
		!strings.Contains(r.Stderr, "S3SSO_CREDENTIAL_PROCESS_TIMEOUT") {
		t.Fatalf("want exit 6 and the timeout error\n%s", r)
	}
	if took > 15*time.Second {
		t.Errorf("took %v with a 2s limit", took)
	}
	if pid := waitPID(t, pidFile); alive(pid) {
		t.Errorf("the helper's child %d still runs", pid)
	}
	t.Logf("stopped after %v", took.Round(time.Millisecond))
}

// TestCredentialProcessInterrupt: Ctrl-C (SIGINT) while a helper hangs ends
// s3sso at once with exit code 130 and kills the helper's process group.
func TestCredentialProcessInterrupt(t *testing.T) {
	e := setup(t)
	pidFile := e.hangingHelper()
	cmd := exec.Command(testenv.Binary(t), "ls", e.url(""))
	cmd.Env = append(os.Environ(), e.vars...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second // a helper's child left running may hold stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	pid := waitPID(t, pidFile)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("s3sso still runs 10s after SIGINT\n%s", stderr.String())
	}
	took := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	if took > 3*time.Second {
		t.Errorf("exit took %v after SIGINT", took)
	}
	if alive(pid) {
		t.Errorf("the helper's child %d still runs after s3sso exited", pid)
	}
	t.Logf("exit 130 %v after SIGINT", took.Round(time.Millisecond))
}

// TestCredentialProcessHugeOutput: a helper printing 200 MB is stopped
// after 1 MiB; s3sso neither buffers nor prints it.
func TestCredentialProcessHugeOutput(t *testing.T) {
	e := setup(t)
	e.addProcessProfile(`head -c 200000000 /dev/zero | tr '\0' x`)
	cmd, peakRSS := testenv.BinaryWithPeakRSS(t, e.vars, "ls", e.url(""))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second // a helper's child left running may hold stderr
	start := time.Now()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("s3sso still runs after 60s")
	}
	took := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != 6 || !strings.Contains(stderr.String(), "printed more than 1048576 bytes (1 MiB) on standard output; it was stopped") {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if stdout.Len()+stderr.Len() > 4096 {
		t.Errorf("%d bytes of output", stdout.Len()+stderr.Len())
	}
	rss, ok := peakRSS()
	if ok && rss > 100*1024 { // it was over 2 GB
		t.Errorf("peak RSS %d KiB", rss)
	}
	t.Logf("stopped after %v, peak RSS %d KiB (measured: %v)", took.Round(time.Millisecond), rss, ok)
}
