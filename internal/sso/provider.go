package sso

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/s3sso/s3sso/internal/appdir"
	"github.com/s3sso/s3sso/internal/fault"
)

// Refresh windows, as botocore's SSOTokenProvider: refresh when less than
// 15 minutes remain (without waiting for another process that is already
// refreshing), wait for the refresh when less than 10 minutes remain, and
// try at most once a minute.
const (
	AdvisoryRefresh  = 15 * time.Minute
	MandatoryRefresh = 10 * time.Minute
	RefreshSpacing   = time.Minute
	lockWait         = 30 * time.Second
)

// TokenProvider returns a valid access token for a target, reading the
// shared cache and refreshing the token there (with a lock file, so that of
// several processes only one refreshes). It is safe for concurrent use.
type TokenProvider struct {
	c *Client
	t Target

	mu          sync.Mutex
	cur         *Token
	lastAttempt time.Time
	refreshes   int
}

// TokenProvider returns a provider for t.
func (c *Client) TokenProvider(t Target) *TokenProvider { return &TokenProvider{c: c, t: t} }

// Target returns the provider's target.
func (p *TokenProvider) Target() Target { return p.t }

// Token returns the current token, refreshing it per botocore's rules. A
// missing, expired or unrefreshable token is a LoginRequiredError (fault
// kind Auth, hinting the login command).
func (p *TokenProvider) Token(ctx context.Context) (*Token, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.c.now()
	if p.cur != nil && p.cur.ExpiresAt.Sub(now) > AdvisoryRefresh {
		return p.cur, nil
	}
	tok, err := p.c.Cache.ReadToken(p.t.CacheKey())
	if errors.Is(err, ErrNoToken) {
		p.cur = nil
		if err == ErrNoToken { //nolint:errorlint // the bare sentinel means: no file
			return nil, loginRequired(p.t, "not signed in", nil)
		}
		return nil, loginRequired(p.t, "the token cache file is unusable", err)
	}
	if err != nil {
		return nil, fault.Wrap(fault.Local, err, "")
	}
	p.cur = tok
	remaining := tok.ExpiresAt.Sub(now)
	if remaining > AdvisoryRefresh {
		return tok, nil
	}
	if p.t.Legacy() || !tok.Refreshable(now) || now.Sub(p.lastAttempt) < RefreshSpacing {
		return p.valid(tok, now, "the cached token has expired")
	}
	mandatory := remaining < MandatoryRefresh
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	lockPath, err := p.lockPath()
	unlock, ok := func() {}, true
	if err == nil {
		unlock, ok, err = lockFile(lctx, lockPath, mandatory)
	}
	if err != nil {
		p.c.Logger.Warn("cannot lock the SSO token cache; refreshing without the lock", "err", err)
		unlock, ok = func() {}, true
	}
	if !ok {
		// Another process is refreshing; the token is still good for
		// more than 10 minutes.
		return tok, nil
	}
	defer unlock()
	// Another process may have refreshed while we waited for the lock.
	if fresh, err := p.c.Cache.ReadToken(p.t.CacheKey()); err == nil {
		tok = fresh
		p.cur = fresh
		if fresh.ExpiresAt.Sub(now) > AdvisoryRefresh {
			return fresh, nil
		}
	}
	p.lastAttempt = now
	newTok, err := p.refresh(ctx, tok)
	if err != nil {
		p.c.Logger.Warn("SSO token refresh failed", "session", p.t.Session, "err", err)
		if tok.ExpiresAt.After(now) {
			return tok, nil
		}
		return nil, p.refreshFailed(err)
	}
	p.cur = newTok
	return newTok, nil
}

func (p *TokenProvider) valid(tok *Token, now time.Time, reason string) (*Token, error) {
	if tok.ExpiresAt.After(now) {
		return tok, nil
	}
	return nil, loginRequired(p.t, reason, nil)
}

func (p *TokenProvider) refreshFailed(err error) error {
	e := loginRequired(p.t, "the token has expired and refresh failed", err)
	if RegionMismatch(p.t.StartURL, p.t.Region) == "" && apiCode(err) == "InvalidGrantException" {
		var fe *fault.Error
		if errors.As(e, &fe) {
			fe.Hint = "the IAM Identity Center session may have ended; if this repeats right after a login, check that sso_region " + p.t.Region + " is your instance's region"
		}
	}
	return e
}

