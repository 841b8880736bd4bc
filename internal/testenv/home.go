package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Home gives the test an empty, private home directory and an environment in
// which nothing from the developer's machine can leak into the code under
// test. It returns the new home directory.
//
// It sets HOME, XDG_CONFIG_HOME ($HOME/.config), XDG_STATE_HOME ($HOME/.local/state), XDG_CACHE_HOME
// ($HOME/.cache), AWS_CONFIG_FILE ($HOME/.aws/config),
// AWS_SHARED_CREDENTIALS_FILE ($HOME/.aws/credentials) and
// AWS_EC2_METADATA_DISABLED=true (so that a credential chain never waits for
// an instance metadata service). It unsets the variables that select a
// profile, a region, credentials or an endpoint (AWS_PROFILE,
// AWS_DEFAULT_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL*,
// AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and similar), and every S3SSO_*
// variable except S3SSO_TEST_*, S3SSO_*_BIN, S3SSO_BIN and S3SSO_TOOLS_DIR.
// AWS_CA_BUNDLE and the other certificate variables are kept: real users
// have them too. None of the directories under the new home is created.
//
// Everything is restored when the test ends. Like t.Setenv, Home cannot be
// used in parallel tests or tests with parallel ancestors.
func Home(t testing.TB) string {
	t.Helper()
	home := t.TempDir()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if isolatedVar(k) {
			unsetenv(t, k)
		}
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return home
}

// isolatedVar reports whether Home unsets the environment variable k.
func isolatedVar(k string) bool {
	switch k {
	case "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_CREDENTIAL_EXPIRATION",
		"AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_SDK_LOAD_CONFIG":
		return true
	}
	if strings.HasPrefix(k, "AWS_ENDPOINT_URL") {
		return true
	}
	if rest, ok := strings.CutPrefix(k, "S3SSO_"); ok {
		keep := strings.HasPrefix(rest, "TEST_") || rest == "BIN" || rest == "TOOLS_DIR" ||
			(strings.HasSuffix(rest, "_BIN") && len(rest) > len("_BIN"))
		return !keep
	}
	return false
}

// unsetenv unsets the environment variable k for the rest of the test and
// restores it afterwards. t.Setenv(k, "") would leave k set to the empty
// string, which is not the same as unset for many readers.
func unsetenv(t testing.TB, k string) {
	t.Helper()
	// t.Setenv records the current value and restores it in Cleanup.
	t.Setenv(k, os.Getenv(k))
	if err := os.Unsetenv(k); err != nil {
		t.Fatalf("unset %s: %v", k, err)
	}
}

// WriteFile writes content to path with mode 0600, creating missing parent
// directories with mode 0700, and fails the test on error.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
