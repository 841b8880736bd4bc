//go:build unix

package creds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
)

const (
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
	testToken  = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENvalue"
)

// helper writes an executable shell script and returns its path.
func helper(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "helper.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func newTestProvider(t *testing.T, command string) (*ProcessProvider, *bytes.Buffer) {
	t.Helper()
	p := NewProcessProvider(t.Context(), "test", command, 5*time.Second)
	var stderr bytes.Buffer
	p.Stderr = &stderr
	p.Stdin = devNull(t)
	return p, &stderr
}

// devNull opens /dev/null as a helper's standard input (the test's own may
// be a terminal, which the helper would be given).
func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// assertNoSecret fails when s holds one of the test's secret values.
func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testSecret, testToken, "SECRETKEY", "SESSIONTOKEN"} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s contains a secret:\n%s", what, s)
		}
	}
}

func TestProcessValidOutput(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	p, _ := newTestProvider(t, helper(t, fmt.Sprintf(`echo '{"Version": 1, "AccessKeyId": "AKIDTEST", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "%s", "AccountId": "123456789012"}'`,
		testSecret, testToken, exp.Format(time.RFC3339))))
	c, err := p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "AKIDTEST" || c.SecretAccessKey != testSecret || c.SessionToken != testToken || !c.CanExpire ||
		!c.Expires.Equal(exp) || c.AccountID != "123456789012" || c.Source != ProcessSource {
		t.Fatalf("credentials %+v", c)
	}
	// Expiration is optional (static credentials), Version 1.0 is 1 (as
	// in botocore), and arguments are split like the AWS CLI splits them.
	p, _ = newTestProvider(t, helper(t, `printf '{"Version": 1.0, "AccessKeyId": "%s", "SecretAccessKey": "s"}' "$1"`)+` 'quoted arg'`)
	c, err = p.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c.CanExpire || c.AccessKeyID != "quoted arg" {
		t.Fatalf("credentials %+v", c)
	}
}

// TestProcessBadOutputNeverEchoed: every kind of unusable output gets an
// error that says what is wrong and how many bytes came, and never what
// the helper printed.
func TestProcessBadOutputNeverEchoed(t *testing.T) {
	envFormat := fmt.Sprintf("export AWS_ACCESS_KEY_ID=AKIDTEST\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_SESSION_TOKEN=%s\n", testSecret, testToken)
	cases := []struct {
		name, out, want string
	}{
		{"env format", envFormat, "it is not JSON (" + strconv.Itoa(len(envFormat)) + " bytes"},
		{"empty", "", "it printed nothing (0 bytes"},
		{"array", `["` + testSecret + `"]`, "it is an array, not a JSON object"},
		{"string", `"` + testSecret + `"`, "it is a string, not a JSON object"},
		{"no version", `{"AccessKeyId": "AKID", "SecretAccessKey": "` + testSecret + `"}`, "Version is missing"},
		{"version 2", `{"Version": 2, "AccessKeyId": "AKID", "SecretAccessKey": "` + testSecret + `"}`, "Version is 2, only 1 is supported"},
		{"version string", `{"Version": "` + testSecret + `", "AccessKeyId": "AKID", "SecretAccessKey": "s"}`, "Version is a string, it must be the number 1"},
		{"no key id", `{"Version": 1, "SecretAccessKey": "` + testSecret + `"}`, "AccessKeyId is missing"},
		{"key id number", `{"Version": 1, "AccessKeyId": 12, "SecretAccessKey": "` + testSecret + `"}`, "AccessKeyId is a number, it must be a string"},
		{"empty secret", `{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "", "SessionToken": "` + testToken + `"}`, "SecretAccessKey is empty"},
		{"token object", `{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "` + testSecret + `", "SessionToken": {"x": "` + testToken + `"}}`, "SessionToken is an object, it must be a string"},
		{"bad expiration", `{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "` + testSecret + `", "Expiration": "` + testToken + `"}`, "Expiration is not an RFC 3339 time"},
		{"expired", `{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "` + testSecret + `", "SessionToken": "` + testToken + `", "Expiration": "2001-02-03T04:05:06Z"}`, "returned credentials that expired at 2001-02-03T04:05:06Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "out")
			if err := os.WriteFile(f, []byte(c.out), 0o600); err != nil {
				t.Fatal(err)
			}
			p, stderr := newTestProvider(t, helper(t, "cat "+f))
			_, err := p.Retrieve(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error() + "\nhint: " + fault.HintOf(err)
			if !strings.Contains(msg, c.want) {
				t.Fatalf("error does not say %q:\n%s", c.want, msg)
			}
			if fault.KindOf(err) != fault.Auth {
				t.Errorf("kind %v, want %v", fault.KindOf(err), fault.Auth)
			}
			assertNoSecret(t, "error", msg)
			assertNoSecret(t, "stderr", stderr.String())
			if c.name == "env format" && !strings.Contains(msg, "--format process") {
				t.Errorf("no hint about --format process:\n%s", msg)
			}
		})
	}
}

