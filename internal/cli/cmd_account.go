package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

func (a *app) newAccountCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Manage saved accounts (sign-in settings selected with --account NAME)",
		Long: `Saved accounts keep sign-in settings under a name, so that
"s3sso login --account NAME" and "s3sso ls --account NAME" need nothing else.
"s3sso account use NAME" makes one the default for commands given neither
--account, --profile nor AWS_PROFILE. They live in
$XDG_CONFIG_HOME/s3sso/accounts.json (mode 0600; the previous version is kept
in accounts.json.bak).

Account types:
  sso      IAM Identity Center: --start-url, --sso-region [--account-id] [--role-name];
           no ~/.aws/config needed (the token is cached in the AWS CLI's
           start-URL cache file)
  profile  an AWS config profile of any kind: --profile P
  oidc     any OpenID Connect provider, exchanged at STS with
           AssumeRoleWithWebIdentity (AWS or MinIO)
  keys     an access key: --access-key-id, secret from stdin; the secret goes
           to the OS keyring, or a 0600 file when there is none

Every type takes --endpoint-url, --region and --path-style, and the advanced
settings --dual-stack, --list-all-buckets, --check-cloudfront and
--external-bucket.`,
	}
	cmd.AddCommand(a.newAccountAddCommand(), a.newAccountEditCommand(), a.newAccountListCommand(), a.newAccountShowCommand(),
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

	// sso
	StartURL  string
	SSORegion string
	AccountID string
	RoleName  string
	// keys
	AccessKeyID     string
	SecretAccessKey string
	// advanced
	DualStack            bool
	ListAllBuckets       bool
	CheckCloudFront      bool
	ExternalBuckets      []string
	ClearExternalBuckets bool
	HeaderRules          []string
	RemoveHeaderRules    []string

	flags *pflag.FlagSet
}

func (o *accountAddOptions) addFlags(f *pflag.FlagSet, edit bool) {
	o.flags = f
	if !edit {
		f.StringVar(&o.Type, "type", "", "account type: sso, profile, oidc or keys")
		f.BoolVar(&o.Force, "force", false, "replace an existing account of the same name")
	}
	// oidc
	f.StringVar(&o.Issuer, "issuer", "", "oidc: OpenID issuer URL (discovery at /.well-known/openid-configuration)")
	f.StringVar(&o.AuthURL, "auth-url", "", "oidc: authorization endpoint (instead of or overriding discovery)")
	f.StringVar(&o.TokenURL, "token-url", "", "oidc: token endpoint (instead of or overriding discovery)")
	f.StringVar(&o.ClientID, "client-id", "", "oidc: OAuth client ID registered at the provider")
	f.StringVar(&o.ClientSecret, "client-secret", "", "oidc: client secret of a confidential client (- reads it from stdin)")
	f.StringSliceVar(&o.Scopes, "scopes", nil, "oidc: scopes to request (default openid,offline_access)")
	f.BoolVar(&o.NoPKCE, "no-pkce", false, "oidc: do not send a PKCE challenge (for providers that reject it)")
	f.StringVar(&o.RedirectURL, "redirect-url", "", "oidc: loopback redirect URL registered at the provider (default http://127.0.0.1:<free port>/callback)")
	f.StringVar(&o.STSEndpoint, "sts-endpoint", "", "oidc: STS endpoint: https://sts.amazonaws.com/ (default) or the MinIO server's URL")
	f.StringVar(&o.RoleARN, "role-arn", "", "oidc: role to assume (empty: none sent, for MinIO claim-based policies)")
	f.DurationVar(&o.Duration, "duration", 0, "oidc: credential lifetime (15m to 12h on AWS; default: the STS default)")
	f.StringVar(&o.RoleSessionName, "role-session-name", "", "oidc: role session name (default: the token's email or subject)")
	// sso
	f.StringVar(&o.StartURL, "start-url", "", "sso: IAM Identity Center start URL (https://d-1234567890.awsapps.com/start)")
	f.StringVar(&o.SSORegion, "sso-region", "", "sso: region of the IAM Identity Center instance")
	f.StringVar(&o.AccountID, "account-id", "", "sso: 12-digit AWS account ID (empty: chosen from the portal at sign-in)")
	f.StringVar(&o.RoleName, "role-name", "", "sso: role (permission set) name (empty: chosen from the portal at sign-in)")
	// keys
	f.StringVar(&o.AccessKeyID, "access-key-id", "", "keys: access key ID")
	f.StringVar(&o.SecretAccessKey, "secret-access-key", "", "keys: - reads the secret access key from stdin (the only form accepted)")
	// advanced
	f.BoolVar(&o.DualStack, "dual-stack", false, "use the dual-stack (IPv4/IPv6) S3 and IAM Identity Center endpoints")
	f.BoolVar(&o.ListAllBuckets, "list-all-buckets", true, "list all buckets (ListBuckets) in `s3sso ls`; false: show only the external buckets")
	f.BoolVar(&o.CheckCloudFront, "check-cloudfront", false, "mark the buckets that are CloudFront origins (cloudfront:ListDistributions)")
	f.StringArrayVar(&o.ExternalBuckets, "external-bucket", nil, "BUCKET or BUCKET/PATH to show in `s3sso ls` and browse without ListBuckets (repeatable)")
	f.BoolVar(&o.ClearExternalBuckets, "clear-external-buckets", false, "remove the saved external buckets (before adding those given)")
	f.StringArrayVar(&o.HeaderRules, "header-rule", nil, "default upload header by key pattern, PATTERN:Header=Value, e.g. '*.css:Cache-Control=max-age=86400' (repeatable)")
	f.StringArrayVar(&o.RemoveHeaderRules, "remove-header-rule", nil, "remove the header rule of PATTERN, or only its header with PATTERN:Header (repeatable)")
}

