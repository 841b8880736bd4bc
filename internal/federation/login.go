package federation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
)

// Token is what a sign-in or refresh yields.
type Token struct {
	IDToken      string
	RefreshToken string // empty unless offline_access was granted
	Expiry       time.Time
	Claims       Claims
}

// Claims are the ID token claims s3sso uses.
type Claims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Email    string   `json:"email,omitempty"`
	Name     string   `json:"name,omitempty"`
	Audience audience `json:"aud"`
	Expiry   int64    `json:"exp"`
	Nonce    string   `json:"nonce,omitempty"`
}

type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

// ParseClaims decodes an ID token's payload without verifying it.
func ParseClaims(idToken string) (Claims, error) {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return Claims{}, errors.New("the ID token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, fmt.Errorf("decode ID token payload: %w", err)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, fmt.Errorf("decode ID token claims: %w", err)
	}
	return c, nil
}

var sessionNameBad = regexp.MustCompile(`[^\w+=,.@-]`)

// SessionName derives an STS role session name from claims: the email, else
// the subject, with characters STS rejects replaced by '-', cut to 64
// characters and at least 2 long.
func SessionName(c Claims) string {
	s := c.Email
	if s == "" {
		s = c.Subject
	}
	s = sessionNameBad.ReplaceAllString(s, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if len(s) < 2 {
		s = "s3sso-" + s
		if len(s) < 7 {
			s += strconv.FormatInt(time.Now().Unix(), 10)
		}
	}
	return s
}

// LoginOptions select how to sign in.
type LoginOptions struct {
	UseDeviceCode bool // the device authorization grant instead of the browser
	RedirectPort  int  // overrides the redirect URL's port (0: keep)
	// CallbackTimeout bounds the wait for the browser; 0 means
	// authflow.DefaultCallbackTimeout.
	CallbackTimeout time.Duration
}

// Login signs the user in interactively and returns verified tokens.
func (c *Client) Login(ctx context.Context, opts LoginOptions) (*Token, error) {
	ep, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	if opts.UseDeviceCode {
		return c.deviceLogin(ctx, ep)
	}
	return c.browserLogin(ctx, ep, opts)
}

// redirect returns the loopback host name, port and path to listen on and
// the redirect URI to send, from Config.RedirectURL and the port override.
func (c *Client) redirect(portOverride int) (host string, port int, path string, uri string, err error) {
	raw := c.Config.RedirectURL
	if raw == "" {
		return "127.0.0.1", portOverride, "/callback", "", nil
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return "", 0, "", "", fault.Newf(fault.Config,
			"redirect URL %q is not a loopback http URL (http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH): fix --redirect-url", raw)
	}
	if u.Port() != "" {
		if port, err = strconv.Atoi(u.Port()); err != nil {
			return "", 0, "", "", fault.Newf(fault.Config, "redirect URL %q has an invalid port: fix --redirect-url", raw)
		}
	}
	if portOverride != 0 {
		port = portOverride
		u.Host = u.Hostname() + ":" + strconv.Itoa(port)
	}
	path = u.Path
	if path == "" {
		path = "/"
	}
	if port == 0 {
		// A loopback redirect URL registered without a port: any port is
		// allowed (RFC 8252, section 7.3). The URI sent is made once the
		// listener has one (Callback.RedirectURI, same host and path).
		return u.Hostname(), 0, path, "", nil
	}
	return u.Hostname(), port, path, u.String(), nil
}

func (c *Client) browserLogin(ctx context.Context, ep *Endpoints, opts LoginOptions) (*Token, error) {
	host, port, path, redirectURI, err := c.redirect(opts.RedirectPort)
	if err != nil {
		return nil, err
	}
	state := authflow.RandomString(32)
	nonce := authflow.RandomString(32)
	cb, err := authflow.Listen(authflow.Redirect{Host: host, Port: port, Path: path, State: state})
	if err != nil {
		return nil, err
	}
	defer cb.Close()
	if redirectURI == "" {
		redirectURI = cb.RedirectURI()
	}
	oc := c.oauthConfig(ep, redirectURI)
	authOpts := []oauth2.AuthCodeOption{oidc.Nonce(nonce)}
	var verifier string
	if !c.Config.NoPKCE {
		verifier = oauth2.GenerateVerifier()
		authOpts = append(authOpts, oauth2.S256ChallengeOption(verifier))
	}
	authURL := oc.AuthCodeURL(state, authOpts...)
	if err := c.preflight(ctx, authURL, redirectURI); err != nil {
		return nil, err
	}

	if err := c.prompter().SignIn(ctx, authflow.SignIn{Flow: authflow.FlowPKCE, Provider: c.Config.Issuer,
		URL: authURL, OpenHere: true}); err != nil {
		return nil, fmt.Errorf("show the sign-in: %w", err)
	}
	code, err := cb.Wait(ctx, opts.CallbackTimeout)
	if err != nil {
		return nil, callbackError(err)
	}
	var exOpts []oauth2.AuthCodeOption
	if verifier != "" {
		exOpts = append(exOpts, oauth2.VerifierOption(verifier))
	}
	tok, err := oc.Exchange(c.ctx(ctx), code, exOpts...)
	if err != nil {
		return nil, tokenError("exchange the authorization code", ep.Token, err)
	}
	return c.verify(ctx, tok, nonce)
}

// preflight fetches the authorization URL without a browser. Providers
// reject an unregistered redirect URL or unknown client ID there with an
// error page, which the user would otherwise only see in the browser while
// s3sso waits; such a rejection becomes a clear error. Anything else
// (including failures of the check itself) lets the sign-in go on.
func (c *Client) preflight(ctx context.Context, authURL, redirectURI string) error {
	hc := *c.httpClient()
	back, _ := url.Parse(redirectURI)
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 || back != nil && req.URL.Host == back.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	text := strings.ToLower(pageText(body))
	switch {
	case strings.Contains(text, "redirect"):
		return fault.New(fault.Config,
			fmt.Sprintf("the OpenID provider rejected the redirect URL %s (HTTP %d: %s)", redirectURI, resp.StatusCode, shorten(pageText(body), 160)),
			"register exactly this redirect URL for the client at the provider, or set --redirect-url (and --redirect-port) to the registered one")
	case strings.Contains(text, "client"):
		return fault.New(fault.Config,
			fmt.Sprintf("the OpenID provider rejected the client (HTTP %d: %s)", resp.StatusCode, shorten(pageText(body), 160)),
			"check --client-id")
	}
	c.log().Debug("authorization URL preflight answered an error; going on", "status", resp.StatusCode)
	return nil
}

var tagRE = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)

