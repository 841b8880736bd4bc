package federation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/fault"
)

const (
	// DefaultRefreshWindow is how long before the credentials expire the
	// provider starts renewing them in the background.
	DefaultRefreshWindow = 5 * time.Minute
	// minValid is the least remaining lifetime of credentials or an ID
	// token that is still used as is.
	minValid = time.Minute
	// backgroundTimeout bounds one background renewal.
	backgroundTimeout = 2 * time.Minute
)

// ErrLoginRequired means there are no usable cached credentials or tokens
// and the provider may not sign in interactively.
var ErrLoginRequired = errors.New("sign-in required")

// Provider is an aws.CredentialsProvider for one saved OpenID account.
//
// Retrieve serves the cached STS credentials while they are valid. In the
// last RefreshWindow before they expire it renews them in the background
// (new ID token via the refresh token, then STS) and meanwhile keeps
// returning the current ones with a short expiry, so that aws.CredentialsCache
// asks again soon. When they have expired it renews synchronously: with a
// still-valid cached ID token, else the refresh token, else (when
// Interactive) a browser sign-in, else an error wrapping ErrLoginRequired.
type Provider struct {
	Client  *Client
	Cache   *Cache
	Account string
	// Interactive allows opening the browser when no usable refresh token
	// exists.
	Interactive  bool
	LoginOptions LoginOptions
	// RefreshWindow defaults to DefaultRefreshWindow.
	RefreshWindow time.Duration

	mu      sync.Mutex
	cur     *Entry
	renewal chan struct{} // non-nil while a background renewal runs
	bgErr   error
}

var _ aws.CredentialsProvider = (*Provider)(nil)

func (p *Provider) window() time.Duration {
	if p.RefreshWindow > 0 {
		return p.RefreshWindow
	}
	return DefaultRefreshWindow
}

func (p *Provider) now() time.Time { return p.Client.now() }

// usable reports whether e belongs to the configured issuer and client.
func (p *Provider) usable(e *Entry) bool {
	return e != nil && e.Issuer == p.Client.Config.Issuer && e.ClientID == p.Client.Config.ClientID
}

func (p *Provider) credsValid(e *Entry, min time.Duration) bool {
	return p.usable(e) && e.Credentials != nil && e.RoleARN == p.Client.Config.RoleARN &&
		e.Credentials.Expiration.Sub(p.now()) > min
}

// Retrieve implements aws.CredentialsProvider.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	if p.cur == nil {
		e, err := p.Cache.Load(p.Account)
		if err != nil {
			p.Client.log().Warn("ignoring the token cache", "account", p.Account, "error", err)
		}
		p.cur = e
	}
	e := p.cur
	if p.credsValid(e, p.window()) {
		p.mu.Unlock()
		return p.awsCreds(e.Credentials, e.Credentials.Expiration.Add(-p.window())), nil
	}
	if p.credsValid(e, minValid) {
		// In the refresh window: renew in the background, serve the current
		// credentials for a little longer.
		if p.renewal == nil {
			done := make(chan struct{})
			p.renewal = done
			go p.renewInBackground(done)
		}
		p.mu.Unlock()
		exp := p.now().Add(15 * time.Second)
		if lim := e.Credentials.Expiration.Add(-minValid); exp.After(lim) {
			exp = lim
		}
		return p.awsCreds(e.Credentials, exp), nil
	}
	p.mu.Unlock()
	e, err := p.renew(ctx, p.Interactive)
	if err != nil {
		return aws.Credentials{}, fault.SetLoginRef(err, fault.LoginRef{}, p.ref())
	}
	return p.awsCreds(e.Credentials, e.Credentials.Expiration.Add(-p.window())), nil
}

func (p *Provider) renewInBackground(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), backgroundTimeout)
	defer cancel()
	_, err := p.renew(ctx, false)
	p.mu.Lock()
	p.renewal = nil
	p.bgErr = err
	p.mu.Unlock()
	if err != nil {
		p.Client.log().Debug("background renewal of the credentials failed", "account", p.Account, "error", err)
	}
	close(done)
}

// WaitRenewal waits for a running background renewal and returns its error.
func (p *Provider) WaitRenewal(ctx context.Context) error {
	p.mu.Lock()
	ch := p.renewal
	p.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bgErr
}

func (p *Provider) awsCreds(c *Credentials, expires time.Time) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Source:          "s3sso account " + p.Account + " (OpenID Connect web identity)",
		CanExpire:       true,
		Expires:         expires,
	}
}

