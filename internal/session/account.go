package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssso "github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/federation"
	"github.com/s3sso/s3sso/internal/sso"
)

// LookupAccount returns the saved account name.
func LookupAccount(name string) (*accounts.Store, *accounts.File, *accounts.Account, error) {
	store, err := accounts.Open()
	if err != nil {
		return nil, nil, nil, err
	}
	f, err := store.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := f.Get(name)
	return store, f, a, err
}

// accountCreds is a resolved saved account.
type accountCreds struct {
	settings    AccountSettings
	credentials aws.CredentialsProvider // nil: the profile's SDK chain
	cache       *aws.CredentialsCache   // set when a sign-in can renew credentials
	renewable   bool
	refused     func(string) bool
	profile     string
}

// accountCredentials resolves a saved account for S3 commands.
//
// An oidc account's credentials are retrieved here, before any S3 request,
// so that a needed sign-in happens up front and its errors reach the user
// with their own hints rather than wrapped by the SDK.
func (m *Manager) accountCredentials(ctx context.Context, name string, ov Overrides) (accountCreds, error) {
	_, _, acct, err := LookupAccount(name)
	if err != nil {
		return accountCreds{}, err
	}
	r := accountCreds{settings: AccountSettings{Name: acct.Name, EndpointURL: acct.EndpointURL, Region: acct.Region,
		PathStyle: acct.PathStyle, DualStack: acct.DualStack && ov.EndpointURL == "", ListAllBuckets: acct.ListsAllBuckets(),
		CheckCloudFront: acct.CheckCloudFront, ExternalBuckets: acct.ExternalBuckets, HeaderRules: acct.HeaderRules}}
	ref := fault.LoginRef{Account: name}
	switch acct.Type {
	case accounts.TypeSSO:
		r.cache, r.refused, err = m.ssoAccountCredentials(ctx, acct)
		r.credentials, r.renewable = r.cache, true
		return r, fault.SetLoginRef(err, fault.LoginRef{}, ref)
	case accounts.TypeKeys:
		r.credentials, err = keysAccountCredentials(acct)
		return r, err
	case accounts.TypeProfile:
		if acct.Profile == nil || acct.Profile.Name == "" {
			return r, fault.Newf(fault.Config, "account %q of type profile names no profile", acct.Name)
		}
		r.profile = acct.Profile.Name
		cp, refused, err := m.profileCredentials(ctx, acct.Profile.Name)
		r.refused = refused
		if cp != nil {
			r.credentials, r.cache, r.renewable = cp, cp, true
		}
		return r, err
	case accounts.TypeOIDC:
		p, err := m.oidcProvider(acct, LoginOptions{})
		if err != nil {
			return accountCreds{}, err
		}
		// Open the browser only where someone can use it.
		p.Interactive = m.prompter.CanSignIn()
		if _, err := p.Retrieve(ctx); err != nil {
			return accountCreds{}, err
		}
		r.cache = aws.NewCredentialsCache(p)
		r.credentials, r.renewable = r.cache, true
		return r, nil
	}
	return accountCreds{}, fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot use", name, acct.Type)
}

// keysAccountCredentials returns the static credentials of a keys account,
// the secret read from the OS keyring or its 0600 file.
func keysAccountCredentials(acct *accounts.Account) (aws.CredentialsProvider, error) {
	if acct.Keys == nil || acct.Keys.AccessKeyID == "" {
		return nil, fault.Newf(fault.Config, "account %q of type keys has no access key", acct.Name)
	}
	store, err := accounts.Open()
	if err != nil {
		return nil, err
	}
	secret, err := store.Secrets().Get(acct.Name, acct.Keys.SecretStore)
	if err != nil {
		return nil, err
	}
	return credentials.NewStaticCredentialsProvider(acct.Keys.AccessKeyID, secret, ""), nil
}

// oidcProvider builds the credentials provider of an oidc account.
func (m *Manager) oidcProvider(acct *accounts.Account, lo LoginOptions) (*federation.Provider, error) {
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
			Prompter:   m.prompter,
			Logger:     m.logger,
		},
		Cache:        &federation.Cache{Dir: dir},
		Account:      acct.Name,
		LoginOptions: federation.LoginOptions{UseDeviceCode: lo.UseDeviceCode, RedirectPort: lo.RedirectPort},
	}, nil
}

