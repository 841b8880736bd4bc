package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/term"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/federation"
)

// accountSettings is what a saved account (`s3sso account`, --account NAME)
// contributes to every S3 command: credentials and connection settings.
type accountSettings struct {
	// Credentials signs requests; nil means: use Profile's credential chain.
	Credentials aws.CredentialsProvider
	Profile     string // an AWS config profile (accounts of type profile)
	EndpointURL string
	Region      string
	PathStyle   bool
	DualStack   bool

	// Name is the account's name (for hints); the rest are its advanced
	// settings for `s3sso ls`.
	Name            string
	ListAllBuckets  bool
	CheckCloudFront bool
	ExternalBuckets []string
}

// loginOptions are the flags of `s3sso login` shared by every sign-in kind.
type loginOptions struct {
	UseDeviceCode bool
	NoBrowser     bool
	RedirectPort  int
}

// lookupAccount loads the accounts file and returns the account name.
func (a *app) lookupAccount(name string) (*accounts.Account, error) {
	_, f, err := a.loadAccounts()
	if err != nil {
		return nil, err
	}
	return f.Get(name)
}

// accountConfig resolves a saved account for S3 commands.
//
// An oidc account's credentials are retrieved here, before any S3 request,
// so that a needed sign-in happens up front and its errors reach the user
// with their own hints rather than wrapped by the SDK.
func (a *app) accountConfig(ctx context.Context, name string) (accountSettings, error) {
	acct, err := a.lookupAccount(name)
	if err != nil {
		return accountSettings{}, err
	}
	s := accountSettings{EndpointURL: acct.EndpointURL, Region: acct.Region, PathStyle: acct.PathStyle,
		DualStack: acct.DualStack && a.opts.EndpointURL == "", Name: acct.Name, ListAllBuckets: acct.ListsAllBuckets(),
		CheckCloudFront: acct.CheckCloudFront, ExternalBuckets: acct.ExternalBuckets}
	switch acct.Type {
	case accounts.TypeSSO:
		s.Credentials, err = a.ssoAccountCredentials(ctx, acct)
		return s, err
	case accounts.TypeKeys:
		s.Credentials, err = a.keysAccountCredentials(acct)
		return s, err
	case accounts.TypeProfile:
		s.Profile, s.Credentials, err = a.profileAccountCredentials(ctx, acct)
		return s, err
	case accounts.TypeOIDC:
		p, err := a.oidcProvider(acct, loginOptions{})
		if err != nil {
			return accountSettings{}, err
		}
		// Open the browser only where someone can use it.
		p.Interactive = a.isTerminal(a.stdio.Err) || os.Getenv("BROWSER") != ""
		if _, err := p.Retrieve(ctx); err != nil {
			return accountSettings{}, withAccountHint(err, name)
		}
		s.Credentials = p
		return s, nil
	}
	return accountSettings{}, fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot use", name, acct.Type)
}

// oidcProvider builds the credentials provider of an oidc account.
func (a *app) oidcProvider(acct *accounts.Account, lo loginOptions) (*federation.Provider, error) {
	o := acct.OIDC
	if o == nil {
		return nil, fault.Newf(fault.Config, "account %q of type oidc has no oidc settings", acct.Name)
	}
	dir, err := federation.DefaultCacheDir()
	if err != nil {
		return nil, err
	}
	cfg := federation.Config{
		Issuer: o.Issuer, AuthURL: o.AuthURL, TokenURL: o.TokenURL,
		ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scopes: o.Scopes, NoPKCE: o.NoPKCE,
		RedirectURL: o.RedirectURL, STSEndpoint: o.STSEndpoint, RoleARN: o.RoleARN,
		Duration: time.Duration(o.DurationSeconds) * time.Second, RoleSessionName: o.RoleSessionName,
	}
	return &federation.Provider{
		Client: &federation.Client{
			Config:     cfg,
			HTTPClient: &http.Client{Timeout: 30 * time.Second},
			Prompt:     a.stdio.Err,
			Logger:     a.logger,
		},
		Cache:   &federation.Cache{Dir: dir},
		Account: acct.Name,
		LoginOptions: federation.LoginOptions{
			UseDeviceCode: lo.UseDeviceCode, NoBrowser: lo.NoBrowser, RedirectPort: lo.RedirectPort,
		},
	}, nil
}

