package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso"
)

// ssoBackgroundRefresh is how often long-running commands check the SSO
// token and role credentials in the background.
const ssoBackgroundRefresh = 30 * time.Second

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
	if a.opts.Account != "" {
		return a.loginAccount(ctx, a.opts.Account, loginOptions{UseDeviceCode: o.UseDeviceCode, NoBrowser: o.NoBrowser, RedirectPort: o.RedirectPort})
	}
	f, err := a.sharedConfig()
	if err != nil {
		return err
	}
	var s config.SSO
	if o.SSOSession != "" {
		s, err = f.SSOForSession(o.SSOSession)
	} else {
		s, err = a.ssoProfile(f, false)
	}
	if err != nil {
		return err
	}
	t := sso.NewTarget(f, s)
	a.ssoWarnings(f, t)
	if !o.UseDeviceCode {
		o.UseDeviceCode = useDeviceCodeOptIn(f, s)
	}
	c := sso.New(a.logger)
	tok, err := c.Login(ctx, t, sso.LoginOptions{UseDeviceCode: o.UseDeviceCode, NoBrowser: o.NoBrowser,
		RedirectPort: o.RedirectPort, Out: a.stdio.Err})
	if err != nil {
		return err
	}
	what := "sso-session " + s.Session
	if s.Legacy() {
		what = "start URL " + s.StartURL
	}
	a.printer().Print(textMsg{
		text: fmt.Sprintf("Signed in to %s (%s); token valid until %s%s", what, sso.FlowFor(t, o.UseDeviceCode),
			tok.ExpiresAt.Local().Format(time.DateTime), map[bool]string{true: ", renewable", false: ""}[tok.RefreshToken != ""]),
		fields: map[string]any{"op": "login", "profile": s.Profile, "sso_session": s.Session, "start_url": s.StartURL,
			"flow": sso.FlowFor(t, o.UseDeviceCode), "expires": tok.ExpiresAt, "renewable": tok.RefreshToken != "",
			"cache_file": c.Cache.TokenPath(s.CacheKey())},
	})
	return nil
}

// useDeviceCodeOptIn: S3SSO_USE_DEVICE_CODE, or sso_use_device_code in the
// profile or its sso-session section (keys the AWS CLI ignores).
func useDeviceCodeOptIn(f *config.File, s config.SSO) bool {
	if v, err := strconv.ParseBool(os.Getenv("S3SSO_USE_DEVICE_CODE")); err == nil {
		return v
	}
	for _, sec := range []*config.Section{f.Profile(s.Profile), f.SSOSession(s.Session)} {
		if v, err := strconv.ParseBool(sec.Value("sso_use_device_code")); err == nil && sec != nil {
			return v
		}
	}
	return false
}

// ssoProfile resolves the SSO sign-in of the profile in effect.
func (a *app) ssoProfile(f *config.File, needRole bool) (config.SSO, error) {
	name := config.ProfileName(a.opts.Profile)
	if f.Profile(name) != nil && !f.HasSSOLogin(name) {
		return config.SSO{}, fault.New(fault.Config, fmt.Sprintf("profile %q does not use IAM Identity Center (no sso_session or sso_start_url)", name),
			"set it up with `s3sso configure sso --profile "+name+"`, or pick another profile with --profile")
	}
	return f.SSOForProfile(name, needRole)
}

// ssoWarnings prints the configuration warnings that matter for a sign-in.
func (a *app) ssoWarnings(f *config.File, t sso.Target) {
	for _, w := range ssoWarningList(f, t) {
		a.printer().Warn("%s", w)
	}
}

func ssoWarningList(f *config.File, t sso.Target) []string {
	var out []string
	if m := sso.RegionMismatch(t.StartURL, t.Region); m != "" {
		out = append(out, m)
	}
	if t.Profile != "" {
		out = append(out, f.CommentCharWarnings(t.Profile)...)
	}
	if os.Getenv("AWS_ENDPOINT_URL") != "" && os.Getenv("AWS_ENDPOINT_URL_SSO") == "" {
		out = append(out, "AWS_ENDPOINT_URL is set and also redirects the IAM Identity Center (sso, sso-oidc) and STS calls; use AWS_ENDPOINT_URL_S3 or a [services] section for S3 instead")
	}
	return out
}

// ssoCredentials returns s3sso's own credentials provider when the profile
// in effect is an IAM Identity Center profile (sso-session or legacy), so
// that tokens refresh per botocore's rules and errors name the login
// command; nil means: use the SDK's credential chain. Other profile kinds
// (and environment keys without --profile) keep the SDK chain.
func (a *app) ssoCredentials(ctx context.Context) (aws.CredentialsProvider, error) {
	if a.opts.Profile == "" && os.Getenv("AWS_ACCESS_KEY_ID") != "" {
		return nil, nil
	}
	f, err := a.sharedConfig()
	if err != nil {
		return nil, err
	}
	name := config.ProfileName(a.opts.Profile)
	if !f.IsSSOProfile(name) {
		return nil, nil
	}
	p := f.Profile(name)
	for _, k := range []string{"role_arn", "web_identity_token_file", "credential_process"} {
		if _, ok := p.Get(k); ok {
			return nil, nil // these come first in botocore's chain
		}
	}
	s, err := f.SSOForProfile(name, true)
	if err != nil {
		return nil, err
	}
	t := sso.NewTarget(f, s)
	c := sso.New(a.logger)
	creds, tp := c.NewCredentials(t, func(r *sso.RoleProvider) {
		a.credsRefused = r.CredentialsRefused
		if a.interactive() {
			r.OfferLogin = func(ctx context.Context, t sso.Target, cause error) error {
				return a.offerLogin(ctx, c, f, t, cause)
			}
		}
	})
	sso.KeepFresh(ctx, creds, tp, ssoBackgroundRefresh)
	return creds, nil
}

// interactive reports whether a person can answer on this terminal.
func (a *app) interactive() bool {
	in, ok := a.stdio.In.(*os.File)
	return ok && term.IsTerminal(int(in.Fd())) && a.isTerminal(a.stdio.Err)
}

// offerLogin asks on the terminal whether to sign in now, and does.
func (a *app) offerLogin(ctx context.Context, c *sso.Client, f *config.File, t sso.Target, cause error) error {
	fmt.Fprintf(a.stdio.Err, "%v\nSign in now? [Y/n] ", cause)
	var answer string
	_, _ = fmt.Fscanln(a.stdio.In, &answer)
	if ans := strings.ToLower(strings.TrimSpace(answer)); ans != "" && ans != "y" && ans != "yes" {
		return cause
	}
	_, err := c.Login(ctx, t, sso.LoginOptions{UseDeviceCode: useDeviceCodeOptIn(f, t.SSO), Out: a.stdio.Err})
	return err
}

// quoteArg quotes s for a shell command line when it needs it.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>*?()[]{}#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
