package federation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
)

const awsOK = `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>user-sub</SubjectFromWebIdentityToken>
    <Audience>client-id</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::111122223333:assumed-role/web/alice</Arn>
      <AssumedRoleId>AROAEXAMPLE:alice</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>secretkey</SecretAccessKey>
      <SessionToken>sessiontoken</SessionToken>
      <Expiration>2026-07-23T19:04:05Z</Expiration>
    </Credentials>
    <Provider>https://issuer.example.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>abc</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`

const minioOK = `<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser><Credentials><AccessKeyId>MINIOKEY</AccessKeyId><SecretAccessKey>miniosecret</SecretAccessKey><Expiration>2026-07-23T19:04:05.123456789Z</Expiration><SessionToken>miniotoken</SessionToken></Credentials><SubjectFromWebIdentityToken>sub-1</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult><ResponseMetadata></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`

func stsErr(code, msg string) string {
	return fmt.Sprintf(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r1</RequestId></ErrorResponse>`, code, msg)
}

// fakeJWT returns an unsigned JWT with the given claims.
func fakeJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	b, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

func TestAssumeRoleResponses(t *testing.T) {
	exp := time.Date(2026, 7, 23, 19, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		status   int
		body     string
		roleARN  string
		wantKey  string
		wantExp  time.Time
		wantRole string
		kind     fault.Kind
		hint     string
		expired  bool
	}{
		{name: "aws", status: 200, body: awsOK, roleARN: "arn:aws:iam::111122223333:role/web", wantKey: "ASIAEXAMPLE", wantExp: exp,
			wantRole: "arn:aws:sts::111122223333:assumed-role/web/alice"},
		{name: "minio claim mode", status: 200, body: minioOK, wantKey: "MINIOKEY", wantExp: exp.Add(123456789)},
		{name: "minio expired", status: 400, body: stsErr("ExpiredToken", "Token is expired"), kind: fault.Auth, hint: "the ID token expired", expired: true},
		{name: "aws expired", status: 400, body: stsErr("ExpiredTokenException", "Token expired: current date/time 1 must be before the expiration date/time 0"),
			kind: fault.Auth, hint: "the ID token expired", expired: true},
		{name: "old minio expired", status: 400, body: stsErr("InvalidParameterValue", "Token is expired"), kind: fault.Auth, expired: true},
		{name: "invalid token", status: 400, body: stsErr("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider"),
			kind: fault.Auth, hint: "--client-id"},
		{name: "access denied", status: 403, body: stsErr("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
			kind: fault.AccessDenied, hint: "--role-arn"},
		{name: "unknown minio role", status: 400, body: stsErr("InvalidParameterValue", "Role arn:minio:iam:::role/x does not exist"),
			kind: fault.Config, hint: "--role-arn"},
		{name: "aws bad role", status: 400, body: stsErr("ValidationError", "Request ARN is invalid: role arn"), kind: fault.Config, hint: "--role-arn"},
		{name: "not an sts", status: 404, body: "<html><body>404 page not found</body></html>", kind: fault.Config, hint: "--sts-endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var form url.Values
			var auth string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				auth = r.Header.Get("Authorization")
				_ = r.ParseForm()
				form = r.PostForm
				if r.Method != http.MethodPost || r.URL.RawQuery != "" {
					t.Errorf("request %s %s", r.Method, r.URL)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := &Client{Config: Config{STSEndpoint: srv.URL, RoleARN: tc.roleARN, Duration: time.Hour, ClientID: "cid", Issuer: "https://i"}}
			tok := fakeJWT(map[string]any{"sub": "x", "email": "Alice Smith <alice@example.com>"})
			creds, err := c.AssumeRole(t.Context(), tok, Claims{Subject: "x", Email: "alice smith/alice@example.com"})
			if form.Get("Version") != "2011-06-15" || form.Get("Action") != "AssumeRoleWithWebIdentity" || form.Get("WebIdentityToken") != tok {
				t.Errorf("form %v", form)
			}
			if form.Get("RoleSessionName") != "alice-smith-alice@example.com" || form.Get("DurationSeconds") != "3600" {
				t.Errorf("session name %q duration %q", form.Get("RoleSessionName"), form.Get("DurationSeconds"))
			}
			if _, sent := form["RoleArn"]; sent != (tc.roleARN != "") {
				t.Errorf("RoleArn sent: %v, role %q", sent, tc.roleARN)
			}
			if auth != "" {
				t.Errorf("the request was signed: %q", auth)
			}
			if tc.wantKey != "" {
				if err != nil {
					t.Fatal(err)
				}
				if creds.AccessKeyID != tc.wantKey || !creds.Expiration.Equal(tc.wantExp) || creds.AssumedRoleARN != tc.wantRole || creds.SessionToken == "" {
					t.Errorf("creds %+v", creds)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if k := fault.KindOf(err); k != tc.kind {
				t.Errorf("kind %v, want %v: %v", k, tc.kind, err)
			}
			if !strings.Contains(fault.HintOf(err), tc.hint) {
				t.Errorf("hint %q lacks %q", fault.HintOf(err), tc.hint)
			}
			var se *STSError
			if errors.As(err, &se) && se.Expired() != tc.expired {
				t.Errorf("Expired() = %v", se.Expired())
			}
			if _, ok := fault.LoginRequired(err); ok != tc.expired {
				t.Errorf("asks for a new sign-in: %v, want %v", ok, tc.expired)
			}
			if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error leaks the token or spans lines: %q", err)
			}
		})
	}
}

func TestAssumeRoleNeedsARNOnAWS(t *testing.T) {
	c := &Client{Config: Config{ClientID: "c"}}
	_, err := c.AssumeRole(t.Context(), fakeJWT(map[string]any{"sub": "s"}), Claims{Subject: "s"})
	if !errors.Is(err, ErrRoleARNRequired) || !strings.Contains(fault.HintOf(err), "--role-arn") {
		t.Fatalf("err %v", err)
	}
}

func TestSessionName(t *testing.T) {
	for _, tc := range []struct {
		c    Claims
		want string
	}{
		{Claims{Email: "alice@example.com", Subject: "s"}, "alice@example.com"},
		{Claims{Subject: "CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs"}, "CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs"},
		{Claims{Subject: "auth0|abc def"}, "auth0-abc-def"},
		{Claims{Subject: strings.Repeat("x", 100)}, strings.Repeat("x", 64)},
		{Claims{Subject: "a"}, "s3sso-a"},
	} {
		if got := SessionName(tc.c); got != tc.want {
			t.Errorf("SessionName(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
	if got := SessionName(Claims{}); len(got) < 2 || len(got) > 64 || sessionNameBad.MatchString(got) {
		t.Errorf("SessionName(empty) = %q", got)
	}
}

// fakeIdP is an OpenID provider without signing keys (so ID tokens are not
// verified) for protocol edge cases.
type fakeIdP struct {
	srv        *httptest.Server
	discovery  map[string]any
	authorize  func(w http.ResponseWriter, r *http.Request)
	mu         sync.Mutex
	revoked    []string
	polls      int
	tokenForms []url.Values
}

func newFakeIdP(t *testing.T) *fakeIdP {
	f := &fakeIdP{}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	u := f.srv.URL
	f.discovery = map[string]any{
		"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token",
		"device_authorization_endpoint": u + "/device", "revocation_endpoint": u + "/revoke",
	}
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(f.discovery)
	})
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) { f.authorize(w, r) })
	mux.HandleFunc("/device", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "dc", "user_code": "ABCD-EFGH",
			"verification_uri": u + "/activate", "expires_in": 60, "interval": 1})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.tokenForms = append(f.tokenForms, r.PostForm)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code" {
			f.mu.Lock()
			f.polls++
			n := f.polls
			f.mu.Unlock()
			if n == 1 {
				w.WriteHeader(400)
				_, _ = io.WriteString(w, `{"error":"authorization_pending"}`)
				return
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": "rt-1", "scope": "openid offline_access",
			"id_token": fakeJWT(map[string]any{"iss": u, "sub": "sub-1", "aud": "cid", "exp": time.Now().Add(time.Hour).Unix(), "email": "a@example.com"})})
	})
	mux.HandleFunc("/revoke", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.revoked = append(f.revoked, r.PostForm.Get("token"))
		f.mu.Unlock()
	})
	return f
}

func TestDiscoveryErrors(t *testing.T) {
	idp := newFakeIdP(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name   string
		issuer string
		mutate func(map[string]any)
		kind   fault.Kind
		msg    string
		hint   string
	}{
		{"unreachable", dead, nil, fault.Network, "OpenID discovery at " + dead, "--issuer"},
		{"not found", idp.srv.URL + "/nope", nil, fault.Config, "404", "--issuer"},
		{"no token endpoint", idp.srv.URL, func(d map[string]any) { delete(d, "token_endpoint") }, fault.Config, "has no token_endpoint", "--token-url"},
		{"no endpoints", idp.srv.URL, func(d map[string]any) { delete(d, "token_endpoint"); delete(d, "authorization_endpoint") },
			fault.Config, "authorization_endpoint or token_endpoint", "--auth-url"},
		{"issuer mismatch", idp.srv.URL, func(d map[string]any) { d["issuer"] = "https://other.example.com" }, fault.Config, "calls itself", "https://other.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := map[string]any{}
			for k, v := range idp.discovery {
				saved[k] = v
			}
			if tc.mutate != nil {
				tc.mutate(idp.discovery)
			}
			defer func() { idp.discovery = saved }()
			c := &Client{Config: Config{Issuer: tc.issuer, ClientID: "cid"}}
			_, err := c.Discover(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			if fault.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(fault.HintOf(err), tc.hint) {
				t.Errorf("got %v (kind %v, hint %q)", err, fault.KindOf(err), fault.HintOf(err))
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
}

// The provider redirects back with error=access_denied.
func TestCallbackAccessDenied(t *testing.T) {
	idp := newFakeIdP(t)
	idp.authorize = func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?error=access_denied&error_description=user+said+no&state="+q.Get("state"), http.StatusFound)
	}
	c := &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid"}, Prompter: authflow.OpenerPrompter(httpGetOpener)}
	_, err := c.Login(t.Context(), LoginOptions{CallbackTimeout: 10 * time.Second})
	var ae *authflow.AuthError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || fault.KindOf(err) != fault.AccessDenied || !strings.Contains(fault.HintOf(err), "declined") {
		t.Fatalf("err %v hint %q", err, fault.HintOf(err))
	}
}

// A redirect with a wrong state is refused, and the login waits on for the
// real one until its time runs out; the forged code is never exchanged.
func TestCallbackStateMismatch(t *testing.T) {
	idp := newFakeIdP(t)
	idp.authorize = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("redirect_uri")+"?code=abc&state=forged", http.StatusFound)
	}
	c := &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid"}, Prompter: authflow.OpenerPrompter(httpGetOpener)}
	_, err := c.Login(t.Context(), LoginOptions{CallbackTimeout: time.Second})
	if !errors.Is(err, authflow.ErrStateMismatch) || !strings.Contains(err.Error(), "no sign-in response within 1s") {
		t.Fatalf("err %v", err)
	}
	if len(idp.tokenForms) != 0 {
		t.Errorf("the forged code was exchanged: %v", idp.tokenForms)
	}
}

// Forged requests reach the loopback listener while a sign-in is pending
// (wrong state, wrong Host header, POST, error=access_denied with a wrong
// state): each gets an error page, and the real redirect still signs in.
// Both redirect host names (127.0.0.1, localhost) are tried.
func TestCallbackForgeriesDuringLogin(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			idp := newFakeIdP(t)
			idp.authorize = func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				http.Redirect(w, r, q.Get("redirect_uri")+"?code=the-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
			}
			cfg := Config{Issuer: idp.srv.URL, ClientID: "cid"}
			if host == "localhost" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				port := ln.Addr().(*net.TCPAddr).Port
				ln.Close()
				cfg.RedirectURL = fmt.Sprintf("http://localhost:%d/cb", port)
			}
			var statuses []int
			open := func(ctx context.Context, authURL string) error {
				u, _ := url.Parse(authURL)
				redirect := u.Query().Get("redirect_uri")
				ru, _ := url.Parse(redirect)
				// Talk to the listener's address directly; the Host
				// header is what the forger controls.
				addr := "http://127.0.0.1:" + ru.Port() + ru.Path
				for _, f := range []struct{ method, query, host string }{
					{"GET", "code=forged&state=wrong", ru.Host},
					{"GET", "error=access_denied&state=wrong", ru.Host},
					{"GET", "code=forged&state=" + url.QueryEscape(u.Query().Get("state")), "rebind.example:" + ru.Port()},
					{"POST", "code=forged&state=" + url.QueryEscape(u.Query().Get("state")), ru.Host},
				} {
					req, _ := http.NewRequestWithContext(ctx, f.method, addr+"?"+f.query, nil)
					req.Host = f.host
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						return err
					}
					resp.Body.Close()
					statuses = append(statuses, resp.StatusCode)
				}
				return httpGetOpener(ctx, authURL)
			}
			c := &Client{Config: cfg, Prompter: authflow.OpenerPrompter(open)}
			tok, err := c.Login(t.Context(), LoginOptions{CallbackTimeout: 30 * time.Second})
			if err != nil {
				t.Fatalf("login after forged requests: %v", err)
			}
			if fmt.Sprint(statuses) != "[400 400 403 405]" {
				t.Errorf("forged requests answered %v, want [400 400 403 405]", statuses)
			}
			if tok.Claims.Subject != "sub-1" || len(idp.tokenForms) != 1 || idp.tokenForms[0].Get("code") != "the-code" {
				t.Errorf("token %+v, exchanges %v", tok.Claims, idp.tokenForms)
			}
			if host == "localhost" && !strings.HasPrefix(idp.tokenForms[0].Get("redirect_uri"), "http://localhost:") {
				t.Errorf("redirect_uri %s", idp.tokenForms[0].Get("redirect_uri"))
			}
		})
	}
}

// Authorization code with PKCE and nonce on a fake provider; --no-pkce
// leaves the challenge out.
func TestLoginCodeFlowParams(t *testing.T) {
	for _, noPKCE := range []bool{false, true} {
		idp := newFakeIdP(t)
		var authQuery url.Values
		idp.authorize = func(w http.ResponseWriter, r *http.Request) {
			authQuery = r.URL.Query()
			http.Redirect(w, r, authQuery.Get("redirect_uri")+"?code=the-code&state="+authQuery.Get("state"), http.StatusFound)
		}
		c := &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid", NoPKCE: noPKCE}, Prompter: authflow.OpenerPrompter(httpGetOpener)}
		tok, err := c.Login(t.Context(), LoginOptions{CallbackTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken != "rt-1" || tok.Claims.Email != "a@example.com" {
			t.Errorf("token %+v", tok)
		}
		if (authQuery.Get("code_challenge") == "") != noPKCE || authQuery.Get("nonce") == "" || authQuery.Get("scope") != "openid offline_access" {
			t.Errorf("noPKCE=%v: authorize query %v", noPKCE, authQuery)
		}
		ex := idp.tokenForms[0]
		if (ex.Get("code_verifier") == "") != noPKCE || ex.Get("code") != "the-code" || !strings.HasPrefix(ex.Get("redirect_uri"), "http://127.0.0.1:") {
			t.Errorf("noPKCE=%v: token request %v", noPKCE, ex)
		}
	}
}

func TestDeviceFlow(t *testing.T) {
	idp := newFakeIdP(t)
	var prompt recPrompter
	c := &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid"}, Prompter: &prompt}
	tok, err := c.Login(t.Context(), LoginOptions{UseDeviceCode: true})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Claims.Subject != "sub-1" || idp.polls != 2 || !strings.Contains(prompt.String(), "ABCD-EFGH") || !strings.Contains(prompt.String(), "/activate") {
		t.Errorf("token %+v polls %d prompt %q", tok, idp.polls, prompt.String())
	}

	delete(idp.discovery, "device_authorization_endpoint")
	c = &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid"}}
	_, err = c.Login(t.Context(), LoginOptions{UseDeviceCode: true})
	if err == nil || !strings.Contains(err.Error(), "device") || !strings.Contains(fault.HintOf(err), "--use-device-code") {
		t.Fatalf("without device endpoint: %v", err)
	}
}

// Logout revokes the refresh token where the provider offers revocation.
func TestLogoutRevokes(t *testing.T) {
	idp := newFakeIdP(t)
	cache := &Cache{Dir: t.TempDir()}
	p := &Provider{Client: &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid"}}, Cache: cache, Account: "a"}
	if err := cache.Save("a", &Entry{Issuer: idp.srv.URL, ClientID: "cid", RefreshToken: "rt-secret"}); err != nil {
		t.Fatal(err)
	}
	revoked, revokeErr, err := p.Logout(t.Context())
	if !revoked || revokeErr != nil || err != nil {
		t.Fatalf("logout: %v %v %v", revoked, revokeErr, err)
	}
	if len(idp.revoked) != 1 || idp.revoked[0] != "rt-secret" {
		t.Errorf("revoked %v", idp.revoked)
	}
	if e, _ := cache.Load("a"); e != nil {
		t.Error("cache entry survived logout")
	}
}

// A refresh token is kept only when offline_access was asked for.
func TestRefreshTokenOnlyWithOfflineAccess(t *testing.T) {
	idp := newFakeIdP(t)
	idp.authorize = func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=c&state="+q.Get("state"), http.StatusFound)
	}
	c := &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid", Scopes: []string{"email"}}, Prompter: authflow.OpenerPrompter(httpGetOpener)}
	tok, err := c.Login(t.Context(), LoginOptions{CallbackTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Error("kept a refresh token without offline_access")
	}
}

// httpGetOpener is a browser that follows redirects without cookies.
func httpGetOpener(ctx context.Context, u string) error {
	go func() {
		req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

// recPrompter records the sign-ins shown, as text.
type recPrompter struct{ strings.Builder }

func (p *recPrompter) SignIn(_ context.Context, s authflow.SignIn) error {
	fmt.Fprintf(p, "%s %s %s %s\n", s.Flow, s.URL, s.VerificationURL, s.UserCode)
	return nil
}

func (p *recPrompter) Warn(string) {}

func (p *recPrompter) Info(string) {}

// TestRedirectURLWithoutPort: a registered loopback redirect URL without a
// port (http://127.0.0.1/cb, which RFC 8252 section 7.3 lets a client use
// with any port) was sent as it is while s3sso listened on a free port, so
// the provider redirected the browser to port 80 and the sign-in never
// finished. The URL sent must carry the port listened on, with the
// registered host and path.
func TestRedirectURLWithoutPort(t *testing.T) {
	for _, raw := range []string{"http://127.0.0.1/cb", "http://localhost/cb"} {
		idp := newFakeIdP(t)
		var sent string
		idp.authorize = func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			sent = q.Get("redirect_uri")
			http.Redirect(w, r, sent+"?code=the-code&state="+q.Get("state"), http.StatusFound)
		}
		c := &Client{Config: Config{Issuer: idp.srv.URL, ClientID: "cid", RedirectURL: raw}, Prompter: authflow.OpenerPrompter(httpGetOpener)}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		_, err := c.Login(ctx, LoginOptions{CallbackTimeout: 10 * time.Second})
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		u, perr := url.Parse(sent)
		want, _ := url.Parse(raw)
		if perr != nil || u.Port() == "" || u.Hostname() != want.Hostname() || u.Path != "/cb" {
			t.Errorf("%s: redirect_uri sent %q, want the same host and path with the port listened on", raw, sent)
		}
		if got := idp.tokenForms[0].Get("redirect_uri"); got != sent {
			t.Errorf("%s: token request redirect_uri %q, authorize had %q", raw, got, sent)
		}
	}
}
