package session

import (
	"context"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso"
)

// LoginOptions choose how to sign in. Whether a browser opens is the
// prompter's business.
type LoginOptions struct {
	UseDeviceCode bool
	RedirectPort  int // fixed 127.0.0.1 port for the PKCE redirect (0: any)
	// Fresh signs in even when a cached token looks valid: Renew sets it,
	// since the portal has just refused that token.
	Fresh bool
}

// Kinds of identity, in results.
const (
	KindSSO        = "sso"         // an IAM Identity Center profile or sso-session
	KindSSOAccount = "sso-account" // a saved account of type sso
	KindOIDC       = "oidc"        // a saved account of type oidc
	KindKeys       = "keys"        // a saved account of type keys: nothing to sign in to
)

// LoginResult describes a finished sign-in. It holds no secrets.
type LoginResult struct {
	Ref  Ref
	Kind string
	Flow string // FlowPKCE or FlowDevice (KindSSO)

	// KindSSO, KindSSOAccount
	Profile, SSOSession, StartURL string
	Expires                       time.Time
	Renewable                     bool
	CacheFile                     string
	Reused                        bool   // KindSSOAccount: a valid cached token was kept
	AccountID, RoleName           string // KindSSOAccount

	// KindOIDC
	Subject, Email    string
	CredentialsExpiry time.Time
	AssumedRoleARN    string

	// Warnings about the configuration (KindSSO), to show before the result.
	Warnings []string
}

// Login signs in to ref. Profiles and sso-sessions always ask (like `aws
// sso login`); an sso account keeps a valid cached token; a keys account
// has nothing to sign in to (Kind KindKeys).
func (m *Manager) Login(ctx context.Context, ref Ref, o LoginOptions) (LoginResult, error) {
	if ref.Account != "" {
		return m.loginAccount(ctx, ref.Account, o)
	}
	f, err := LoadAWSConfig()
	if err != nil {
		return LoginResult{}, err
	}
	var s config.SSO
	if ref.SSOSession != "" {
		s, err = f.SSOForSession(ref.SSOSession)
	} else {
		s, err = ssoProfile(f, ref.Profile, false)
	}
	if err != nil {
		return LoginResult{}, err
	}
	t := sso.NewTarget(f, s)
	res := LoginResult{Ref: ref, Kind: KindSSO, Profile: s.Profile, SSOSession: s.Session, StartURL: s.StartURL,
		Warnings: Warnings(f, t)}
	for _, w := range res.Warnings {
		m.prompter.Warn(w)
	}
	if !o.UseDeviceCode {
		o.UseDeviceCode = useDeviceCodeOptIn(f, s)
	}
	c := m.ssoClient()
	tok, err := c.Login(ctx, t, sso.LoginOptions{UseDeviceCode: o.UseDeviceCode, RedirectPort: o.RedirectPort, Prompter: m.prompter})
	if err != nil {
		return LoginResult{}, err
	}
	res.Flow = FlowPKCE
	if sso.FlowFor(t, o.UseDeviceCode) == sso.FlowDevice {
		res.Flow = FlowDevice
	}
	res.Expires, res.Renewable = tok.ExpiresAt, tok.RefreshToken != ""
	res.CacheFile = c.Cache.TokenPath(s.CacheKey())
	return res, nil
}

// loginAccount signs in to a saved account.
func (m *Manager) loginAccount(ctx context.Context, name string, o LoginOptions) (LoginResult, error) {
	_, _, acct, err := LookupAccount(name)
	if err != nil {
		return LoginResult{}, err
	}
	ref := Ref{Account: name}
	switch acct.Type {
	case accounts.TypeSSO:
		return m.loginSSOAccount(ctx, acct, o)
	case accounts.TypeProfile:
		if acct.Profile == nil || acct.Profile.Name == "" {
			return LoginResult{}, fault.Newf(fault.Config, "account %q of type profile names no profile", acct.Name)
		}
		return m.Login(ctx, Ref{Profile: acct.Profile.Name}, o)
	case accounts.TypeKeys:
		return LoginResult{Ref: ref, Kind: KindKeys}, nil
	case accounts.TypeOIDC:
	default:
		return LoginResult{}, fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot sign in to", name, acct.Type)
	}
	if err := m.askRoleARN(ctx, acct); err != nil {
		return LoginResult{}, err
	}
	p, err := m.oidcProvider(acct, o)
	if err != nil {
		return LoginResult{}, err
	}
	e, err := p.Login(ctx)
	if err != nil {
		return LoginResult{}, err
	}
	res := LoginResult{Ref: ref, Kind: KindOIDC, Subject: e.Subject, Email: e.Email, Renewable: e.RefreshToken != ""}
	if e.Credentials != nil {
		res.CredentialsExpiry = e.Credentials.Expiration
		res.AssumedRoleARN = e.Credentials.AssumedRoleARN
	}
	return res, nil
}

// loginSSOAccount signs in to an sso account: a valid cached token for the
// start URL and region is reused without asking.
func (m *Manager) loginSSOAccount(ctx context.Context, acct *accounts.Account, o LoginOptions) (LoginResult, error) {
	t, err := ssoAccountTarget(ctx, acct)
	if err != nil {
		return LoginResult{}, err
	}
	c := m.ssoClient()
	tok, reused, err := m.ssoAccountToken(ctx, c, t, o, true)
	if err != nil {
		return LoginResult{}, err
	}
	if t, err = m.chooseSSORole(ctx, c, t, tok, acct); err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Ref: Ref{Account: acct.Name}, Kind: KindSSOAccount, StartURL: t.StartURL, Reused: reused,
		Expires: tok.ExpiresAt, Renewable: tok.RefreshToken != "", AccountID: t.AccountID, RoleName: t.RoleName,
		CacheFile: c.Cache.TokenPath(t.CacheKey())}, nil
}