// TestProcessFailureStderrPassesThrough: the helper's stderr reaches the
// user's terminal, but neither it nor stdout is part of the error.
func TestProcessFailureStderrPassesThrough(t *testing.T) {
	p, stderr := newTestProvider(t, helper(t, "echo 'token expired, run helper login' >&2\necho "+testSecret+"\nexit 3"))
	_, err := p.Retrieve(t.Context())
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || fault.KindOf(err) != fault.Auth {
		t.Fatalf("err = %v", err)
	}
	assertNoSecret(t, "error", err.Error())
	if strings.Contains(err.Error(), "run helper login") {
		t.Errorf("the helper's stderr is in the error: %v", err)
	}
	if !strings.Contains(stderr.String(), "run helper login") {
		t.Errorf("the helper's stderr did not pass through: %q", stderr.String())
	}
}

// childPID waits for the helper to write its child's PID to f.
func childPID(t *testing.T, f string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(f); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the helper did not start its child")
	return 0
}

// processGone waits until pid no longer runs (gone or a zombie).
func processGone(pid int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil && syscall.Kill(pid, 0) != nil {
			return true
		}
		if err == nil {
			// The state follows the command name in parentheses.
			if i := bytes.LastIndexByte(b, ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hangingHelper starts a child that sleeps, records its PID and waits.
func hangingHelper(t *testing.T) (script, pidFile string) {
	t.Helper()
	pidFile = filepath.Join(t.TempDir(), "child.pid")
	script = helper(t, "sleep 1000 &\necho $! > "+pidFile+"\nwait")
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL) // the test failed
			}
		}
	})
	return script, pidFile
}

func TestProcessTimeoutKillsGroup(t *testing.T) {
	script, pidFile := hangingHelper(t)
	p, _ := newTestProvider(t, script)
	p.Timeout = 500 * time.Millisecond
	start := time.Now()
	_, err := p.Retrieve(t.Context())
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "did not finish within 500ms") || fault.KindOf(err) != fault.Auth {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(fault.HintOf(err), ProcessTimeoutEnv) {
		t.Errorf("hint does not name %s: %s", ProcessTimeoutEnv, fault.HintOf(err))
	}
	if took > 3*time.Second {
		t.Errorf("took %v", took)
	}
	if pid := childPID(t, pidFile); !processGone(pid, 2*time.Second) {
		t.Errorf("the helper's child %d still runs", pid)
	}
}

// TestProcessCancelKillsGroup: ending the context given to the provider
// (Ctrl-C) stops the helper and its children at once, although the
// Retrieve context (as the SDK's credentials cache passes it) is never
// cancelled.
func TestProcessCancelKillsGroup(t *testing.T) {
	script, pidFile := hangingHelper(t)
	base, cancel := context.WithCancel(t.Context())
	p := NewProcessProvider(base, "test", script, time.Minute)
	p.Stderr, p.Stdin = &bytes.Buffer{}, devNull(t)
	done := make(chan error, 1)
	go func() {
		_, err := NewProcessCredentials(p).Retrieve(context.WithoutCancel(t.Context()))
		done <- err
	}()
	pid := childPID(t, pidFile)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if fault.KindOf(err) != fault.Interrupted || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v (kind %v), want interrupted", err, fault.KindOf(err))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Retrieve still waits 5s after the cancel")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	if !processGone(pid, 2*time.Second) {
		t.Errorf("the helper's child %d still runs", pid)
	}
}

// TestStopHelpers: what the CLI calls before exiting kills a running
// helper's group.
func TestStopHelpers(t *testing.T) {
	script, pidFile := hangingHelper(t)
	p, _ := newTestProvider(t, script)
	p.Timeout = 0
	done := make(chan error, 1)
	go func() { _, err := p.Retrieve(t.Context()); done <- err }()
	pid := childPID(t, pidFile)
	StopHelpers()
	if !processGone(pid, 2*time.Second) {
		t.Errorf("the helper's child %d still runs", pid)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("a killed helper gave credentials")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Retrieve did not return after StopHelpers")
	}
}

