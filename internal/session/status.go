package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/creds"
	"github.com/s3sso/s3sso/internal/federation"
	"github.com/s3sso/s3sso/internal/sso"
)

// Sign-in methods of a profile's Status.
const (
	MethodSDKChain  = "sdk-chain"   // the AWS SDK's credential chain (keys, roles, credential_process, ...)
	MethodSSOLegacy = "sso-legacy"  // IAM Identity Center, legacy profile: device flow, no refresh
	MethodSSO       = "sso-session" // IAM Identity Center, sso-session: PKCE, refreshable
)

// Status is what is known about a profile's sign-in and identity: the data
// behind `s3sso whoami`. It holds no secrets (the access key is redacted).
type Status struct {
	Profile    string
	Method     string // MethodSDKChain, MethodSSOLegacy, MethodSSO
	SSOSession string
	StartURL   string
	SSORegion  string
	CacheFile  string
	// TokenMissing: CacheFile does not exist (a sign-in is needed).
	TokenMissing bool
	TokenExpires time.Time
	Refreshable  *bool // nil when there is no token
	AccountID    string
	Role         string

	AccessKeyID        string // redacted
	CredentialsSource  string
	CredentialsExpires time.Time
	ARN                string // the caller identity
	ARNError           string // why there is none
	Warnings           []string
}

// Status describes a profile's sign-in, retrieving its credentials and
// asking STS for the caller identity. For saved accounts see AccountStatus.
func (m *Manager) Status(ctx context.Context, ref Ref, ov Overrides) (Status, error) {
	st := Status{Profile: config.ProfileName(ref.Profile), Method: MethodSDKChain}
	f, err := LoadAWSConfig()
	if err != nil {
		return Status{}, err
	}
	if f.HasSSOLogin(st.Profile) {
		s, err := f.SSOForProfile(st.Profile, false)
		if err != nil {
			return Status{}, err
		}
		t := sso.NewTarget(f, s)
		c := m.ssoClient()
		st.SSOSession, st.StartURL, st.SSORegion = s.Session, s.StartURL, s.Region
		st.AccountID, st.Role = s.AccountID, s.RoleName
		st.CacheFile = c.Cache.TokenPath(s.CacheKey())
		st.Method = MethodSSO
		if s.Legacy() {
			st.Method = MethodSSOLegacy
		}
		st.Warnings = Warnings(f, t)
		if tok, err := c.Cache.ReadToken(s.CacheKey()); err == nil {
			st.TokenExpires = tok.ExpiresAt
			r := !s.Legacy() && tok.Refreshable(time.Now())
			st.Refreshable = &r
		} else if errors.Is(err, sso.ErrNoToken) {
			st.TokenMissing = true
		}
	} else {
		st.Warnings = f.CommentCharWarnings(st.Profile)
	}
	s, err := m.Open(ctx, ref, ov)
	if err != nil {
		return Status{}, err
	}
	d, err := creds.Explain(ctx, s.Config)
	if err != nil {
		return Status{}, err
	}
	st.AccessKeyID, st.CredentialsSource, st.CredentialsExpires = d.AccessKeyID, d.Source, d.Expires
	out, err := sts.NewFromConfig(s.Config).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		st.ARNError = firstLine(err.Error())
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			// S3-compatible servers (MinIO) answer without STS's identity API.
			st.ARNError = fmt.Sprintf("STS GetCallerIdentity: %s (%s)", apiErr.ErrorMessage(), apiErr.ErrorCode())
		}
	} else {
		st.ARN = aws.ToString(out.Arn)
		if st.AccountID == "" {
			st.AccountID = aws.ToString(out.Account)
		}
	}
	return st, nil
}

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			s = s[:i]
			break
		}
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// OIDCStatus is what is known about an oidc account's cached sign-in.
type OIDCStatus = federation.Status

// TokenState is a cached token's state, read without contacting anyone.
type TokenState struct {
	SignedIn  bool      // a token (or credentials) is cached
	Expires   time.Time // zero when unknown
	Renewable bool      // it can be renewed without a sign-in
	// WrongRegion is the region the cached token is for, when it is not
	// the account's.
	WrongRegion string
}

