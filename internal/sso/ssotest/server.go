// Package ssotest is an emulator of the IAM Identity Center OIDC API
// (RegisterClient, StartDeviceAuthorization, CreateToken, /authorize) and
// portal API (GetRoleCredentials, ListAccounts, ListAccountRoles, Logout)
// for tests and the demo. It follows protocol.md: the same paths, JSON
// shapes, error codes (x-amzn-ErrorType header plus the OAuth "error" body
// for OIDC, "__type" for the portal) and pagination; PKCE (S256) is
// verified; a device code is approved by visiting its verification URL, and
// the /authorize page signs the user in at once and redirects back.
//
// It is checked against botocore (awscli v1 pointed at it with
// AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC) so it cannot drift from
// the real protocol. Role credentials come from a CredentialsFunc, e.g.
// MinIOCredentials, which makes them valid on a MinIO server.
package ssotest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account is an account the emulated user can access, with its roles.
type Account struct {
	ID, Name, Email string
	Roles           []string
}

// RoleCredentials are what GetRoleCredentials returns.
type RoleCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// CredentialsFunc mints credentials for a role.
type CredentialsFunc func(ctx context.Context, accountID, roleName string) (RoleCredentials, error)

// Options configure the emulator. Zero values pick the defaults shown.
type Options struct {
	// Region the instance lives in (us-east-1).
	Region string
	// Accounts assigned to the user (one account 111122223333 "dev" with
	// roles ReadOnly and Admin).
	Accounts []Account
	// AccessTokenTTL is the lifetime of access tokens (1 h).
	AccessTokenTTL time.Duration
	// DeviceCodeTTL is the lifetime of a device authorization (10 min).
	DeviceCodeTTL time.Duration
	// Interval is the device poll interval in seconds (1).
	Interval int
	// Credentials mints role credentials (fake static ones by default).
	Credentials CredentialsFunc
	// StartURLRegions maps start URLs to the region of their instance; a
	// start URL mapped to another region than Region is refused with
	// InvalidRequestRegionException, as a real regional endpoint does.
	StartURLRegions map[string]string
	// Now returns the current time (time.Now).
	Now func() time.Time
	// Latency delays every API answer by this much, as the round trip to
	// the real service does (about 100 ms from a laptop); 0 answers at once.
	Latency time.Duration
}

// Server is a running emulator.
type Server struct {
	// URL is the base URL for both APIs, http://127.0.0.1:PORT.
	URL string

	opts Options
	srv  *http.Server
	ln   net.Listener

	mu       sync.Mutex
	clients  map[string]*client
	devices  map[string]*device // by device code
	users    map[string]*device // by user code
	codes    map[string]*authCode
	access   map[string]*session
	refresh  map[string]*session
	counts   map[string]int
	slowDown int
	authErr  string
	badState bool
	// refreshDelay holds every refresh_token CreateToken call this long
	// before it is answered (SetRefreshDelay).
	refreshDelay time.Duration
	deny         bool
}

type client struct {
	id, secret   string
	scopes       []string
	grants       []string
	redirectURIs []string
	expires      time.Time
}

type device struct {
	code, user string
	client     *client
	expires    time.Time
	approved   bool
	denied     bool
	used       bool
}

type authCode struct {
	client      *client
	redirectURI string
	challenge   string
	used        bool
	expires     time.Time
}

type session struct {
	access, refresh string
	client          *client
	expires         time.Time
	revoked         bool
}

// New returns an emulator that is not listening yet; see Start and Serve.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Accounts == nil {
		opts.Accounts = []Account{{ID: "111122223333", Name: "dev", Email: "dev@example.com", Roles: []string{"ReadOnly", "Admin"}}}
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.DeviceCodeTTL <= 0 {
		opts.DeviceCodeTTL = 10 * time.Minute
	}
	if opts.Interval <= 0 {
		opts.Interval = 1
	}
	if opts.Credentials == nil {
		opts.Credentials = FakeCredentials
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, clients: map[string]*client{}, devices: map[string]*device{}, users: map[string]*device{},
		codes: map[string]*authCode{}, access: map[string]*session{}, refresh: map[string]*session{}, counts: map[string]int{}}
}

// FakeCredentials returns made-up credentials valid for an hour.
func FakeCredentials(_ context.Context, account, role string) (RoleCredentials, error) {
	return RoleCredentials{AccessKeyID: "ASIA" + strings.ToUpper(random(8)), SecretAccessKey: random(30),
		SessionToken: "fake-" + account + "-" + role + "-" + random(16), Expiration: time.Now().Add(time.Hour)}, nil
}

