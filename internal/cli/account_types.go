package cli

import (
	"context"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso"
)

// keysAccountCredentials returns the static credentials of a keys account,
// the secret read from the OS keyring or its 0600 file.
func (a *app) keysAccountCredentials(acct *accounts.Account) (aws.CredentialsProvider, error) {
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

// profileAccountCredentials selects the account's AWS config profile for
// the rest of the command; SSO profiles get s3sso's own SSO provider.
func (a *app) profileAccountCredentials(ctx context.Context, acct *accounts.Account) (string, aws.CredentialsProvider, error) {
	if acct.Profile == nil || acct.Profile.Name == "" {
		return "", nil, fault.Newf(fault.Config, "account %q of type profile names no profile", acct.Name)
	}
	a.opts.Profile = acct.Profile.Name
	cp, err := a.ssoCredentials(ctx)
	return acct.Profile.Name, cp, err
}

// withProfile runs fn (a profile command: login, logout, whoami) for the
// account's AWS config profile.
func (a *app) withProfile(acct *accounts.Account, fn func() error) error {
	if acct.Profile == nil || acct.Profile.Name == "" {
		return fault.Newf(fault.Config, "account %q of type profile names no profile", acct.Name)
	}
	saved := a.opts
	a.opts.Account, a.opts.Profile = "", acct.Profile.Name
	defer func() { a.opts = saved }()
	return fn()
}

// accountState is an account's sign-in state for `account list`, and
// whether it is usable without a sign-in.
func (a *app) accountState(store *accounts.Store, acct *accounts.Account) (string, bool) {
	switch acct.Type {
	case accounts.TypeOIDC:
		if acct.OIDC == nil {
			return "unknown", false
		}
		st := a.oidcState(acct)
		return st, strings.HasPrefix(st, "signed in")
	case accounts.TypeSSO:
		if acct.SSO == nil {
			return "unknown", false
		}
		tok, err := ssoAccountCache().ReadToken(acct.SSO.StartURL)
		return ssoTokenState(tok, err, acct.SSO.Region)
	case accounts.TypeKeys:
		if acct.Keys == nil {
			return "unknown", false
		}
		where := orText(acct.Keys.SecretStore, accounts.SecretInFile)
		if _, err := store.Secrets().Get(acct.Name, where); err != nil {
			return "secret key missing (" + where + ")", false
		}
		return "access key (secret in the " + where + ")", true
	case accounts.TypeProfile:
		if acct.Profile == nil {
			return "unknown", false
		}
		name := acct.Profile.Name
		f, err := config.Load(config.DefaultPath())
		if err != nil {
			return "profile " + name + ": " + err.Error(), false
		}
		if f.Profile(name) == nil && name != "default" {
			return "profile " + name + " not found in " + f.Path, false
		}
		if !f.HasSSOLogin(name) {
			return "profile " + name, true
		}
		s, err := f.SSOForProfile(name, false)
		if err != nil {
			return "profile " + name + ": " + err.Error(), false
		}
		tok, err := sso.DefaultCache().ReadToken(s.CacheKey())
		st, ok := ssoTokenState(tok, err, "")
		return "profile " + name + ", " + st, ok
	}
	return "unknown type", false
}

// applyDefaultAccount selects the default saved account (`s3sso account
// use`) when the command names neither --account, --profile nor
// AWS_PROFILE. Account management, configure and logout --all are left alone.
func (a *app) applyDefaultAccount(cmd *cobra.Command) {
	if a.opts.Account != "" || a.opts.Profile != "" || os.Getenv("AWS_PROFILE") != "" {
		return
	}
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "account", "configure", "version", "completion", "exit-codes", "help", "__complete":
			return
		}
	}
	if cmd.Name() == "logout" {
		if f := cmd.Flags().Lookup("all"); f != nil && f.Changed {
			return
		}
	}
	store, err := accounts.Open()
	if err != nil {
		return
	}
	f, err := store.Load()
	if err != nil {
		a.printer().Warn("%v (%s); the default account is not used", err, fault.HintOf(err))
		return
	}
	if f.Default == "" {
		return
	}
	if _, ok := f.Accounts[f.Default]; !ok {
		a.printer().Warn("the default account %q does not exist; choose one with `s3sso account use NAME`", f.Default)
		return
	}
	a.opts.Account = f.Default
	if a.logger != nil {
		a.logger.Debug("using the default account", "account", f.Default)
	}
}
