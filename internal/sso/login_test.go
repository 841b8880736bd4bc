package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
)

const startURL = "https://d-1234567890.awsapps.com/start"

type fixture struct {
	emu    *ssotest.Server
	c      *Client
	waits  []time.Duration
	mu     sync.Mutex
	now    time.Time
	target Target
}

func newFixture(t *testing.T, opts ssotest.Options) *fixture {
	t.Helper()
	f := &fixture{now: time.Now().UTC()}
	// Refresh locks go to s3sso's state directory: a temporary one, not the
	// user's.
	if os.Getenv("XDG_STATE_HOME") == "" || !strings.HasPrefix(os.Getenv("XDG_STATE_HOME"), os.TempDir()) {
		t.Setenv("XDG_STATE_HOME", t.TempDir())
	}
	if opts.Now == nil {
		opts.Now = f.clock
	}
	f.emu = ssotest.Start(t, opts)
	f.c = New(nil)
	f.c.Cache = Cache{Dir: t.TempDir()}
	f.c.RoleCache = RoleCache{Dir: filepath.Join(t.TempDir(), "cli", "cache")}
	f.c.Now = f.clock
	f.c.after = func(d time.Duration) <-chan time.Time {
		f.mu.Lock()
		f.waits = append(f.waits, d)
		f.mu.Unlock()
		ch := make(chan time.Time, 1)
		ch <- time.Now()
		return ch
	}
	f.target = Target{SSO: config.SSO{Profile: "dev", Session: "my-sso", StartURL: startURL, Region: "us-east-1",
		Scopes: []string{"sso:account:access"}, AccountID: "111122223333", RoleName: "ReadOnly"},
		OIDCEndpoint: f.emu.URL, PortalEndpoint: f.emu.URL}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// browser follows a URL like a browser whose user approves everything.
func browser(hook func()) authflow.Opener {
	return func(ctx context.Context, u string) error {
		if hook != nil {
			hook()
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

// recPrompter records what a sign-in shows and opens its URLs with open.
type recPrompter struct {
	open     authflow.Opener
	signIns  []authflow.SignIn
	warnings []string
	infos    []string
}

func (p *recPrompter) with(open authflow.Opener) *recPrompter { p.open = open; return p }

func (p *recPrompter) SignIn(ctx context.Context, s authflow.SignIn) error {
	p.signIns = append(p.signIns, s)
	return p.open(ctx, s.URL)
}

func (p *recPrompter) Warn(msg string) { p.warnings = append(p.warnings, msg) }

func (p *recPrompter) Info(msg string) { p.infos = append(p.infos, msg) }

func legacy(f *fixture) Target {
	t := f.target
	t.Session, t.Scopes = "", nil
	return t
}

func TestDeviceFlowSlowDown(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	f.emu.SetSlowDown(1)
	var out recPrompter
	tgt := legacy(f)
	tok, err := f.c.Login(t.Context(), tgt, LoginOptions{Prompter: out.with(browser(nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.waits) != 1 || f.waits[0] != 6*time.Second {
		t.Errorf("waits %v, want one of 6s (interval 1s + 5s after slow_down)", f.waits)
	}
	if tok.RefreshToken != "" {
		t.Error("a legacy (scope-less) login gets no refresh token")
	}
	if len(out.signIns) != 1 || out.signIns[0].Flow != authflow.FlowDevice || userCodeIn(out.signIns[0].UserCode) != out.signIns[0].UserCode {
		t.Errorf("want one device sign-in with a user code, got %+v", out.signIns)
	}
	got, err := f.c.Cache.ReadToken(startURL)
	if err != nil || got.AccessToken != tok.AccessToken || got.StartURL != startURL {
		t.Fatalf("cache: %+v %v", got, err)
	}
	if f.emu.Count("CreateToken:device_code") != 2 {
		t.Errorf("CreateToken calls %d, want 2 (first attempt, then one poll)", f.emu.Count("CreateToken:device_code"))
	}
}

func userCodeIn(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if len(l) == 9 && l[4] == '-' {
			return l
		}
	}
	return "<no code line>"
}

func TestDeviceFlowErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*fixture, context.CancelFunc) authflow.Opener
		kind  fault.Kind
		want  string
	}{
		{"expired", func(f *fixture, _ context.CancelFunc) authflow.Opener {
			return func(context.Context, string) error { f.emu.ExpireDeviceCodes(); return nil }
		}, fault.Auth, "expired before it was approved"},
		{"denied", func(f *fixture, _ context.CancelFunc) authflow.Opener {
			f.emu.SetDenyDevice(true)
			return browser(nil)
		}, fault.AccessDenied, "denied"},
		{"cancelled", func(_ *fixture, cancel context.CancelFunc) authflow.Opener {
			return func(context.Context, string) error { cancel(); return nil }
		}, fault.Interrupted, "canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, ssotest.Options{})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			_, err := f.c.Login(ctx, f.target, LoginOptions{UseDeviceCode: true, Prompter: authflow.OpenerPrompter(c.setup(f, cancel))})
			if err == nil || fault.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v (kind %v), want kind %v containing %q", err, fault.KindOf(err), c.kind, c.want)
			}
			if _, err := f.c.Cache.ReadToken("my-sso"); !errors.Is(err, ErrNoToken) {
				t.Error("no token may be cached after a failed login")
			}
		})
	}
}

func TestPKCEFlow(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	var opened string
	open := func(ctx context.Context, u string) error { opened = u; return browser(nil)(ctx, u) }
	tok, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(open)})
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.ClientID == "" || tok.RegistrationExpiresAt.IsZero() {
		t.Errorf("token %+v lacks refresh data", tok)
	}
	if !strings.HasPrefix(opened, f.emu.URL+"/authorize?response_type=code&client_id=") || !strings.Contains(opened, "&scopes=sso%3Aaccount%3Aaccess&code_challenge=") {
		t.Errorf("authorize URL %s", opened)
	}
	reg, _ := f.c.Cache.ReadRegistration(RegistrationFileName(startURL, "us-east-1", []string{"sso:account:access"}, "my-sso"))
	if reg == nil || len(reg.GrantTypes) != 2 {
		t.Fatalf("registration %+v", reg)
	}
	// A second login reuses the registration.
	if _, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(browser(nil))}); err != nil {
		t.Fatal(err)
	}
	if n := f.emu.Count("RegisterClient"); n != 1 {
		t.Errorf("RegisterClient called %d times, want 1", n)
	}
	// Switching to the device flow re-registers (the flows share one key).
	if _, err := f.c.Login(t.Context(), f.target, LoginOptions{UseDeviceCode: true, Prompter: authflow.OpenerPrompter(browser(nil))}); err != nil {
		t.Fatal(err)
	}
	if n := f.emu.Count("RegisterClient"); n != 2 {
		t.Errorf("RegisterClient called %d times, want 2", n)
	}
}

