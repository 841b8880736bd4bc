package ui

import (
	"sync"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// stateNeedsSignIn is the account list's words for an account that must
// sign in again.
const stateNeedsSignIn = "needs sign-in"

// refusedSignIns are the accounts whose sign-in the core reported as
// needed (a sign-in-expired notice, a sign-in-required error) although
// the caches still hold a token that looks valid (a session ended on the
// server, a revoked token): the account list says "needs sign-in" for them
// until a sign-in succeeds. Each is kept with the cached token as it was
// then; a new token in the cache (a sign-in in the page, by the core, or
// by the CLI) ends the mark.
type refusedSignIns struct {
	mu sync.Mutex
	m  map[string]string // account name (or profile:NAME) -> token fingerprint
}

func tokenPrint(t *session.TokenState) string {
	if t == nil {
		return ""
	}
	p := "-"
	if t.SignedIn {
		p = "+"
	}
	return p + t.Expires.UTC().Format(time.RFC3339Nano)
}

// markNeedsSignIn records that name needs a sign-in, and tells the page.
func (s *Server) markNeedsSignIn(name string) {
	fp := ""
	if st, ok := s.statusOf(name); ok {
		fp = tokenPrint(st.Token)
	}
	s.refused.mu.Lock()
	if s.refused.m == nil {
		s.refused.m = map[string]string{}
	}
	old, had := s.refused.m[name]
	s.refused.m[name] = fp
	s.refused.mu.Unlock()
	if !had || old != fp {
		s.hub.send("accounts", map[string]string{"ref": name, "state": stateNeedsSignIn})
	}
}

// markIfLoginRequired marks the account a sign-in-required error names.
func (s *Server) markIfLoginRequired(name string, err error) {
	if _, ok := fault.LoginRequired(err); ok && name != "" {
		s.markNeedsSignIn(name)
	}
}

// clearNeedsSignIn ends name's mark (a sign-in succeeded).
func (s *Server) clearNeedsSignIn(name string) {
	s.refused.mu.Lock()
	_, had := s.refused.m[name]
	delete(s.refused.m, name)
	s.refused.mu.Unlock()
	if had {
		s.hub.send("accounts", map[string]string{"ref": name})
	}
}

// refusedNow reports whether name is marked and its cached token is still
// the one that was refused; a changed token ends the mark.
func (s *Server) refusedNow(name string, t *session.TokenState) bool {
	s.refused.mu.Lock()
	defer s.refused.mu.Unlock()
	fp, ok := s.refused.m[name]
	if !ok {
		return false
	}
	if fp != tokenPrint(t) {
		delete(s.refused.m, name)
		return false
	}
	return true
}

// statusOf reads the sign-in state of the account or profile name from
// the caches.
func (s *Server) statusOf(name string) (session.AccountStatus, bool) {
	ref, err := parseRef(name)
	if err != nil {
		return session.AccountStatus{}, false
	}
	store, f, err := s.mgr.Accounts()
	if err != nil {
		return session.AccountStatus{}, false
	}
	acct, err := accountOf(f, ref)
	if err != nil {
		return session.AccountStatus{}, false
	}
	return s.mgr.AccountStatus(store, acct), true
}

// accountOf returns the saved account of ref, or a profile account for a
// profile reference.
func accountOf(f *accounts.File, ref session.Ref) (*accounts.Account, error) {
	if ref.Account != "" {
		return f.Get(ref.Account)
	}
	return &accounts.Account{Name: ref.Profile, Type: accounts.TypeProfile, Profile: &accounts.Profile{Name: ref.Profile}}, nil
}