// pageText reduces an HTML error page to its text.
func pageText(b []byte) string {
	s := tagRE.ReplaceAllString(string(b), " ")
	s = strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// shorten cuts s to at most n bytes (at a character boundary) and marks the
// cut with "...".
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

func callbackError(err error) error {
	var ae *authflow.AuthError
	if !errors.As(err, &ae) {
		return err
	}
	hint := ""
	switch ae.Code {
	case "access_denied":
		hint = "the sign-in was declined at the provider: sign in again and approve the request, or ask the provider's administrator to allow your user for this client (--client-id)"
	case "invalid_scope":
		hint = "the provider does not allow these scopes: fix --scopes"
	case "unauthorized_client", "invalid_client":
		hint = "the provider does not allow this client to sign in this way: check --client-id (and --no-pkce if the provider rejects PKCE)"
	case "invalid_request":
		hint = "check --redirect-url, --scopes and --client-id"
	default:
		hint = "check the account's OpenID settings (s3sso account show NAME)"
	}
	return fault.WithHint(err, hint)
}

// tokenError turns an error from the token endpoint into one line naming the
// setting to fix. It never includes the request (which holds secrets).
func tokenError(op, tokenURL string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code := re.ErrorCode
		desc := re.ErrorDescription
		msg := fmt.Sprintf("%s at %s: %s", op, tokenURL, code)
		if code == "" {
			msg = fmt.Sprintf("%s at %s: HTTP %d", op, tokenURL, re.Response.StatusCode)
		}
		if desc != "" {
			msg += " (" + shorten(desc, 200) + ")"
		}
		oe := &oauthError{msg: msg, re: re}
		switch code {
		case "invalid_client", "unauthorized_client":
			oe.sentinel = ErrClientRejected
			return &fault.Error{Kind: fault.Config, Err: oe,
				Hint: "the provider rejected the client credentials: check --client-secret and --client-id"}
		case "invalid_grant":
			oe.sentinel = ErrGrantRejected
			return &fault.Error{Kind: fault.Auth, Err: oe,
				Hint: "the code or refresh token was not accepted: sign in again; if this repeats, check --redirect-url and --no-pkce"}
		case "invalid_scope":
			return &fault.Error{Kind: fault.Config, Err: oe, Hint: "fix --scopes"}
		}
		return &fault.Error{Kind: fault.Auth, Err: oe, Hint: "check the account's OpenID settings (s3sso account show NAME)"}
	}
	if isNetworkError(err) {
		return &fault.Error{Kind: fault.Network, Msg: fmt.Sprintf("%s at %s", op, tokenURL), Err: unwrapURLError(err),
			Hint: "check that the OpenID provider (--issuer, --token-url) is reachable"}
	}
	return fmt.Errorf("%s at %s: %w", op, tokenURL, err)
}

