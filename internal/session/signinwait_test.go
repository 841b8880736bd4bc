package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/fault"
)

// waitingPrompter is a front end without a person that waits for a
// sign-in made elsewhere (as the mount's).
type waitingPrompter struct {
	NonInteractive
	wait time.Duration

	mu      sync.Mutex
	notices []string
}

func (p *waitingPrompter) SignInWait() time.Duration { return p.wait }
func (p *waitingPrompter) Notify(_ context.Context, n Notice) {
	p.mu.Lock()
	p.notices = append(p.notices, n.Kind)
	p.mu.Unlock()
}

// signedOut is a credentials provider that needs a sign-in until signedIn
// is set (as a token cache that `s3sso login` rewrites).
type signedOut struct{ signedIn atomic.Bool }

func (s *signedOut) Retrieve(context.Context) (aws.Credentials, error) {
	if !s.signedIn.Load() {
		return aws.Credentials{}, fault.NeedsLogin(errors.New("the session expired"), fault.LoginRef{Profile: "dev"}, "")
	}
	return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "s", CanExpire: false}, nil
}

func waitSession(p Prompter, prov aws.CredentialsProvider) *Session {
	m := New(Options{Prompter: p})
	return &Session{Ref: Ref{Profile: "dev"}, m: m, creds: aws.NewCredentialsCache(prov), renewable: true}
}

// Renew waits for a sign-in made elsewhere when the prompter asks for it,
// and goes on once the credentials work.
func TestRenewWaitsForSignInElsewhere(t *testing.T) {
	old := signInPoll
	signInPoll = 20 * time.Millisecond
	t.Cleanup(func() { signInPoll = old })
	prov := &signedOut{}
	p := &waitingPrompter{wait: time.Minute}
	s := waitSession(p, prov)
	cause := errors.New("ExpiredToken")
	done := make(chan error, 1)
	go func() { done <- s.Renew(t.Context(), cause) }()
	// It waits: the notice comes, Renew does not return.
	for {
		p.mu.Lock()
		n := len(p.notices)
		p.mu.Unlock()
		if n > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Renew returned %v before the sign-in", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Renew returned %v before the sign-in", err)
	default:
	}
	prov.signedIn.Store(true)
	if err := <-done; err != nil {
		t.Fatalf("Renew after the sign-in: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.notices) != 2 || p.notices[0] != NoticeSignInWaiting || p.notices[1] != NoticeJobResumed {
		t.Fatalf("notices %v, want [%s %s]", p.notices, NoticeSignInWaiting, NoticeJobResumed)
	}
}

// The wait is bounded; a prompter that does not wait gets the refusal at
// once (the control: without SignInWaiter nothing changes).
func TestRenewWaitIsBounded(t *testing.T) {
	old := signInPoll
	signInPoll = 10 * time.Millisecond
	t.Cleanup(func() { signInPoll = old })
	for _, p := range []Prompter{&waitingPrompter{wait: 100 * time.Millisecond}, NonInteractive{}} {
		s := waitSession(p, &signedOut{})
		err := s.Renew(t.Context(), errors.New("ExpiredToken"))
		if _, ok := fault.LoginRequired(err); !ok {
			t.Fatalf("%T: Renew = %v, want the sign-in-required error", p, err)
		}
	}
}
