package testenv

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMain(m *testing.M) { Main(m) }

func TestTool(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "fake-tool")
	WriteFile(t, exe, "#!/bin/sh\n")
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, filepath.Join(dir, "not-executable"), "")

	t.Setenv("S3SSO_FAKE_TOOL_BIN", exe)
	if p, ok := Tool("fake-tool"); !ok || p != exe {
		t.Errorf("Tool via S3SSO_FAKE_TOOL_BIN = %q, %v; want %q, true", p, ok, exe)
	}
	t.Setenv("S3SSO_FAKE_TOOL_BIN", filepath.Join(dir, "missing"))
	if p, ok := Tool("fake-tool"); ok {
		t.Errorf("Tool with S3SSO_FAKE_TOOL_BIN pointing nowhere = %q, true; want not found", p)
	}
	unsetenv(t, "S3SSO_FAKE_TOOL_BIN")

	t.Setenv("S3SSO_TOOLS_DIR", dir)
	if p, ok := Tool("fake-tool"); !ok || p != exe {
		t.Errorf("Tool via S3SSO_TOOLS_DIR = %q, %v; want %q, true", p, ok, exe)
	}
	if p, ok := Tool("not-executable"); ok {
		t.Errorf("Tool(not-executable) = %q, true; want not found", p)
	}

	t.Setenv("S3SSO_TOOLS_DIR", t.TempDir())
	t.Setenv("PATH", dir)
	if p, ok := Tool("fake-tool"); !ok || p != exe {
		t.Errorf("Tool via PATH = %q, %v; want %q, true", p, ok, exe)
	}
	if p, ok := Tool("no-such-tool-anywhere"); ok {
		t.Errorf("Tool(no-such-tool-anywhere) = %q, true", p)
	}
}

func TestSkipDisallowed(t *testing.T) {
	for _, tc := range []struct {
		ci, disallow string
		want         bool
	}{
		{"", "", false},
		{"false", "", false},
		{"true", "", true},
		{"1", "", true},
		{"", "1", true},
		{"", "yes", true},
		{"", "0", false},
		{"false", "true", true},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv("S3SSO_TEST_DISALLOW_SKIP", tc.disallow)
		if got := skipDisallowed(); got != tc.want {
			t.Errorf("CI=%q S3SSO_TEST_DISALLOW_SKIP=%q: skipDisallowed() = %v, want %v", tc.ci, tc.disallow, got, tc.want)
		}
	}
}

