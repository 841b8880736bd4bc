package cli

import (
	"bufio"
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
	profileSet    bool
}

// nonInteractive reports whether every question of the wizard came as a
// flag (the output format is then not asked).
func (o configureSSOOptions) nonInteractive() bool {
	return o.sessionSet && o.StartURL != "" && o.SSORegion != "" && o.AccountID != "" && o.RoleName != "" && o.profileSet
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
			o.profileSet = a.opts.Profile != ""
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

// prompter asks questions on stderr and reads answers from stdin.
type prompter struct {
	ctx     context.Context
	in      *bufio.Reader
	out     io.Writer
	eof     bool // the input has ended
	lines   chan lineRead
	readErr error // the reader's final error (io.EOF), once it has stopped
}

type lineRead struct {
	line string
	err  error
}

// readLine reads one line, or returns at once when ctx ends (Ctrl-C,
// SIGTERM): a read that is still blocked is abandoned, never used later.
func (p *prompter) readLine() (string, error) {
	if p.lines == nil {
		p.lines = make(chan lineRead)
		go func() {
			for {
				l, err := p.in.ReadString('\n')
				select {
				case p.lines <- lineRead{l, err}:
				case <-p.ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	if p.readErr != nil {
		// The reader ended (end of input): every later question gets the
		// same answer at once.
		return "", p.readErr
	}
	select {
	case r := <-p.lines:
		p.readErr = r.err
		return r.line, r.err
	case <-p.ctx.Done():
		fmt.Fprintln(p.out)
		return "", fault.Wrap(fault.Interrupted, p.ctx.Err(), "nothing was written")
	}
}

// ask returns the answer, or def for an empty answer or end of input.
func (p *prompter) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	line, err := p.readLine()
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if errors.Is(err, io.EOF) && line == "" {
		p.eof = true
		fmt.Fprintln(p.out)
	}
	if line = strings.TrimSpace(line); line == "" {
		return def, nil
	}
	return line, nil
}

// askValid asks until check accepts the answer; at the end of the input the
// last refusal is the error.
func (p *prompter) askValid(question, def string, check func(string) error) (string, error) {
	for {
		ans, err := p.ask(question, def)
		if err != nil {
			return "", err
		}
		cerr := check(ans)
		if cerr == nil {
			return ans, nil
		}
		if p.eof {
			return "", fault.Wrap(fault.Usage, cerr, "")
		}
		fmt.Fprintf(p.out, "%v\n", cerr)
	}
}

// article returns "a" or "an" for word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
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
		ans, err := p.ask("Choose "+article(what)+" "+what+" (number, or text to filter)", "")
		if err != nil {
			return -1, err
		}
		if ans == "" {
			return -1, fault.Newf(fault.Usage, "no %s chosen", what)
		}
		if n, err := strconv.Atoi(ans); err == nil {
			if n >= 1 && n <= len(idx) {
				return idx[n-1], nil
			}
			fmt.Fprintf(p.out, "There is no %s %d: type a number from 1 to %d, or text to filter.\n", what, n, len(idx))
			continue
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
	p := &prompter{ctx: ctx, in: bufio.NewReader(a.stdio.In), out: a.stdio.Err}
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
		if o.StartURL, err = p.askValid("SSO start URL", sess.Value("sso_start_url"), session.ValidateStartURL); err != nil {
			return err
		}
	} else if err := session.ValidateStartURL(o.StartURL); err != nil {
		return fault.Wrap(fault.Usage, fmt.Errorf("--start-url: %w", err), "")
	}
	if o.SSORegion == "" {
		def := sess.Value("sso_region")
		if def == "" {
			def = session.ProposeSSORegion(ctx, o.StartURL)
		}
		if o.SSORegion, err = p.askValid("SSO region", def, func(r string) error { return session.CheckSSORegion(o.StartURL, r) }); err != nil {
			return err
		}
	} else if err := session.CheckSSORegion(o.StartURL, o.SSORegion); err != nil {
		// Stops here, once, before any sign-in could warn again.
		return fault.Wrap(fault.Usage, fmt.Errorf("--sso-region: %w", err), "")
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
	var accts []session.PortalAccount
	if o.AccountID != "" {
		if accts, err = portal.Accounts(ctx); err != nil {
			return err
		}
		listed := false
		for _, acc := range accts {
			listed = listed || acc.ID == o.AccountID
		}
		if !listed {
			fmt.Fprintf(a.stdio.Err, "Account %s is not among the %d accounts this sign-in can use.\n", o.AccountID, len(accts))
			o.AccountID = ""
		}
	}
	if o.AccountID == "" {
		if accts == nil {
			if accts, err = portal.Accounts(ctx); err != nil {
				return err
			}
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
	// The AWS CLI v2's order: default region, output format, profile name.
	checkRegion := func(r string) error {
		if r != "" && !config.KnownRegion(r) {
			return fmt.Errorf("%q is not an AWS region (such as eu-west-1); leave it empty for none", r)
		}
		return nil
	}
	prev := f.Profile(config.ProfileName(profile))
	if o.ProfileRegion == "" && a.opts.Region == "" {
		if o.ProfileRegion, err = p.askValid("Default client region (for S3; empty for none)", prev.Value("region"), checkRegion); err != nil {
			return err
		}
	} else if err := checkRegion(o.ProfileRegion); err != nil {
		return fault.Wrap(fault.Usage, fmt.Errorf("--region: %w", err), "")
	}
	output := ""
	if !o.nonInteractive() {
		if output, err = p.askValid("CLI default output format (json, text, table, yaml; empty for none)", prev.Value("output"), func(v string) error {
			switch v {
			case "", "json", "text", "table", "yaml", "yaml-stream":
				return nil
			}
			return fmt.Errorf("%q is not an output format: json, text, table, yaml or yaml-stream", v)
		}); err != nil {
			return err
		}
	}
	if profile == "" {
		if profile, err = p.ask("Profile name", o.RoleName+"-"+o.AccountID); err != nil {
			return err
		}
	}
	var kvs []config.KV
	if o.Session != "" {
		if err := f.Set(config.KindSSOSession, o.Session, config.KV{Key: "sso_start_url", Value: o.StartURL},
			config.KV{Key: "sso_region", Value: o.SSORegion}, config.KV{Key: "sso_registration_scopes", Value: strings.Join(s.Scopes, ",")}); err != nil {
			return fault.Wrap(fault.Config, err, "")
		}
		kvs = append(kvs, config.KV{Key: "sso_session", Value: o.Session})
	} else {
		kvs = append(kvs, config.KV{Key: "sso_start_url", Value: o.StartURL}, config.KV{Key: "sso_region", Value: o.SSORegion})
	}
	kvs = append(kvs, config.KV{Key: "sso_account_id", Value: o.AccountID}, config.KV{Key: "sso_role_name", Value: o.RoleName})
	if o.ProfileRegion != "" {
		kvs = append(kvs, config.KV{Key: "region", Value: o.ProfileRegion})
	}
	if output != "" {
		kvs = append(kvs, config.KV{Key: "output", Value: output})
	}
	if err := f.Set(config.KindProfile, profile, kvs...); err != nil {
		return fault.Wrap(fault.Config, err, "")
	}
	// Validate what we wrote the way every later command will read it.
	if _, err := f.SSOForProfile(profile, true); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		// Interrupted after the last question: still nothing written.
		return fault.Wrap(fault.Interrupted, err, "nothing was written")
	}
	if err := f.Save(); err != nil {
		return fault.Wrap(fault.Local, err, "")
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