// Listen binds addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.Serve(ln, "http://"+ln.Addr().String())
	return nil
}

// Serve serves on ln in the background; baseURL is how clients reach it
// (URL). Wrap ln with tls.NewListener to serve HTTPS, e.g. under the real
// host names inside a test's private namespace (testenv.Namespace).
func (s *Server) Serve(ln net.Listener, baseURL string) {
	s.ln = ln
	s.URL = baseURL
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
}

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// Count returns how often op was called ("RegisterClient",
// "StartDeviceAuthorization", "CreateToken", "CreateToken:refresh_token",
// "CreateToken:authorization_code", "CreateToken:device_code",
// "Authorize", "GetRoleCredentials", "ListAccounts", "ListAccountRoles",
// "Logout"). "CreateToken:GRANT:AGENT" counts the CreateToken calls of one
// client kind by User-Agent (AGENT is "botocore", "go" for the Go SDK, or
// "other"), "CreateToken:refresh_token:arrived:AGENT" the refresh calls
// that arrived (counted before SetRefreshDelay's hold, the others after it),
// and "CreateToken:refresh_token:issued" the refreshes that succeeded (each
// spends its refresh token: the next one must use the new).
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// SetSlowDown makes the next n pending device polls answer slow_down.
func (s *Server) SetSlowDown(n int) { s.mu.Lock(); s.slowDown = n; s.mu.Unlock() }

// SetAuthorizeError makes /authorize redirect back with error=code.
func (s *Server) SetAuthorizeError(code string) { s.mu.Lock(); s.authErr = code; s.mu.Unlock() }

// SetTamperState makes /authorize redirect back with a different state.
func (s *Server) SetTamperState(on bool) { s.mu.Lock(); s.badState = on; s.mu.Unlock() }

// SetRefreshDelay holds each refresh_token CreateToken call for d before it
// is answered (concurrent calls wait side by side; the first one answered
// afterwards spends the refresh token). Race tests use it to widen the window
// in which several clients read the old token.
func (s *Server) SetRefreshDelay(d time.Duration) { s.mu.Lock(); s.refreshDelay = d; s.mu.Unlock() }

// SetDenyDevice makes visiting a verification URL deny the request.
func (s *Server) SetDenyDevice(on bool) { s.mu.Lock(); s.deny = on; s.mu.Unlock() }

// ExpireDeviceCodes expires every pending device authorization.
func (s *Server) ExpireDeviceCodes() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		d.expires = time.Time{}
	}
}

// RevokeAll invalidates every access and refresh token (the session ended).
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		t.revoked = true
	}
}

// ApproveDevice approves a user code as the user would in the browser.
func (s *Server) ApproveDevice(userCode string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.users[userCode]
	if d == nil {
		return false
	}
	d.approved = true
	return true
}

