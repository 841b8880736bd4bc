package session

import (
	"context"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/sso"
)

// backgroundRefresh is how often sessions check the SSO token and role
// credentials in the background.
const backgroundRefresh = 30 * time.Second

// LoadAWSConfig parses the AWS shared config file (AWS_CONFIG_FILE or
// ~/.aws/config) and checks the syntax of the credentials file
// (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials). Everything that
// resolves AWS configuration goes through it before the SDK's loader, which
// tolerates what botocore refuses (a repeated section or key, a line that is
// not "key = value", an unclosed [header]) and would otherwise run with a
// guess or report a missing profile: such a file is a fault.Config error
// naming the file and line, as for the AWS CLI. A missing file is fine.
func LoadAWSConfig() (*config.File, error) {
	f, err := config.Load(config.DefaultPath())
	if err == nil {
		_, err = config.Load(config.DefaultCredentialsPath())
	}
	if err != nil {
		return nil, fault.Wrap(fault.Config, err, "fix the file; the AWS CLI rejects it too")
	}
	return f, nil
}

// NotSSOProfileError means a profile does not sign in with IAM Identity
// Center, so there is nothing to log in or out of.
type NotSSOProfileError struct{ Profile string }

func (e *NotSSOProfileError) Error() string {
	return "profile \"" + e.Profile + "\" does not use IAM Identity Center (no sso_session or sso_start_url)"
}

// ssoProfile resolves the SSO sign-in of a profile.
func ssoProfile(f *config.File, profile string, needRole bool) (config.SSO, error) {
	name := config.ProfileName(profile)
	if f.Profile(name) != nil && !f.HasSSOLogin(name) {
		return config.SSO{}, &fault.Error{Kind: fault.Config, Err: &NotSSOProfileError{Profile: name}}
	}
	return f.SSOForProfile(name, needRole)
}

// useDeviceCodeOptIn: S3SSO_USE_DEVICE_CODE, or sso_use_device_code in the
// profile or its sso-session section (keys the AWS CLI ignores).
func useDeviceCodeOptIn(f *config.File, s config.SSO) bool {
	if v, err := strconv.ParseBool(os.Getenv("S3SSO_USE_DEVICE_CODE")); err == nil {
		return v
	}
	for _, sec := range []*config.Section{f.Profile(s.Profile), f.SSOSession(s.Session)} {
		if v, err := strconv.ParseBool(sec.Value("sso_use_device_code")); err == nil && sec != nil {
			return v
		}
	}
	return false
}

// Warnings are the configuration problems that matter for a sign-in to t.
func Warnings(f *config.File, t sso.Target) []string {
	var out []string
	if m := sso.RegionMismatch(t.StartURL, t.Region); m != "" {
		out = append(out, m)
	}
	if t.Profile != "" {
		out = append(out, f.CommentCharWarnings(t.Profile)...)
	}
	if os.Getenv("AWS_ENDPOINT_URL") != "" && os.Getenv("AWS_ENDPOINT_URL_SSO") == "" {
		out = append(out, "AWS_ENDPOINT_URL is set and also redirects the IAM Identity Center (sso, sso-oidc) and STS calls; use AWS_ENDPOINT_URL_S3 or a [services] section for S3 instead")
	}
	return out
}

// profileCredentials returns s3sso's own credentials provider when the
// profile is an IAM Identity Center profile (sso-session or legacy), so
// that tokens refresh per botocore's rules and errors ask for a sign-in;
// nil means: use the SDK's credential chain. Other profile kinds (and
// environment keys without a profile) keep the SDK chain.
//
// refused is the role provider's hook for credentials the server refused
// (objstore.S3Options.CredentialsRefused).
func (m *Manager) profileCredentials(ctx context.Context, profile string) (creds *aws.CredentialsCache, refused func(string) bool, err error) {
	if profile == "" && os.Getenv("AWS_ACCESS_KEY_ID") != "" {
		return nil, nil, nil
	}
	f, err := LoadAWSConfig()
	if err != nil {
		return nil, nil, err
	}
	name := config.ProfileName(profile)
	if !f.IsSSOProfile(name) {
		return nil, nil, nil
	}
	p := f.Profile(name)
	for _, k := range []string{"role_arn", "web_identity_token_file", "credential_process"} {
		if _, ok := p.Get(k); ok {
			return nil, nil, nil // these come first in botocore's chain
		}
	}
	s, err := f.SSOForProfile(name, true)
	if err != nil {
		return nil, nil, err
	}
	t := sso.NewTarget(f, s)
	ref := Ref{Profile: profile}
	c := m.ssoClient()
	creds, tp := c.NewCredentials(t, func(r *sso.RoleProvider) {
		refused = r.CredentialsRefused
		r.OfferLogin = func(ctx context.Context, _ sso.Target, cause error) error {
			return m.offerLogin(ctx, ref, cause)
		}
	})
	sso.KeepFresh(ctx, creds, tp, backgroundRefresh)
	return creds, refused, nil
}

// offerLogin asks whether to sign in now (a person at a terminal), and
// does. Inside a batch job it leaves the sign-in to Session.Renew, which
// pauses the job instead.
func (m *Manager) offerLogin(ctx context.Context, ref Ref, cause error) error {
	p := m.prompter
	if objstore.IsBatch(ctx) || !p.Interactive() {
		return cause
	}
	ok, err := p.Confirm(ctx, ref, cause)
	if err != nil {
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return cause
	}
	if !ok {
		return cause
	}
	_, err = m.Login(ctx, ref, LoginOptions{})
	return err
}
