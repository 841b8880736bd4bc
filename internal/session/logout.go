package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso"
)

// LogoutResult describes a finished sign-out.
type LogoutResult struct {
	Ref  Ref
	Kind string
	All  bool

	// KindSSO: what was removed.
	Key             string // the token's cache key (session name or start URL)
	Profile         string
	Tokens          int
	RoleCredentials int

	// KindSSOAccount
	SignedIn  bool // there was a token to remove
	CacheFile string

	// KindOIDC
	Revoked bool

	// Warnings: what failed without stopping the sign-out (a portal or
	// provider that could not be reached).
	Warnings []string
}

// Logout signs out of ref: ends the portal session (or revokes the refresh
// token) and deletes the cached token and role credentials. With all, it
// does what `aws sso logout` does: every cached IAM Identity Center token
// and every SSO entry of ~/.aws/cli/cache (ref is then ignored).
func (m *Manager) Logout(ctx context.Context, ref Ref, all bool) (LogoutResult, error) {
	c := m.ssoClient()
	if all {
		toks, err := c.Cache.RemoveTokens()
		if err != nil {
			return LogoutResult{}, fault.Wrap(fault.Local, fmt.Errorf("remove cached SSO tokens: %w", err), "")
		}
		// Signing out must not depend on a config file that parses: the
		// tokens go either way, and a broken file is reported.
		var warnings []string
		targets, err := ssoTargetsByFile()
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%v; portal sessions are ended through the endpoints in the tokens' regions", err))
		}
		for _, rt := range toks {
			t, ok := targets[rt.File]
			if !ok {
				// A token of no configured profile: only an environment
				// override can say where its portal is.
				t = sso.Target{SSO: config.SSO{Region: rt.Token.Region, StartURL: rt.Token.StartURL}, PortalEndpoint: os.Getenv("AWS_ENDPOINT_URL_SSO")}
			}
			m.portalLogout(ctx, c, t, rt.Token)
		}
		n, err := sso.RemoveCLIRoleCredentials(c.RoleCache.Dir)
		if err != nil {
			return LogoutResult{}, fault.Wrap(fault.Local, fmt.Errorf("remove cached role credentials: %w", err), "")
		}
		return LogoutResult{Kind: KindSSO, All: true, Tokens: len(toks), RoleCredentials: n, Warnings: warnings}, nil
	}
	if ref.Account != "" {
		return m.logoutAccount(ctx, ref.Account)
	}
	f, err := LoadAWSConfig()
	if err != nil {
		return LogoutResult{}, err
	}
	s, err := ssoProfile(f, ref.Profile, false)
	if err != nil {
		return LogoutResult{}, err
	}
	t := sso.NewTarget(f, s)
	tok, err := c.Cache.ReadToken(s.CacheKey())
	res := LogoutResult{Ref: ref, Kind: KindSSO, Key: s.CacheKey(), Profile: s.Profile}
	if err == nil {
		m.portalLogout(ctx, c, t, tok)
	}
	if rerr := os.Remove(c.Cache.TokenPath(s.CacheKey())); rerr == nil {
		res.Tokens++
	} else if !errors.Is(rerr, fs.ErrNotExist) {
		return LogoutResult{}, fault.Wrap(fault.Local, fmt.Errorf("remove cached SSO token: %w", rerr), "")
	}
	roles, err := removeRoleCredentials(c, f, t)
	if err != nil {
		return LogoutResult{}, fault.Wrap(fault.Local, err, "")
	}
	res.RoleCredentials = roles
	m.forget(ref)
	return res, nil
}

