package session

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/creds"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/sso"
)

// Ref names an identity: at most one field is set; the zero Ref is the
// profile in effect ($AWS_PROFILE or default, or the environment's keys).
type Ref struct {
	Profile    string // an AWS config profile
	SSOSession string // an [sso-session] section (Login and Logout only)
	Account    string // a saved s3sso account
}

// LoginRef is r as errors name it.
func (r Ref) LoginRef() fault.LoginRef {
	switch {
	case r.Account != "":
		return fault.LoginRef{Account: r.Account}
	case r.SSOSession != "":
		return fault.LoginRef{SSOSession: r.SSOSession}
	}
	return fault.LoginRef{Profile: config.ProfileName(r.Profile)}
}

func (r Ref) String() string { return r.LoginRef().String() }

// RefOf is the Ref of a fault.LoginRef.
func RefOf(l fault.LoginRef) Ref {
	return Ref{Profile: l.Profile, SSOSession: l.SSOSession, Account: l.Account}
}

// Overrides change a session's connection settings; empty fields keep the
// profile's or account's.
type Overrides struct {
	Region      string
	EndpointURL string
	PathStyle   bool
}

// AccountSettings are what a saved account contributes besides its
// credentials: connection and advanced settings.
type AccountSettings struct {
	Name            string
	EndpointURL     string
	Region          string
	PathStyle       bool
	DualStack       bool
	ListAllBuckets  bool
	CheckCloudFront bool
	ExternalBuckets []string
	// HeaderRules give uploads default headers by key pattern
	// (transfer.PutOptions.HeaderRules).
	HeaderRules []objstore.HeaderRule
}

// Options configure a Manager.
type Options struct {
	Logger *slog.Logger
	Debug  bool // log SDK requests and retries
	// Prompter answers for the person; nil means NonInteractive.
	Prompter Prompter
}

// Manager resolves references into sessions and signs in and out. It is
// safe for concurrent use; sessions are cached by reference and overrides
// (failures are not cached), and forgotten by Logout and account changes.
type Manager struct {
	logger   *slog.Logger
	debug    bool
	prompter Prompter
	ca       *creds.CABundle
	ssoHTTP  aws.HTTPClient

	mu       sync.Mutex
	sessions map[sessionKey]*entry
	// renewMu serialises new sign-ins asked for by running jobs.
	renewMu sync.Mutex
}

type sessionKey struct {
	ref Ref
	ov  Overrides
}

type entry struct {
	once sync.Once
	s    *Session
	err  error
}

// New returns a Manager.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Prompter == nil {
		o.Prompter = NonInteractive{}
	}
	ca := creds.EnvCABundle()
	return &Manager{logger: o.Logger, debug: o.Debug, prompter: o.Prompter, ca: ca,
		ssoHTTP: creds.NewHTTPClient(0, ca), sessions: map[sessionKey]*entry{}}
}

// Prompter returns the Manager's prompter.
func (m *Manager) Prompter() Prompter { return m.prompter }

// ssoClient returns an IAM Identity Center client sharing the Manager's
// HTTP client (and its CA bundle).
func (m *Manager) ssoClient() *sso.Client {
	c := sso.New(m.logger)
	c.AWSHTTPClient = m.ssoHTTP
	return c
}

// Session is one resolved identity: its AWS configuration (credentials
// included), the S3 store and, for saved accounts, their settings.
type Session struct {
	Ref    Ref
	Config aws.Config
	// Account is set for saved accounts.
	Account *AccountSettings

	m     *Manager
	ov    Overrides
	creds *aws.CredentialsCache // nil when the SDK chain supplies credentials
	// renewable: a new sign-in can replace refused credentials.
	renewable bool
	// refused is the SSO role provider's hook for credentials the server
	// refused (see sso.RoleProvider.CredentialsRefused); nil otherwise.
	refused func(accessKeyID string) bool

	storeOnce sync.Once
	store     *objstore.S3
	storeErr  error
}

// Open resolves ref with ov into a session, or returns the cached one. A
// needed sign-in is done first, through the Manager's prompter, when the
// prompter can (CanSignIn); ctx bounds that and the background refresh of
// the session's credentials, so pass a context that lives as long as the
// session is used.
func (m *Manager) Open(ctx context.Context, ref Ref, ov Overrides) (*Session, error) {
	k := sessionKey{ref, ov}
	m.mu.Lock()
	e := m.sessions[k]
	if e == nil {
		e = &entry{}
		m.sessions[k] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.s, e.err = m.open(ctx, ref, ov) })
	if e.err != nil {
		// Not cached: the next Open tries again (after a sign-in, say).
		m.mu.Lock()
		if m.sessions[k] == e {
			delete(m.sessions, k)
		}
		m.mu.Unlock()
	}
	return e.s, e.err
}