func (o *accountAddOptions) changed(name string) bool { return o.flags.Changed(name) }

func (a *app) newAccountAddCommand() *cobra.Command {
	var o accountAddOptions
	cmd := &cobra.Command{
		Use:   "add NAME --type sso|profile|oidc|keys [flags]",
		Short: "Save an account",
		Long: `Save an account. Examples, one per type:

  s3sso account add work --type sso --start-url https://d-1234567890.awsapps.com/start \
      --sso-region eu-west-1 [--account-id 111122223333 --role-name ReadOnly] [--region eu-west-1]
  s3sso account add dev --type profile --profile dev
  s3sso account add minio --type oidc --issuer https://idp.example.com \
      --client-id s3sso --sts-endpoint http://127.0.0.1:9000 \
      --role-arn arn:minio:iam:::role/abc --endpoint-url http://127.0.0.1:9000
  echo "$SECRET" | s3sso account add ceph --type keys --access-key-id AKIA... \
      --secret-access-key - --endpoint-url https://s3.example.com --region us-east-1

The global --endpoint-url, --region and --path-style flags are saved with the
account. --client-secret - and --secret-access-key - read the secret from
standard input. The first account saved becomes the default.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAccountAdd(cmd.Context(), o, args[0])
		},
	}
	o.addFlags(cmd.Flags(), false)
	return cmd
}

// readSecretArg returns v, or a line of stdin when v is "-".
func (a *app) readSecretArg(v, what string) (string, error) {
	if v != "-" {
		return v, nil
	}
	line, err := bufio.NewReader(a.stdio.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fault.Wrap(fault.Usage, fmt.Errorf("read the %s from stdin: %w", what, err), "")
	}
	return strings.TrimSpace(line), nil
}

func checkURLFlags(m map[string]string) error { return accounts.CheckURLs(m) }

// typeFlags lists the flags that only make sense for one account type.
var typeFlags = map[accounts.Type][]string{
	accounts.TypeOIDC: {"issuer", "auth-url", "token-url", "client-id", "client-secret", "scopes", "no-pkce", "redirect-url",
		"sts-endpoint", "role-arn", "duration", "role-session-name"},
	accounts.TypeSSO:  {"start-url", "sso-region", "account-id", "role-name"},
	accounts.TypeKeys: {"access-key-id", "secret-access-key"},
}

// applyAccountFlags sets acct's settings from the flags given (all of
// them for add, the changed ones for edit) and returns the new secret
// access key of a keys account ("" when unchanged).
func (a *app) applyAccountFlags(o *accountAddOptions, acct *accounts.Account, add bool) (secret string, err error) {
	for t, names := range typeFlags {
		if t == acct.Type {
			continue
		}
		for _, n := range names {
			if o.changed(n) {
				return "", usageError("--%s does not apply to an account of type %s", n, acct.Type)
			}
		}
	}
	set := func(name string) bool { return add || o.changed(name) }
	if set("endpoint-url") {
		acct.EndpointURL = a.opts.EndpointURL
	}
	if set("region") {
		acct.Region = a.opts.Region
	}
	if set("path-style") {
		acct.PathStyle = a.opts.PathStyle
	}
	if set("dual-stack") {
		acct.DualStack = o.DualStack
	}
	if o.changed("list-all-buckets") {
		v := o.ListAllBuckets
		acct.ListAllBuckets = &v
		if v {
			acct.ListAllBuckets = nil // the default
		}
	}
	if set("check-cloudfront") {
		acct.CheckCloudFront = o.CheckCloudFront
	}
	if o.ClearExternalBuckets {
		acct.ExternalBuckets = nil
	}
	if acct.ExternalBuckets, err = accounts.AddExternalBuckets(acct.ExternalBuckets, o.ExternalBuckets); err != nil {
		return "", err
	}
	for _, r := range o.RemoveHeaderRules {
		pattern, header, _ := strings.Cut(r, ":")
		if header != "" {
			h, err := objstore.CanonicalRuleHeader(header)
			if err != nil {
				return "", fault.Wrap(fault.Usage, fmt.Errorf("--remove-header-rule: %w", err), "")
			}
			header = h
		}
		var removed bool
		if acct.HeaderRules, removed = objstore.RemoveRule(acct.HeaderRules, pattern, header); !removed {
			return "", usageError("--remove-header-rule %q: the account has no such rule", r)
		}
	}
	for _, r := range o.HeaderRules {
		pattern, header, value, err := objstore.ParseHeaderRule(r)
		if err != nil {
			return "", fault.Wrap(fault.Usage, fmt.Errorf("--header-rule: %w", err), "")
		}
		acct.HeaderRules = objstore.SetRuleHeader(acct.HeaderRules, pattern, header, value)
	}
	if err := checkURLFlags(map[string]string{"--endpoint-url": a.opts.EndpointURL}); err != nil {
		return "", err
	}
	switch acct.Type {
	case accounts.TypeOIDC:
		if err := a.applyOIDCFlags(o, acct, set); err != nil {
			return "", err
		}
	case accounts.TypeSSO:
		if acct.SSO == nil {
			acct.SSO = &accounts.SSO{}
		}
		s := acct.SSO
		if set("start-url") {
			s.StartURL = o.StartURL
		}
		if set("sso-region") {
			s.Region = o.SSORegion
		}
		if set("account-id") {
			s.AccountID = o.AccountID
		}
		if set("role-name") {
			s.RoleName = o.RoleName
		}
	case accounts.TypeProfile:
		if acct.Profile == nil {
			acct.Profile = &accounts.Profile{}
		}
		if set("profile") {
			acct.Profile.Name = a.opts.Profile
		}
	case accounts.TypeKeys:
		if acct.Keys == nil {
			acct.Keys = &accounts.Keys{}
		}
		if set("access-key-id") {
			acct.Keys.AccessKeyID = o.AccessKeyID
		}
		if o.changed("secret-access-key") {
			if o.SecretAccessKey != "-" {
				return "", usageError("--secret-access-key takes only - (read the secret from stdin), so that it never shows in the process list or shell history")
			}
			if secret, err = a.readSecretArg("-", "secret access key"); err != nil {
				return "", err
			}
			if secret == "" {
				return "", usageError("the secret access key read from stdin is empty")
			}
		} else if add {
			return "", usageError("account %q: --secret-access-key - is required for --type keys (pipe the secret to stdin)", acct.Name)
		}
	}
	return secret, acct.Validate()
}

func (a *app) applyOIDCFlags(o *accountAddOptions, acct *accounts.Account, set func(string) bool) error {
	secret, err := a.readSecretArg(o.ClientSecret, "client secret")
	if err != nil {
		return err
	}
	if err := checkURLFlags(map[string]string{"--issuer": o.Issuer, "--auth-url": o.AuthURL, "--token-url": o.TokenURL,
		"--sts-endpoint": o.STSEndpoint, "--redirect-url": o.RedirectURL}); err != nil {
		return err
	}
	if err := accounts.CheckRoleARN(o.RoleARN); err != nil {
		return err
	}
	if acct.OIDC == nil {
		acct.OIDC = &accounts.OIDC{}
	}
	x := acct.OIDC
	for flag, apply := range map[string]func(){
		"issuer": func() { x.Issuer = o.Issuer }, "auth-url": func() { x.AuthURL = o.AuthURL },
		"token-url": func() { x.TokenURL = o.TokenURL }, "client-id": func() { x.ClientID = o.ClientID },
		"client-secret": func() { x.ClientSecret = secret }, "scopes": func() { x.Scopes = o.Scopes },
		"no-pkce": func() { x.NoPKCE = o.NoPKCE }, "redirect-url": func() { x.RedirectURL = o.RedirectURL },
		"sts-endpoint": func() { x.STSEndpoint = o.STSEndpoint }, "role-arn": func() { x.RoleARN = o.RoleARN },
		"duration":          func() { x.DurationSeconds = int(o.Duration / time.Second) },
		"role-session-name": func() { x.RoleSessionName = o.RoleSessionName },
	} {
		if set(flag) {
			apply()
		}
	}
	return nil
}

func (a *app) runAccountAdd(ctx context.Context, o accountAddOptions, name string) error {
	if o.Type == "" {
		return usageError("account add: --type is required (supported: sso, profile, oidc, keys)")
	}
	if err := accounts.CheckType(o.Type); err != nil {
		return err
	}
	t := accounts.Type(o.Type)
	if err := accounts.CheckName(name); err != nil {
		return err
	}
	acct := &accounts.Account{Name: name, Type: t, Created: time.Now().UTC().Truncate(time.Second)}
	secret, err := a.applyAccountFlags(&o, acct, true)
	if err != nil {
		return err
	}
	path, err := a.sessions.AddAccount(ctx, acct, secret, o.Force)
	if err != nil {
		return err
	}
	next := "sign in with: s3sso login --account " + name
	if t == accounts.TypeKeys {
		next = "use it with: s3sso ls --account " + name
		if acct.Keys.SecretStore == accounts.SecretInFile {
			next += " (no OS keyring: the secret key is in a 0600 file beside the accounts file)"
		}
	}
	a.printer().Info(textMsg{
		text:   fmt.Sprintf("saved account %s (%s); %s", name, acct.Type, next),
		fields: map[string]string{"op": "account_add", "account": name, "type": string(acct.Type), "file": path},
	})
	return nil
}

func (a *app) newAccountEditCommand() *cobra.Command {
	var o accountAddOptions
	cmd := &cobra.Command{
		Use:   "edit NAME [flags]",
		Short: "Change settings of a saved account",
		Long: `Change settings of a saved account; only the flags given change. The type
cannot change (add the account again with --force). Examples:

  s3sso account edit work --list-all-buckets=false --external-bucket reports/2024
  s3sso account edit work --check-cloudfront --dual-stack
  s3sso account edit work --clear-external-buckets
  s3sso account edit work --header-rule '*.css:Cache-Control=max-age=86400' \
      --header-rule '*.gz:Content-Encoding=gzip' --header-rule 'reports/*:x-amz-meta-team=finance'
  s3sso account edit work --remove-header-rule '*.gz' --remove-header-rule '*.css:Cache-Control'
  echo "$NEW_SECRET" | s3sso account edit ceph --secret-access-key -`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runAccountEdit(cmd.Context(), o, args[0])
		},
	}
	o.addFlags(cmd.Flags(), true)
	return cmd
}

func (a *app) runAccountEdit(ctx context.Context, o accountAddOptions, name string) error {
	changed, path, err := a.sessions.EditAccount(ctx, name, func(acct *accounts.Account) (string, error) {
		return a.applyAccountFlags(&o, acct, false)
	})
	if err != nil {
		return err
	}
	a.printer().Info(textMsg{
		text:   fmt.Sprintf("updated account %s (%s)", name, changed.Type),
		fields: map[string]string{"op": "account_edit", "account": name, "type": string(changed.Type), "file": path},
	})
	return nil
}

func (a *app) loadAccounts() (*accounts.Store, *accounts.File, error) {
	return a.sessions.Accounts()
}

// accountEntry is one account in `account list` and `account show`. It
// holds no secrets.
type accountEntry struct {
	Name            string                `json:"name"`
	Type            string                `json:"type"`
	Default         bool                  `json:"default"`
	State           string                `json:"state,omitempty"`
	SignedIn        bool                  `json:"signed_in"`
	EndpointURL     string                `json:"endpoint_url,omitempty"`
	Region          string                `json:"region,omitempty"`
	PathStyle       bool                  `json:"path_style,omitempty"`
	DualStack       bool                  `json:"dual_stack,omitempty"`
	ListAllBuckets  bool                  `json:"list_all_buckets"`
	CheckCloudFront bool                  `json:"check_cloudfront,omitempty"`
	ExternalBuckets []string              `json:"external_buckets,omitempty"`
	HeaderRules     []objstore.HeaderRule `json:"header_rules,omitempty"`
	Settings        map[string]string     `json:"settings,omitempty"`
	detail          bool
}

// settingOrder is the order of per-type settings in `account show`.
var settingOrder = []string{"start-url", "sso-region", "account-id", "role-name", "cache-file", "profile", "access-key-id", "secret-key",
	"issuer", "auth-url", "token-url", "client-id", "client-secret", "scopes", "pkce", "redirect-url", "sts-endpoint", "role-arn",
	"duration", "role-session-name"}

func (e accountEntry) String() string {
	mark := " "
	if e.Default {
		mark = "*"
	}
	if !e.detail {
		return fmt.Sprintf("%s %-20s %-7s %s", mark, e.Name, e.Type, e.State)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "name:              %s\ntype:              %s\ndefault:           %v\n", e.Name, e.Type, e.Default)
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-18s %s\n", k+":", v)
		}
	}
	line("state", e.State)
	for _, k := range settingOrder {
		line(k, e.Settings[k])
	}
	line("endpoint-url", e.EndpointURL)
	line("region", e.Region)
	if e.PathStyle {
		line("path-style", "true")
	}
	line("dual-stack", fmt.Sprint(e.DualStack))
	line("list-all-buckets", fmt.Sprint(e.ListAllBuckets))
	line("check-cloudfront", fmt.Sprint(e.CheckCloudFront))
	for _, x := range e.ExternalBuckets {
		line("external-bucket", x)
	}
	for _, r := range e.HeaderRules {
		keys := make([]string, 0, len(r.Headers))
		for k := range r.Headers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			line("header-rule", r.Pattern+":"+k+"="+r.Headers[k])
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func (e accountEntry) JSON() any { return e }

func (a *app) describeAccount(store *accounts.Store, f *accounts.File, acct *accounts.Account, detail bool) accountEntry {
	e := accountEntry{Name: acct.Name, Type: string(acct.Type), Default: f.Default == acct.Name,
		EndpointURL: acct.EndpointURL, Region: acct.Region, PathStyle: acct.PathStyle, DualStack: acct.DualStack,
		ListAllBuckets: acct.ListsAllBuckets(), CheckCloudFront: acct.CheckCloudFront, ExternalBuckets: acct.ExternalBuckets,
		HeaderRules: acct.HeaderRules, detail: detail, Settings: map[string]string{}}
	e.State, e.SignedIn = a.accountState(store, acct)
	switch {
	case acct.Type == accounts.TypeOIDC && acct.OIDC != nil:
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
	case acct.Type == accounts.TypeSSO && acct.SSO != nil:
		s := acct.SSO
		e.Settings = map[string]string{"start-url": s.StartURL, "sso-region": s.Region,
			"account-id": orText(s.AccountID, "(chosen at sign-in)"), "role-name": orText(s.RoleName, "(chosen at sign-in)"),
			"cache-file": a.sessions.AccountStatus(store, acct).CacheFile}
	case acct.Type == accounts.TypeProfile && acct.Profile != nil:
		e.Settings = map[string]string{"profile": acct.Profile.Name}
	case acct.Type == accounts.TypeKeys && acct.Keys != nil:
		e.Settings = map[string]string{"access-key-id": acct.Keys.AccessKeyID, "secret-key": "(in the " + orText(acct.Keys.SecretStore, "file") + ")"}
	}
	if !detail {
		e.Settings = nil
	}
	return e
}

func orText(v, alt string) string {
	if v == "" {
		return alt
	}
	return v
}

func (a *app) newAccountListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List saved accounts (* marks the default) and their sign-in state",
		Args:    argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, f, err := a.loadAccounts()
			if err != nil {
				return err
			}
			if len(f.Names()) == 0 {
				a.printer().Info(textMsg{text: "no saved accounts; add one with `s3sso account add NAME --type sso|profile|oidc|keys ...`"})
			}
			for _, name := range f.Names() {
				a.printer().Print(a.describeAccount(store, f, f.Accounts[name], false))
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
			store, f, err := a.loadAccounts()
			if err != nil {
				return err
			}
			acct, err := f.Get(args[0])
			if err != nil {
				return err
			}
			a.printer().Print(a.describeAccount(store, f, acct, true))
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
			res, err := a.sessions.RemoveAccount(cmd.Context(), name)
			for _, w := range res.Warnings {
				a.printer().Warn("%s", w)
			}
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
			if err := a.sessions.UseAccount(cmd.Context(), name); err != nil {
				return err
			}
			a.printer().Info(textMsg{text: "default account: " + name, fields: map[string]string{"op": "account_use", "account": name}})
			return nil
		},
	}
}