func TestPKCEErrors(t *testing.T) {
	t.Run("state mismatch", func(t *testing.T) {
		f := newFixture(t, ssotest.Options{})
		f.emu.SetTamperState(true)
		// The redirect with the wrong state is refused and the login
		// waits on for the real one, until its time runs out.
		_, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(browser(nil)), CallbackTimeout: time.Second})
		if !errors.Is(err, authflow.ErrStateMismatch) || fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), "no sign-in response within 1s") {
			t.Fatalf("error %v", err)
		}
		if f.emu.Count("CreateToken") != 0 {
			t.Error("the code of a mismatched state must not be exchanged")
		}
	})
	t.Run("error callback", func(t *testing.T) {
		f := newFixture(t, ssotest.Options{})
		f.emu.SetAuthorizeError("access_denied")
		_, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(browser(nil))})
		var ae *authflow.AuthError
		if !errors.As(err, &ae) || ae.Code != "access_denied" || fault.KindOf(err) != fault.AccessDenied {
			t.Fatalf("error %v", err)
		}
		if le, ok := fault.LoginRequired(err); !strings.Contains(fault.HintOf(err), "denied or cancelled in the browser") || !ok || le.Ref != (fault.LoginRef{Profile: "dev"}) {
			t.Errorf("hint %q, want a sign-in request for profile dev", fault.HintOf(err))
		}
	})
	t.Run("timeout", func(t *testing.T) {
		f := newFixture(t, ssotest.Options{})
		_, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(func(context.Context, string) error { return nil }), CallbackTimeout: 50 * time.Millisecond})
		if fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), "no sign-in response") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestRegionMismatchFromService(t *testing.T) {
	url := "https://ssoins-1.portal.eu-west-1.app.aws"
	f := newFixture(t, ssotest.Options{StartURLRegions: map[string]string{url: "eu-west-1"}})
	f.target.StartURL = url
	var out recPrompter
	_, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: out.with(browser(nil))})
	if fault.KindOf(err) != fault.Config || !strings.Contains(fault.HintOf(err), "set sso_region = eu-west-1") {
		t.Fatalf("error %v hint %q", err, fault.HintOf(err))
	}
	if !strings.Contains(strings.Join(out.warnings, "\n"), "start URL region eu-west-1 does not match sso_region us-east-1") {
		t.Errorf("no early warning: %q", out.warnings)
	}
}