// lockPath is the lock file of the token's refresh. It is kept in s3sso's
// own state directory, not in ~/.aws/sso/cache (the AWS CLI's directory),
// named by the token file's full path so that processes sharing a cache
// share the lock.
func (p *TokenProvider) lockPath() (string, error) {
	return appdir.State("sso-locks", sha1Hex(p.c.Cache.TokenPath(p.t.CacheKey()))+".lock")
}

// refresh calls CreateToken with the refresh_token grant and writes the
// result back to the cache.
func (p *TokenProvider) refresh(ctx context.Context, tok *Token) (*Token, error) {
	a, err := p.c.api(ctx, p.t)
	if err != nil {
		return nil, err
	}
	out, err := a.oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId: aws.String(tok.ClientID), ClientSecret: aws.String(tok.ClientSecret),
		GrantType: aws.String(grantRefreshToken), RefreshToken: aws.String(tok.RefreshToken),
	})
	if err != nil {
		return nil, fmt.Errorf("refresh the SSO token: %w", err)
	}
	p.refreshes++
	n := &Token{
		StartURL: p.t.StartURL, Region: p.t.Region,
		AccessToken: aws.ToString(out.AccessToken),
		ExpiresAt:   p.c.now().Add(time.Duration(out.ExpiresIn) * time.Second).Truncate(time.Second),
		ClientID:    tok.ClientID, ClientSecret: tok.ClientSecret, RegistrationExpiresAt: tok.RegistrationExpiresAt,
		RefreshToken: aws.ToString(out.RefreshToken),
		unknown:      tok.unknown,
		raw:          tok.raw,
	}
	if err := p.c.Cache.WriteToken(p.t.CacheKey(), n); err != nil {
		return nil, err
	}
	p.c.Logger.Debug("SSO token refreshed", "session", p.t.Session, "expires", n.ExpiresAt)
	return n, nil
}

// Invalidate forgets the in-memory token (after the service rejected it).
func (p *TokenProvider) Invalidate() {
	p.mu.Lock()
	p.cur = nil
	p.mu.Unlock()
}

// RoleProvider is an aws.CredentialsProvider that exchanges the SSO token
// for role credentials with GetRoleCredentials. Wrap it in
// aws.CredentialsCache (NewCredentials does).
type RoleProvider struct {
	Tokens    *TokenProvider
	AccountID string
	RoleName  string
	// OfferLogin, when set, is called once when a sign-in is required (e.g.
	// to offer it on a terminal); when it returns nil the token is read
	// again.
	OfferLogin func(ctx context.Context, t Target, cause error) error
	// Cache, when set, is the AWS CLI's role-credential cache: credentials
	// found there with more than RoleCacheWindow left are used without a
	// GetRoleCredentials call (and without reading the token), and new ones
	// are written there. Nil keeps role credentials in memory only.
	Cache *RoleCache

	offerMu sync.Mutex
	offered bool

	cacheMu    sync.Mutex
	fromCache  string          // access key ID last served from Cache
	refused    map[string]bool // access key IDs refused by a service
	invalidate func()          // forgets the in-memory copy (CredentialsCache.Invalidate)
}

var _ aws.CredentialsProvider = (*RoleProvider)(nil)

// CredentialsSource is the Source of credentials from RoleProvider.
const CredentialsSource = "s3sso:SSO"

