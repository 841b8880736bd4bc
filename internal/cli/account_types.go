package cli

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// accountState renders an account's sign-in state for `account list`, and
// whether it is usable without a sign-in.
func (a *app) accountState(store *accounts.Store, acct *accounts.Account) (string, bool) {
	st := a.sessions.AccountStatus(store, acct)
	switch acct.Type {
	case accounts.TypeOIDC:
		switch {
		case st.Problem != nil:
			return "unknown", false
		case !st.Token.SignedIn:
			return "needs login", false
		case !st.Token.Expires.IsZero():
			s := "signed in until " + st.Token.Expires.Local().Format(time.DateTime)
			if st.Token.Renewable {
				s += " (renewable)"
			}
			return s, true
		}
		return "signed in (renewable)", true
	case accounts.TypeSSO:
		if st.Problem != nil {
			return "unknown", false
		}
		return tokenStateText(st.Token), st.Usable
	case accounts.TypeKeys:
		switch {
		case st.Problem != nil:
			return "unknown", false
		case st.SecretMissing:
			return "secret key missing (" + st.SecretStore + ")", false
		}
		return "access key (secret in the " + st.SecretStore + ")", true
	case accounts.TypeProfile:
		name := st.Profile
		switch {
		case name == "":
			return "unknown", false
		case st.Problem != nil:
			return "profile " + name + ": " + st.Problem.Error(), false
		case st.ProfileMissing != "":
			return "profile " + name + " not found in " + st.ProfileMissing, false
		case !st.SSOProfile:
			return "profile " + name, true
		}
		return "profile " + name + ", " + tokenStateText(st.Token), st.Usable
	}
	return "unknown type", false
}

// tokenStateText describes a cached IAM Identity Center token.
func tokenStateText(t *session.TokenState) string {
	switch {
	case t == nil:
		return "unknown"
	case t.WrongRegion != "":
		return "needs login (the cached token is for region " + t.WrongRegion + ")"
	case !t.SignedIn:
		return "needs login"
	case t.Expires.After(time.Now()):
		s := "signed in until " + t.Expires.Local().Format(time.DateTime)
		if t.Renewable {
			s += " (renewable)"
		}
		return s
	case t.Renewable:
		return "signed in (token expired at " + t.Expires.Local().Format(time.DateTime) + "; renews on next use)"
	}
	return "needs login (expired at " + t.Expires.Local().Format(time.DateTime) + ")"
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