func (m *Manager) open(ctx context.Context, ref Ref, ov Overrides) (*Session, error) {
	// The SDK's loader reads the shared files in every case: check them
	// first (LoadAWSConfig).
	if _, err := LoadAWSConfig(); err != nil {
		return nil, err
	}
	s := &Session{Ref: ref, m: m, ov: ov}
	opts := creds.Options{Profile: ref.Profile, Region: ov.Region, Logger: m.logger, Debug: m.debug, CABundle: m.ca}
	switch {
	case ref.Account != "":
		r, err := m.accountCredentials(ctx, ref.Account, ov)
		if err != nil {
			return nil, err
		}
		s.Account = &r.settings
		opts.Credentials, opts.Profile = r.credentials, r.profile
		s.creds, s.renewable, s.refused = r.cache, r.renewable, r.refused
		if opts.Region == "" {
			opts.Region = r.settings.Region
		}
	case ref.SSOSession != "":
		return nil, fault.Newf(fault.Usage, "sso-session %s has no account and role: use a profile that names it", ref.SSOSession)
	default:
		cp, refused, err := m.profileCredentials(ctx, ref.Profile)
		if err != nil {
			return nil, err
		}
		if cp != nil {
			opts.Credentials, s.creds, s.renewable, s.refused = cp, cp, true, refused
		}
	}
	cfg, err := creds.Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	s.Config = cfg
	return s, nil
}

// Store returns the session's S3 store (built once). Requests whose
// credentials are refused mid-way (expired) wait for Renew and are sent
// again; see Renew.
func (s *Session) Store() (*objstore.S3, error) {
	s.storeOnce.Do(func() {
		so := objstore.S3Options{EndpointURL: s.ov.EndpointURL, PathStyle: s.ov.PathStyle, Logger: s.m.logger,
			CredentialsRefused: s.refused}
		if a := s.Account; a != nil {
			if so.EndpointURL == "" {
				so.EndpointURL = a.EndpointURL
			}
			so.PathStyle = so.PathStyle || a.PathStyle
			so.DualStack = a.DualStack && s.ov.EndpointURL == ""
		}
		if s.renewable {
			so.Renew = s.Renew
		}
		s.store, s.storeErr = objstore.NewS3(s.Config, so)
	})
	return s.store, s.storeErr
}

// Renew replaces credentials that the server refused (cause): first
// silently (new role credentials, a refreshed token), else, when a person
// is at the Manager's prompter (Interactive), by a new sign-in. A batch job (ctx marked by
// objstore.InBatch) is told it is paused and goes on afterwards; a single
// command asks to confirm first. It returns cause when nothing could be
// renewed. Concurrent calls share one sign-in.
func (s *Session) Renew(ctx context.Context, cause error) error {
	m := s.m
	m.renewMu.Lock()
	defer m.renewMu.Unlock()
	if s.creds == nil {
		return cause
	}
	s.creds.Invalidate()
	if _, err := s.creds.Retrieve(ctx); err == nil {
		m.logger.Debug("credentials renewed without a sign-in", "ref", s.Ref.String())
		return nil
	} else if _, ok := fault.LoginRequired(err); !ok {
		return err
	} else {
		cause = err
	}
	// Only with a person there to see it (never in CI or scripts, where
	// the job stops with the sign-in error and --resume continues it).
	p := m.prompter
	if !p.Interactive() || !p.CanSignIn() {
		if w, ok := p.(SignInWaiter); ok && w.SignInWait() > 0 {
			return s.waitSignIn(ctx, w.SignInWait(), cause)
		}
		return cause
	}
	job := objstore.IsBatch(ctx)
	if job {
		p.Notify(ctx, Notice{Kind: NoticeSignInExpired, Ref: s.Ref, Cause: cause})
	} else if ok, err := p.Confirm(ctx, s.Ref, cause); err != nil || !ok {
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return cause
	}
	// Fresh: the cached token may look valid and still be refused (the
	// session ended); reusing it would not renew anything.
	if _, err := m.Login(ctx, s.Ref, LoginOptions{Fresh: true}); err != nil {
		return err
	}
	s.creds.Invalidate()
	if _, err := s.creds.Retrieve(ctx); err != nil {
		return err
	}
	if job {
		p.Notify(ctx, Notice{Kind: NoticeJobResumed, Ref: s.Ref})
	}
	return nil
}

// signInPoll is how often waitSignIn tries the credentials again.
var signInPoll = 2 * time.Second

// waitSignIn waits up to d for a sign-in made elsewhere: it tries the
// credentials again every signInPoll (the provider reads the token and
// credential caches that `s3sso login` rewrites) and returns nil once they
// work, cause when d passes, ctx's error when ctx ends.
func (s *Session) waitSignIn(ctx context.Context, d time.Duration, cause error) error {
	p := s.m.prompter
	p.Notify(ctx, Notice{Kind: NoticeSignInWaiting, Ref: s.Ref, Cause: cause})
	s.m.logger.Info("waiting for a sign-in made elsewhere", "ref", s.Ref.String(), "for", d.String())
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(signInPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case <-deadline.C:
			return cause
		case <-tick.C:
		}
		s.creds.Invalidate()
		if _, err := s.creds.Retrieve(ctx); err == nil {
			p.Notify(ctx, Notice{Kind: NoticeJobResumed, Ref: s.Ref})
			return nil
		} else if _, ok := fault.LoginRequired(err); !ok && ctx.Err() == nil {
			s.m.logger.Debug("credentials still refused while waiting for a sign-in", "ref", s.Ref.String(), "error", err)
		}
	}
}

// describe is for debugging.
func (s *Session) String() string { return fmt.Sprintf("session %s", s.Ref) }

// StopCredentialHelpers ends credential_process helpers still running (an
// interrupted command may leave one: the SDK's credentials cache returns
// without waiting for it). Front ends call it before they exit.
func StopCredentialHelpers() { creds.StopHelpers() }
