package testenv

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// MinIO is a MinIO server for tests, started by [StartMinIO],
// [StartMinIOWith] or [SharedMinIO]. Its fields describe how to reach it.
type MinIO struct {
	// Endpoint is the S3 (and STS) endpoint URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root credentials. The secret is
	// random for each server.
	AccessKey, SecretKey string
	// Region is the region to sign requests for: us-east-1 unless
	// MinIOOptions.Region set another.
	Region string
	// KMSKeyID is the name of the server's built-in static KMS key when
	// MinIOOptions.KMS asked for one ("" otherwise). SSE-KMS requests name
	// it as the key id; HeadObject reports it as arn:aws:kms:KMSKeyID.
	KMSKeyID string
	// DataDir is the server's data directory, removed when it stops.
	// It is empty for an external endpoint (S3SSO_TEST_ENDPOINT_URL).
	DataDir string

	proc     *process // nil for an external endpoint
	tmp      string   // holds DataDir and the server's HOME
	stopOnce sync.Once
	stopErr  error
}

// MinIOOptions configures [StartMinIOWith].
type MinIOOptions struct {
	// Env holds extra environment variables (KEY=VALUE) for the server,
	// such as MINIO_IDENTITY_OPENID_CONFIG_URL. They override the defaults
	// this package sets (MINIO_ROOT_USER, MINIO_ROOT_PASSWORD,
	// MINIO_BROWSER=off, MINIO_UPDATE=off).
	Env []string
	// Region configures the server's region (MINIO_SITE_REGION): it then
	// accepts only requests signed for it, answers others with
	// AuthorizationHeaderMalformed naming it, and sets x-amz-bucket-region.
	Region string
	// AccessKey and SecretKey set the root credentials instead of random
	// ones, so that several servers accept the same signatures.
	AccessKey, SecretKey string
	// KMS starts the server with a built-in static KMS key
	// (MINIO_KMS_SECRET_KEY), so that SSE-KMS works; its name is in
	// MinIO.KMSKeyID.
	KMS bool
}

// StartMinIO starts a private MinIO server for the test on free loopback
// ports with an empty data directory, waits until it is ready, and stops it
// (SIGTERM, then SIGKILL after 5 s) when the test ends. When the minio
// binary is missing it skips the test, or fails it in CI (see
// [RequireTool]). Starting and stopping together take about a third of a
// second here; still, prefer [SharedMinIO] with a bucket per test unless the
// test needs a server of its own (its own configuration, or a restart).
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	return StartMinIOWith(t, MinIOOptions{})
}

// StartMinIOWith is [StartMinIO] with extra server configuration.
func StartMinIOWith(t testing.TB, opts MinIOOptions) *MinIO {
	t.Helper()
	bin := RequireTool(t, "minio")
	m, err := startMinIO(bin, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("stop MinIO: %v", err)
		}
	})
	return m
}

// startMinIO starts the minio binary bin and waits until it is ready,
// retrying with other ports if they were taken between picking and binding.
func startMinIO(bin string, opts MinIOOptions) (*MinIO, error) {
	return retryPortInUse(func() (*MinIO, error) { return startMinIOOnce(bin, opts) })
}