func (s *Server) now() time.Time { return s.opts.Now() }

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ServeHTTP routes the OIDC and portal APIs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.Latency > 0 && r.URL.Path != "/_emu/stats" {
		select {
		case <-time.After(s.opts.Latency):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/client/register":
		s.registerClient(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/device_authorization":
		s.startDeviceAuthorization(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		s.createToken(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/authorize":
		s.authorize(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/device":
		s.verify(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/federation/credentials":
		s.getRoleCredentials(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/assignment/accounts":
		s.listAccounts(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/assignment/roles":
		s.listAccountRoles(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/logout":
		s.logout(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/_emu/stats":
		s.mu.Lock()
		b, _ := json.Marshal(s.counts)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oidcError writes an OIDC error: the exception name in x-amzn-ErrorType and
// the OAuth error in the body.
func oidcError(w http.ResponseWriter, status int, exception, code, desc string, extra ...string) {
	w.Header().Set("x-amzn-ErrorType", exception)
	body := map[string]string{"error": code, "error_description": desc}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	writeJSON(w, status, body)
}

func portalError(w http.ResponseWriter, status int, exception, msg string) {
	w.Header().Set("x-amzn-ErrorType", exception)
	writeJSON(w, status, map[string]string{"message": msg, "__type": "com.amazonaws.switchboard.portal#" + exception})
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func (s *Server) checkRegion(w http.ResponseWriter, startURL string) bool {
	if r, ok := s.opts.StartURLRegions[startURL]; ok && r != s.opts.Region {
		oidcError(w, 400, "InvalidRequestRegionException", "invalid_request",
			"The start URL belongs to an IAM Identity Center instance in another region", "endpoint", "https://oidc."+r+".amazonaws.com", "region", r)
		return false
	}
	return true
}

func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientName   string   `json:"clientName"`
		ClientType   string   `json:"clientType"`
		Scopes       []string `json:"scopes"`
		RedirectURIs []string `json:"redirectUris"`
		GrantTypes   []string `json:"grantTypes"`
		IssuerURL    string   `json:"issuerUrl"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["RegisterClient"]++
	if in.ClientName == "" || in.ClientType == "" {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "clientName and clientType are required")
		return
	}
	if in.ClientType != "public" {
		oidcError(w, 400, "InvalidClientMetadataException", "invalid_client_metadata", "clientType must be public")
		return
	}
	for _, g := range in.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" && g != "urn:ietf:params:oauth:grant-type:device_code" {
			oidcError(w, 400, "InvalidClientMetadataException", "invalid_client_metadata", "unsupported grant type "+g)
			return
		}
	}
	if slices.Contains(in.GrantTypes, "authorization_code") {
		if len(in.RedirectURIs) == 0 || in.IssuerURL == "" {
			oidcError(w, 400, "InvalidRequestException", "invalid_request", "authorization_code clients need redirectUris and issuerUrl")
			return
		}
		for _, u := range in.RedirectURIs {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "http" || (pu.Hostname() != "127.0.0.1" && pu.Hostname() != "localhost") {
				oidcError(w, 400, "InvalidRedirectUriException", "invalid_redirect_uri", "redirect URIs must be loopback http URLs")
				return
			}
		}
		if !s.checkRegion(w, in.IssuerURL) {
			return
		}
	}
	now := s.now()
	c := &client{id: "cid-" + random(12), secret: "csecret-" + random(24), scopes: in.Scopes, grants: in.GrantTypes,
		redirectURIs: in.RedirectURIs, expires: now.Add(90 * 24 * time.Hour)}
	s.clients[c.id] = c
	writeJSON(w, 200, map[string]any{
		"clientId": c.id, "clientSecret": c.secret, "clientIdIssuedAt": now.Unix(), "clientSecretExpiresAt": c.expires.Unix(),
	})
}

func (s *Server) clientFor(w http.ResponseWriter, id, secret string) *client {
	c := s.clients[id]
	if c == nil || c.secret != secret || s.now().After(c.expires) {
		oidcError(w, 401, "InvalidClientException", "invalid_client", "invalid client credentials")
		return nil
	}
	return c
}

func (s *Server) startDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		StartURL     string `json:"startUrl"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["StartDeviceAuthorization"]++
	if in.ClientID == "" || in.ClientSecret == "" || in.StartURL == "" {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "clientId, clientSecret and startUrl are required")
		return
	}
	c := s.clientFor(w, in.ClientID, in.ClientSecret)
	if c == nil || !s.checkRegion(w, in.StartURL) {
		return
	}
	user := strings.ToUpper(hex.EncodeToString([]byte(random(3))))[:4] + "-" + strings.ToUpper(hex.EncodeToString([]byte(random(3))))[:4]
	d := &device{code: "dc-" + random(24), user: user, client: c, expires: s.now().Add(s.opts.DeviceCodeTTL)}
	s.devices[d.code] = d
	s.users[d.user] = d
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := scheme + "://" + r.Host + "/device"
	writeJSON(w, 200, map[string]any{
		"deviceCode": d.code, "userCode": d.user, "verificationUri": base,
		"verificationUriComplete": base + "?user_code=" + url.QueryEscape(d.user),
		"expiresIn":               int(s.opts.DeviceCodeTTL.Seconds()), "interval": s.opts.Interval,
	})
}

// verify is the verification page: visiting it signs the user in and
// approves (or, with SetDenyDevice, denies) the user code.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	s.mu.Lock()
	d := s.users[code]
	if d != nil && !d.used {
		if s.deny {
			d.denied = true
		} else {
			d.approved = true
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if d == nil {
		w.WriteHeader(404)
		fmt.Fprintf(w, "<!doctype html><h1>Unknown code %s</h1>", html.EscapeString(code))
		return
	}
	fmt.Fprintf(w, "<!doctype html><h1>Request %s approved</h1><p>You can close this window.</p>", html.EscapeString(code))
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["Authorize"]++
	c := s.clients[q.Get("client_id")]
	if c == nil || !slices.Contains(c.grants, "authorization_code") {
		http.Error(w, "invalid_client: unknown client or client without authorization_code", 400)
		return
	}
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || !s.redirectAllowed(c, ru) {
		http.Error(w, "invalid_redirect_uri: "+redirect, 400)
		return
	}
	back := func(params url.Values) {
		ru.RawQuery = params.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
	}
	state := q.Get("state")
	if s.badState {
		state = "tampered-" + state
	}
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
		back(url.Values{"error": {"invalid_request"}, "error_description": {"response_type=code, state and an S256 code_challenge are required"}, "state": {state}})
		return
	}
	if scopes := strings.Fields(q.Get("scopes")); len(scopes) == 0 {
		back(url.Values{"error": {"invalid_scope"}, "error_description": {"scopes is required"}, "state": {state}})
		return
	}
	if s.authErr != "" {
		back(url.Values{"error": {s.authErr}, "error_description": {"the user did not allow the request"}, "state": {state}})
		return
	}
	code := "code-" + random(24)
	s.codes[code] = &authCode{client: c, redirectURI: redirect, challenge: q.Get("code_challenge"), expires: s.now().Add(5 * time.Minute)}
	back(url.Values{"code": {code}, "state": {state}})
}

// redirectAllowed: the registered URI has no port; any loopback port
// matches (RFC 8252 7.3).
func (s *Server) redirectAllowed(c *client, ru *url.URL) bool {
	for _, reg := range c.redirectURIs {
		pu, err := url.Parse(reg)
		if err != nil {
			continue
		}
		if pu.Scheme == ru.Scheme && pu.Hostname() == ru.Hostname() && pu.Path == ru.Path && (pu.Port() == "" || pu.Port() == ru.Port()) {
			return true
		}
	}
	return false
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		GrantType    string `json:"grantType"`
		DeviceCode   string `json:"deviceCode"`
		Code         string `json:"code"`
		RefreshToken string `json:"refreshToken"`
		RedirectURI  string `json:"redirectUri"`
		CodeVerifier string `json:"codeVerifier"`
	}
	if !s.decode(w, r, &in) {
		return
	}
	if in.GrantType == "refresh_token" {
		s.mu.Lock()
		d := s.refreshDelay
		s.counts["CreateToken:refresh_token:arrived:"+agentOf(r)]++
		s.mu.Unlock()
		if d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["CreateToken"]++
	kind := in.GrantType
	if kind == "urn:ietf:params:oauth:grant-type:device_code" {
		kind = "device_code"
	}
	s.counts["CreateToken:"+kind]++
	s.counts["CreateToken:"+kind+":"+agentOf(r)]++
	if in.ClientID == "" || in.ClientSecret == "" || in.GrantType == "" {
		oidcError(w, 400, "InvalidRequestException", "invalid_request", "clientId, clientSecret and grantType are required")
		return
	}
	c := s.clientFor(w, in.ClientID, in.ClientSecret)
	if c == nil {
		return
	}
	now := s.now()
	switch kind {
	case "device_code":
		d := s.devices[in.DeviceCode]
		switch {
		case d == nil || d.client != c || d.used:
			oidcError(w, 400, "InvalidGrantException", "invalid_grant", "Invalid grant provided")
		case now.After(d.expires):
			oidcError(w, 400, "ExpiredTokenException", "expired_token", "Device code has expired")
		case d.denied:
			oidcError(w, 400, "AccessDeniedException", "access_denied", "The user denied the request")
		case !d.approved && s.slowDown > 0:
			s.slowDown--
			oidcError(w, 400, "SlowDownException", "slow_down", "Client is polling too fast")
		case !d.approved:
			oidcError(w, 400, "AuthorizationPendingException", "authorization_pending", "Authorization is still pending")
		default:
			d.used = true
			s.issue(w, c)
		}
	case "authorization_code":
		ac := s.codes[in.Code]
		switch {
		case ac == nil || ac.client != c || ac.used:
			oidcError(w, 400, "InvalidGrantException", "invalid_grant", "Invalid grant provided")
		case now.After(ac.expires):
			oidcError(w, 400, "ExpiredTokenException", "expired_token", "Authorization code has expired")
		case ac.redirectURI != in.RedirectURI:
			oidcError(w, 400, "InvalidGrantException", "invalid_grant", "redirectUri does not match the authorization request")
		case in.CodeVerifier == "" || pkceS256(in.CodeVerifier) != ac.challenge:
			oidcError(w, 400, "InvalidGrantException", "invalid_grant", "PKCE verification failed")
		default:
			ac.used = true
			s.issue(w, c)
		}
	case "refresh_token":
		old := s.refresh[in.RefreshToken]
		if old == nil || old.client != c || old.revoked {
			oidcError(w, 400, "InvalidGrantException", "invalid_grant", "Invalid grant provided")
			return
		}
		delete(s.refresh, in.RefreshToken)
		s.counts["CreateToken:refresh_token:issued"]++
		s.issue(w, c)
	default:
		oidcError(w, 400, "UnsupportedGrantTypeException", "unsupported_grant_type", "unsupported grant type "+in.GrantType)
	}
}

// agentOf classifies a request's client by its User-Agent.
func agentOf(r *http.Request) string {
	ua := strings.ToLower(r.UserAgent())
	switch {
	case strings.Contains(ua, "botocore"):
		return "botocore"
	case strings.Contains(ua, "aws-sdk-go-v2"):
		return "go"
	}
	return "other"
}

func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// issue mints an access token (and, for clients registered with scopes, a
// refresh token).
func (s *Server) issue(w http.ResponseWriter, c *client) {
	t := &session{access: "aoa" + random(48), client: c, expires: s.now().Add(s.opts.AccessTokenTTL)}
	s.access[t.access] = t
	out := map[string]any{"accessToken": t.access, "tokenType": "Bearer", "expiresIn": int(s.opts.AccessTokenTTL.Seconds())}
	if len(c.scopes) > 0 {
		t.refresh = "aor" + random(48)
		s.refresh[t.refresh] = t
		out["refreshToken"] = t.refresh
	}
	writeJSON(w, 200, out)
}

// bearer checks x-amz-sso_bearer_token.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) bool {
	t := s.access[r.Header.Get("x-amz-sso_bearer_token")]
	if t == nil || t.revoked || s.now().After(t.expires) {
		portalError(w, 401, "UnauthorizedException", "Session token not found or invalid")
		return false
	}
	return true
}

func (s *Server) account(id string) *Account {
	for i := range s.opts.Accounts {
		if s.opts.Accounts[i].ID == id {
			return &s.opts.Accounts[i]
		}
	}
	return nil
}

func (s *Server) getRoleCredentials(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.counts["GetRoleCredentials"]++
	if !s.bearer(w, r) {
		s.mu.Unlock()
		return
	}
	acc := s.account(q.Get("account_id"))
	role := q.Get("role_name")
	s.mu.Unlock()
	if q.Get("account_id") == "" || role == "" {
		portalError(w, 400, "InvalidRequestException", "account_id and role_name are required")
		return
	}
	if acc == nil || !slices.Contains(acc.Roles, role) {
		portalError(w, 403, "ForbiddenException", "No access")
		return
	}
	rc, err := s.opts.Credentials(r.Context(), acc.ID, role)
	if err != nil {
		portalError(w, 500, "InternalServerException", "cannot mint credentials: "+err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"roleCredentials": map[string]any{
		"accessKeyId": rc.AccessKeyID, "secretAccessKey": rc.SecretAccessKey, "sessionToken": rc.SessionToken,
		"expiration": rc.Expiration.UnixMilli(),
	}})
}

// page returns items[start:end] and the next token for a max_result /
// next_token request.
func page(w http.ResponseWriter, q url.Values, n int) (start, end int, next string, ok bool) {
	max := 20
	if v := q.Get("max_result"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 100 {
			portalError(w, 400, "InvalidRequestException", "max_result must be between 1 and 100")
			return 0, 0, "", false
		}
		max = m
	}
	if t := q.Get("next_token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		i, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || i < 0 || i > n {
			portalError(w, 400, "InvalidRequestException", "invalid next_token")
			return 0, 0, "", false
		}
		start = i
	}
	end = min(start+max, n)
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return start, end, next, true
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["ListAccounts"]++
	if !s.bearer(w, r) {
		return
	}
	start, end, next, ok := page(w, r.URL.Query(), len(s.opts.Accounts))
	if !ok {
		return
	}
	list := []map[string]string{}
	for _, a := range s.opts.Accounts[start:end] {
		list = append(list, map[string]string{"accountId": a.ID, "accountName": a.Name, "emailAddress": a.Email})
	}
	out := map[string]any{"accountList": list}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, 200, out)
}

func (s *Server) listAccountRoles(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["ListAccountRoles"]++
	if !s.bearer(w, r) {
		return
	}
	acc := s.account(r.URL.Query().Get("account_id"))
	if acc == nil {
		portalError(w, 404, "ResourceNotFoundException", "account not found")
		return
	}
	start, end, next, ok := page(w, r.URL.Query(), len(acc.Roles))
	if !ok {
		return
	}
	list := []map[string]string{}
	for _, role := range acc.Roles[start:end] {
		list = append(list, map[string]string{"roleName": role, "accountId": acc.ID})
	}
	out := map[string]any{"roleList": list}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, 200, out)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts["Logout"]++
	if !s.bearer(w, r) {
		return
	}
	t := s.access[r.Header.Get("x-amz-sso_bearer_token")]
	t.revoked = true
	if t.refresh != "" {
		delete(s.refresh, t.refresh)
	}
	w.WriteHeader(200)
}