// AccountStatus is a saved account's sign-in state: the data behind
// `s3sso account list`. Usable means commands can use it without a new
// sign-in.
type AccountStatus struct {
	Account *accounts.Account
	Usable  bool
	// Problem is set when the state cannot be known (bad settings, an
	// unreadable config file).
	Problem error

	Token *TokenState // sso, oidc, and profile accounts of an SSO profile

	// TypeProfile
	Profile        string
	ProfileMissing string // the config file the profile is missing from
	SSOProfile     bool

	// TypeKeys
	SecretStore   string
	SecretMissing bool

	// TypeOIDC: the cached sign-in, and why it could not be read.
	OIDC    *OIDCStatus
	OIDCErr error

	CacheFile string // sso accounts: the token file
}

// AccountStatus reads a saved account's sign-in state without contacting
// anyone.
func (m *Manager) AccountStatus(store *accounts.Store, acct *accounts.Account) AccountStatus {
	st := AccountStatus{Account: acct}
	switch acct.Type {
	case accounts.TypeOIDC:
		if acct.OIDC == nil {
			st.Problem = errors.New("no oidc settings")
			return st
		}
		p, err := m.oidcProvider(acct, LoginOptions{})
		if err != nil {
			st.Problem = err
			return st
		}
		fs, err := p.Status()
		st.Token, st.OIDC, st.OIDCErr = &TokenState{}, &fs, err
		if err != nil || !fs.SignedIn {
			return st
		}
		st.Token.SignedIn, st.Token.Renewable = true, true
		if !fs.CredentialsExpiry.IsZero() && fs.CredentialsExpiry.After(time.Now()) {
			st.Token.Expires, st.Token.Renewable = fs.CredentialsExpiry, fs.HasRefreshToken
		}
		st.Usable = true
	case accounts.TypeSSO:
		if acct.SSO == nil {
			st.Problem = errors.New("no sso settings")
			return st
		}
		c := m.ssoClient()
		st.CacheFile = c.Cache.TokenPath(acct.SSO.StartURL)
		tok, err := c.Cache.ReadToken(acct.SSO.StartURL)
		st.Token, st.Usable = ssoTokenState(tok, err, acct.SSO.Region)
	case accounts.TypeKeys:
		if acct.Keys == nil {
			st.Problem = errors.New("no access key")
			return st
		}
		st.SecretStore = acct.Keys.SecretStore
		if st.SecretStore == "" {
			st.SecretStore = accounts.SecretInFile
		}
		if _, err := store.Secrets().Get(acct.Name, st.SecretStore); err != nil {
			st.SecretMissing = true
			return st
		}
		st.Usable = true
	case accounts.TypeProfile:
		if acct.Profile == nil {
			st.Problem = errors.New("no profile")
			return st
		}
		st.Profile = acct.Profile.Name
		f, err := config.Load(config.DefaultPath())
		if err != nil {
			st.Problem = err
			return st
		}
		if f.Profile(st.Profile) == nil && st.Profile != "default" {
			st.ProfileMissing = f.Path
			return st
		}
		if !f.HasSSOLogin(st.Profile) {
			st.Usable = true
			return st
		}
		st.SSOProfile = true
		s, err := f.SSOForProfile(st.Profile, false)
		if err != nil {
			st.Problem = err
			return st
		}
		tok, err := sso.DefaultCache().ReadToken(s.CacheKey())
		st.Token, st.Usable = ssoTokenState(tok, err, "")
	default:
		st.Problem = fmt.Errorf("unknown type %q", acct.Type)
	}
	return st
}

// ssoTokenState describes a cached token and whether it is usable.
func ssoTokenState(tok *sso.Token, err error, region string) (*TokenState, bool) {
	if err != nil {
		return &TokenState{}, false
	}
	now := time.Now()
	if region != "" && tok.Region != "" && tok.Region != region {
		return &TokenState{WrongRegion: tok.Region}, false
	}
	st := &TokenState{SignedIn: true, Expires: tok.ExpiresAt, Renewable: tok.Refreshable(now)}
	return st, tok.ExpiresAt.After(now) || st.Renewable
}

// Resolution is what the AWS CLI would resolve for a profile, without any
// network call (`s3sso debug resolve`).
type Resolution = config.Resolution

// Resolve describes the profile, region, credential source and endpoints
// that ref (a profile) and ov resolve to, the AWS CLI's way.
func Resolve(ref Ref, ov Overrides) (*Resolution, error) {
	return creds.Resolve(creds.Options{Profile: ref.Profile, Region: ov.Region})
}
