package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/session"
	"github.com/spf13/cobra"
)

type loginCmdOptions struct {
	SSOSession    string
	UseDeviceCode bool
	NoBrowser     bool
	RedirectPort  int
}

func (a *app) newLoginCommand() *cobra.Command {
	var o loginCmdOptions
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to IAM Identity Center (AWS SSO) for a profile",
		Long: `Sign in to IAM Identity Center for a profile of ~/.aws/config (or an
[sso-session] section) and cache the token in ~/.aws/sso/cache exactly as
"aws sso login" does, so the AWS CLI and SDKs use the same sign-in.

Profiles with sso_session sign in with the authorization code flow (PKCE):
s3sso listens on 127.0.0.1 and opens the browser ($BROWSER when set).
Legacy profiles (sso_start_url in the profile) and --use-device-code use the
device flow: open the URL shown on any device and confirm the code. Set
S3SSO_USE_DEVICE_CODE=true, or sso_use_device_code = true in the profile or
sso-session section, to always use the device flow (SSH and containers).

With --account NAME, signs in to a saved s3sso account instead.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runLogin(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.SSOSession, "sso-session", "", "sign in to this [sso-session] instead of a profile's")
	f.BoolVar(&o.UseDeviceCode, "use-device-code", false, "use the device flow (sign in on another device)")
	f.BoolVar(&o.NoBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	f.IntVar(&o.RedirectPort, "redirect-port", 0, "fixed 127.0.0.1 port for the browser redirect (default: any free port)")
	return cmd
}

func (a *app) runLogin(ctx context.Context, o loginCmdOptions) error {
	a.prompter.NoBrowser = o.NoBrowser
	ref := a.ref()
	if ref.Account == "" && o.SSOSession != "" {
		ref = session.Ref{SSOSession: o.SSOSession}
	}
	res, err := a.sessions.Login(ctx, ref, session.LoginOptions{UseDeviceCode: o.UseDeviceCode, RedirectPort: o.RedirectPort})
	if err != nil {
		return err
	}
	a.printLogin(res)
	return nil
}

// printLogin renders a sign-in's result.
func (a *app) printLogin(res session.LoginResult) {
	name := res.Ref.Account
	switch res.Kind {
	case session.KindKeys:
		a.printer().Info(textMsg{text: "account " + name + " uses an access key: there is nothing to sign in to",
			fields: map[string]any{"op": "login", "account": name, "type": "keys"}})
	case session.KindOIDC:
		who := res.Email
		if who == "" {
			who = res.Subject
		}
		msg := fmt.Sprintf("signed in to account %s as %s", name, who)
		fields := map[string]any{"op": "login", "account": name, "subject": res.Subject, "email": res.Email, "renewable": res.Renewable}
		if !res.CredentialsExpiry.IsZero() {
			msg += "; credentials valid until " + res.CredentialsExpiry.Local().Format(time.DateTime)
			fields["credentials_expiry"] = res.CredentialsExpiry
			if res.AssumedRoleARN != "" {
				fields["assumed_role_arn"] = res.AssumedRoleARN
			}
		}
		a.printer().Info(textMsg{text: msg, fields: fields})
	case session.KindSSOAccount:
		how := "signed in to"
		if res.Reused {
			how = "already signed in to"
		}
		msg := fmt.Sprintf("%s account %s until %s (role %s in AWS account %s)", how, name,
			res.Expires.Local().Format(time.DateTime), res.RoleName, res.AccountID)
		a.printer().Info(textMsg{text: msg, fields: map[string]any{"op": "login", "account": name, "type": "sso",
			"reused": res.Reused, "expires": res.Expires, "account_id": res.AccountID, "role_name": res.RoleName,
			"cache_file": res.CacheFile}})
	default:
		what := "sso-session " + res.SSOSession
		if res.SSOSession == "" {
			what = "start URL " + res.StartURL
		}
		a.printer().Print(textMsg{
			text: fmt.Sprintf("Signed in to %s (%s); token valid until %s%s", what, flowName(res.Flow),
				res.Expires.Local().Format(time.DateTime), map[bool]string{true: ", renewable", false: ""}[res.Renewable]),
			fields: map[string]any{"op": "login", "profile": res.Profile, "sso_session": res.SSOSession, "start_url": res.StartURL,
				"flow": flowName(res.Flow), "expires": res.Expires, "renewable": res.Renewable, "cache_file": res.CacheFile},
		})
	}
}

// flowName names a sign-in flow in results.
func flowName(flow string) string {
	if flow == session.FlowDevice {
		return "device authorization"
	}
	return "authorization code with PKCE"
}

// quoteArg quotes s for a shell command line when it needs it.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>*?()[]{}#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
