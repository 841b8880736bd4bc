package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// RunTimeout bounds each command started by [Run].
const RunTimeout = 2 * time.Minute

// built is the s3sso binary that Binary builds once per test process.
var built struct {
	once sync.Once
	dir  string // temporary directory holding path; Main removes it
	path string
	err  error
}

// Binary returns the path of an s3sso binary built from ./cmd/s3sso of the
// module the test runs in. It is built once per test process, with -race
// when the test binary itself was built with -race, into a temporary
// directory that [Main] removes. When S3SSO_BIN is set, that binary is used
// instead. A failed build fails the test.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("S3SSO_BIN"); p != "" {
		return p
	}
	built.once.Do(func() {
		built.dir, built.path, built.err = buildBinary()
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// buildBinary builds ./cmd/s3sso into a new temporary directory dir.
func buildBinary() (dir, bin string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", "s3sso-bin-")
	if err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "s3sso")
	args := []string{"build", "-trimpath", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/s3sso")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	// The environment the process started with: a test's temporary HOME
	// would hide the Go build cache and make every build a cold one.
	cmd.Env = initialEnv
	out, err := cmd.CombinedOutput()
	if err != nil {
		return dir, "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return dir, bin, nil
}

// removeBinary removes what Binary built. Only Main calls it, after the
// tests have finished.
func removeBinary() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// ModuleRoot returns the directory holding go.mod, found by walking up from
// the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Result is the outcome of a command started by [Run].
type Result struct {
	Stdout, Stderr string
	// Code is the exit code.
	Code int
}

// String formats the result for failure messages.
func (r Result) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout:\n%s--- stderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Run runs the s3sso [Binary] with args, in the test's environment
// (os.Environ(), so after [Home] the isolated one) plus env (KEY=VALUE
// entries, which win over the inherited ones), with stdin as its standard
// input. A non-zero exit is reported in Result.Code, not as a failure; the
// test fails only if the command cannot be started or runs longer than
// [RunTimeout]. Call it from the test's goroutine.
func Run(t testing.TB, env []string, stdin string, args ...string) Result {
	t.Helper()
	return RunCtx(t.Context(), t, env, stdin, args...)
}

// RunCtx is [Run] with a context: cancelling ctx kills the command.
func RunCtx(ctx context.Context, t testing.TB, env []string, stdin string, args ...string) Result {
	t.Helper()
	return run(ctx, t, (*exec.Cmd).Start, env, stdin, args...)
}

// RunWithoutDAC is [Run] for tests of file permissions: on Linux the command
// runs without the capabilities that let root read and search any file
// whatever its mode (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that a
// directory of mode 000 is unreadable to it even when the tests run as root,
// as it is to any other user.
func RunWithoutDAC(t testing.TB, env []string, stdin string, args ...string) Result {
	t.Helper()
	return run(t.Context(), t, startWithoutDAC, env, stdin, args...)
}

func run(ctx context.Context, t testing.TB, start func(*exec.Cmd) error, env []string, stdin string, args ...string) Result {
	t.Helper()
	bin := Binary(t)
	return runCmdCtx(ctx, t, start, func(ctx context.Context) *exec.Cmd { return exec.CommandContext(ctx, bin, args...) }, env, stdin, args)
}

// runCmd runs the command mk makes, like [Run]: mk gets the context that
// bounds the command; args name it in failure messages.
func runCmd(t testing.TB, mk func(context.Context) *exec.Cmd, env []string, stdin string, args []string) Result {
	t.Helper()
	return runCmdCtx(t.Context(), t, (*exec.Cmd).Start, mk, env, stdin, args)
}

func runCmdCtx(ctx context.Context, t testing.TB, start func(*exec.Cmd) error, mk func(context.Context) *exec.Cmd, env []string, stdin string, args []string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, RunTimeout)
	defer cancel()
	cmd := mk(ctx)
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(append(cmd.Env, RaceEnv()...), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// Do not wait forever for output pipes held open by a child process.
	cmd.WaitDelay = 5 * time.Second
	err := start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		t.Fatalf("s3sso %s: %v\n%s", strings.Join(args, " "), ctx.Err(), res)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("s3sso %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	return res
}

// raceExitOption stops a binary built with -race from sleeping at exit:
// the race runtime waits atexit_sleep_ms (1000 by default) before exiting,
// which a command test pays on every run of the binary.
const raceExitOption = "atexit_sleep_ms=0"

// RaceEnv returns the environment entries a command running a [Binary]
// needs: when it was built with -race, GORACE with atexit_sleep_ms=0 added
// to any GORACE options of the environment. [Main] also puts it in the test
// process's environment, so that every child (and the children of tools
// such as the AWS CLI's credential_process) inherits it.
func RaceEnv() []string {
	if !raceEnabled {
		return nil
	}
	return []string{"GORACE=" + withRaceExitOption(os.Getenv("GORACE"))}
}

func withRaceExitOption(gorace string) string {
	for _, f := range strings.Fields(gorace) {
		if strings.HasPrefix(f, "atexit_sleep_ms=") {
			return gorace
		}
	}
	return strings.TrimSpace(gorace + " " + raceExitOption)
}
