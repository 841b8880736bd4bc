package sso

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
)

const portalURL = "https://ssoins-1234567890abcdef.portal.eu-west-1.app.aws"

// vanityServer is a customer domain over TLS that redirects like the real
// ones; it records the requests it gets.
type vanityServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string
}

func (v *vanityServer) requests() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.reqs...)
}

func startVanity(t *testing.T) *vanityServer {
	t.Helper()
	v := &vanityServer{}
	v.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		v.reqs = append(v.reqs, r.Method+" "+r.URL.Path)
		v.mu.Unlock()
		redirect := func(code int, loc string) {
			if loc != "" {
				w.Header().Set("Location", loc)
			}
			w.WriteHeader(code)
		}
		switch r.URL.Path {
		case "/start":
			redirect(http.StatusFound, portalURL+"/?from=vanity#/")
		case "/head-405", "/head-501":
			if r.Method == http.MethodHead {
				code := http.StatusMethodNotAllowed
				if r.URL.Path == "/head-501" {
					code = http.StatusNotImplemented
				}
				w.WriteHeader(code)
				return
			}
			redirect(http.StatusMovedPermanently, "https://d-1234567890.awsapps.com:443/start/")
		case "/see-other":
			redirect(http.StatusSeeOther, "https://x.cn-north-1.portal.amazonaws.com.cn/")
		case "/permanent":
			redirect(http.StatusPermanentRedirect, "https://identitycenter.amazonaws.com/ssoins-1234567890abcdef")
		case "/temporary":
			redirect(http.StatusTemporaryRedirect, "https://y.portal.eu-south-2.api.amazonwebservices.eu")
		case "/chain":
			redirect(http.StatusFound, "/start") // another vanity URL: not followed
		case "/to-http":
			redirect(http.StatusFound, "http://z.portal.eu-west-1.app.aws/")
		case "/elsewhere":
			redirect(http.StatusFound, "https://login.example.com/")
		case "/no-location":
			redirect(http.StatusFound, "")
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(v.Close)
	return v
}

func TestAWSOwnedHost(t *testing.T) {
	for host, want := range map[string]bool{
		"d-1234567890.awsapps.com": true, "myalias.awsapps.cn": true, "start.us-gov-home.awsapps.com": true,
		"ssoins-1.portal.us-east-1.app.aws": true, "x.eu-west-1.portal.amazonaws.com": true,
		"x.cn-north-1.portal.amazonaws.com.cn": true, "x.portal.cn-north-1.app.amazonwebservices.com.cn": true,
		"x.eusc-de-east-1.portal.amazonaws.eu": true, "x.portal.eusc-de-east-1.api.amazonwebservices.eu": true,
		"identitycenter.amazonaws.com": true, "identitycenter.us-gov.amazonaws.com": true, "IDENTITYCENTER.AMAZONAWS.COM.": true,
		"sso.example.com": false, "awsapps.com.example.com": false, "evil-awsapps.com": false, "identitycenter.amazonaws.com.evil.io": false,
		"127.0.0.1": false,
	} {
		if got := AWSOwnedHost(host); got != want {
			t.Errorf("AWSOwnedHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestResolveStartURL(t *testing.T) {
	v := startVanity(t)
	ok := []struct {
		path, url, region string
		requests          []string
	}{
		{"/start", portalURL, "eu-west-1", []string{"HEAD /start"}},
		{"/head-405", "https://d-1234567890.awsapps.com/start", "us-east-1", []string{"HEAD /head-405", "GET /head-405"}},
		{"/head-501", "https://d-1234567890.awsapps.com/start", "us-east-1", []string{"HEAD /head-501", "GET /head-501"}},
		{"/see-other", "https://x.cn-north-1.portal.amazonaws.com.cn", "cn-north-1", []string{"HEAD /see-other"}},
		{"/permanent", "https://identitycenter.amazonaws.com/ssoins-1234567890abcdef", "us-east-1", []string{"HEAD /permanent"}},
		{"/temporary", "https://y.portal.eu-south-2.api.amazonwebservices.eu", "eu-south-2", []string{"HEAD /temporary"}},
	}
	for _, tc := range ok {
		t.Run(tc.path, func(t *testing.T) {
			v.mu.Lock()
			v.reqs = nil
			v.mu.Unlock()
			res, err := ResolveStartURL(t.Context(), v.Client(), v.URL+tc.path, "us-east-1")
			if err != nil {
				t.Fatal(err)
			}
			if res.StartURL != tc.url || res.Region != tc.region || !res.Vanity {
				t.Errorf("resolved %+v, want %s in %s", res, tc.url, tc.region)
			}
			if got := v.requests(); strings.Join(got, ",") != strings.Join(tc.requests, ",") {
				t.Errorf("requests %v, want %v", got, tc.requests)
			}
		})
	}
	bad := map[string]string{
		"/chain":       "not an https URL of IAM Identity Center",
		"/to-http":     "not an https URL of IAM Identity Center",
		"/elsewhere":   "not an https URL of IAM Identity Center",
		"/no-location": "has no Location",
		"/plain":       "answered 200, not a redirect",
	}
	for path, want := range bad {
		t.Run(path, func(t *testing.T) {
			v.mu.Lock()
			v.reqs = nil
			v.mu.Unlock()
			_, err := ResolveStartURL(t.Context(), v.Client(), v.URL+path, "us-east-1")
			if err == nil || fault.KindOf(err) != fault.Config || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want a config error saying %q", err, want)
			}
			if n := len(v.requests()); n != 1 {
				t.Errorf("%d requests, want 1 (at most one redirect is followed): %v", n, v.requests())
			}
		})
	}
	t.Run("AWS-owned URLs are not asked", func(t *testing.T) {
		none := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no request expected") })}
		for _, u := range []string{startURL, "https://d-1234567890.awsapps.com/start#/", portalURL, "https://identitycenter.amazonaws.com/ssoins-1"} {
			res, err := ResolveStartURL(t.Context(), none, u, "ap-south-1")
			if err != nil || res.StartURL != u || res.Region != "ap-south-1" || res.Vanity {
				t.Errorf("%s: %+v %v", u, res, err)
			}
		}
	})
	t.Run("a vanity URL must be https", func(t *testing.T) {
		if _, err := ResolveStartURL(t.Context(), v.Client(), "http://sso.example.com/start", "us-east-1"); fault.KindOf(err) != fault.Config {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("an untrusted certificate is a network error", func(t *testing.T) {
		_, err := ResolveStartURL(t.Context(), &http.Client{}, v.URL+"/start", "us-east-1")
		if fault.KindOf(err) != fault.Network || !strings.Contains(fault.HintOf(err), "AWS_CA_BUNDLE") {
			t.Fatalf("error %v hint %q", err, fault.HintOf(err))
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestLoginVanityStartURL: a login with a vanity start URL sends the portal
// URL it redirects to as issuerUrl / startUrl (the emulator refuses the
// vanity URL itself), signs in at the portal's region (eu-west-1, not the
// configured us-east-1), keeps the configured URL as the cache key and the
// token's startUrl, records the region used, and writes it back.
func TestLoginVanityStartURL(t *testing.T) {
	for _, flow := range []string{"pkce", "device"} {
		t.Run(flow, func(t *testing.T) {
			v := startVanity(t)
			vanity := v.URL + "/start"
			f := newFixture(t, ssotest.Options{Region: "eu-west-1", StartURLRegions: map[string]string{vanity: "ap-south-1", portalURL: "eu-west-1"}})
			f.c.HTTPClient = v.Client()
			target := f.target
			if flow == "device" {
				target = legacy(f)
			}
			target.StartURL = vanity
			var written []string
			target.WriteBackRegion = func(r string) error { written = append(written, r); return nil }
			var out recPrompter
			tok, err := f.c.Login(t.Context(), target, LoginOptions{Prompter: out.with(browser(nil))})
			if err != nil {
				t.Fatalf("login: %v\n%q", err, out.warnings)
			}
			if tok.StartURL != vanity || tok.Region != "eu-west-1" {
				t.Errorf("token startUrl %s region %s, want the configured URL and eu-west-1", tok.StartURL, tok.Region)
			}
			cached, err := f.c.Cache.ReadToken(target.CacheKey())
			if err != nil || cached.StartURL != vanity || cached.Region != "eu-west-1" {
				t.Fatalf("cached token under %q: %+v %v", target.CacheKey(), cached, err)
			}
			if flow == "device" && target.CacheKey() != vanity {
				t.Errorf("legacy cache key %q, want the configured start URL", target.CacheKey())
			}
			if reg, _ := f.c.Cache.ReadRegistration(RegistrationFileName(vanity, "eu-west-1", target.Scopes, target.Session)); reg == nil {
				t.Error("no client registration under the configured URL and the region used")
			}
			if strings.Join(written, ",") != "eu-west-1" || !strings.Contains(strings.Join(out.infos, "\n"), "SSO region updated to eu-west-1") {
				t.Errorf("write-back %v, output %q", written, out.infos)
			}
			// A second login in the same process asks the vanity domain no
			// more.
			target.Region = "eu-west-1"
			if _, err := f.c.Login(t.Context(), target, LoginOptions{Prompter: out.with(browser(nil))}); err != nil {
				t.Fatal(err)
			}
			if n := len(v.requests()); n != 1 {
				t.Errorf("vanity domain asked %d times: %v", n, v.requests())
			}
		})
	}
}

func TestConfigRegionWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	orig := "# mine\n[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = R\n\n[sso-session corp]\nsso_start_url = https://sso.example.com/start\nsso_region = us-east-1\n\n[profile old]\nsso_start_url = https://sso.example.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = R\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ConfigRegionWriter(path, config.SSO{Profile: "dev", Session: "corp"})("eu-west-1"); err != nil {
		t.Fatal(err)
	}
	if err := ConfigRegionWriter(path, config.SSO{Profile: "old"})("ap-south-1"); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.SSOSession("corp").Value("sso_region"); got != "eu-west-1" {
		t.Errorf("sso-session sso_region = %q", got)
	}
	if got := f.Profile("old").Value("sso_region"); got != "ap-south-1" {
		t.Errorf("legacy profile sso_region = %q", got)
	}
	if got := f.Profile("dev").Value("sso_region"); got != "" {
		t.Errorf("the session's profile got sso_region %q", got)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# mine\n") || !strings.Contains(string(b), "sso_start_url = https://sso.example.com/start") {
		t.Errorf("the file lost its comment or start URL:\n%s", b)
	}
}