func startMinIOOnce(bin string, opts MinIOOptions) (_ *MinIO, err error) {
	tmp, err := os.MkdirTemp("", "s3sso-minio-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	m := &MinIO{
		AccessKey: "s3sso-" + randomHex(4),
		SecretKey: randomHex(20),
		Region:    "us-east-1",
		DataDir:   filepath.Join(tmp, "data"),
		tmp:       tmp,
	}
	if opts.Region != "" {
		m.Region = opts.Region
	}
	if opts.AccessKey != "" {
		m.AccessKey, m.SecretKey = opts.AccessKey, opts.SecretKey
	}
	var extra []string
	if opts.Region != "" {
		extra = append(extra, "MINIO_SITE_REGION="+opts.Region)
	}
	if opts.KMS {
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand)
		m.KMSKeyID = "s3sso-test-key"
		extra = append(extra, "MINIO_KMS_SECRET_KEY="+m.KMSKeyID+":"+base64.StdEncoding.EncodeToString(key))
	}
	home := filepath.Join(tmp, "home")
	for _, d := range []string{m.DataDir, home} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	m.Endpoint = "http://" + addr

	// MinIO's --quiet also hides informational lines such as "IAM Roles:",
	// which tests need, so it runs without it and with MINIO_UPDATE=off
	// (the update check is the only other thing --quiet turns off).
	cmd := exec.Command(bin, "server", m.DataDir,
		"--address", addr,
		"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]))
	cmd.Env = append([]string{
		"PATH=" + initialGetenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + tmp,
		"MINIO_ROOT_USER=" + m.AccessKey,
		"MINIO_ROOT_PASSWORD=" + m.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	}, append(extra, opts.Env...)...)
	m.proc, err = startProcess("MinIO", cmd, m.Endpoint+"/minio/health/ready")
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Stop stops the server, SIGTERM first and SIGKILL if it is still running
// 5 s later, and removes its data directory. It is safe to call more than
// once; the test cleanup calls it too.
func (m *MinIO) Stop() error {
	m.stopOnce.Do(func() {
		if m.proc == nil { // external endpoint
			return
		}
		m.proc.stop()
		m.stopErr = os.RemoveAll(m.tmp)
	})
	return m.stopErr
}

// Log returns everything the server has written to stdout and stderr so far.
func (m *MinIO) Log() string {
	if m.proc == nil {
		return ""
	}
	return m.proc.log.String()
}

// WaitLog waits up to timeout for a line containing substr in the server's
// log and returns the first such line. It fails the test when none appears.
func (m *MinIO) WaitLog(t testing.TB, substr string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for line := range strings.Lines(m.Log()) {
			if strings.Contains(line, substr) {
				return strings.TrimRight(line, "\r\n")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in MinIO's log after %v; its log:\n%s", substr, timeout, m.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// IAMRoles returns the role ARNs that MinIO announces at start-up
// ("IAM Roles: arn:minio:iam:::role/…"), which exist when an OpenID provider
// is configured in role-policy mode (MINIO_IDENTITY_OPENID_ROLE_POLICY). It
// waits up to 30 s for the line and fails the test when none appears.
func (m *MinIO) IAMRoles(t testing.TB) []string {
	t.Helper()
	line := m.WaitLog(t, "IAM Roles:", readyTimeout)
	_, roles, _ := strings.Cut(line, "IAM Roles:")
	return strings.Fields(roles)
}

// randomHex returns 2n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// shared holds the package's shared MinIO server (see SharedMinIO).
var shared struct {
	mu    sync.Mutex
	main  bool // Main is running the tests
	minio *MinIO
	err   error
}

// SharedMinIO returns a MinIO server shared by all tests of the package,
// starting it on first use. Tests must not change its configuration, and
// each should work in its own bucket ([MinIO.NewBucket]). The package must
// run its tests through [Main], which stops the server at the end.
//
// When S3SSO_TEST_ENDPOINT_URL is set, SharedMinIO starts nothing and
// describes that endpoint instead, with the keys in S3SSO_TEST_ACCESS_KEY_ID
// and S3SSO_TEST_SECRET_ACCESS_KEY and the region in S3SSO_TEST_REGION
// (default us-east-1).
func SharedMinIO(t testing.TB) *MinIO {
	t.Helper()
	if ep := os.Getenv("S3SSO_TEST_ENDPOINT_URL"); ep != "" {
		region := os.Getenv("S3SSO_TEST_REGION")
		if region == "" {
			region = "us-east-1"
		}
		return &MinIO{
			Endpoint:  strings.TrimRight(ep, "/"),
			AccessKey: os.Getenv("S3SSO_TEST_ACCESS_KEY_ID"),
			SecretKey: os.Getenv("S3SSO_TEST_SECRET_ACCESS_KEY"),
			Region:    region,
		}
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.main {
		t.Fatal("testenv.SharedMinIO needs the package's TestMain to call testenv.Main(m)")
	}
	if shared.minio == nil && shared.err == nil {
		bin := RequireTool(t, "minio")
		shared.minio, shared.err = startMinIO(bin, MinIOOptions{})
	}
	if shared.err != nil {
		t.Fatalf("shared MinIO: %v", shared.err)
	}
	return shared.minio
}

// Main runs the package's tests and then releases what they shared: it stops
// the [SharedMinIO] server and removes the [Binary] build. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// It does not return.
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	if raceEnabled {
		// Children running a race-built Binary inherit this (see RaceEnv).
		os.Setenv("GORACE", withRaceExitOption(os.Getenv("GORACE")))
	}

	code := m.Run()
	if n := TotalInjected(); n > 0 && testing.Verbose() {
		fmt.Printf("testenv: fault proxies injected %d faults\n", n)
	}

	shared.mu.Lock()
	if shared.minio != nil {
		if err := shared.minio.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop shared MinIO: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	shared.mu.Unlock()
	stopSharedChromium()
	removeBinary()
	os.Exit(code)
}