// oauthError is a token endpoint error: one line of our own (the
// RetrieveError's text holds the raw response body), with the
// RetrieveError and a sentinel in the chain.
type oauthError struct {
	msg      string
	re       *oauth2.RetrieveError
	sentinel error
}

func (e *oauthError) Error() string { return e.msg }
func (e *oauthError) Unwrap() []error {
	if e.sentinel != nil {
		return []error{e.re, e.sentinel}
	}
	return []error{e.re}
}

// ErrClientRejected means the provider rejected the client ID or secret.
var ErrClientRejected = errors.New("client credentials rejected")

// ErrGrantRejected means the provider rejected an authorization code or
// refresh token (invalid_grant).
var ErrGrantRejected = errors.New("grant rejected")

// ErrNoIDToken means the token response carried no id_token.
var ErrNoIDToken = errors.New("the provider returned no ID token")

// verify checks the ID token of tok (signature, issuer, audience, expiry
// and, when nonce is set, nonce) and returns the Token.
func (c *Client) verify(ctx context.Context, tok *oauth2.Token, nonce string) (*Token, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fault.Wrap(fault.Config, ErrNoIDToken, "request the openid scope (--scopes) from a provider that supports OpenID Connect")
	}
	claims, err := ParseClaims(raw)
	if err != nil {
		return nil, fmt.Errorf("read the ID token: %w", err)
	}
	if c.prov != nil && !c.keyless {
		v := c.prov.VerifierContext(c.ctx(context.WithoutCancel(ctx)), &oidc.Config{ClientID: c.Config.ClientID, Now: c.now})
		idt, err := v.Verify(c.ctx(ctx), raw)
		if err != nil {
			return nil, fault.Wrap(fault.Auth, fmt.Errorf("verify the ID token: %w", err), "check --issuer and --client-id")
		}
		if nonce != "" && idt.Nonce != nonce {
			return nil, fault.New(fault.Auth, "the ID token carries an unexpected nonce", "sign in again")
		}
	} else if nonce != "" && claims.Nonce != "" && claims.Nonce != nonce {
		return nil, fault.New(fault.Auth, "the ID token carries an unexpected nonce", "sign in again")
	}
	t := &Token{IDToken: raw, Expiry: time.Unix(claims.Expiry, 0), Claims: claims}
	if tok.RefreshToken != "" && c.offlineGranted(tok) {
		t.RefreshToken = tok.RefreshToken
	}
	return t, nil
}

// offlineGranted reports whether a refresh token may be kept: offline_access
// was requested and, when the response lists scopes, granted.
func (c *Client) offlineGranted(tok *oauth2.Token) bool {
	if !c.requestedOffline() {
		return false
	}
	scope, _ := tok.Extra("scope").(string)
	if scope == "" {
		return true
	}
	for _, s := range strings.Fields(scope) {
		if s == "offline_access" {
			return true
		}
	}
	return false
}

func (c *Client) deviceLogin(ctx context.Context, ep *Endpoints) (*Token, error) {
	if ep.Device == "" {
		return nil, fault.New(fault.Config, "the OpenID provider does not offer the device authorization grant (no device_authorization_endpoint)",
			"sign in without --use-device-code (use --no-browser to print the URL instead)")
	}
	oc := c.oauthConfig(ep, "")
	// Client credentials as form parameters, as sent to the device
	// endpoint. With x/oauth2's default (auto-detect) every poll answered
	// authorization_pending is repeated at once with the other style, and
	// Dex answers that second poll with slow_down.
	oc.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	var daOpts []oauth2.AuthCodeOption
	if c.Config.ClientSecret != "" {
		// A confidential client authenticates at the device authorization
		// endpoint too (RFC 8628 section 3.1). x/oauth2 sends only the
		// client ID there; Dex binds the device request to the secret sent
		// with it and refuses the approval without it.
		daOpts = append(daOpts, oauth2.SetAuthURLParam("client_secret", c.Config.ClientSecret))
	}
	started := time.Now()
	da, err := oc.DeviceAuth(c.ctx(ctx), daOpts...)
	if err != nil {
		return nil, tokenError("start the device authorization", ep.Device, err)
	}
	si := authflow.SignIn{Flow: authflow.FlowDevice, Provider: c.Config.Issuer, URL: da.VerificationURI,
		VerificationURL: da.VerificationURI, UserCode: da.UserCode}
	if da.VerificationURIComplete != "" {
		si.URL, si.CodeInURL = da.VerificationURIComplete, true
	}
	if err := c.prompter().SignIn(ctx, si); err != nil {
		return nil, fmt.Errorf("show the sign-in: %w", err)
	}
	// Poll a second later than asked. x/oauth2 polls on a ticker, so a poll
	// can reach the provider a little less than the interval after the
	// previous one; Dex counts from its arrival and answers slow_down,
	// which adds 5 s to every later poll.
	if da.Interval <= 0 {
		da.Interval = 5
	}
	da.Interval++
	tok, err := oc.DeviceAccessToken(c.ctx(ctx), da)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return nil, deviceError(err, da, ep.Token, started)
	}
	return c.verify(ctx, tok, "")
}

