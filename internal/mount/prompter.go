package mount

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// Prompter is the mount's session.Prompter. No person answers questions
// (Interactive and CanSignIn are false), but when credentials need a new
// sign-in the core waits up to the login wait for one made elsewhere
// (session.SignInWaiter): file operations pause instead of failing, the log
// and `s3sso mount status` say which `s3sso login` to run, and once it is
// done they go on.
type Prompter struct {
	wait   time.Duration
	logger *slog.Logger

	mu      sync.Mutex
	waiting *SignInState
}

// SignInState is a sign-in the mount waits for.
type SignInState struct {
	Ref     string    `json:"ref"`     // "account work"
	Command string    `json:"command"` // the command to run
	Since   time.Time `json:"since"`
	Cause   string    `json:"cause,omitempty"`
}

var (
	_ session.Prompter     = (*Prompter)(nil)
	_ session.SignInWaiter = (*Prompter)(nil)
)

// NewPrompter returns a Prompter that waits up to wait (0: not at all) for
// a sign-in made elsewhere.
func NewPrompter(wait time.Duration, logger *slog.Logger) *Prompter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Prompter{wait: wait, logger: logger}
}

// SignInWait implements session.SignInWaiter.
func (p *Prompter) SignInWait() time.Duration { return p.wait }

// Waiting returns the sign-in the mount waits for, or nil.
func (p *Prompter) Waiting() *SignInState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiting == nil {
		return nil
	}
	w := *p.waiting
	return &w
}

// LoginCommand is the command that signs in to ref again.
func LoginCommand(ref session.Ref) string {
	switch {
	case ref.Account != "":
		return "s3sso login --account " + ref.Account
	case ref.SSOSession != "":
		return "s3sso login --sso-session " + ref.SSOSession
	case ref.Profile != "":
		return "s3sso login --profile " + ref.Profile
	}
	return "s3sso login"
}

func (p *Prompter) SignIn(context.Context, session.SignIn) error {
	return fault.New(fault.Auth, "sign-in required", "")
}
func (p *Prompter) Warn(msg string)   { p.logger.Warn(msg) }
func (p *Prompter) Info(msg string)   { p.logger.Info(msg) }
func (p *Prompter) Interactive() bool { return false }
func (p *Prompter) CanSignIn() bool   { return false }
func (p *Prompter) Choose(context.Context, session.Choice) (int, error) {
	return -1, session.ErrNoPerson
}
func (p *Prompter) Ask(context.Context, session.Question) (string, error) {
	return "", session.ErrNoPerson
}
func (p *Prompter) Confirm(context.Context, session.Ref, error) (bool, error) { return false, nil }

// Notify records and logs the sign-in the mount waits for.
func (p *Prompter) Notify(_ context.Context, n session.Notice) {
	ref := n.Ref
	if lr, ok := fault.LoginRequired(n.Cause); ok && !lr.Ref.IsZero() {
		ref = session.RefOf(lr.Ref)
	}
	switch n.Kind {
	case session.NoticeSignInWaiting:
		st := &SignInState{Ref: ref.String(), Command: LoginCommand(ref), Since: time.Now()}
		if n.Cause != nil {
			st.Cause = n.Cause.Error()
		}
		p.mu.Lock()
		p.waiting = st
		p.mu.Unlock()
		p.logger.Warn("the sign-in expired: file operations wait for a new one; run `"+st.Command+"`",
			"ref", st.Ref, "wait", p.wait.String())
	case session.NoticeJobResumed:
		p.mu.Lock()
		p.waiting = nil
		p.mu.Unlock()
		p.logger.Info("signed in again: file operations go on", "ref", ref.String())
	}
}
