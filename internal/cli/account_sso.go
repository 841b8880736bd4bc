package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssso "github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso"
)

// Accounts of type sso sign in to IAM Identity Center with only a start URL
// and a region: no ~/.aws/config. The token is cached where the AWS CLI
// caches a legacy profile's (~/.aws/sso/cache/sha1(start URL).json), so
// the CLI and s3sso share it; sso-session cache files are never touched. The
// sign-in itself is the sso-session kind (PKCE, refresh token), so that the
// token is refreshed in the background while it can be.

// ssoAccountCache is the AWS CLI's SSO token cache.
func ssoAccountCache() sso.Cache { return sso.DefaultCache() }

// ssoAccountTarget builds the sign-in target of an sso account. Endpoint
// overrides come from the environment (AWS_ENDPOINT_URL_SSO_OIDC,
// AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL); with dual-stack on, the
// dual-stack endpoints of the region are used otherwise.
func (a *app) ssoAccountTarget(ctx context.Context, acct *accounts.Account) (sso.Target, error) {
	s := acct.SSO
	if s == nil {
		return sso.Target{}, fault.Newf(fault.Config, "account %q of type sso has no sso settings", acct.Name)
	}
	t := sso.Target{
		SSO: config.SSO{StartURL: s.StartURL, Region: s.Region, Scopes: []string{config.DefaultScope},
			AccountID: s.AccountID, RoleName: s.RoleName, ProfileRegion: acct.Region},
		StartURLCache: true,
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

// accountLoginHint points the hints of sign-in errors at the account.
func accountLoginHint(err error, t sso.Target, name string) error {
	if err == nil {
		return nil
	}
	cmd := "s3sso login --account " + name
	var le *sso.LoginRequiredError
	if errors.As(err, &le) {
		le.Profile = "account " + name
		le.Command = cmd
	}
	if h := fault.HintOf(err); h != "" {
		h = strings.ReplaceAll(h, t.LoginCommand(), cmd)
		h = strings.ReplaceAll(h, "set sso_region", "set --sso-region")
		h = strings.ReplaceAll(h, "check sso_account_id and sso_role_name; `s3sso configure sso` lists the roles you can use",
			"check the account's --account-id and --role-name (`s3sso account edit "+name+"`)")
		return fault.WithHint(err, h)
	}
	return err
}

// ssoAccountToken returns a valid token for t: the cached one when there is
// one for the same start URL and region (refreshed when due and possible),
// else, when login is allowed, a new sign-in.
func (a *app) ssoAccountToken(ctx context.Context, c *sso.Client, t sso.Target, name string, lo loginOptions, login bool) (*sso.Token, bool, error) {
	tok, err := c.TokenProvider(t).Token(ctx)
	switch {
	case err == nil && (tok.Region == "" || tok.Region == t.Region):
		return tok, true, nil
	case err == nil:
		err = &fault.Error{Kind: fault.Auth, Err: &sso.LoginRequiredError{Profile: "account " + name,
			Reason: fmt.Sprintf("the cached token of %s is for region %s, not %s", t.StartURL, tok.Region, t.Region)},
			Hint: "run `" + t.LoginCommand() + "`"}
	case !errors.Is(err, sso.ErrLoginRequired):
		return nil, false, accountLoginHint(err, t, name)
	}
	if !login {
		return nil, false, accountLoginHint(err, t, name)
	}
	tok, err = c.Login(ctx, t, sso.LoginOptions{UseDeviceCode: lo.UseDeviceCode, NoBrowser: lo.NoBrowser,
		RedirectPort: lo.RedirectPort, Out: a.stdio.Err})
	if err != nil {
		return nil, false, accountLoginHint(err, t, name)
	}
	return tok, false, nil
}

// ssoAccountCredentials returns role credentials for an sso account, signing
// in first (browser) only when the cache has no usable token and someone can
// use a browser.
func (a *app) ssoAccountCredentials(ctx context.Context, acct *accounts.Account) (aws.CredentialsProvider, error) {
	t, err := a.ssoAccountTarget(ctx, acct)
	if err != nil {
		return nil, err
	}
	c := sso.New(a.logger)
	canLogin := a.isTerminal(a.stdio.Err) || os.Getenv("BROWSER") != ""
	tok, _, err := a.ssoAccountToken(ctx, c, t, acct.Name, loginOptions{}, canLogin)
	if err != nil {
		return nil, err
	}
	if t, err = a.chooseSSORole(ctx, c, t, tok, acct); err != nil {
		return nil, err
	}
	creds, tp := c.NewCredentials(t, func(r *sso.RoleProvider) { a.credsRefused = r.CredentialsRefused })
	if _, err := creds.Retrieve(ctx); err != nil {
		return nil, accountLoginHint(err, t, acct.Name)
	}
	sso.KeepFresh(ctx, creds, tp, ssoBackgroundRefresh)
	return creds, nil
}

// loginSSOAccount signs in to an sso account: a valid cached token for the
// start URL and region is reused without asking.
func (a *app) loginSSOAccount(ctx context.Context, acct *accounts.Account, lo loginOptions) error {
	t, err := a.ssoAccountTarget(ctx, acct)
	if err != nil {
		return err
	}
	c := sso.New(a.logger)
	tok, reused, err := a.ssoAccountToken(ctx, c, t, acct.Name, lo, true)
	if err != nil {
		return err
	}
	if t, err = a.chooseSSORole(ctx, c, t, tok, acct); err != nil {
		return err
	}
	how := "signed in to"
	if reused {
		how = "already signed in to"
	}
	msg := fmt.Sprintf("%s account %s until %s (role %s in AWS account %s)", how, acct.Name,
		tok.ExpiresAt.Local().Format(time.DateTime), t.RoleName, t.AccountID)
	a.printer().Info(textMsg{text: msg, fields: map[string]any{"op": "login", "account": acct.Name, "type": "sso",
		"reused": reused, "expires": tok.ExpiresAt, "account_id": t.AccountID, "role_name": t.RoleName,
		"cache_file": c.Cache.TokenPath(t.CacheKey())}})
	return nil
}

// chooseSSORole fills in a missing AWS account or role from the portal: a
// single choice is taken without asking; several are asked on a terminal.
// The choice is saved with the account.
func (a *app) chooseSSORole(ctx context.Context, c *sso.Client, t sso.Target, tok *sso.Token, acct *accounts.Account) (sso.Target, error) {
	if t.AccountID != "" && t.RoleName != "" {
		return t, nil
	}
	in := bufio.NewReader(a.stdio.In)
	if t.AccountID == "" {
		list, err := c.ListAccounts(ctx, t, tok)
		if err != nil {
			return t, accountLoginHint(err, t, acct.Name)
		}
		var ids, labels []string
		for _, x := range list {
			ids = append(ids, x.ID)
			labels = append(labels, fmt.Sprintf("%s (%s, %s)", x.ID, x.Name, x.Email))
		}
		if t.AccountID, err = a.pickOne(in, acct.Name, "AWS account", "--account-id", ids, labels); err != nil {
			return t, err
		}
	}
	if t.RoleName == "" {
		roles, err := c.ListRoles(ctx, t, tok, t.AccountID)
		if err != nil {
			return t, accountLoginHint(err, t, acct.Name)
		}
		if t.RoleName, err = a.pickOne(in, acct.Name, "role in AWS account "+t.AccountID, "--role-name", roles, roles); err != nil {
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
	a.printer().Warn("account %s now uses role %s in AWS account %s (change it with `s3sso account edit %s --account-id ID --role-name ROLE`)",
		acct.Name, t.RoleName, t.AccountID, acct.Name)
	return t, nil
}

// pickOne returns the only choice, or asks on a terminal.
func (a *app) pickOne(in *bufio.Reader, name, what, flag string, ids, labels []string) (string, error) {
	switch len(ids) {
	case 0:
		return "", fault.New(fault.AccessDenied, fmt.Sprintf("account %s: IAM Identity Center offers you no %s", name, what),
			"ask your administrator for an assignment")
	case 1:
		return ids[0], nil
	}
	if !a.interactive() {
		return "", fault.New(fault.Usage, fmt.Sprintf("account %s: choose a %s: %s", name, what, strings.Join(labels, ", ")),
			fmt.Sprintf("save it with `s3sso account edit %s %s VALUE`, or sign in on a terminal to pick it", name, flag))
	}
	fmt.Fprintf(a.stdio.Err, "There are %d choices of %s:\n", len(ids), what)
	for i, l := range labels {
		fmt.Fprintf(a.stdio.Err, "  %d) %s\n", i+1, l)
	}
	for {
		fmt.Fprintf(a.stdio.Err, "Choose 1-%d: ", len(ids))
		line, err := in.ReadString('\n')
		if n, convErr := strconv.Atoi(strings.TrimSpace(line)); convErr == nil && n >= 1 && n <= len(ids) {
			return ids[n-1], nil
		}
		if err != nil {
			return "", fault.Wrap(fault.Usage, fmt.Errorf("read the %s choice: %w", what, err), "")
		}
	}
}

// logoutSSOAccount ends the portal session and deletes the start-URL token
// file (only that file).
func (a *app) logoutSSOAccount(ctx context.Context, acct *accounts.Account) error {
	t, err := a.ssoAccountTarget(ctx, acct)
	if err != nil {
		return err
	}
	c := sso.New(a.logger)
	if t.AccountID != "" && t.RoleName != "" {
		// The role credentials shared with the AWS CLI go too.
		if _, err := c.RoleCache.Remove(t); err != nil {
			return fault.Wrap(fault.Local, err, "")
		}
	}
	path := c.Cache.TokenPath(t.CacheKey())
	tok, err := c.Cache.ReadToken(t.CacheKey())
	if err != nil {
		a.printer().Info(textMsg{text: "account " + acct.Name + " was not signed in",
			fields: map[string]any{"op": "logout", "account": acct.Name, "signed_in": false}})
		return nil
	}
	if err := c.Logout(ctx, t, tok); err != nil {
		a.printer().Warn("could not end the IAM Identity Center session of account %s: %v", acct.Name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Wrap(fault.Local, fmt.Errorf("remove the cached token %s: %w", path, err), "")
	}
	a.printer().Info(textMsg{text: "signed out of account " + acct.Name + " (removed " + path + ")",
		fields: map[string]any{"op": "logout", "account": acct.Name, "signed_in": true, "cache_file": path}})
	return nil
}

// ssoTokenState describes a cached token for `account list`.
func ssoTokenState(tok *sso.Token, err error, region string) (string, bool) {
	if err != nil {
		return "needs login", false
	}
	now := time.Now()
	if region != "" && tok.Region != "" && tok.Region != region {
		return "needs login (the cached token is for region " + tok.Region + ")", false
	}
	renew := tok.Refreshable(now)
	if tok.ExpiresAt.After(now) {
		s := "signed in until " + tok.ExpiresAt.Local().Format(time.DateTime)
		if renew {
			s += " (renewable)"
		}
		return s, true
	}
	if renew {
		return "signed in (token expired at " + tok.ExpiresAt.Local().Format(time.DateTime) + "; renews on next use)", true
	}
	return "needs login (expired at " + tok.ExpiresAt.Local().Format(time.DateTime) + ")", false
}