// oidcState is an account's sign-in state for `account list`.
func (a *app) oidcState(acct *accounts.Account) string {
	p, err := a.oidcProvider(acct, loginOptions{})
	if err != nil {
		return "unknown"
	}
	st, err := p.Status()
	if err != nil || !st.SignedIn {
		return "needs login"
	}
	if !st.CredentialsExpiry.IsZero() && st.CredentialsExpiry.After(time.Now()) {
		s := "signed in until " + st.CredentialsExpiry.Local().Format(time.DateTime)
		if st.HasRefreshToken {
			s += " (renewable)"
		}
		return s
	}
	return "signed in (renewable)"
}

// loginAccount signs in to a saved account (`s3sso login --account NAME`).
func (a *app) loginAccount(ctx context.Context, name string, lo loginOptions) error {
	acct, err := a.lookupAccount(name)
	if err != nil {
		return err
	}
	switch acct.Type {
	case accounts.TypeSSO:
		return a.loginSSOAccount(ctx, acct, lo)
	case accounts.TypeProfile:
		return a.withProfile(acct, func() error {
			return a.runLogin(ctx, loginCmdOptions{UseDeviceCode: lo.UseDeviceCode, NoBrowser: lo.NoBrowser, RedirectPort: lo.RedirectPort})
		})
	case accounts.TypeKeys:
		a.printer().Info(textMsg{text: "account " + name + " uses an access key: there is nothing to sign in to",
			fields: map[string]any{"op": "login", "account": name, "type": "keys"}})
		return nil
	case accounts.TypeOIDC:
	default:
		return fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot sign in to", name, acct.Type)
	}
	if err := a.askRoleARN(ctx, acct); err != nil {
		return err
	}
	p, err := a.oidcProvider(acct, lo)
	if err != nil {
		return err
	}
	e, err := p.Login(ctx)
	if err != nil {
		return withAccountHint(err, name)
	}
	who := e.Email
	if who == "" {
		who = e.Subject
	}
	msg := fmt.Sprintf("signed in to account %s as %s", name, who)
	fields := map[string]any{"op": "login", "account": name, "subject": e.Subject, "email": e.Email, "renewable": e.RefreshToken != ""}
	if e.Credentials != nil {
		msg += "; credentials valid until " + e.Credentials.Expiration.Local().Format(time.DateTime)
		fields["credentials_expiry"] = e.Credentials.Expiration
		if e.Credentials.AssumedRoleARN != "" {
			fields["assumed_role_arn"] = e.Credentials.AssumedRoleARN
		}
	}
	a.printer().Info(textMsg{text: msg, fields: fields})
	return nil
}

// askRoleARN asks for a missing role ARN when the STS is AWS (which needs
// one) and a person is at the terminal, and saves the answer.
func (a *app) askRoleARN(ctx context.Context, acct *accounts.Account) error {
	o := acct.OIDC
	if o == nil || o.RoleARN != "" {
		return nil
	}
	ep := o.STSEndpoint
	if ep == "" {
		ep = federation.DefaultSTSEndpoint
	}
	if !federation.IsAWSEndpoint(ep) {
		return nil
	}
	in, ok := a.stdio.In.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return fault.New(fault.Config, fmt.Sprintf("account %q has no role ARN, which AWS STS needs", acct.Name),
			fmt.Sprintf("save one with `s3sso account add %s ... --role-arn arn:aws:iam::ACCOUNT:role/NAME --force`", acct.Name))
	}
	fmt.Fprint(a.stdio.Err, "IAM role ARN to assume (arn:aws:iam::ACCOUNT:role/NAME): ")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return fault.Wrap(fault.Usage, fmt.Errorf("read the role ARN: %w", err), "")
	}
	arn := strings.TrimSpace(line)
	if !strings.HasPrefix(arn, "arn:") {
		return fault.Newf(fault.Usage, "%q is not a role ARN", arn)
	}
	o.RoleARN = arn
	store, err := accounts.Open()
	if err != nil {
		return err
	}
	return store.Update(ctx, func(f *accounts.File) error {
		cur, err := f.Get(acct.Name)
		if err != nil {
			return err
		}
		if cur.OIDC != nil {
			cur.OIDC.RoleARN = arn
		}
		return nil
	})
}

