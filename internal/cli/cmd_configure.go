package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

type configureSSOOptions struct {
	Session       string
	StartURL      string
	SSORegion     string
	Scopes        string
	AccountID     string
	RoleName      string
	ProfileRegion string
	UseDeviceCode bool
	NoBrowser     bool
	RedirectPort  int
	sessionSet    bool
}

func (a *app) newConfigureCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Create or update AWS config profiles",
		Args:  argsRange(0, 0),
	}
	cmd.AddCommand(a.newConfigureSSOCommand())
	return cmd
}

func (a *app) newConfigureSSOCommand() *cobra.Command {
	var o configureSSOOptions
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "Set up an IAM Identity Center profile (like aws configure sso)",
		Long: `Set up an IAM Identity Center profile: asks for the session name, start URL,
SSO region and registration scopes, signs in, lists your accounts and then
the roles of the chosen account (type a number, or text to filter the
list; a question with a single answer is skipped), and writes the
[sso-session] and [profile] sections into ~/.aws/config (or
AWS_CONFIG_FILE), keeping every existing comment, section and key.

Every answer can be given as a flag for non-interactive use:

  s3sso configure sso --profile dev --sso-session corp \
    --start-url https://d-1234567890.awsapps.com/start --sso-region us-east-1 \
    --account-id 111122223333 --role-name ReadOnly --region eu-west-1

An empty session name (--sso-session '') writes a legacy profile (no
refresh; not recommended).`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.sessionSet = cmd.Flags().Changed("sso-session")
			if cmd.Flags().Changed("region") {
				o.ProfileRegion = a.opts.Region
			}
			return a.runConfigureSSO(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Session, "sso-session", "", "sso-session name")
	f.StringVar(&o.StartURL, "start-url", "", "IAM Identity Center start URL")
	f.StringVar(&o.SSORegion, "sso-region", "", "region of the IAM Identity Center instance")
	f.StringVar(&o.Scopes, "scopes", "", "registration scopes, comma-separated (default "+config.DefaultScope+")")
	f.StringVar(&o.AccountID, "account-id", "", "AWS account ID")
	f.StringVar(&o.RoleName, "role-name", "", "role (permission set) name")
	f.BoolVar(&o.UseDeviceCode, "use-device-code", false, "sign in with the device flow")
	f.BoolVar(&o.NoBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	f.IntVar(&o.RedirectPort, "redirect-port", 0, "fixed 127.0.0.1 port for the browser redirect")
	return cmd
}

// prompter asks the wizard's questions on stderr and reads answers from
// stdin through the terminal prompter (so Ctrl-C ends a question at once).
type prompter struct {
	ctx  context.Context
	term *termPrompter
	out  io.Writer
}

// ask returns the answer, or def for an empty answer or end of input.
func (p *prompter) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	line, err := p.term.readLine(p.ctx)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(p.out)
	}
	if line = strings.TrimSpace(line); line == "" {
		return def, nil
	}
	return line, nil
}

