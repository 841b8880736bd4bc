package cli_test

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

const vanityPortal = "https://ssoins-1234567890abcdef.portal.eu-west-1.app.aws"

// TestSSOVanityStartURL runs the binary with start URLs on a customer
// domain: an HTTPS server (trusted through AWS_CA_BUNDLE) that redirects to
// the instance portal in eu-west-1, as a real vanity domain does, while
// every configuration says sso_region = us-east-1. The emulator lives in
// eu-west-1 and refuses the vanity URL itself as a startUrl / issuerUrl, so
// a login works only if s3sso resolved it (protocol.md section 8). Covered:
// an sso-session profile (PKCE), a legacy profile (device flow), a saved
// sso account, and configure sso. Each time the token stays under the AWS
// CLI's cache key with the configured URL as startUrl and the region used,
// and the region is written back where the sign-in is configured.
func TestSSOVanityStartURL(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	vanitySrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Location", vanityPortal+"/")
		w.WriteHeader(http.StatusFound)
	}))
	t.Cleanup(vanitySrv.Close)
	vanity := vanitySrv.URL + "/start"
	requests := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := len(asked)
		asked = nil
		return n
	}

	e := setupVanitySSO(t, vanity, ssotest.Options{Region: "eu-west-1",
		StartURLRegions: map[string]string{vanity: "ap-south-1", vanityPortal: "eu-west-1"}})
	bundle := filepath.Join(e.home, "vanity-ca.pem")
	testenv.WriteFile(t, bundle, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vanitySrv.Certificate().Raw})))
	e.vars = append(e.vars, "AWS_CA_BUNDLE="+bundle)
	cfgPath := filepath.Join(e.home, ".aws", "config")
	readCfg := func() *config.File {
		t.Helper()
		f, err := config.Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	// sso-session profile, PKCE.
	r := e.mustS3sso("login", "--profile", "dev")
	if !strings.Contains(r.Stderr, "SSO region updated to eu-west-1") {
		t.Errorf("login does not say the region changed: %s", r)
	}
	if n := requests(); n != 1 {
		t.Errorf("the vanity domain was asked %d times, want once", n)
	}
	f := readCfg()
	if got := f.SSOSession("corp").Value("sso_region"); got != "eu-west-1" {
		t.Errorf("sso-session corp: sso_region = %q, want eu-west-1 written back", got)
	}
	if got := f.SSOSession("corp").Value("sso_start_url"); got != vanity {
		t.Errorf("sso-session corp: sso_start_url = %q, want the configured vanity URL kept", got)
	}
	tok := e.readToken("corp")
	if tok["startUrl"] != vanity || tok["region"] != "eu-west-1" {
		t.Errorf("session token: startUrl %v region %v", tok["startUrl"], tok["region"])
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "dev")
	// A second login: the region is right now, nothing to write back.
	if r := e.mustS3sso("login", "--profile", "dev"); strings.Contains(r.Stderr, "SSO region updated") {
		t.Errorf("second login: %s", r)
	}
	requests()

	// Legacy profile, device flow: cached under the vanity URL itself.
	r = e.mustS3sso("login", "--profile", "old")
	if !strings.Contains(r.Stderr, "SSO region updated to eu-west-1") {
		t.Errorf("legacy login: %s", r)
	}
	tok = e.readToken(vanity)
	if tok["startUrl"] != vanity || tok["region"] != "eu-west-1" {
		t.Errorf("legacy token: %v %v", tok["startUrl"], tok["region"])
	}
	if got := readCfg().Profile("old").Value("sso_region"); got != "eu-west-1" {
		t.Errorf("profile old: sso_region = %q", got)
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "old")

	// A saved sso account.
	e.vars = append(e.vars, "AWS_ENDPOINT_URL_SSO="+e.emu.URL, "AWS_ENDPOINT_URL_SSO_OIDC="+e.emu.URL)
	e.mustS3sso("account", "add", "v", "--type", "sso", "--start-url", vanity, "--sso-region", "us-east-1",
		"--account-id", e2eAccount, "--role-name", "ReadOnly", "--endpoint-url", e.minio.Endpoint, "--region", "us-east-1")
	if err := os.Remove(e.tokenPath(vanity)); err != nil { // the legacy profile's token would be reused
		t.Fatal(err)
	}
	r = e.mustS3sso("login", "--account", "v")
	if !strings.Contains(r.Stderr, "SSO region updated to eu-west-1") {
		t.Errorf("account login: %s", r)
	}
	acct := readAccountsFile(t, e.home)["accounts"].(map[string]any)["v"].(map[string]any)["sso"].(map[string]any)
	if acct["sso_region"] != "eu-west-1" || acct["start_url"] != vanity {
		t.Errorf("saved account after login: %v", acct)
	}
	if tok := e.readToken(vanity); tok["region"] != "eu-west-1" {
		t.Errorf("account token region %v", tok["region"])
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--account", "v")

	// configure sso: the region is proposed from the portal the vanity URL
	// leads to (Enter accepts it) and written with the vanity URL.
	requests()
	r = testenv.Run(t, e.vars, "\n", "configure", "sso", "--profile", "vp", "--sso-session", "vs", "--start-url", vanity,
		"--account-id", e2eAccount, "--role-name", "ReadOnly", "--region", "us-east-1")
	if r.Code != 0 {
		t.Fatalf("configure sso: %s", r)
	}
	if !strings.Contains(r.Stderr, "[eu-west-1]") {
		t.Errorf("configure did not propose eu-west-1: %s", r.Stderr)
	}
	f = readCfg()
	if f.SSOSession("vs").Value("sso_start_url") != vanity || f.SSOSession("vs").Value("sso_region") != "eu-west-1" {
		t.Errorf("configure wrote start URL %q region %q", f.SSOSession("vs").Value("sso_start_url"), f.SSOSession("vs").Value("sso_region"))
	}
	e.mustS3sso("ls", "s3://"+e.bucket+"/", "--profile", "vp", "--endpoint-url", e.minio.Endpoint)
}

// setupVanitySSO is setupSSO with startURL in the config file.
func setupVanitySSO(t *testing.T, startURL string, opts ssotest.Options) *ssoEnv {
	t.Helper()
	e := setupSSO(t, opts)
	cfg := filepath.Join(e.home, ".aws", "config")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WriteFile(t, cfg, strings.ReplaceAll(string(b), e2eStartURL, startURL))
	return e
}
