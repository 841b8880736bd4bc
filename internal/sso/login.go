package sso

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
)

// Grant types and OAuth values.
const (
	grantDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
	grantAuthCode     = "authorization_code"
	grantRefreshToken = "refresh_token"
	redirectPath      = "/oauth/callback"
	// registeredRedirectURI is registered without a port; the authorize
	// request adds it (RFC 8252 section 7.3).
	registeredRedirectURI = "http://127.0.0.1" + redirectPath
)

// LoginOptions control a sign-in.
type LoginOptions struct {
	// UseDeviceCode selects the device authorization grant for an
	// sso-session (legacy profiles always use it).
	UseDeviceCode bool
	// RedirectPort fixes the loopback port of the PKCE flow (0: any free).
	RedirectPort int
	// Prompter shows the sign-in to the person (URL, user code) and
	// receives warnings; nil opens nothing and shows nothing.
	Prompter authflow.Prompter
	// CallbackTimeout bounds the wait for the browser redirect (default
	// 10 minutes).
	CallbackTimeout time.Duration
}

// Flow names.
const (
	FlowPKCE   = "authorization code with PKCE"
	FlowDevice = "device authorization"
)

// FlowFor returns the flow a login of t uses: PKCE for an sso-session unless
// device code was asked for; the device flow for legacy profiles.
func FlowFor(t Target, useDeviceCode bool) string {
	if t.Legacy() || useDeviceCode {
		return FlowDevice
	}
	return FlowPKCE
}

// Login signs in (always asking the user, like `aws sso login`), writes the
// token to the cache and returns it.
func (c *Client) Login(ctx context.Context, t Target, o LoginOptions) (*Token, error) {
	if o.Prompter == nil {
		o.Prompter = authflow.OpenerPrompter(nil)
	}
	configured := t.Region
	t, err := c.resolve(ctx, t)
	if err != nil {
		return nil, err
	}
	if m := RegionMismatch(t.IssuerURL, t.Region); m != "" {
		o.Prompter.Warn(m)
	}
	a, err := c.api(ctx, t)
	if err != nil {
		return nil, err
	}
	pkce := FlowFor(t, o.UseDeviceCode) == FlowPKCE
	reg, err := c.registration(ctx, a, t, pkce)
	if err != nil {
		return nil, c.oidcError(t, "register the client", err)
	}
	var out *ssooidc.CreateTokenOutput
	if pkce {
		out, err = c.pkceFlow(ctx, a, t, reg, o)
	} else {
		out, err = c.deviceFlow(ctx, a, t, reg, o)
	}
	if err != nil {
		return nil, err
	}
	tok := &Token{
		StartURL:              t.StartURL,
		Region:                t.Region,
		AccessToken:           aws.ToString(out.AccessToken),
		ExpiresAt:             c.now().Add(time.Duration(out.ExpiresIn) * time.Second).Truncate(time.Second),
		ClientID:              reg.ClientID,
		ClientSecret:          reg.ClientSecret,
		RegistrationExpiresAt: reg.ExpiresAt,
		RefreshToken:          aws.ToString(out.RefreshToken),
	}
	if old, err := c.Cache.ReadToken(t.CacheKey()); err == nil {
		tok.unknown = old.unknown
	}
	if err := c.Cache.WriteToken(t.CacheKey(), tok); err != nil {
		return nil, fault.Wrap(fault.Local, err, "")
	}
	// A vanity start URL led to another region: save it where the sign-in
	// is configured, as the AWS CLI does.
	if t.Region != configured && t.WriteBackRegion != nil {
		if err := t.WriteBackRegion(t.Region); err != nil {
			o.Prompter.Warn(fmt.Sprintf("the start URL's region is %s, but sso_region could not be updated: %v", t.Region, err))
		} else {
			o.Prompter.Info("SSO region updated to " + t.Region)
		}
	}
	return tok, nil
}