func TestProcessOutputLimit(t *testing.T) {
	p, _ := newTestProvider(t, "sh -c 'yes "+testSecret+"'")
	start := time.Now()
	_, err := p.Retrieve(t.Context())
	if err == nil || !strings.Contains(err.Error(), "more than 1048576 bytes (1 MiB)") {
		t.Fatalf("err = %v", err)
	}
	assertNoSecret(t, "error", err.Error())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	// Exactly the limit is fine as far as size goes (then it is not JSON).
	p, _ = newTestProvider(t, fmt.Sprintf("sh -c 'head -c %d /dev/zero'", MaxProcessOutput))
	if _, err := p.Retrieve(t.Context()); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("err = %v", err)
	}
}

// TestProcessChildKeepsStdoutOpen: a helper that leaves a child holding
// its standard output still delivers once it exits.
func TestProcessChildKeepsStdoutOpen(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	p, _ := newTestProvider(t, helper(t, `echo '{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "s"}'
sleep 1000 &
echo $! > `+pidFile))
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	start := time.Now()
	c, err := p.Retrieve(t.Context())
	if err != nil || c.AccessKeyID != "AKID" {
		t.Fatalf("%+v, %v", c, err)
	}
	if took := time.Since(start); took > pipeGrace+2*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestProcessCommandProblems(t *testing.T) {
	for cmd, want := range map[string]string{
		"":                             "is empty",
		`helper "unterminated`:         "cannot be parsed: no closing quotation",
		"/nonexistent/helper --secret": `cannot run "/nonexistent/helper"`,
		"no-such-helper-s3sso-test":    `cannot run "no-such-helper-s3sso-test"`,
	} {
		p, _ := newTestProvider(t, cmd)
		_, err := p.Retrieve(t.Context())
		if err == nil || !strings.Contains(err.Error(), want) || fault.KindOf(err) != fault.Config {
			t.Errorf("%q: err = %v (kind %v), want %q", cmd, err, fault.KindOf(err), want)
		}
		if err != nil && strings.Contains(err.Error(), "--secret") {
			t.Errorf("%q: the error shows the arguments: %v", cmd, err)
		}
	}
	// No shell: a pipe is an argument, not a pipe.
	p, _ := newTestProvider(t, helper(t, `[ "$1" = "|" ] && echo '{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "s"}'`)+" | cat")
	if _, err := p.Retrieve(t.Context()); err != nil {
		t.Errorf("a | in credential_process went to a shell: %v", err)
	}
}

// TestProcessCaching: the helper runs once while its credentials are
// fresh; credentials close to their expiry are fetched again, but short
// lifetimes do not mean one run per request.
func TestProcessCaching(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	script := helper(t, `echo run >> `+count+`
echo "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"s\", \"Expiration\": \"$EXP\"}"`)
	runs := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "run")
	}
	t.Setenv("EXP", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	p, _ := newTestProvider(t, script)
	c := NewProcessCredentials(p)
	for range 3 {
		if _, err := c.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs(); n != 1 {
		t.Fatalf("an hour's credentials: %d runs, want 1", n)
	}
	// Two minutes left: within the 5 minute window, but re-used for half of
	// what is left.
	t.Setenv("EXP", time.Now().Add(2*time.Minute).UTC().Format(time.RFC3339))
	c = NewProcessCredentials(p)
	for range 3 {
		if _, err := c.Retrieve(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs(); n != 2 {
		t.Fatalf("2 minute credentials: %d runs in all, want 2", n)
	}
}

func TestProcessTimeoutSetting(t *testing.T) {
	for v, want := range map[string]time.Duration{"": DefaultProcessTimeout, "90s": 90 * time.Second, "0": 0, "5m": 5 * time.Minute} {
		t.Setenv(ProcessTimeoutEnv, v)
		if d, err := ProcessTimeout(); err != nil || d != want {
			t.Errorf("%s=%q: %v, %v; want %v", ProcessTimeoutEnv, v, d, err, want)
		}
	}
	for _, v := range []string{"soon", "-1s", "10"} {
		t.Setenv(ProcessTimeoutEnv, v)
		if _, err := ProcessTimeout(); err == nil || fault.KindOf(err) != fault.Config {
			t.Errorf("%s=%q: err = %v, want a config error", ProcessTimeoutEnv, v, err)
		}
	}
}
