package fault

import (
	"errors"
	"strings"
)

// LoginRef names what a person signs in to again. Exactly one of the
// fields is set. Front ends render it: the CLI as `s3sso login --profile
// dev`, a web UI as a "Sign in" button for that account.
type LoginRef struct {
	Profile    string // an AWS config profile ("default" included)
	SSOSession string // an [sso-session] section
	Account    string // a saved s3sso account
}

// IsZero reports whether r names nothing.
func (r LoginRef) IsZero() bool { return r == LoginRef{} }

// String names r for messages: "profile dev", "sso-session corp",
// "account work".
func (r LoginRef) String() string {
	switch {
	case r.Account != "":
		return "account " + r.Account
	case r.SSOSession != "":
		return "sso-session " + r.SSOSession
	case r.Profile != "":
		return "profile " + r.Profile
	}
	return "the default profile"
}

// LoginRequiredError marks an error that a new sign-in to Ref fixes. It
// carries data, not a command line: each front end says in its own words
// how to sign in.
type LoginRequiredError struct {
	Ref LoginRef
	// DeviceCode: sign in again with the device flow (the failed sign-in
	// used it).
	DeviceCode bool
	Err        error
}

func (e *LoginRequiredError) Error() string {
	if e.Err == nil {
		return "sign-in required for " + e.Ref.String()
	}
	return e.Err.Error()
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// NeedsLogin returns err as a fault.Auth error that a new sign-in to ref
// fixes, with hint as further advice (may be empty). It returns nil when err
// is nil.
func NeedsLogin(err error, ref LoginRef, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: Auth, Hint: hint, Err: &LoginRequiredError{Ref: ref, Err: err}}
}

// LoginRequired returns the innermost sign-in request in err's chain.
func LoginRequired(err error) (*LoginRequiredError, bool) {
	var le *LoginRequiredError
	if !errors.As(err, &le) {
		return nil, false
	}
	for {
		var inner *LoginRequiredError
		if le.Err == nil || !errors.As(le.Err, &inner) {
			return le, true
		}
		le = inner
	}
}

// SetLoginRef points every sign-in request in err's chain that names no
// reference, or names from, at ref (a layer that knows which saved account
// a profile or sign-in belongs to says so). It returns err.
func SetLoginRef(err error, from, ref LoginRef) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if le, ok := e.(*LoginRequiredError); ok && (le.Ref.IsZero() || le.Ref == from) {
			le.Ref = ref
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				_ = SetLoginRef(x, from, ref)
			}
			return err
		}
	}
	return err
}

// LoginHint returns the sign-in request in err's chain and the hint that
// goes with it: that of the *Error wrapping it directly (further advice, such
// as a region to fix), not hints added by outer layers.
func LoginHint(err error) (*LoginRequiredError, string, bool) {
	hint := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *Error:
			hint = x.Hint
		case *LoginRequiredError:
			if inner, _, ok := LoginHint(x.Err); ok && !inner.Ref.IsZero() {
				return inner, HintOf(x.Err), true
			}
			return x, hint, true
		}
	}
	return nil, "", false
}

// JoinHints joins the non-empty hints with "; ".
func JoinHints(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