func TestHomeIsolated(t *testing.T) {
	caBundle, hadCA := os.LookupEnv("AWS_CA_BUNDLE")
	outer := map[string]string{
		"AWS_PROFILE":                 "real-profile",
		"AWS_DEFAULT_PROFILE":         "real-profile",
		"AWS_ACCESS_KEY_ID":           "AKIAREAL",
		"AWS_SECRET_ACCESS_KEY":       "real-secret",
		"AWS_SESSION_TOKEN":           "real-token",
		"AWS_REGION":                  "eu-west-1",
		"AWS_DEFAULT_REGION":          "eu-west-1",
		"AWS_ENDPOINT_URL":            "https://example.invalid",
		"AWS_ENDPOINT_URL_S3":         "https://s3.example.invalid",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "/real/token",
		"AWS_ROLE_ARN":                "arn:aws:iam::1:role/real",
		"S3SSO_PROFILE":               "real",
		"S3SSO_TEST_FOO":              "kept",
		"S3SSO_MINIO_BIN":             "/kept/minio",
		"S3SSO_BIN":                   "/kept/s3sso",
		"S3SSO_TOOLS_DIR":             "/kept/tools",
	}
	for k, v := range outer {
		t.Setenv(k, v)
	}
	realHome := os.Getenv("HOME")

	t.Run("inside", func(t *testing.T) {
		home := Home(t)
		if home == realHome || !strings.HasPrefix(home, os.TempDir()) {
			t.Errorf("Home() = %q, want a new temp dir", home)
		}
		want := map[string]string{
			"HOME":                        home,
			"XDG_CONFIG_HOME":             filepath.Join(home, ".config"),
			"XDG_CACHE_HOME":              filepath.Join(home, ".cache"),
			"AWS_CONFIG_FILE":             filepath.Join(home, ".aws", "config"),
			"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, ".aws", "credentials"),
			"AWS_EC2_METADATA_DISABLED":   "true",
			"S3SSO_TEST_FOO":              "kept",
			"S3SSO_MINIO_BIN":             "/kept/minio",
			"S3SSO_BIN":                   "/kept/s3sso",
			"S3SSO_TOOLS_DIR":             "/kept/tools",
		}
		for k, v := range want {
			if got := os.Getenv(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		for k := range outer {
			if _, keep := want[k]; keep {
				continue
			}
			if v, ok := os.LookupEnv(k); ok {
				t.Errorf("%s is set (%q), want unset", k, v)
			}
		}
		if got, ok := os.LookupEnv("AWS_CA_BUNDLE"); got != caBundle || ok != hadCA {
			t.Errorf("AWS_CA_BUNDLE = %q (set %v), want it untouched: %q (set %v)", got, ok, caBundle, hadCA)
		}
		entries, err := os.ReadDir(home)
		if err != nil || len(entries) != 0 {
			t.Errorf("home holds %v (err %v), want it empty", entries, err)
		}
	})

	for k, v := range outer {
		if got := os.Getenv(k); got != v {
			t.Errorf("after the test, %s = %q, want it restored to %q", k, got, v)
		}
	}
	if got := os.Getenv("HOME"); got != realHome {
		t.Errorf("after the test, HOME = %q, want %q", got, realHome)
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "c.txt")
	WriteFile(t, p, "hello")
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "hello" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestBucketName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	for _, name := range []string{
		"TestX",
		"TestCp/s3://bucket/key_with_UPPER",
		"Test" + strings.Repeat("Long/", 40),
		"Test___/---",
	} {
		b := bucketName(name)
		if !valid.MatchString(b) || strings.Contains(b, "--") {
			t.Errorf("bucketName(%q) = %q, not a valid bucket name", name, b)
		}
		if bucketName(name) == b {
			t.Errorf("bucketName(%q) is not unique", name)
		}
	}
}

// putGet writes an object with client and reads it back.
func putGet(t *testing.T, client *s3.Client, bucket string) {
	t.Helper()
	body := []byte("hello from " + t.Name())
	if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(body),
	}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("dir/hello.txt"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("GetObject body = %q, %v; want %q", got, err, body)
	}
}

func TestStartMinIO(t *testing.T) {
	var m *MinIO
	t.Run("server", func(t *testing.T) {
		m = StartMinIO(t)
		if !strings.HasPrefix(m.Endpoint, "http://127.0.0.1:") || m.AccessKey == "" || len(m.SecretKey) < 8 {
			t.Fatalf("MinIO = %+v", m)
		}
		bucket := m.NewBucket(t)
		putGet(t, m.Client(t), bucket)
		if m.Log() == "" {
			t.Error("Log() is empty; want MinIO's start-up output")
		}
		if strings.Contains(m.Log(), "IAM Roles:") {
			t.Error("IAM Roles announced without an OpenID provider")
		}
	})
	// The cleanup of the subtest has stopped the server.
	if _, err := os.Stat(m.DataDir); !os.IsNotExist(err) {
		t.Errorf("data dir %s still exists after the test (err %v)", m.DataDir, err)
	}
	if resp, err := http.Get(m.Endpoint + "/minio/health/live"); err == nil {
		resp.Body.Close()
		t.Errorf("MinIO still answers at %s after the test", m.Endpoint)
	}
}

func TestSharedMinIO(t *testing.T) {
	m := SharedMinIO(t)
	if SharedMinIO(t) != m {
		t.Fatal("SharedMinIO returned two servers")
	}
	buckets := make([]string, 2)
	for i := range buckets {
		t.Run(string(rune('a'+i)), func(t *testing.T) {
			buckets[i] = m.NewBucket(t)
			putGet(t, m.Client(t), buckets[i])
		})
	}
	if buckets[0] == buckets[1] {
		t.Errorf("NewBucket returned %q twice", buckets[0])
	}
	// The subtests' cleanups deleted their buckets, objects included.
	// MinIO can still answer HeadBucket with 200 for a moment after a
	// DeleteBucket that succeeded (seen once in CI under load), so the
	// bucket gets a few seconds to be gone.
	for _, b := range buckets {
		var err error
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, err = m.Client(t).HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String(b)})
			if err != nil || time.Now().After(deadline) {
				break
			}
		}
		if err == nil {
			t.Errorf("bucket %s still exists 5 s after its test", b)
		}
	}
}