// registration returns a cached registration fit for the flow, or registers
// a new client and caches it under the AWS CLI's key.
func (c *Client) registration(ctx context.Context, a *apis, t Target, pkce bool) (*Registration, error) {
	name := RegistrationFileName(t.StartURL, t.Region, t.Scopes, t.Session)
	if r, err := c.Cache.ReadRegistration(name); err != nil {
		c.Logger.Debug("ignore unreadable client registration", "err", err)
	} else if r != nil && r.usable(c.now(), pkce) {
		c.Logger.Debug("reuse cached client registration", "file", name)
		return r, nil
	}
	in := &ssooidc.RegisterClientInput{ClientType: aws.String("public")}
	if t.Session != "" {
		in.ClientName = aws.String("botocore-client-" + t.Session)
	} else {
		in.ClientName = aws.String("botocore-client-" + strconv.FormatInt(c.now().Unix(), 10))
	}
	if pkce {
		in.GrantTypes = []string{grantAuthCode, grantRefreshToken}
		in.RedirectUris = []string{registeredRedirectURI}
		in.IssuerUrl = aws.String(t.IssuerURL)
		in.Scopes = t.Scopes
		if len(in.Scopes) == 0 {
			in.Scopes = []string{config.DefaultScope}
		}
	} else if len(t.Scopes) > 0 {
		in.Scopes = t.Scopes
	}
	out, err := a.oidc.RegisterClient(ctx, in)
	if err != nil {
		return nil, err
	}
	r := &Registration{
		ClientID:     aws.ToString(out.ClientId),
		ClientSecret: aws.ToString(out.ClientSecret),
		ExpiresAt:    time.Unix(out.ClientSecretExpiresAt, 0).UTC(),
		Scopes:       in.Scopes,
		GrantTypes:   in.GrantTypes,
	}
	if err := c.Cache.WriteRegistration(name, r); err != nil {
		return nil, fault.Wrap(fault.Local, err, "")
	}
	return r, nil
}