// removeRoleCredentials deletes the cached role credentials of t's role and
// of every other configured profile that signs in with the same token (same
// sso-session, or same start URL for legacy profiles): once the token is
// gone, none of them may outlive the sign-in. It returns how many it
// removed.
func removeRoleCredentials(c *sso.Client, f *config.File, t sso.Target) (int, error) {
	targets := []sso.Target{t}
	for _, name := range f.Names(config.KindProfile) {
		if !f.HasSSOLogin(name) {
			continue
		}
		if s, err := f.SSOForProfile(name, false); err == nil && s.CacheKey() == t.CacheKey() && s.Session == t.Session {
			targets = append(targets, sso.NewTarget(f, s))
		}
	}
	n := 0
	seen := map[string]bool{}
	var errs []error
	for _, rt := range targets {
		if rt.AccountID == "" || rt.RoleName == "" || seen[c.RoleCache.Path(rt)] {
			continue
		}
		seen[c.RoleCache.Path(rt)] = true
		ok, err := c.RoleCache.Remove(rt)
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// forget drops the cached sessions of ref.
func (m *Manager) forget(ref Ref) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.sessions {
		if k.ref == ref {
			delete(m.sessions, k)
		}
	}
}

// ssoTargetsByFile maps token cache file names to the sign-ins of the
// config file's profiles, so that a logout reaches each token's portal
// through that profile's endpoint settings.
func ssoTargetsByFile() (map[string]sso.Target, error) {
	out := map[string]sso.Target{}
	f, err := config.Load(config.DefaultPath())
	if err != nil {
		return out, err
	}
	for _, name := range f.Names(config.KindProfile) {
		if !f.HasSSOLogin(name) {
			continue
		}
		if s, err := f.SSOForProfile(name, false); err == nil {
			if _, dup := out[sso.TokenFileName(s.CacheKey())]; !dup {
				out[sso.TokenFileName(s.CacheKey())] = sso.NewTarget(f, s)
			}
		}
	}
	return out, nil
}

// portalLogout ends the portal session; failures are only logged (the AWS
// CLI ignores them too), the local files are removed either way.
func (m *Manager) portalLogout(ctx context.Context, c *sso.Client, t sso.Target, tok *sso.Token) {
	if tok.ExpiresAt.Before(c.Now()) {
		return
	}
	if err := c.Logout(ctx, t, tok); err != nil {
		m.logger.Debug("portal logout failed", "err", err)
	}
}

// logoutAccount forgets a saved account's cached tokens.
func (m *Manager) logoutAccount(ctx context.Context, name string) (LogoutResult, error) {
	_, _, acct, err := LookupAccount(name)
	if err != nil {
		return LogoutResult{}, err
	}
	ref := Ref{Account: name}
	defer m.forget(ref)
	switch acct.Type {
	case accounts.TypeOIDC:
		return m.LogoutOIDC(ctx, acct)
	case accounts.TypeSSO:
		return m.logoutSSOAccount(ctx, acct)
	case accounts.TypeProfile:
		if acct.Profile == nil || acct.Profile.Name == "" {
			return LogoutResult{}, fault.Newf(fault.Config, "account %q of type profile names no profile", acct.Name)
		}
		return m.Logout(ctx, Ref{Profile: acct.Profile.Name}, false)
	case accounts.TypeKeys:
		return LogoutResult{Ref: ref, Kind: KindKeys}, nil
	}
	return LogoutResult{}, fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot sign out of", name, acct.Type)
}

// LogoutOIDC signs out of an oidc account: revokes its refresh token where
// the provider offers revocation and deletes the cached tokens.
func (m *Manager) LogoutOIDC(ctx context.Context, acct *accounts.Account) (LogoutResult, error) {
	p, err := m.oidcProvider(acct, LoginOptions{})
	if err != nil {
		return LogoutResult{}, err
	}
	res := LogoutResult{Ref: Ref{Account: acct.Name}, Kind: KindOIDC}
	revoked, revokeErr, err := p.Logout(ctx)
	if revokeErr != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("could not revoke the refresh token of account %s at the provider: %v", acct.Name, revokeErr))
	}
	res.Revoked = revoked
	return res, err
}

// logoutSSOAccount ends the portal session and deletes the start-URL token
// file (only that file).
func (m *Manager) logoutSSOAccount(ctx context.Context, acct *accounts.Account) (LogoutResult, error) {
	t, err := ssoAccountTarget(ctx, acct)
	if err != nil {
		return LogoutResult{}, err
	}
	c := m.ssoClient()
	if t.AccountID != "" && t.RoleName != "" {
		// The role credentials shared with the AWS CLI go too.
		if _, err := c.RoleCache.Remove(t); err != nil {
			return LogoutResult{}, fault.Wrap(fault.Local, err, "")
		}
	}
	res := LogoutResult{Ref: Ref{Account: acct.Name}, Kind: KindSSOAccount, CacheFile: c.Cache.TokenPath(t.CacheKey())}
	tok, err := c.Cache.ReadToken(t.CacheKey())
	if err != nil {
		return res, nil
	}
	res.SignedIn = true
	if err := c.Logout(ctx, t, tok); err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("could not end the IAM Identity Center session of account %s: %v", acct.Name, err))
	}
	if err := os.Remove(res.CacheFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return LogoutResult{}, fault.Wrap(fault.Local, fmt.Errorf("remove the cached token %s: %w", res.CacheFile, err), "")
	}
	return res, nil
}
