package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/spf13/cobra"
)

func (a *app) newWhoamiCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the identity, sign-in method and token state in use",
		Long: `Show the profile in effect, how it signs in, the token cache file in use,
the token and credential expiry, whether the token can be refreshed, the
account and role, and the caller identity ARN (STS GetCallerIdentity).
Warns about a start URL region that differs from sso_region, a '#' or ';'
inside a config value (read differently by the AWS CLI and the Go SDK) and
a global AWS_ENDPOINT_URL that also redirects the sign-in calls. No secret
is ever shown. --json prints one object.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runWhoami(cmd.Context())
		},
	}
}

// whoamiMsg is the result of whoami.
type whoamiMsg struct {
	Profile            string    `json:"profile"`
	Method             string    `json:"method"`
	SSOSession         string    `json:"sso_session,omitempty"`
	StartURL           string    `json:"start_url,omitempty"`
	SSORegion          string    `json:"sso_region,omitempty"`
	CacheFile          string    `json:"cache_file,omitempty"`
	TokenExpires       time.Time `json:"token_expires,omitzero"`
	Refreshable        *bool     `json:"refreshable,omitempty"`
	AccountID          string    `json:"account_id,omitempty"`
	Role               string    `json:"role,omitempty"`
	AccessKeyID        string    `json:"access_key_id,omitempty"`
	CredentialsSource  string    `json:"credentials_source,omitempty"`
	CredentialsExpires time.Time `json:"credentials_expires,omitzero"`
	ARN                string    `json:"arn,omitempty"`
	ARNError           string    `json:"arn_error,omitempty"`
	Warnings           []string  `json:"warnings,omitempty"`
}

// whoamiTime shows a time in the local zone with the zone's name and
// offset; --json writes UTC (RFC 3339, "Z").
const whoamiTime = "2006-01-02 15:04:05 MST (-07:00)"

func (m whoamiMsg) JSON() any { return m }

func (m whoamiMsg) String() string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-20s %s\n", k+":", v)
		}
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		left := time.Until(t).Round(time.Minute)
		if left <= 0 {
			return t.Local().Format(whoamiTime) + " (expired)"
		}
		return fmt.Sprintf("%s (in %s)", t.Local().Format(whoamiTime), left)
	}
	line("profile", m.Profile)
	line("sign-in method", m.Method)
	line("sso-session", m.SSOSession)
	line("start URL", m.StartURL)
	line("sso region", m.SSORegion)
	line("token cache file", m.CacheFile)
	line("token expires", tm(m.TokenExpires))
	if m.Refreshable != nil {
		line("token refreshable", map[bool]string{true: "yes", false: "no"}[*m.Refreshable])
	}
	line("account", m.AccountID)
	line("role", m.Role)
	line("access key", m.AccessKeyID)
	line("credentials from", m.CredentialsSource)
	line("credentials expire", tm(m.CredentialsExpires))
	line("identity", m.ARN)
	if m.ARNError != "" {
		line("identity", "unavailable: "+m.ARNError)
	}
	for _, w := range m.Warnings {
		line("warning", w)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (a *app) runWhoami(ctx context.Context) error {
	if a.opts.Account != "" {
		return a.whoamiAccount(ctx, a.opts.Account)
	}
	st, err := a.sessions.Status(ctx, a.ref(), session.Overrides{Region: a.opts.Region, EndpointURL: a.opts.EndpointURL, PathStyle: a.opts.PathStyle})
	if err != nil {
		return err
	}
	m := whoamiMsg{Profile: st.Profile, SSOSession: st.SSOSession, StartURL: st.StartURL, SSORegion: st.SSORegion,
		CacheFile: st.CacheFile, TokenExpires: st.TokenExpires.UTC(), Refreshable: st.Refreshable, AccountID: st.AccountID,
		Role: st.Role, AccessKeyID: st.AccessKeyID, CredentialsSource: st.CredentialsSource,
		CredentialsExpires: st.CredentialsExpires.UTC(), ARN: st.ARN, ARNError: st.ARNError, Warnings: st.Warnings}
	switch st.Method {
	case session.MethodSSOLegacy:
		m.Method = "IAM Identity Center, legacy profile (device flow, no refresh)"
	case session.MethodSSO:
		m.Method = "IAM Identity Center, sso-session (PKCE, refreshable)"
	default:
		m.Method = "AWS SDK credential chain"
	}
	if st.TokenMissing {
		m.CacheFile += " (missing: run `" + loginCommand(fault.LoginRef{Profile: st.Profile}, false) + "`)"
	}
	a.printer().Print(m)
	return nil
}

// whoamiAccount describes a saved account's identity and token state.
func (a *app) whoamiAccount(ctx context.Context, name string) error {
	store, f, acct, err := session.LookupAccount(name)
	if err != nil {
		return err
	}
	switch acct.Type {
	case accounts.TypeOIDC:
	case accounts.TypeProfile:
		if acct.Profile == nil || acct.Profile.Name == "" {
			return fault.Newf(fault.Config, "account %q of type profile names no profile", acct.Name)
		}
		saved := a.opts
		a.opts.Account, a.opts.Profile = "", acct.Profile.Name
		defer func() { a.opts = saved }()
		return a.runWhoami(ctx)
	case accounts.TypeSSO, accounts.TypeKeys:
		a.printer().Print(a.describeAccount(store, f, acct, true))
		return nil
	default:
		return fault.Newf(fault.Config, "account %q has type %q, which this s3sso cannot describe", name, acct.Type)
	}
	st := a.sessions.AccountStatus(store, acct)
	m := whoamiOIDCMsg{Account: name}
	if st.Problem != nil {
		return st.Problem
	}
	if st.OIDCErr != nil {
		a.printer().Warn("%v", st.OIDCErr)
	}
	m.OIDCStatus = *st.OIDC
	a.printer().Print(m)
	return nil
}

type whoamiOIDCMsg struct {
	Account string `json:"account"`
	session.OIDCStatus
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