// withAccountHint replaces the generic "NAME" in hints with the account.
func withAccountHint(err error, name string) error {
	h := fault.HintOf(err)
	if strings.Contains(h, "NAME") {
		return fault.WithHint(err, strings.ReplaceAll(h, "NAME", name))
	}
	return err
}

// logoutAccount forgets a saved account's cached tokens.
func (a *app) logoutAccount(ctx context.Context, name string) error {
	acct, err := a.lookupAccount(name)
	if err != nil {
		return err
	}
	switch acct.Type {
	case accounts.TypeOIDC:
		return a.logoutOIDC(ctx, acct, false)
	case accounts.TypeSSO:
		return a.logoutSSOAccount(ctx, acct)
	case accounts.TypeProfile:
		return a.withProfile(acct, func() error { return a.runLogout(ctx, logoutOptions{}) })
	case accounts.TypeKeys:
		a.printer().Info(textMsg{text: "account " + name + " uses an access key: there is nothing to sign out of (remove it with `s3sso account rm " + name + "`)",
			fields: map[string]any{"op": "logout", "account": name, "type": "keys"}})
		return nil
	}
	return fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot sign out of", name, acct.Type)
}

func (a *app) logoutOIDC(ctx context.Context, acct *accounts.Account, quiet bool) error {
	p, err := a.oidcProvider(acct, loginOptions{})
	if err != nil {
		return err
	}
	revoked, revokeErr, err := p.Logout(ctx)
	if revokeErr != nil {
		a.printer().Warn("could not revoke the refresh token of account %s at the provider: %v", acct.Name, revokeErr)
	}
	if err != nil {
		return err
	}
	if quiet {
		return nil
	}
	msg := "signed out of account " + acct.Name
	if revoked {
		msg += " (refresh token revoked at the provider)"
	}
	a.printer().Info(textMsg{text: msg, fields: map[string]any{"op": "logout", "account": acct.Name, "revoked": revoked}})
	return nil
}

// whoamiAccount describes a saved account's identity and token state.
func (a *app) whoamiAccount(ctx context.Context, name string) error {
	acct, err := a.lookupAccount(name)
	if err != nil {
		return err
	}
	switch acct.Type {
	case accounts.TypeOIDC:
	case accounts.TypeProfile:
		return a.withProfile(acct, func() error { return a.runWhoami(ctx) })
	case accounts.TypeSSO, accounts.TypeKeys:
		store, f, err := a.loadAccounts()
		if err != nil {
			return err
		}
		a.printer().Print(a.describeAccount(store, f, acct, true))
		return nil
	default:
		return fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot describe", name, acct.Type)
	}
	p, err := a.oidcProvider(acct, loginOptions{})
	if err != nil {
		return err
	}
	st, err := p.Status()
	if err != nil {
		a.printer().Warn("%v", err)
	}
	a.printer().Print(whoamiOIDCMsg{Account: name, Status: st})
	return nil
}

type whoamiOIDCMsg struct {
	Account string `json:"account"`
	federation.Status
}

func (m whoamiOIDCMsg) JSON() any { return m }

func (m whoamiOIDCMsg) String() string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-20s %s\n", k+":", v)
		}
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		s := t.Local().Format(time.DateTime)
		if time.Now().After(t) {
			s += " (expired)"
		}
		return s
	}
	line("account", m.Account+" (oidc)")
	line("issuer", m.Issuer)
	line("client id", m.ClientID)
	if !m.SignedIn {
		line("state", "needs login: s3sso login --account "+m.Account)
	}
	line("subject", m.Subject)
	line("email", m.Email)
	line("id token expires", ts(m.IDTokenExpiry))
	if m.SignedIn {
		line("refresh token", map[bool]string{true: "yes (renews credentials)", false: "no"}[m.HasRefreshToken])
	}
	line("sts endpoint", m.STSEndpoint)
	line("role arn", m.RoleARN)
	line("assumed role", m.AssumedRoleARN)
	line("access key id", m.AccessKeyID)
	line("credentials expire", ts(m.CredentialsExpiry))
	return strings.TrimRight(b.String(), "\n")
}
