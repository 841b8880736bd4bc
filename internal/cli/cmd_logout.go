package cli

import (
	"context"
	"fmt"

	"github.com/s3sso/s3sso/internal/session"
	"github.com/spf13/cobra"
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
	res, err := a.sessions.Logout(ctx, a.ref(), o.All && a.opts.Account == "")
	for _, w := range res.Warnings {
		a.printer().Warn("%s", w)
	}
	if err != nil {
		return err
	}
	name := res.Ref.Account
	switch {
	case res.All:
		a.printer().Print(textMsg{text: fmt.Sprintf("Signed out: removed %d cached token(s) and %d cached role credential(s)", res.Tokens, res.RoleCredentials),
			fields: map[string]any{"op": "logout", "tokens": res.Tokens, "role_credentials": res.RoleCredentials}})
	case res.Kind == session.KindKeys:
		a.printer().Info(textMsg{text: "account " + name + " uses an access key: there is nothing to sign out of (remove it with `s3sso account rm " + name + "`)",
			fields: map[string]any{"op": "logout", "account": name, "type": "keys"}})
	case res.Kind == session.KindOIDC:
		msg := "signed out of account " + name
		if res.Revoked {
			msg += " (refresh token revoked at the provider)"
		}
		a.printer().Info(textMsg{text: msg, fields: map[string]any{"op": "logout", "account": name, "revoked": res.Revoked}})
	case res.Kind == session.KindSSOAccount && !res.SignedIn:
		a.printer().Info(textMsg{text: "account " + name + " was not signed in",
			fields: map[string]any{"op": "logout", "account": name, "signed_in": false}})
	case res.Kind == session.KindSSOAccount:
		a.printer().Info(textMsg{text: "signed out of account " + name + " (removed " + res.CacheFile + ")",
			fields: map[string]any{"op": "logout", "account": name, "signed_in": true, "cache_file": res.CacheFile}})
	default:
		a.printer().Print(textMsg{text: fmt.Sprintf("Signed out of %s: removed %d cached token(s) and %d cached role credential(s)", res.Key, res.Tokens, res.RoleCredentials),
			fields: map[string]any{"op": "logout", "profile": res.Profile, "tokens": res.Tokens, "role_credentials": res.RoleCredentials}})
	}
	return nil
}
