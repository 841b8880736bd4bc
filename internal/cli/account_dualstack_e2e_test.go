package cli_test

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// connectRecorder is an HTTPS proxy that records the host of every CONNECT
// and refuses it: the binary's requests show which endpoint the SDK
// resolved, and nothing leaves the machine.
type connectRecorder struct {
	URL   string
	mu    sync.Mutex
	hosts []string
}

func startConnectRecorder(t *testing.T) *connectRecorder {
	t.Helper()
	c := &connectRecorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hosts = append(c.hosts, r.Method+" "+r.Host)
		c.mu.Unlock()
		http.Error(w, "no network in tests", http.StatusForbidden)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	c.URL = "http://" + ln.Addr().String()
	return c
}

func (c *connectRecorder) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.hosts)
}

// TestAccountDualStackEndpoints: --dual-stack makes the SDK resolve the
// dual-stack S3 and IAM Identity Center endpoints; without it the usual ones.
func TestAccountDualStackEndpoints(t *testing.T) {
	testenv.Home(t)
	proxy := startConnectRecorder(t)
	env := []string{"S3SSO_KEYRING=off", "AWS_EC2_METADATA_DISABLED=true", "HTTPS_PROXY=" + proxy.URL, "https_proxy=" + proxy.URL,
		"NO_PROXY=", "no_proxy=", "BROWSER=", "AWS_MAX_ATTEMPTS=1"}
	run := func(stdin string, args ...string) testenv.Result {
		t.Helper()
		return testenv.Run(t, env, stdin, args...)
	}
	for _, add := range [][]string{
		{"account", "add", "ds", "--type", "keys", "--access-key-id", "AKIAEXAMPLE", "--secret-access-key", "-", "--region", "eu-west-1", "--dual-stack"},
		{"account", "add", "v4", "--type", "keys", "--access-key-id", "AKIAEXAMPLE", "--secret-access-key", "-", "--region", "eu-west-1"},
		{"account", "add", "ssods", "--type", "sso", "--start-url", "https://d-1234567890.awsapps.com/start", "--sso-region", "eu-central-1",
			"--account-id", "111122223333", "--role-name", "ReadOnly", "--dual-stack"},
	} {
		if r := run("secret\n", add...); r.Code != 0 {
			t.Fatalf("%v: %s", add, r)
		}
	}
	if r := run("x\n", "account", "add", "bad", "--type", "keys", "--access-key-id", "A", "--secret-access-key", "-",
		"--endpoint-url", "http://127.0.0.1:9", "--dual-stack"); r.Code != 2 || !strings.Contains(r.Stderr, "--dual-stack") {
		t.Errorf("--dual-stack with --endpoint-url: %s", r)
	}

	run("", "ls", "--account", "ds")
	run("", "ls", "--account", "v4")
	run("", "login", "--account", "ssods", "--no-browser")
	got := proxy.seen()
	for _, want := range []string{
		"CONNECT s3.dualstack.eu-west-1.amazonaws.com:443",
		"CONNECT s3.eu-west-1.amazonaws.com:443",
		"CONNECT oidc.eu-central-1.api.aws:443",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no %q among the proxied requests %q", want, got)
		}
	}
	for _, h := range got {
		if strings.Contains(h, "oidc.eu-central-1.amazonaws.com") {
			t.Errorf("the sso account used the IPv4-only OIDC endpoint: %q", got)
		}
	}
}