func login(t *testing.T, f *fixture) *Token {
	t.Helper()
	tok, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(browser(nil))})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRefreshRules(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	first := login(t, f)
	tp := f.c.TokenProvider(f.target)
	got, err := tp.Token(t.Context())
	if err != nil || got.AccessToken != first.AccessToken {
		t.Fatalf("fresh token must be used as is: %v", err)
	}
	// 14 minutes left: advisory refresh.
	f.advance(46 * time.Minute)
	got, err = tp.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken == first.AccessToken || f.emu.Count("CreateToken:refresh_token") != 1 {
		t.Fatalf("want one refresh, got %d", f.emu.Count("CreateToken:refresh_token"))
	}
	cached, _ := f.c.Cache.ReadToken("my-sso")
	if cached.AccessToken != got.AccessToken || cached.RefreshToken == first.RefreshToken || cached.ClientID != first.ClientID {
		t.Error("refreshed token not written back with the registration")
	}
	// Refresh fails (session ended): the still-valid token is kept, and
	// there is at most one attempt a minute.
	f.emu.RevokeAll()
	f.advance(50 * time.Minute)
	kept, err := tp.Token(t.Context())
	if err != nil || kept.AccessToken != got.AccessToken {
		t.Fatalf("the valid token must be kept when refresh fails: %v", err)
	}
	_, _ = tp.Token(t.Context())
	if n := f.emu.Count("CreateToken:refresh_token"); n != 2 {
		t.Errorf("refresh attempts %d, want 2 (one a minute)", n)
	}
	// Expired and not refreshable: login required, naming the profile.
	f.advance(11 * time.Minute)
	_, err = tp.Token(t.Context())
	if le, ok := fault.LoginRequired(err); !errors.Is(err, ErrLoginRequired) || !ok || le.Ref != (fault.LoginRef{Profile: "dev"}) || fault.KindOf(err) != fault.Auth {
		t.Fatalf("error %v, want a sign-in request for profile dev", err)
	}
	if !strings.Contains(err.Error(), "refresh failed") {
		t.Errorf("error %v", err)
	}
}

func TestLegacyNeverRefreshes(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	f.target = legacy(f)
	if _, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(browser(nil))}); err != nil {
		t.Fatal(err)
	}
	f.advance(61 * time.Minute)
	_, err := f.c.TokenProvider(f.target).Token(t.Context())
	if !errors.Is(err, ErrLoginRequired) || f.emu.Count("CreateToken:refresh_token") != 0 {
		t.Fatalf("error %v", err)
	}
}

// TestParallelRefresh: several providers (as separate processes would, each
// with its own lock file handle) need a refresh at once; one refreshes.
func TestParallelRefresh(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	login(t, f)
	f.advance(55 * time.Minute) // 5 minutes left: mandatory refresh
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	errs := make([]error, 8)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := f.c.TokenProvider(f.target).Token(t.Context())
			errs[i] = err
			if tok != nil {
				tokens[i] = tok.AccessToken
			}
		}()
	}
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != tokens[0] {
			t.Fatalf("provider %d: %v %q vs %q", i, errs[i], tokens[i], tokens[0])
		}
	}
	if n := f.emu.Count("CreateToken:refresh_token"); n != 1 {
		t.Errorf("refresh calls %d, want exactly 1", n)
	}
}