// Retrieve implements aws.CredentialsProvider.
func (r *RoleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if cr, ok := r.cached(); ok {
		return cr, nil
	}
	tok, err := r.Tokens.Token(ctx)
	if err != nil && errors.Is(err, ErrLoginRequired) && r.offer() {
		if lerr := r.OfferLogin(ctx, r.Tokens.t, err); lerr != nil {
			return aws.Credentials{}, lerr
		}
		r.Tokens.Invalidate()
		tok, err = r.Tokens.Token(ctx)
	}
	if err != nil {
		return aws.Credentials{}, err
	}
	t := r.Tokens.t.atRegionOf(tok)
	a, err := r.Tokens.c.api(ctx, t)
	if err != nil {
		return aws.Credentials{}, err
	}
	out, err := a.portal.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(tok.AccessToken), AccountId: aws.String(r.AccountID), RoleName: aws.String(r.RoleName),
	})
	if err != nil {
		switch apiCode(err) {
		case "UnauthorizedException":
			r.Tokens.Invalidate()
			r.dropCached()
			return aws.Credentials{}, loginRequired(t, "the IAM Identity Center portal rejected the cached token", nil)
		case "ForbiddenException", "ResourceNotFoundException":
			r.dropCached()
			return aws.Credentials{}, &fault.Error{Kind: fault.AccessDenied,
				Msg: fmt.Sprintf("get credentials for role %s in account %s", r.RoleName, r.AccountID), Err: err,
				Hint: "check sso_account_id and sso_role_name; `s3sso configure sso` lists the roles you can use"}
		}
		return aws.Credentials{}, fmt.Errorf("get role credentials for %s/%s: %w", r.AccountID, r.RoleName, err)
	}
	rc := out.RoleCredentials
	if rc == nil {
		return aws.Credentials{}, fmt.Errorf("get role credentials for %s/%s: empty response", r.AccountID, r.RoleName)
	}
	cr := aws.Credentials{
		AccessKeyID: aws.ToString(rc.AccessKeyId), SecretAccessKey: aws.ToString(rc.SecretAccessKey),
		SessionToken: aws.ToString(rc.SessionToken), Source: CredentialsSource,
		CanExpire: true, Expires: time.UnixMilli(rc.Expiration), AccountID: r.AccountID,
	}
	r.store(cr)
	return cr, nil
}

// offer reports whether OfferLogin should be called (once per provider).
func (r *RoleProvider) offer() bool {
	r.offerMu.Lock()
	defer r.offerMu.Unlock()
	if r.OfferLogin == nil || r.offered {
		return false
	}
	r.offered = true
	return true
}

// CredentialsExpiryWindow: cached role credentials are replaced this long
// before they expire.
const CredentialsExpiryWindow = 5 * time.Minute

// NewCredentials returns role credentials for t (which must name an account
// and a role), shared with the AWS CLI through c.RoleCache (when its Dir is
// set) and cached in memory until CredentialsExpiryWindow before they
// expire.
func (c *Client) NewCredentials(t Target, opts ...func(*RoleProvider)) (*aws.CredentialsCache, *TokenProvider) {
	tp := c.TokenProvider(t)
	rp := &RoleProvider{Tokens: tp, AccountID: t.AccountID, RoleName: t.RoleName}
	if c.RoleCache.Dir != "" {
		rc := c.RoleCache
		rp.Cache = &rc
	}
	for _, o := range opts {
		o(rp)
	}
	cache := aws.NewCredentialsCache(rp, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = testDuration(envTestExpiryWindow, CredentialsExpiryWindow)
	})
	rp.invalidate = cache.Invalidate
	return cache, tp
}

// Test hooks, for end-to-end tests whose credentials live seconds instead of
// hours (internal/cli/sso_expiry_e2e_test.go); never set them in normal
// use. Each is a Go duration (e.g. "4s"); unset, unparsable or non-positive
// values keep the production default.
//
//	S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW  replaces CredentialsExpiryWindow
//	S3SSO_TEST_REFRESH_INTERVAL           replaces KeepFresh's interval;
//	                                      "off" disables the background refresh
const (
	envTestExpiryWindow    = "S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW"
	envTestRefreshInterval = "S3SSO_TEST_REFRESH_INTERVAL"
)

func testDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// KeepFresh refreshes the token and the cached credentials in the
// background until ctx ends, checking every interval, so that long-running
// commands never meet expired credentials mid-transfer. Errors are logged;
// the next foreground use reports them. done is closed when the
// background work has ended (after ctx ends).
func KeepFresh(ctx context.Context, creds *aws.CredentialsCache, tp *TokenProvider, interval time.Duration) (done <-chan struct{}) {
	ended := make(chan struct{})
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if os.Getenv(envTestRefreshInterval) == "off" {
		close(ended)
		return ended
	}
	interval = testDuration(envTestRefreshInterval, interval)
	go func() {
		defer close(ended)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := tp.Token(ctx); err != nil && ctx.Err() == nil {
				tp.c.Logger.Debug("background SSO token refresh", "err", err)
				continue
			}
			if creds != nil {
				if _, err := creds.Retrieve(ctx); err != nil && ctx.Err() == nil {
					tp.c.Logger.Debug("background credential refresh", "err", err)
				}
			}
		}
	}()
	return ended
}