// ssoAccountTarget builds the sign-in target of an sso account. Endpoint
// overrides come from the environment (AWS_ENDPOINT_URL_SSO_OIDC,
// AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL); with dual-stack on, the
// dual-stack endpoints of the region are used otherwise.
//
// Accounts of type sso sign in to IAM Identity Center with only a start
// URL and a region: no ~/.aws/config. The token is cached where the AWS
// CLI caches a legacy profile's (~/.aws/sso/cache/sha1(start URL).json), so
// the CLI and s3sso share it; sso-session cache files are never touched.
// The sign-in itself is the sso-session kind (PKCE, refresh token), so that
// the token is refreshed in the background while it can be.
func ssoAccountTarget(ctx context.Context, acct *accounts.Account) (sso.Target, error) {
	s := acct.SSO
	if s == nil {
		return sso.Target{}, fault.Newf(fault.Config, "account %q of type sso has no sso settings", acct.Name)
	}
	t := sso.Target{
		SSO: config.SSO{StartURL: s.StartURL, Region: s.Region, Scopes: []string{config.DefaultScope},
			AccountID: s.AccountID, RoleName: s.RoleName, ProfileRegion: acct.Region},
		StartURLCache: true,
		Ref:           fault.LoginRef{Account: acct.Name},
	}
	// A vanity start URL that leads to another region: saved with the
	// account, like sso_region in the config file.
	if store, err := accounts.Open(); err == nil {
		t.WriteBackRegion = store.SSORegionWriter(ctx, acct.Name)
	}
	if f, err := config.Parse("", ""); err == nil {
		t.OIDCEndpoint, _ = f.Endpoint("", config.ServiceSSOOIDC)
		t.PortalEndpoint, _ = f.Endpoint("", config.ServiceSSO)
	}
	if acct.DualStack {
		oidc, portal, err := ssoDualStackEndpoints(ctx, s.Region)
		if err != nil {
			return sso.Target{}, err
		}
		if t.OIDCEndpoint == "" {
			t.OIDCEndpoint = oidc
		}
		if t.PortalEndpoint == "" {
			t.PortalEndpoint = portal
		}
	}
	return t, nil
}

// ssoDualStackEndpoints resolves the dual-stack IAM Identity Center OIDC
// and portal endpoints of region with the SDK's endpoint rules.
func ssoDualStackEndpoints(ctx context.Context, region string) (oidc, portal string, err error) {
	o, err := ssooidc.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx,
		ssooidc.EndpointParameters{Region: aws.String(region), UseDualStack: aws.Bool(true)})
	if err != nil {
		return "", "", fmt.Errorf("resolve the dual-stack OIDC endpoint of %s: %w", region, err)
	}
	p, err := awssso.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx,
		awssso.EndpointParameters{Region: aws.String(region), UseDualStack: aws.Bool(true)})
	if err != nil {
		return "", "", fmt.Errorf("resolve the dual-stack portal endpoint of %s: %w", region, err)
	}
	return o.URI.String(), p.URI.String(), nil
}

// RoleError means IAM Identity Center refused the account's AWS account
// and role: the front end says how to change them.
type RoleError struct {
	Account string
	Err     error
}

func (e *RoleError) Error() string { return e.Err.Error() }
func (e *RoleError) Unwrap() error { return e.Err }

// accountRoleError marks an access-denied role error of an sso account.
func accountRoleError(err error, name string) error {
	if err == nil || fault.KindOf(err) != fault.AccessDenied {
		return err
	}
	var fe *fault.Error
	if errors.As(err, &fe) && strings.Contains(fe.Msg, "get credentials for role") {
		return &fault.Error{Kind: fault.AccessDenied, Err: &RoleError{Account: name, Err: err}}
	}
	return err
}

// ssoAccountToken returns a valid token for t: the cached one when there is
// one for the same start URL and region (refreshed when due and possible),
// else, when login is allowed, a new sign-in.
func (m *Manager) ssoAccountToken(ctx context.Context, c *sso.Client, t sso.Target, lo LoginOptions, login bool) (*sso.Token, bool, error) {
	var tok *sso.Token
	var err error
	if lo.Fresh {
		err = sso.ErrLoginRequired
	} else {
		tok, err = c.TokenProvider(t).Token(ctx)
	}
	switch {
	case err == nil && (tok.Region == "" || tok.Region == t.Region):
		return tok, true, nil
	case err == nil:
		err = fault.NeedsLogin(&sso.LoginRequiredError{Profile: t.Ref.String(),
			Reason: fmt.Sprintf("the cached token of %s is for region %s, not %s", t.StartURL, tok.Region, t.Region)}, t.Ref, "")
	case !errors.Is(err, sso.ErrLoginRequired):
		return nil, false, err
	}
	if !login {
		return nil, false, err
	}
	tok, err = c.Login(ctx, t, sso.LoginOptions{UseDeviceCode: lo.UseDeviceCode, RedirectPort: lo.RedirectPort, Prompter: m.prompter})
	if err != nil {
		return nil, false, err
	}
	return tok, false, nil
}