// renew obtains fresh credentials under the account's lock and caches them.
func (p *Provider) renew(ctx context.Context, interactive bool) (*Entry, error) {
	unlock, err := p.Cache.lock(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another process may have renewed while we waited for the lock.
	e, err := p.Cache.Load(p.Account)
	if err != nil {
		p.Client.log().Warn("ignoring the token cache", "account", p.Account, "error", err)
	}
	if !p.usable(e) {
		e = &Entry{Issuer: p.Client.Config.Issuer, ClientID: p.Client.Config.ClientID}
	}
	if p.credsValid(e, p.window()) {
		p.set(e)
		return e, nil
	}
	// 1. A cached ID token that is still valid.
	if e.IDToken != "" && e.IDTokenExpiry.Sub(p.now()) > minValid {
		err := p.assume(ctx, e)
		if err == nil {
			return e, p.save(e)
		}
		var se *STSError
		if !errors.As(err, &se) || !se.Expired() && !se.InvalidToken() {
			return nil, err
		}
		p.Client.log().Debug("the cached ID token was rejected; refreshing", "account", p.Account)
	}
	// 2. The refresh token.
	if e.RefreshToken != "" {
		tok, err := p.Client.Refresh(ctx, e.RefreshToken)
		switch {
		case err == nil:
			p.apply(e, tok)
			if err := p.assume(ctx, e); err != nil {
				_ = p.save(e) // keep the rotated refresh token
				return nil, err
			}
			return e, p.save(e)
		case errors.Is(err, ErrGrantRejected), errors.Is(err, ErrNoIDToken):
			p.Client.log().Debug("the refresh token is no longer usable", "account", p.Account)
			e.RefreshToken = ""
			_ = p.save(e)
		default:
			return nil, err
		}
	}
	// 3. An interactive sign-in.
	if !interactive {
		return nil, &fault.Error{Kind: fault.Auth, Msg: fmt.Sprintf("account %q", p.Account),
			Err: &fault.LoginRequiredError{Ref: p.ref(), Err: ErrLoginRequired}}
	}
	return p.loginLocked(ctx, e)
}

// Login signs in interactively, assumes the role and caches the result,
// whatever the cache holds.
func (p *Provider) Login(ctx context.Context) (*Entry, error) {
	unlock, err := p.Cache.lock(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	defer unlock()
	e, err := p.loginLocked(ctx, &Entry{Issuer: p.Client.Config.Issuer, ClientID: p.Client.Config.ClientID})
	return e, fault.SetLoginRef(err, fault.LoginRef{}, p.ref())
}

// ref is what a new sign-in is asked for: the provider's account.
func (p *Provider) ref() fault.LoginRef { return fault.LoginRef{Account: p.Account} }

func (p *Provider) loginLocked(ctx context.Context, e *Entry) (*Entry, error) {
	tok, err := p.Client.Login(ctx, p.LoginOptions)
	if err != nil {
		return nil, err
	}
	p.apply(e, tok)
	if !p.Client.requestedOffline() {
		e.RefreshToken = ""
	}
	if err := p.assume(ctx, e); err != nil {
		_ = p.save(e)
		return nil, err
	}
	return e, p.save(e)
}

func (p *Provider) apply(e *Entry, tok *Token) {
	e.IDToken = tok.IDToken
	e.IDTokenExpiry = tok.Expiry
	e.Subject = tok.Claims.Subject
	e.Email = tok.Claims.Email
	if tok.RefreshToken != "" {
		e.RefreshToken = tok.RefreshToken
	}
	e.Credentials = nil
}

func (p *Provider) assume(ctx context.Context, e *Entry) error {
	claims, err := ParseClaims(e.IDToken)
	if err != nil {
		return err
	}
	creds, err := p.Client.AssumeRole(ctx, e.IDToken, claims)
	if err != nil {
		return err
	}
	e.Credentials = creds
	e.RoleARN = p.Client.Config.RoleARN
	return nil
}

func (p *Provider) save(e *Entry) error {
	e.Updated = p.now().UTC()
	p.set(e)
	return p.Cache.Save(p.Account, e)
}

func (p *Provider) set(e *Entry) {
	p.mu.Lock()
	p.cur = e
	p.mu.Unlock()
}

// Logout revokes the refresh token when the provider offers revocation and
// forgets the account's cached tokens and credentials. revoked reports
// whether a revocation happened; a failed revocation is returned in
// revokeErr and does not stop the cache from being removed.
func (p *Provider) Logout(ctx context.Context) (revoked bool, revokeErr error, err error) {
	e, _ := p.Cache.Load(p.Account)
	if e != nil && e.RefreshToken != "" && p.usable(e) {
		revokeErr = p.Client.Revoke(ctx, e.RefreshToken)
		switch {
		case revokeErr == nil:
			revoked = true
		case errors.Is(revokeErr, ErrNoRevocation):
			revokeErr = nil
		}
	}
	p.set(nil)
	return revoked, revokeErr, p.Cache.Delete(p.Account)
}

// Status is what whoami shows about an account. It holds no secrets.
type Status struct {
	Issuer            string    `json:"issuer"`
	ClientID          string    `json:"client_id"`
	Subject           string    `json:"subject,omitempty"`
	Email             string    `json:"email,omitempty"`
	SignedIn          bool      `json:"signed_in"`
	IDTokenExpiry     time.Time `json:"id_token_expiry,omitzero"`
	HasRefreshToken   bool      `json:"has_refresh_token"`
	CredentialsExpiry time.Time `json:"credentials_expiry,omitzero"`
	AccessKeyID       string    `json:"access_key_id,omitempty"` // redacted
	RoleARN           string    `json:"role_arn,omitempty"`
	AssumedRoleARN    string    `json:"assumed_role_arn,omitempty"`
	STSEndpoint       string    `json:"sts_endpoint"`
}

// Status describes the cached sign-in without contacting anyone.
func (p *Provider) Status() (Status, error) {
	cfg := p.Client.Config
	s := Status{Issuer: cfg.Issuer, ClientID: cfg.ClientID, RoleARN: cfg.RoleARN, STSEndpoint: p.Client.stsEndpoint()}
	e, err := p.Cache.Load(p.Account)
	if err != nil || !p.usable(e) {
		return s, err
	}
	s.Subject, s.Email = e.Subject, e.Email
	s.IDTokenExpiry = e.IDTokenExpiry
	s.HasRefreshToken = e.RefreshToken != ""
	if e.Credentials != nil {
		s.CredentialsExpiry = e.Credentials.Expiration
		s.AssumedRoleARN = e.Credentials.AssumedRoleARN
		if k := e.Credentials.AccessKeyID; len(k) > 4 {
			s.AccessKeyID = "****" + k[len(k)-4:]
		}
	}
	now := p.now()
	s.SignedIn = (e.Credentials != nil && e.Credentials.Expiration.After(now)) || s.HasRefreshToken || e.IDTokenExpiry.After(now)
	return s, nil
}
