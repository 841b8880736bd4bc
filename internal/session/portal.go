package session

import (
	"context"
	"errors"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/creds"
	"github.com/s3sso/s3sso/internal/sso"
)

// Portal is a signed-in IAM Identity Center portal, to choose an AWS
// account and role from (`s3sso configure sso`).
type Portal struct {
	c            *sso.Client
	t            sso.Target
	tok          *sso.Token
	regionUpdate string
}

// PortalAccount is an AWS account the portal offers.
type PortalAccount struct{ ID, Name, Email string }

// SignInPortal returns the portal of s (a sign-in of the config file f): a
// valid cached token is used, else the person signs in through the
// prompter. Configuration warnings go to the prompter first.
func (m *Manager) SignInPortal(ctx context.Context, f *config.File, s config.SSO, o LoginOptions) (*Portal, error) {
	t := sso.NewTarget(f, s)
	t.WriteBackRegion = nil // the caller writes the profile, with RegionUpdate
	for _, w := range Warnings(f, t) {
		m.prompter.Warn(w)
	}
	c := m.ssoClient()
	tok, err := c.TokenProvider(t).Token(ctx)
	if err != nil {
		if !errors.Is(err, sso.ErrLoginRequired) {
			return nil, err
		}
		if tok, err = c.Login(ctx, t, sso.LoginOptions{UseDeviceCode: o.UseDeviceCode || useDeviceCodeOptIn(f, s),
			RedirectPort: o.RedirectPort, Prompter: m.prompter}); err != nil {
			return nil, err
		}
	}
	p := &Portal{c: c, t: t, tok: tok}
	if tok.Region != "" && tok.Region != s.Region && !sso.VanityFree(s.StartURL) {
		p.regionUpdate = tok.Region
		p.t.Region = tok.Region
	}
	return p, nil
}

// RegionUpdate is the region a vanity start URL led to, when it is not the
// configured sso_region ("" otherwise): the profile is to be written with it.
func (p *Portal) RegionUpdate() string { return p.regionUpdate }

// ProposeSSORegion is the region a start URL suggests: the one its host
// names, or for a vanity domain the region of the portal it redirects to
// ("" when unknown).
func ProposeSSORegion(ctx context.Context, startURL string) string {
	if r := sso.StartURLRegion(startURL); r != "" {
		return r
	}
	if !sso.VanityFree(startURL) {
		if r, err := sso.ResolveStartURL(ctx, nil, startURL, ""); err == nil {
			return r.Region
		}
	}
	return ""
}

// Accounts lists the AWS accounts the portal offers.
func (p *Portal) Accounts(ctx context.Context) ([]PortalAccount, error) {
	list, err := p.c.ListAccounts(ctx, p.t, p.tok)
	if err != nil {
		return nil, err
	}
	out := make([]PortalAccount, len(list))
	for i, a := range list {
		out[i] = PortalAccount{ID: a.ID, Name: a.Name, Email: a.Email}
	}
	return out, nil
}

// Roles lists the roles the portal offers in an AWS account.
func (p *Portal) Roles(ctx context.Context, accountID string) ([]string, error) {
	return p.c.ListRoles(ctx, p.t, p.tok, accountID)
}

// StartURLRegion is the region a start URL's host names, or "".
func StartURLRegion(startURL string) string { return sso.StartURLRegion(startURL) }

// Scrub removes tokens and keys from s (for logs and messages).
func Scrub(s string) string { return creds.Scrub(s) }

// ValidateStartURL checks a start URL the way configure sso does.
func ValidateStartURL(u string) error { return sso.ValidateStartURL(u) }

// CheckSSORegion checks sso_region against what the start URL names.
func CheckSSORegion(startURL, region string) error { return sso.CheckSSORegion(startURL, region) }
