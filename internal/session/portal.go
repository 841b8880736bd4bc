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
	c   *sso.Client
	t   sso.Target
	tok *sso.Token
}

// PortalAccount is an AWS account the portal offers.
type PortalAccount struct{ ID, Name, Email string }

// SignInPortal returns the portal of s (a sign-in of the config file f): a
// valid cached token is used, else the person signs in through the
// prompter. Configuration warnings go to the prompter first.
func (m *Manager) SignInPortal(ctx context.Context, f *config.File, s config.SSO, o LoginOptions) (*Portal, error) {
	t := sso.NewTarget(f, s)
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
	return &Portal{c: c, t: t, tok: tok}, nil
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
