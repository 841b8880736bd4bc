package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// initialEnv is the process environment as it was before any test changed
// it (for example with Home). The Go toolchain and the tool lookup use it, so
// that a test's temporary HOME does not hide the build cache or the tools.
var initialEnv = os.Environ()

// initialGetenv looks key up in initialEnv.
func initialGetenv(key string) string {
	for _, kv := range initialEnv {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// skipDisallowed reports whether tests must fail instead of skipping when a
// prerequisite is missing: in CI (CI=true) or when S3SSO_TEST_DISALLOW_SKIP
// is set to anything but a false value.
func skipDisallowed() bool {
	if ci, err := strconv.ParseBool(os.Getenv("CI")); err == nil && ci {
		return true
	}
	v := os.Getenv("S3SSO_TEST_DISALLOW_SKIP")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// Skipf skips the test because an external prerequisite is missing, with the
// message built from format and args. When skips are disallowed (CI=true or
// S3SSO_TEST_DISALLOW_SKIP set) it fails the test with t.Fatalf instead.
// Use it for missing tools, servers or OS features, not for tests that are
// skipped on purpose (such as long tests under -short).
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if skipDisallowed() {
		t.Fatalf("prerequisite missing (skips are disallowed in CI and with S3SSO_TEST_DISALLOW_SKIP): "+format, args...)
	}
	t.Skipf(format, args...)
}

// ToolsDir returns the directory that scripts/tools.sh builds tools into:
// S3SSO_TOOLS_DIR, or $HOME/.cache/s3sso/tools with the HOME the process
// started with.
func ToolsDir() string {
	if d := os.Getenv("S3SSO_TOOLS_DIR"); d != "" {
		return d
	}
	if d := initialGetenv("S3SSO_TOOLS_DIR"); d != "" {
		return d
	}
	home := initialGetenv("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".cache", "s3sso", "tools")
}

// Tool finds the pinned external tool name (such as "minio", "s5cmd" or
// "rclone"). It looks, in order, at the environment variable
// S3SSO_<NAME>_BIN (NAME upper-cased, '-' and '.' as '_'), at the tools
// directory ([ToolsDir]) and at PATH. ok is false when none has it.
func Tool(name string) (path string, ok bool) {
	if p := os.Getenv(toolEnvVar(name)); p != "" {
		if isExecutable(p) {
			return p, true
		}
		return "", false
	}
	if dir := ToolsDir(); dir != "" {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, true
		}
	}
	return lookPath(name)
}

// RequireTool returns the path of tool name (see [Tool]). When the tool is
// missing it skips the test, or fails it when skips are disallowed (see
// [Skipf]).
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, ok := Tool(name)
	if !ok {
		Skipf(t, "tool %q not found: run scripts/tools.sh %s, or set %s", name, name, toolEnvVar(name))
	}
	return p
}

// toolEnvVar returns the variable that overrides the path of tool name:
// S3SSO_<NAME>_BIN.
func toolEnvVar(name string) string {
	return "S3SSO_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name)) + "_BIN"
}

// lookPath searches PATH for name like exec.LookPath, using the PATH the
// process started with as a fallback when a test cleared it.
func lookPath(name string) (string, bool) {
	path := os.Getenv("PATH")
	if path == "" {
		path = initialGetenv("PATH")
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, true
		}
	}
	return "", false
}

// isExecutable reports whether p is a regular file (after following
// symlinks) with an execute bit set.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