// ssoAccountCredentials returns role credentials for an sso account, signing
// in first (browser) only when the cache has no usable token and someone can
// use a browser.
func (m *Manager) ssoAccountCredentials(ctx context.Context, acct *accounts.Account) (*aws.CredentialsCache, func(string) bool, error) {
	t, err := ssoAccountTarget(ctx, acct)
	if err != nil {
		return nil, nil, err
	}
	c := m.ssoClient()
	tok, _, err := m.ssoAccountToken(ctx, c, t, LoginOptions{}, m.prompter.CanSignIn())
	if err != nil {
		return nil, nil, err
	}
	if t, err = m.chooseSSORole(ctx, c, t, tok, acct); err != nil {
		return nil, nil, err
	}
	var refused func(string) bool
	creds, tp := c.NewCredentials(t, func(r *sso.RoleProvider) { refused = r.CredentialsRefused })
	if _, err := creds.Retrieve(ctx); err != nil {
		return nil, nil, accountRoleError(err, acct.Name)
	}
	sso.KeepFresh(ctx, creds, tp, backgroundRefresh)
	return creds, refused, nil
}

// chooseSSORole fills in a missing AWS account or role from the portal: a
// single choice is taken without asking; several are asked through the
// prompter. The choice is saved with the account.
func (m *Manager) chooseSSORole(ctx context.Context, c *sso.Client, t sso.Target, tok *sso.Token, acct *accounts.Account) (sso.Target, error) {
	if t.AccountID != "" && t.RoleName != "" {
		return t, nil
	}
	ref := Ref{Account: acct.Name}
	if t.AccountID == "" {
		list, err := c.ListAccounts(ctx, t, tok)
		if err != nil {
			return t, err
		}
		ch := Choice{Ref: ref, What: "AWS account", Setting: SettingAccountID}
		for _, x := range list {
			ch.IDs = append(ch.IDs, x.ID)
			ch.Labels = append(ch.Labels, fmt.Sprintf("%s (%s, %s)", x.ID, x.Name, x.Email))
		}
		if t.AccountID, err = choose(ctx, m.prompter, ch); err != nil {
			return t, err
		}
	}
	if t.RoleName == "" {
		roles, err := c.ListRoles(ctx, t, tok, t.AccountID)
		if err != nil {
			return t, err
		}
		ch := Choice{Ref: ref, What: "role in AWS account " + t.AccountID, Setting: SettingRoleName, IDs: roles, Labels: roles}
		if t.RoleName, err = choose(ctx, m.prompter, ch); err != nil {
			return t, err
		}
	}
	store, err := accounts.Open()
	if err != nil {
		return t, err
	}
	err = store.Update(ctx, func(f *accounts.File) error {
		cur, err := f.Get(acct.Name)
		if err != nil || cur.SSO == nil {
			return err
		}
		if cur.SSO.AccountID == "" {
			cur.SSO.AccountID = t.AccountID
		}
		if cur.SSO.RoleName == "" {
			cur.SSO.RoleName = t.RoleName
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	acct.SSO.AccountID, acct.SSO.RoleName = t.AccountID, t.RoleName
	m.prompter.Notify(ctx, Notice{Kind: NoticeRoleChosen, Ref: ref, AccountID: t.AccountID, RoleName: t.RoleName})
	return t, nil
}

// RoleARNRequiredError means an oidc account needs a role ARN (AWS STS)
// and no one could be asked.
type RoleARNRequiredError struct{ Account string }

func (e *RoleARNRequiredError) Error() string {
	return fmt.Sprintf("account %q has no role ARN, which AWS STS needs", e.Account)
}

// askRoleARN asks for a missing role ARN when the STS is AWS (which needs
// one) and a person can answer, and saves the answer.
func (m *Manager) askRoleARN(ctx context.Context, acct *accounts.Account) error {
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
	if !m.prompter.Interactive() {
		return &fault.Error{Kind: fault.Config, Err: &RoleARNRequiredError{Account: acct.Name}}
	}
	answer, err := m.prompter.Ask(ctx, Question{Ref: Ref{Account: acct.Name}, What: "IAM role ARN to assume", Example: "arn:aws:iam::ACCOUNT:role/NAME"})
	if err != nil {
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return fault.Wrap(fault.Usage, fmt.Errorf("read the role ARN: %w", err), "")
	}
	arn := strings.TrimSpace(answer)
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