// TestClientIgnoresEnvironment checks that Client works with AWS_CA_BUNDLE
// set and with a missing profile, keys, an endpoint and a config file in the
// environment that point elsewhere.
func TestClientIgnoresEnvironment(t *testing.T) {
	m := SharedMinIO(t)
	home := Home(t)
	bundle := "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(bundle); err != nil {
		bundle = os.Getenv("AWS_CA_BUNDLE")
	}
	if bundle == "" {
		Skipf(t, "no CA bundle to set AWS_CA_BUNDLE to")
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	WriteFile(t, filepath.Join(home, ".aws", "config"), "[profile other]\nregion = eu-west-1\n")
	t.Setenv("AWS_PROFILE", "missing-profile")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAWRONG")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	putGet(t, m.Client(t), m.NewBucket(t))
}

// TestStartMinIOWithOpenID configures MinIO with a minimal OpenID provider
// in role-policy mode and checks that the extra environment reaches the
// server and that IAMRoles reads the role it announces.
func TestStartMinIOWithOpenID(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                srv.URL,
			"authorization_endpoint":                srv.URL + "/auth",
			"token_endpoint":                        srv.URL + "/token",
			"jwks_uri":                              srv.URL + "/keys",
			"userinfo_endpoint":                     srv.URL + "/userinfo",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      []string{"openid", "email", "profile"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		b64 := base64.RawURLEncoding.EncodeToString
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "test",
			"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})

	m := StartMinIOWith(t, MinIOOptions{Env: []string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL=" + srv.URL + "/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID=s3sso-test",
		"MINIO_IDENTITY_OPENID_CLIENT_SECRET=secret",
		"MINIO_IDENTITY_OPENID_SCOPES=openid,email,profile",
		"MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite",
	}})
	roles := m.IAMRoles(t)
	if len(roles) != 1 || !strings.HasPrefix(roles[0], "arn:minio:iam:::role/") {
		t.Errorf("IAMRoles() = %q, want one arn:minio:iam:::role/… ARN; log:\n%s", roles, m.Log())
	}
}

// TestRun checks Run's handling of the environment, stdin, output and exit
// codes with /bin/sh standing in for s3sso.
func TestRun(t *testing.T) {
	sh, ok := lookPath("sh")
	if !ok {
		Skipf(t, "no sh")
	}
	t.Setenv("S3SSO_BIN", sh)
	Home(t)
	res := Run(t, []string{"EXTRA=extra"}, "from stdin",
		"-c", `echo "$HOME $EXTRA $(cat)"; echo oops >&2; exit 3`)
	want := Result{Stdout: os.Getenv("HOME") + " extra from stdin\n", Stderr: "oops\n", Code: 3}
	if res != want {
		t.Errorf("Run = %+v, want %+v", res, want)
	}
}

// TestBinary builds the real s3sso binary and runs its version command.
func TestBinary(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "s3sso", "main.go")); err != nil {
		t.Skip("cmd/s3sso does not exist yet")
	}
	Home(t)
	bin := Binary(t)
	if Binary(t) != bin {
		t.Error("Binary built twice")
	}
	res := Run(t, nil, "", "version")
	if res.Code != 0 || res.Stdout == "" {
		t.Errorf("s3sso version: %s", res)
	}
}