// choose picks one of items: a question with one answer is skipped; the
// user types a number, or text that filters the list until one remains.
func (p *prompter) choose(what string, items []string) (int, error) {
	if len(items) == 0 {
		return -1, fault.Newf(fault.NotFound, "no %s available to this sign-in", what)
	}
	if len(items) == 1 {
		fmt.Fprintf(p.out, "The only %s available is %s; using it.\n", what, items[0])
		return 0, nil
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	for {
		fmt.Fprintf(p.out, "%d %ss available:\n", len(idx), what)
		for n, i := range idx {
			if n == 30 {
				fmt.Fprintf(p.out, "  ... %d more: type to filter\n", len(idx)-30)
				break
			}
			fmt.Fprintf(p.out, "  %3d) %s\n", n+1, items[i])
		}
		ans, err := p.ask("Choose a "+what+" (number, or text to filter)", "")
		if err != nil {
			return -1, err
		}
		if ans == "" {
			return -1, fault.Newf(fault.Usage, "no %s chosen", what)
		}
		if n, err := strconv.Atoi(ans); err == nil && n >= 1 && n <= len(idx) {
			return idx[n-1], nil
		}
		var next []int
		for _, i := range idx {
			if strings.Contains(strings.ToLower(items[i]), strings.ToLower(ans)) {
				next = append(next, i)
			}
		}
		switch len(next) {
		case 0:
			fmt.Fprintf(p.out, "Nothing matches %q.\n", ans)
		case 1:
			fmt.Fprintf(p.out, "Using %s.\n", items[next[0]])
			return next[0], nil
		default:
			idx = next
		}
	}
}

func (a *app) runConfigureSSO(ctx context.Context, o configureSSOOptions) error {
	f, err := session.LoadAWSConfig()
	if err != nil {
		return err
	}
	p := &prompter{ctx: ctx, term: a.prompter, out: a.stdio.Err}
	profile := a.opts.Profile
	existing := f.Profile(config.ProfileName(profile))

	if !o.sessionSet {
		def := existing.Value("sso_session")
		if def == "" {
			def = "my-sso"
		}
		if o.Session, err = p.ask("SSO session name", def); err != nil {
			return err
		}
	}
	sess := f.SSOSession(o.Session)
	if o.Session == "" {
		a.printer().Warn("no session name: writing a legacy profile, which cannot refresh its token and always uses the device flow")
		sess = existing
	}
	if o.StartURL == "" {
		if o.StartURL, err = p.ask("SSO start URL", sess.Value("sso_start_url")); err != nil {
			return err
		}
	}
	if o.StartURL == "" {
		return fault.New(fault.Usage, "a start URL is required", "pass --start-url https://d-XXXXXXXXXX.awsapps.com/start")
	}
	if o.SSORegion == "" {
		def := sess.Value("sso_region")
		if def == "" {
			def = session.ProposeSSORegion(ctx, o.StartURL)
		}
		if o.SSORegion, err = p.ask("SSO region", def); err != nil {
			return err
		}
	}
	if o.SSORegion == "" {
		return fault.New(fault.Usage, "an SSO region is required", "pass --sso-region, e.g. us-east-1")
	}
	if o.Session != "" && o.Scopes == "" {
		def := sess.Value("sso_registration_scopes")
		if def == "" {
			def = config.DefaultScope
		}
		if o.Scopes, err = p.ask("SSO registration scopes", def); err != nil {
			return err
		}
	}
	s := config.SSO{Profile: profile, Session: o.Session, StartURL: o.StartURL, Region: o.SSORegion}
	if o.Session != "" {
		s.Scopes = config.ParseScopes(o.Scopes)
	}
	if existing == nil {
		s.Profile = ""
	}
	a.prompter.NoBrowser = o.NoBrowser
	portal, err := a.sessions.SignInPortal(ctx, f, s, session.LoginOptions{UseDeviceCode: o.UseDeviceCode, RedirectPort: o.RedirectPort})
	if err != nil {
		return err
	}
	if r := portal.RegionUpdate(); r != "" {
		// A vanity start URL led to another region.
		fmt.Fprintf(a.stdio.Err, "SSO region updated to %s\n", r)
		o.SSORegion, s.Region = r, r
	}
	if o.AccountID == "" {
		accts, err := portal.Accounts(ctx)
		if err != nil {
			return err
		}
		labels := make([]string, len(accts))
		for i, acc := range accts {
			labels[i] = fmt.Sprintf("%s (%s, %s)", acc.Name, acc.ID, acc.Email)
		}
		i, err := p.choose("account", labels)
		if err != nil {
			return err
		}
		o.AccountID = accts[i].ID
	}
	if o.RoleName == "" {
		roles, err := portal.Roles(ctx, o.AccountID)
		if err != nil {
			return err
		}
		i, err := p.choose("role", roles)
		if err != nil {
			return err
		}
		o.RoleName = roles[i]
	}
	if profile == "" {
		if profile, err = p.ask("Profile name", o.RoleName+"-"+o.AccountID); err != nil {
			return err
		}
	}
	if o.ProfileRegion == "" && a.opts.Region == "" {
		if o.ProfileRegion, err = p.ask("Default client region (for S3; empty for none)", f.Profile(profile).Value("region")); err != nil {
			return err
		}
	}
	if err := session.SaveSSOProfile(f, session.SSOProfile{Profile: profile, Session: o.Session, StartURL: o.StartURL,
		SSORegion: o.SSORegion, Scopes: s.Scopes, AccountID: o.AccountID, RoleName: o.RoleName, Region: o.ProfileRegion}); err != nil {
		return err
	}
	use := "--profile " + quoteArg(profile)
	if profile == "default" {
		use = ""
	}
	a.printer().Print(textMsg{
		text: fmt.Sprintf("Profile %s written to %s.\nTry: s3sso ls %s\n     aws s3 ls %s", profile, f.Path, use, use),
		fields: map[string]any{"op": "configure", "profile": profile, "sso_session": o.Session, "account_id": o.AccountID,
			"role": o.RoleName, "config_file": f.Path},
	})
	return nil
}