// deviceError turns the end of an unsuccessful device authorization poll
// into one line: an expired code (the provider's expired_token, or the
// code's lifetime over while polling, which x/oauth2 reports as a context
// deadline) and a declined request get their own messages.
func deviceError(err error, da *oauth2.DeviceAuthResponse, tokenURL string, started time.Time) error {
	var re *oauth2.RetrieveError
	code := ""
	if errors.As(err, &re) {
		code = re.ErrorCode
	}
	expired := code == "expired_token" ||
		errors.Is(err, context.DeadlineExceeded) && !da.Expiry.IsZero() && !time.Now().Before(da.Expiry)
	switch {
	case expired:
		hint := "approve the new code in time"
		if !da.Expiry.IsZero() {
			hint = fmt.Sprintf("approve the new code within %s", da.Expiry.Sub(started).Round(time.Second))
		}
		return &fault.Error{Kind: fault.Auth, Hint: hint, Err: &fault.LoginRequiredError{DeviceCode: true,
			Err: fmt.Errorf("%w before the sign-in was approved (code %s at %s)", ErrDeviceCodeExpired, da.UserCode, da.VerificationURI)}}
	case code == "access_denied":
		return &fault.Error{Kind: fault.Auth, Err: &fault.LoginRequiredError{DeviceCode: true, Err: fmt.Errorf("%w at %s", ErrDeviceDenied, da.VerificationURI)},
			Hint: "approve the request, or ask the provider's administrator to allow your user for this client (--client-id)"}
	}
	return tokenError("wait for the device authorization", tokenURL, err)
}

// ErrDeviceCodeExpired means the device code expired before anyone
// approved it.
var ErrDeviceCodeExpired = errors.New("device code expired")

// ErrDeviceDenied means the user declined the device authorization.
var ErrDeviceDenied = errors.New("the device sign-in was declined")

// Refresh trades a refresh token for new tokens. An error wrapping
// ErrGrantRejected means the refresh token is no longer usable.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	ep, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	oc := c.oauthConfig(ep, "")
	tok, err := oc.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		err = tokenError("refresh the sign-in", ep.Token, err)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && !errors.Is(err, ErrClientRejected) && !errors.Is(err, ErrGrantRejected) &&
			(re.ErrorCode == "invalid_request" || re.ErrorCode == "" && re.Response != nil && re.Response.StatusCode == http.StatusBadRequest) {
			// Dex answers invalid_request for a spent or unknown refresh token.
			var oe *oauthError
			if errors.As(err, &oe) {
				oe.sentinel = ErrGrantRejected
			}
		}
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken // not rotated
	}
	t, err := c.verify(ctx, tok, "")
	if err != nil {
		return nil, err
	}
	if t.RefreshToken == "" && c.requestedOffline() {
		t.RefreshToken = refreshToken
	}
	return t, nil
}

// ErrNoRevocation means the provider advertises no revocation endpoint.
var ErrNoRevocation = errors.New("the provider offers no token revocation")

// Revoke revokes a refresh token (RFC 7009) when the provider advertises a
// revocation_endpoint, and returns an error wrapping ErrNoRevocation when it
// does not.
func (c *Client) Revoke(ctx context.Context, refreshToken string) error {
	ep, err := c.Discover(ctx)
	if err != nil {
		return err
	}
	if ep.Revocation == "" {
		return ErrNoRevocation
	}
	form := url.Values{"token": {refreshToken}, "token_type_hint": {"refresh_token"}}
	if c.Config.ClientSecret == "" {
		form.Set("client_id", c.Config.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.Revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke the refresh token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.Config.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(c.Config.ClientID), url.QueryEscape(c.Config.ClientSecret))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fault.Wrap(fault.Network, fmt.Errorf("revoke the refresh token at %s: %w", ep.Revocation, unwrapURLError(err)), "")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revoke the refresh token at %s: HTTP %d", ep.Revocation, resp.StatusCode)
	}
	return nil
}