func TestRoleCredentials(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	login(t, f)
	creds, _ := f.c.NewCredentials(f.target)
	c, err := creds.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") || !c.CanExpire || c.AccountID != "111122223333" {
		t.Errorf("credentials %+v", c)
	}
	// Another role that is not assigned: access denied.
	bad := f.target
	bad.RoleName = "Nope"
	badCreds, _ := f.c.NewCredentials(bad)
	if _, err := badCreds.Retrieve(t.Context()); fault.KindOf(err) != fault.AccessDenied {
		t.Errorf("unassigned role: %v", err)
	}
	// 401: the token was revoked on the server (and no role credentials
	// are cached: TestRoleProviderRevokedToken covers those).
	f.emu.RevokeAll()
	if _, err := f.c.RoleCache.Remove(f.target); err != nil {
		t.Fatal(err)
	}
	fresh, _ := f.c.NewCredentials(f.target)
	_, err = fresh.Retrieve(t.Context())
	if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "rejected") || fault.KindOf(err) != fault.Auth {
		t.Fatalf("401: %v", err)
	}
}

func TestListAccountsPaginated(t *testing.T) {
	var accounts []ssotest.Account
	for i := range 150 {
		accounts = append(accounts, ssotest.Account{ID: fmt.Sprintf("%012d", i), Name: fmt.Sprintf("acct-%d", i), Roles: []string{"A", "B"}})
	}
	f := newFixture(t, ssotest.Options{Accounts: accounts})
	tok := login(t, f)
	got, err := f.c.ListAccounts(t.Context(), f.target, tok)
	if err != nil || len(got) != 150 || got[149].Name != "acct-149" {
		t.Fatalf("accounts %d %v", len(got), err)
	}
	if n := f.emu.Count("ListAccounts"); n != 2 {
		t.Errorf("ListAccounts pages %d, want 2 of at most 100", n)
	}
	roles, err := f.c.ListRoles(t.Context(), f.target, tok, got[3].ID)
	if err != nil || strings.Join(roles, ",") != "A,B" {
		t.Errorf("roles %v %v", roles, err)
	}
	if err := f.c.Logout(t.Context(), f.target, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.ListAccounts(t.Context(), f.target, tok); !errors.Is(err, ErrLoginRequired) {
		t.Errorf("after logout: %v", err)
	}
}

func TestCacheFileNotJSONIsLoginRequired(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	if err := os.MkdirAll(f.c.Cache.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.c.Cache.TokenPath("my-sso"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.TokenProvider(f.target).Token(t.Context())
	if !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("error %v", err)
	}
}

// TestKeepFreshRefreshesInBackground: with no foreground call, the token is
// refreshed and credentials close to expiry are replaced, so a long
// transfer never meets expired credentials.
func TestKeepFreshRefreshesInBackground(t *testing.T) {
	short := func(_ context.Context, a, r string) (ssotest.RoleCredentials, error) {
		c, err := ssotest.FakeCredentials(t.Context(), a, r)
		c.Expiration = time.Now().Add(CredentialsExpiryWindow - time.Minute)
		return c, err
	}
	f := newFixture(t, ssotest.Options{Credentials: short})
	login(t, f)
	creds, tp := f.c.NewCredentials(f.target)
	if _, err := creds.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.advance(50 * time.Minute) // the token is due for refresh
	ctx, cancel := context.WithCancel(t.Context())
	done := KeepFresh(ctx, creds, tp, 10*time.Millisecond)
	defer func() { cancel(); <-done }() // no write to the cache after the test
	deadline := time.Now().Add(10 * time.Second)
	for f.emu.Count("GetRoleCredentials") < 2 || f.emu.Count("CreateToken:refresh_token") < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no background refresh: GetRoleCredentials %d, refresh %d", f.emu.Count("GetRoleCredentials"), f.emu.Count("CreateToken:refresh_token"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOfferLogin(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	offers := 0
	creds, _ := f.c.NewCredentials(f.target, func(r *RoleProvider) {
		r.OfferLogin = func(ctx context.Context, tgt Target, cause error) error {
			offers++
			if !errors.Is(cause, ErrLoginRequired) {
				t.Errorf("cause %v", cause)
			}
			_, err := f.c.Login(ctx, tgt, LoginOptions{Prompter: authflow.OpenerPrompter(browser(nil))})
			return err
		}
	})
	if _, err := creds.Retrieve(t.Context()); err != nil {
		t.Fatalf("after the offered login: %v", err)
	}
	if offers != 1 {
		t.Errorf("offers %d", offers)
	}
}

// TestRefreshKeepsFieldsAndLocksElsewhere: a refresh rewrites only what it
// changed (a registrationExpiresAt written "+00:00" stays so, where it used
// to become "Z"), and its lock file is in s3sso's state directory, never in
// ~/.aws/sso/cache, the AWS CLI's directory.
func TestRefreshKeepsFieldsAndLocksElsewhere(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	f := newFixture(t, ssotest.Options{})
	tok := login(t, f)
	path := f.c.Cache.TokenPath(f.target.CacheKey())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	z := tok.RegistrationExpiresAt.UTC().Format(timeFormat)
	offset := strings.TrimSuffix(z, "Z") + "+00:00"
	if !strings.Contains(string(b), `"registrationExpiresAt": "`+z+`"`) {
		t.Fatalf("login wrote %s", b)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), z, offset, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	f.advance(55 * time.Minute)
	if _, err := f.c.TokenProvider(f.target).Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := f.emu.Count("CreateToken:refresh_token"); n != 1 {
		t.Fatalf("refresh calls %d, want 1", n)
	}
	b, _ = os.ReadFile(path)
	if !strings.Contains(string(b), `"registrationExpiresAt": "`+offset+`"`) {
		t.Errorf("the refresh rewrote registrationExpiresAt: %s", b)
	}
	if locks, _ := filepath.Glob(filepath.Join(f.c.Cache.Dir, "*.lock")); len(locks) != 0 {
		t.Errorf("lock files in the AWS CLI's cache directory: %v", locks)
	}
	if locks, _ := filepath.Glob(filepath.Join(state, "s3sso", "sso-locks", "*.lock")); len(locks) != 1 {
		t.Errorf("want one lock in s3sso's state directory, got %v", locks)
	}
}

// TestPKCECallbackRefusesForgeries sends forged requests to the loopback
// listener of a pending login (wrong state, no code, wrong Host header,
// POST, error=access_denied with a wrong state) before the browser follows
// the real authorization URL: each gets an error page, none ends the login,
// and only the real code is exchanged.
func TestPKCECallbackRefusesForgeries(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	type answer struct {
		name   string
		status int
	}
	var answers []answer
	open := func(ctx context.Context, authURL string) error {
		u, err := url.Parse(authURL)
		if err != nil {
			return err
		}
		redirect, state := u.Query().Get("redirect_uri"), u.Query().Get("state")
		ru, _ := url.Parse(redirect)
		send := func(name, method, query, host string) {
			req, _ := http.NewRequestWithContext(ctx, method, redirect+"?"+query, nil)
			if host != "" {
				req.Host = host
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers = append(answers, answer{name + ": " + err.Error(), 0})
				return
			}
			resp.Body.Close()
			answers = append(answers, answer{name, resp.StatusCode})
		}
		send("wrong state", "GET", "code=forged&state=not-"+state, "")
		send("no code", "GET", "state="+url.QueryEscape(state), "")
		send("denied, wrong state", "GET", "error=access_denied&state=x", "")
		send("POST", "POST", "code=forged&state="+url.QueryEscape(state), "")
		send("DNS rebinding", "GET", "code=forged&state="+url.QueryEscape(state), "rebind.example:"+ru.Port())
		return browser(nil)(ctx, authURL)
	}
	tok, err := f.c.Login(t.Context(), f.target, LoginOptions{Prompter: authflow.OpenerPrompter(open), CallbackTimeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("login after forged requests: %v", err)
	}
	want := []answer{{"wrong state", 400}, {"no code", 400}, {"denied, wrong state", 400}, {"POST", 405}, {"DNS rebinding", 403}}
	if fmt.Sprint(answers) != fmt.Sprint(want) {
		t.Errorf("answers %v, want %v", answers, want)
	}
	if tok.AccessToken == "" || f.emu.Count("CreateToken:authorization_code") != 1 {
		t.Errorf("token %v, code exchanges %d (want 1: only the real code)", tok.AccessToken != "", f.emu.Count("CreateToken:authorization_code"))
	}
}
