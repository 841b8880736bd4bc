package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/creds"
	"github.com/s3sso/s3sso/internal/sso"
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
	m := whoamiMsg{Profile: config.ProfileName(a.opts.Profile), Method: "AWS SDK credential chain"}
	f, err := a.sharedConfig()
	if err != nil {
		return err
	}
	if f.HasSSOLogin(m.Profile) {
		s, err := f.SSOForProfile(m.Profile, false)
		if err != nil {
			return err
		}
		t := sso.NewTarget(f, s)
		c := sso.New(a.logger)
		m.SSOSession, m.StartURL, m.SSORegion = s.Session, s.StartURL, s.Region
		m.AccountID, m.Role = s.AccountID, s.RoleName
		m.CacheFile = c.Cache.TokenPath(s.CacheKey())
		if s.Legacy() {
			m.Method = "IAM Identity Center, legacy profile (device flow, no refresh)"
		} else {
			m.Method = "IAM Identity Center, sso-session (PKCE, refreshable)"
		}
		m.Warnings = ssoWarningList(f, t)
		if tok, err := c.Cache.ReadToken(s.CacheKey()); err == nil {
			m.TokenExpires = tok.ExpiresAt.UTC()
			r := !s.Legacy() && tok.Refreshable(time.Now())
			m.Refreshable = &r
		} else if errors.Is(err, sso.ErrNoToken) {
			m.CacheFile += " (missing: run `" + s.LoginCommand() + "`)"
		}
	} else {
		m.Warnings = f.CommentCharWarnings(m.Profile)
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	d, err := creds.Explain(ctx, cfg)
	if err != nil {
		return err
	}
	m.AccessKeyID, m.CredentialsSource, m.CredentialsExpires = d.AccessKeyID, d.Source, d.Expires.UTC()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		m.ARNError = firstLine(err.Error())
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			// S3-compatible servers (MinIO) answer without STS's identity API.
			m.ARNError = fmt.Sprintf("STS GetCallerIdentity: %s (%s)", apiErr.ErrorMessage(), apiErr.ErrorCode())
		}
	} else {
		m.ARN = aws.ToString(out.Arn)
		if m.AccountID == "" {
			m.AccountID = aws.ToString(out.Account)
		}
	}
	a.printer().Print(m)
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
