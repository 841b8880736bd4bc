package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso"
)

type logoutOptions struct {
	All bool
}

func (a *app) newLogoutCommand() *cobra.Command {
	var o logoutOptions
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Sign out of IAM Identity Center and remove cached tokens",
		Long: `Sign out of IAM Identity Center: end the portal session (Logout) and delete
the cached token of the profile in effect, and the role credentials cached
in ~/.aws/cli/cache for every configured profile that signs in with that
token. With --all, do what "aws sso logout" does: sign out of every cached
token in ~/.aws/sso/cache and delete every SSO entry in ~/.aws/cli/cache.
Client registrations are kept.

With --account NAME, forgets a saved s3sso account's sign-in instead.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runLogout(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "sign out of every cached IAM Identity Center token")
	return cmd
}

func (a *app) runLogout(ctx context.Context, o logoutOptions) error {
	if a.opts.Account != "" {
		return a.logoutAccount(ctx, a.opts.Account)
	}
	c := sso.New(a.logger)
	if o.All {
		toks, err := c.Cache.RemoveTokens()
		if err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("remove cached SSO tokens: %w", err), "")
		}
		// Signing out must not depend on a config file that parses: the
		// tokens go either way, and a broken file is reported.
		targets, err := ssoTargetsByFile()
		if err != nil {
			a.printer().Warn("%v; portal sessions are ended through the endpoints in the tokens' regions", err)
		}
		for _, rt := range toks {
			t, ok := targets[rt.File]
			if !ok {
				// A token of no configured profile: only an environment
				// override can say where its portal is.
				t = sso.Target{SSO: config.SSO{Region: rt.Token.Region, StartURL: rt.Token.StartURL}, PortalEndpoint: os.Getenv("AWS_ENDPOINT_URL_SSO")}
			}
			a.portalLogout(ctx, c, t, rt.Token)
		}
		n, err := sso.RemoveCLIRoleCredentials(c.RoleCache.Dir)
		if err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("remove cached role credentials: %w", err), "")
		}
		a.printer().Print(textMsg{text: fmt.Sprintf("Signed out: removed %d cached token(s) and %d cached role credential(s)", len(toks), n),
			fields: map[string]any{"op": "logout", "tokens": len(toks), "role_credentials": n}})
		return nil
	}
	f, err := a.sharedConfig()
	if err != nil {
		return err
	}
	s, err := a.ssoProfile(f, false)
	if err != nil {
		return err
	}
	t := sso.NewTarget(f, s)
	tok, err := c.Cache.ReadToken(s.CacheKey())
	removed := 0
	if err == nil {
		a.portalLogout(ctx, c, t, tok)
	}
	if rerr := os.Remove(c.Cache.TokenPath(s.CacheKey())); rerr == nil {
		removed++
	} else if !errors.Is(rerr, fs.ErrNotExist) {
		return fault.Wrap(fault.Local, fmt.Errorf("remove cached SSO token: %w", rerr), "")
	}
	roles, err := removeRoleCredentials(c, f, t)
	if err != nil {
		return fault.Wrap(fault.Local, err, "")
	}
	a.printer().Print(textMsg{text: fmt.Sprintf("Signed out of %s: removed %d cached token(s) and %d cached role credential(s)", s.CacheKey(), removed, roles),
		fields: map[string]any{"op": "logout", "profile": s.Profile, "tokens": removed, "role_credentials": roles}})
	return nil
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
func (a *app) portalLogout(ctx context.Context, c *sso.Client, t sso.Target, tok *sso.Token) {
	if tok.ExpiresAt.Before(c.Now()) {
		return
	}
	if err := c.Logout(ctx, t, tok); err != nil {
		a.logger.Debug("portal logout failed", "err", err)
	}
}