// deviceFlow runs the device authorization grant (RFC 8628).
func (c *Client) deviceFlow(ctx context.Context, a *apis, t Target, reg *Registration, o LoginOptions) (*ssooidc.CreateTokenOutput, error) {
	sda, err := a.oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret), StartUrl: aws.String(t.IssuerURL),
	})
	if err != nil {
		return nil, c.oidcError(t, "start the device authorization", err)
	}
	interval := time.Duration(sda.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	in := &ssooidc.CreateTokenInput{ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret),
		GrantType: aws.String(grantDeviceCode), DeviceCode: sda.DeviceCode}
	prompted := false
	for {
		out, err := a.oidc.CreateToken(ctx, in)
		if err == nil {
			return out, nil
		}
		switch apiCode(err) {
		case "AuthorizationPendingException":
		case "SlowDownException":
			interval += 5 * time.Second
		case "ExpiredTokenException":
			return nil, fault.NeedsLogin(errors.New("the sign-in request expired before it was approved"), t.LoginRef(),
				"approve the code in the browser within its lifetime")
		case "AccessDeniedException":
			return nil, &fault.Error{Kind: fault.AccessDenied, Msg: "the sign-in was denied in the browser",
				Err: &fault.LoginRequiredError{Ref: t.LoginRef(), Err: err}, Hint: "the request was not allowed"}
		default:
			if ctx.Err() != nil {
				return nil, fault.Wrap(fault.Interrupted, ctx.Err(), "")
			}
			return nil, c.oidcError(t, "create the token", err)
		}
		if !prompted {
			prompted = true
			uri := aws.ToString(sda.VerificationUriComplete)
			if uri == "" {
				uri = aws.ToString(sda.VerificationUri)
			}
			if err := o.Prompter.SignIn(ctx, authflow.SignIn{Flow: authflow.FlowDevice, Provider: "IAM Identity Center",
				URL: uri, VerificationURL: aws.ToString(sda.VerificationUri), UserCode: aws.ToString(sda.UserCode),
				CodeInURL: sda.VerificationUriComplete != nil, OpenHere: true}); err != nil {
				return nil, fmt.Errorf("show the sign-in: %w", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case <-c.after(interval):
		}
	}
}

// pkceFlow runs the authorization code flow with PKCE over a loopback
// redirect bound before the browser opens.
func (c *Client) pkceFlow(ctx context.Context, a *apis, t Target, reg *Registration, o LoginOptions) (*ssooidc.CreateTokenOutput, error) {
	state := uuid4()
	cb, err := authflow.Listen(authflow.Redirect{Port: o.RedirectPort, Path: redirectPath, State: state})
	if err != nil {
		return nil, err
	}
	defer cb.Close()
	pk := authflow.NewPKCE()
	scopes := reg.Scopes
	if len(scopes) == 0 {
		scopes = []string{config.DefaultScope}
	}
	authURL := AuthorizeURL(a.oidcBase, reg.ClientID, cb.RedirectURI(), state, pk.Challenge, scopes)
	if err := o.Prompter.SignIn(ctx, authflow.SignIn{Flow: authflow.FlowPKCE, Provider: "IAM Identity Center",
		URL: authURL, OpenHere: true}); err != nil {
		return nil, fmt.Errorf("show the sign-in: %w", err)
	}
	code, err := cb.Wait(ctx, o.CallbackTimeout)
	if err != nil {
		var ae *authflow.AuthError
		if errors.As(err, &ae) && ae.Code == "access_denied" {
			err = &fault.Error{Kind: fault.KindOf(err), Hint: "the sign-in was denied or cancelled in the browser",
				Err: &fault.LoginRequiredError{Ref: t.LoginRef(), Err: err}}
		}
		return nil, err
	}
	out, err := a.oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId: aws.String(reg.ClientID), ClientSecret: aws.String(reg.ClientSecret), GrantType: aws.String(grantAuthCode),
		RedirectUri: aws.String(cb.RedirectURI()), CodeVerifier: aws.String(pk.Verifier), Code: aws.String(code),
	})
	if err != nil {
		if apiCode(err) == "ExpiredTokenException" {
			return nil, fault.NeedsLogin(errors.New("the sign-in request expired before it was completed"), t.LoginRef(), "")
		}
		return nil, c.oidcError(t, "exchange the authorization code", err)
	}
	return out, nil
}

// AuthorizeURL builds the /authorize URL with the AWS CLI's parameter order
// and percent-encoding (only -._~ unescaped).
func AuthorizeURL(base, clientID, redirectURI, state, challenge string, scopes []string) string {
	q := [][2]string{
		{"response_type", "code"}, {"client_id", clientID}, {"redirect_uri", redirectURI}, {"state", state},
		{"code_challenge_method", "S256"}, {"scopes", strings.Join(scopes, " ")}, {"code_challenge", challenge},
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(base, "/"))
	b.WriteString("/authorize?")
	for i, kv := range q {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(percentEncode(kv[1]))
	}
	return b.String()
}

func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

func uuid4() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// oidcError classifies an OIDC API error for the user.
func (c *Client) oidcError(t Target, op string, err error) error {
	code := apiCode(err)
	switch code {
	case "InvalidRequestRegionException":
		hint := "sso_region must be the region of your IAM Identity Center instance"
		if m := RegionMismatch(t.issuer(), t.Region); m != "" {
			hint = m
		}
		return &fault.Error{Kind: fault.Config, Msg: fmt.Sprintf("%s: the start URL belongs to another region than sso_region %s", op, t.Region), Err: err, Hint: hint}
	case "InvalidGrantException", "InvalidClientException", "UnauthorizedClientException":
		hint := RegionMismatch(t.issuer(), t.Region)
		if hint == "" {
			hint = "if this persists, check that sso_region (" + t.Region + ") is the region of your IAM Identity Center instance"
		}
		return &fault.Error{Kind: fault.Auth, Msg: op, Err: &fault.LoginRequiredError{Ref: t.LoginRef(), Err: err}, Hint: hint}
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	return fmt.Errorf("%s at %s: %w", op, t.StartURL, err)
}
