package e2e

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// keysRun runs the binary with env and fails the test unless it exits 0.
func keysRun(t *testing.T, env []string, stdin string, args ...string) testenv.Result {
	t.Helper()
	r := testenv.Run(t, env, stdin, args...)
	if r.Code != 0 {
		t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// TestKeysAccountSecretService proves that a keys account's secret key goes
// to a real Secret Service (gnome-keyring on a private D-Bus session bus,
// unlocked), not to the 0600 file: secret-tool finds it there under
// service=s3sso username=NAME, S3 commands read it from there (a wrong value
// stored behind s3sso's back makes them fail), edit replaces it and rm
// deletes it.
func TestKeysAccountSecretService(t *testing.T) {
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	ss := testenv.StartSecretService(t)
	env := append([]string{"AWS_EC2_METADATA_DISABLED=true"}, ss.Env...)
	secretFile := filepath.Join(home, ".config", "s3sso", "secrets", "kr.secret")
	attrs := []string{"service", "s3sso", "username", "kr"}

	r := keysRun(t, env, m.SecretKey+"\n", "account", "add", "kr", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", m.Endpoint, "--region", "us-east-1")
	if strings.Contains(r.Stdout+r.Stderr, "0600 file") {
		t.Fatalf("the secret went to the file although a Secret Service answers: %s", r)
	}
	if got, err := ss.Lookup(t, attrs...); err != nil || got != m.SecretKey {
		t.Fatalf("secret-tool lookup: %v (found %d bytes, want the secret key)", err, len(got))
	}
	if _, err := os.Stat(secretFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the secret is also in %s: %v", secretFile, err)
	}
	if b, err := os.ReadFile(filepath.Join(home, ".config", "s3sso", "accounts.json")); err != nil || bytes.Contains(b, []byte(m.SecretKey)) {
		t.Fatalf("accounts.json: %v, or holds the secret", err)
	}
	if r := keysRun(t, env, "", "account", "list"); !strings.Contains(r.Stdout, "secret in the keyring") {
		t.Fatalf("account list does not say keyring: %s", r)
	}

	testenv.WriteFile(t, filepath.Join(home, "x.txt"), "through the keyring")
	keysRun(t, env, "", "cp", filepath.Join(home, "x.txt"), "s3://"+bucket+"/x.txt", "--account", "kr")
	if r := keysRun(t, env, "", "ls", "s3://"+bucket+"/", "--account", "kr"); !strings.Contains(r.Stdout, "x.txt") {
		t.Fatalf("ls: %s", r)
	}

	// The secret really comes from the Secret Service: a wrong one stored
	// there with secret-tool makes the next command fail.
	if err := ss.Store(t, "wrong-secret", attrs...); err != nil {
		t.Fatal(err)
	}
	if r := testenv.Run(t, env, "", "ls", "s3://"+bucket+"/", "--account", "kr"); r.Code == 0 {
		t.Fatalf("ls worked with a wrong secret in the keyring: %s", r)
	}
	keysRun(t, env, m.SecretKey+"\n", "account", "edit", "kr", "--secret-access-key", "-")
	if got, err := ss.Lookup(t, attrs...); err != nil || got != m.SecretKey {
		t.Fatalf("after edit: %v", err)
	}
	keysRun(t, env, "", "ls", "s3://"+bucket+"/", "--account", "kr")

	keysRun(t, env, "", "account", "rm", "kr")
	if _, err := ss.Lookup(t, attrs...); !errors.Is(err, testenv.ErrNoSecret) {
		t.Fatalf("account rm left the secret in the Secret Service: %v", err)
	}

	// S3SSO_KEYRING=off writes the file even with a Secret Service there.
	off := append([]string{"S3SSO_KEYRING=off"}, env...)
	r = keysRun(t, off, m.SecretKey+"\n", "account", "add", "kr", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", m.Endpoint, "--region", "us-east-1")
	if _, err := ss.Lookup(t, attrs...); !errors.Is(err, testenv.ErrNoSecret) {
		t.Fatalf("S3SSO_KEYRING=off still stored in the Secret Service: %v", err)
	}
	if st, err := os.Stat(secretFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("S3SSO_KEYRING=off: secret file %v", err)
	}
	keysRun(t, off, "", "ls", "s3://"+bucket+"/", "--account", "kr")
}

// TestKeysAccountFileFallback: with no Secret Service on the bus (the
// address leads nowhere, as on a headless machine), the secret goes to a
// 0600 file in a 0700 directory, commands read it from there and rm
// deletes it.
func TestKeysAccountFileFallback(t *testing.T) {
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	env := []string{"AWS_EC2_METADATA_DISABLED=true", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(home, "no-bus")}
	r := keysRun(t, env, m.SecretKey+"\n", "account", "add", "f", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", m.Endpoint, "--region", "us-east-1")
	if !strings.Contains(r.Stdout+r.Stderr, "0600 file") {
		t.Errorf("account add does not say where the secret went: %s", r)
	}
	dir := filepath.Join(home, ".config", "s3sso", "secrets")
	st, err := os.Stat(filepath.Join(dir, "f.secret"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", err, st)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("secret directory: %v %v", err, st)
	}
	if r := keysRun(t, env, "", "account", "list"); !strings.Contains(r.Stdout, "secret in the file") {
		t.Fatalf("account list does not say file: %s", r)
	}
	keysRun(t, env, "", "ls", "s3://"+bucket+"/", "--account", "f")
	keysRun(t, env, "", "account", "rm", "f")
	if _, err := os.Stat(filepath.Join(dir, "f.secret")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("rm left the secret file: %v", err)
	}
}
