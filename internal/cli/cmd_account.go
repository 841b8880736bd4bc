package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
)

func (a *app) newAccountCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Manage saved accounts (sign-in settings selected with --account NAME)",
		Long: `Saved accounts keep sign-in settings under a name, so that
"s3sso login --account NAME" and "s3sso ls --account NAME" need nothing else.
They live in $XDG_CONFIG_HOME/s3sso/accounts.json (mode 0600).

Account types: oidc (any OpenID Connect provider, exchanged at STS with
AssumeRoleWithWebIdentity: AWS or MinIO).`,
	}
	cmd.AddCommand(a.newAccountAddCommand(), a.newAccountListCommand(), a.newAccountShowCommand(),
		a.newAccountRmCommand(), a.newAccountUseCommand())
	return cmd
}

type accountAddOptions struct {
	Type            string
	Issuer          string
	AuthURL         string
	TokenURL        string
	ClientID        string
	ClientSecret    string
	Scopes          []string
	NoPKCE          bool
	RedirectURL     string
	STSEndpoint     string
	RoleARN         string
	Duration        time.Duration
	RoleSessionName string
	Force           bool
}

func (a *app) newAccountAddCommand() *cobra.Command {
	var o accountAddOptions
	cmd := &cobra.Command{
		Use:   "add NAME --type oidc --issuer URL --client-id ID [flags]",
		Short: "Save an account",
		Long: `Save an account. For --type oidc:

  s3sso account add minio --type oidc --issuer https://idp.example.com \
      --client-id s3sso --sts-endpoint http://127.0.0.1:9000 \
      --role-arn arn:minio:iam:::role/abc --endpoint-url http://127.0.0.1:9000

The global --endpoint-url, --region and --path-style flags are saved with the
account. --client-secret - reads the secret from standard input.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAccountAdd(cmd.Context(), o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Type, "type", "", "account type: oidc")
	f.StringVar(&o.Issuer, "issuer", "", "OpenID issuer URL (discovery at /.well-known/openid-configuration)")
	f.StringVar(&o.AuthURL, "auth-url", "", "authorization endpoint (instead of or overriding discovery)")
	f.StringVar(&o.TokenURL, "token-url", "", "token endpoint (instead of or overriding discovery)")
	f.StringVar(&o.ClientID, "client-id", "", "OAuth client ID registered at the provider")
	f.StringVar(&o.ClientSecret, "client-secret", "", "client secret of a confidential client (- reads it from stdin)")
	f.StringSliceVar(&o.Scopes, "scopes", nil, "scopes to request (default openid,offline_access)")
	f.BoolVar(&o.NoPKCE, "no-pkce", false, "do not send a PKCE challenge (for providers that reject it)")
	f.StringVar(&o.RedirectURL, "redirect-url", "", "loopback redirect URL registered at the provider (default http://127.0.0.1:<free port>/callback)")
	f.StringVar(&o.STSEndpoint, "sts-endpoint", "", "STS endpoint: https://sts.amazonaws.com/ (default) or the MinIO server's URL")
	f.StringVar(&o.RoleARN, "role-arn", "", "role to assume (empty: none sent, for MinIO claim-based policies)")
	f.DurationVar(&o.Duration, "duration", 0, "credential lifetime (15m to 12h on AWS; default: the STS default)")
	f.StringVar(&o.RoleSessionName, "role-session-name", "", "role session name (default: the token's email or subject)")
	f.BoolVar(&o.Force, "force", false, "replace an existing account of the same name")
	return cmd
}

func (a *app) runAccountAdd(ctx context.Context, o accountAddOptions, name string) error {
	if o.Type == "" {
		return usageError("account add: --type is required (supported: oidc)")
	}
	if o.Type != string(accounts.TypeOIDC) {
		return usageError("account add: unsupported --type %q (supported: oidc)", o.Type)
	}
	if o.ClientSecret == "-" {
		line, err := bufio.NewReader(a.stdio.In).ReadString('\n')
		if err != nil && err != io.EOF {
			return fault.Wrap(fault.Usage, fmt.Errorf("read the client secret from stdin: %w", err), "")
		}
		o.ClientSecret = strings.TrimSpace(line)
	}
	for flag, v := range map[string]string{"--issuer": o.Issuer, "--auth-url": o.AuthURL, "--token-url": o.TokenURL,
		"--sts-endpoint": o.STSEndpoint, "--redirect-url": o.RedirectURL, "--endpoint-url": a.opts.EndpointURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError("%s %q is not an http(s) URL", flag, v)
		}
	}
	if o.RoleARN != "" && (!strings.HasPrefix(o.RoleARN, "arn:") || len(o.RoleARN) < 20) {
		return usageError("--role-arn %q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME or arn:minio:iam:::role/ID)", o.RoleARN)
	}
	acct := &accounts.Account{
		Name: name, Type: accounts.TypeOIDC,
		EndpointURL: a.opts.EndpointURL, Region: a.opts.Region, PathStyle: a.opts.PathStyle,
		Created: time.Now().UTC().Truncate(time.Second),
		OIDC: &accounts.OIDC{
			Issuer: o.Issuer, AuthURL: o.AuthURL, TokenURL: o.TokenURL,
			ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scopes: o.Scopes, NoPKCE: o.NoPKCE,
			RedirectURL: o.RedirectURL, STSEndpoint: o.STSEndpoint, RoleARN: o.RoleARN,
			DurationSeconds: int(o.Duration / time.Second), RoleSessionName: o.RoleSessionName,
		},
	}
	if err := acct.Validate(); err != nil {
		return err
	}
	store, err := accounts.Open()
	if err != nil {
		return err
	}
	err = store.Update(ctx, func(f *accounts.File) error {
		if _, exists := f.Accounts[name]; exists && !o.Force {
			return fault.New(fault.Conflict, fmt.Sprintf("account %q already exists", name),
				"choose another name, remove it with `s3sso account rm "+name+"`, or pass --force")
		}
		f.Accounts[name] = acct
		if f.Default == "" {
			f.Default = name
		}
		return nil
	})
	if err != nil {
		return err
	}
	a.printer().Info(textMsg{
		text:   fmt.Sprintf("saved account %s (%s); sign in with: s3sso login --account %s", name, acct.Type, name),
		fields: map[string]string{"op": "account_add", "account": name, "type": string(acct.Type), "file": store.Path},
	})
	return nil
}

func (a *app) loadAccounts() (*accounts.Store, *accounts.File, error) {
	store, err := accounts.Open()
	if err != nil {
		return nil, nil, err
	}
	f, err := store.Load()
	return store, f, err
}

// accountEntry is one account in `account list` and `account show`. It
// holds no secrets.
type accountEntry struct {
	Name        string            `json:"name"`
	Type        string            `json:"type"`
	Default     bool              `json:"default"`
	State       string            `json:"state,omitempty"`
	EndpointURL string            `json:"endpoint_url,omitempty"`
	Region      string            `json:"region,omitempty"`
	PathStyle   bool              `json:"path_style,omitempty"`
	Settings    map[string]string `json:"settings,omitempty"`
	detail      bool
}

func (e accountEntry) String() string {
	mark := " "
	if e.Default {
		mark = "*"
	}
	if !e.detail {
		return fmt.Sprintf("%s %-20s %-6s %s", mark, e.Name, e.Type, e.State)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name:          %s\ntype:          %s\ndefault:       %v\n", e.Name, e.Type, e.Default)
	if e.State != "" {
		fmt.Fprintf(&b, "state:         %s\n", e.State)
	}
	for _, kv := range [][2]string{{"endpoint-url", e.EndpointURL}, {"region", e.Region}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%-14s %s\n", kv[0]+":", kv[1])
		}
	}
	if e.PathStyle {
		b.WriteString("path-style:    true\n")
	}
	for _, k := range []string{"issuer", "auth-url", "token-url", "client-id", "client-secret", "scopes", "pkce", "redirect-url", "sts-endpoint", "role-arn", "duration", "role-session-name"} {
		if v := e.Settings[k]; v != "" {
			fmt.Fprintf(&b, "%-14s %s\n", k+":", v)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (e accountEntry) JSON() any { return e }

func (a *app) describeAccount(f *accounts.File, acct *accounts.Account, detail bool) accountEntry {
	e := accountEntry{Name: acct.Name, Type: string(acct.Type), Default: f.Default == acct.Name,
		EndpointURL: acct.EndpointURL, Region: acct.Region, PathStyle: acct.PathStyle, detail: detail}
	if acct.Type == accounts.TypeOIDC && acct.OIDC != nil {
		e.State = a.oidcState(acct)
		if detail {
			o := acct.OIDC
			e.Settings = map[string]string{
				"issuer": o.Issuer, "auth-url": o.AuthURL, "token-url": o.TokenURL, "client-id": o.ClientID,
				"scopes": strings.Join(o.Scopes, ","), "redirect-url": o.RedirectURL, "sts-endpoint": o.STSEndpoint,
				"role-arn": o.RoleARN, "role-session-name": o.RoleSessionName, "pkce": "on",
			}
			if o.ClientSecret != "" {
				e.Settings["client-secret"] = "(set)"
			}
			if o.NoPKCE {
				e.Settings["pkce"] = "off"
			}
			if o.DurationSeconds > 0 {
				e.Settings["duration"] = (time.Duration(o.DurationSeconds) * time.Second).String()
			}
		}
	}
	return e
}

func (a *app) newAccountListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List saved accounts (* marks the default) and their sign-in state",
		Args:    argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, f, err := a.loadAccounts()
			if err != nil {
				return err
			}
			for _, name := range f.Names() {
				a.printer().Print(a.describeAccount(f, f.Accounts[name], false))
			}
			return nil
		},
	}
}

func (a *app) newAccountShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show an account's settings (secrets are not shown)",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, f, err := a.loadAccounts()
			if err != nil {
				return err
			}
			acct, err := f.Get(args[0])
			if err != nil {
				return err
			}
			a.printer().Print(a.describeAccount(f, acct, true))
			return nil
		},
	}
}

func (a *app) newAccountRmCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a saved account and forget its cached tokens",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			store, f, err := a.loadAccounts()
			if err != nil {
				return err
			}
			acct, err := f.Get(name)
			if err != nil {
				return err
			}
			if acct.Type == accounts.TypeOIDC {
				if err := a.logoutOIDC(cmd.Context(), acct, true); err != nil {
					return err
				}
			}
			err = store.Update(cmd.Context(), func(f *accounts.File) error {
				if _, err := f.Get(name); err != nil {
					return err
				}
				delete(f.Accounts, name)
				if f.Default == name {
					f.Default = ""
				}
				return nil
			})
			if err != nil {
				return err
			}
			a.printer().Info(textMsg{text: "removed account " + name, fields: map[string]string{"op": "account_rm", "account": name}})
			return nil
		},
	}
}

func (a *app) newAccountUseCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make NAME the default account",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			store, err := accounts.Open()
			if err != nil {
				return err
			}
			err = store.Update(cmd.Context(), func(f *accounts.File) error {
				if _, err := f.Get(name); err != nil {
					return err
				}
				f.Default = name
				return nil
			})
			if err != nil {
				return err
			}
			a.printer().Info(textMsg{text: "default account: " + name, fields: map[string]string{"op": "account_use", "account": name}})
			return nil
		},
	}
}
