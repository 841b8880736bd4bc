// Package fault gives errors a kind and an optional hint, so that the one
// place that turns errors into messages and exit codes (internal/cli) can do
// so without knowing every package's error types.
//
// Lower layers wrap with fmt.Errorf("op: %w", err) as usual; where the user
// must react to a condition they wrap once with fault.New or fault.Wrap, or
// wrap one of the sentinels below. Kinds are found with errors.As through any
// number of wrapping layers.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the user has to do about it.
type Kind int

// The kinds. Their exit codes are assigned in internal/cli.
const (
	Unknown      Kind = iota
	Usage             // bad flag, argument or URL
	NotFound          // bucket, key, profile, account or local path missing
	AccessDenied      // the credentials work but lack permission
	Auth              // no credentials, expired or invalid token: sign in again
	Network           // endpoint unreachable, connection refused, timeout
	Local             // local file system: disk full, not a directory, permission
	Partial           // some items of a batch failed
	Interrupted       // cancelled by the user (Ctrl-C)
	Conflict          // the target exists or state changed underneath
	Integrity         // checksum or size mismatch
	Config            // invalid configuration file or setting

	numKinds // keep last: new kinds go above it, so that Kinds lists them
)

// Kinds returns every kind, Unknown first. Tests use it to check that each
// kind has a name and an exit code.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

var kindNames = map[Kind]string{
	Unknown: "error", Usage: "usage", NotFound: "not found", AccessDenied: "access denied",
	Auth: "authentication", Network: "network", Local: "local file system", Partial: "partial failure",
	Interrupted: "interrupted", Conflict: "conflict", Integrity: "integrity", Config: "configuration",
}

func (k Kind) String() string { return kindNames[k] }

// Error is an error with a kind and a hint telling the user what to do.
type Error struct {
	Kind Kind
	Msg  string // optional message; when empty the wrapped error's text is used
	Hint string // optional advice, one sentence
	Err  error  // optional cause
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "" && e.Err != nil:
		return e.Msg + ": " + e.Err.Error()
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Kind.String()
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with message msg and hint (which may be empty).
func New(k Kind, msg, hint string) error { return &Error{Kind: k, Msg: msg, Hint: hint} }

// Newf is New with a formatted message and no hint.
func Newf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap gives err the kind k and a hint. It returns nil when err is nil.
func Wrap(k Kind, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Hint: hint, Err: err}
}

// WithHint adds a hint to err while keeping its kind.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: KindOf(err), Hint: hint, Err: err}
}

// KindOf returns the kind of the outermost *Error in err's chain that has
// one, or Unknown.
func KindOf(err error) Kind {
	for err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			return Unknown
		}
		if fe.Kind != Unknown {
			return fe.Kind
		}
		err = fe.Err
	}
	return Unknown
}

// HintOf returns the first non-empty hint in err's chain.
func HintOf(err error) string {
	for err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			return ""
		}
		if fe.Hint != "" {
			return fe.Hint
		}
		err = fe.Err
	}
	return ""
}
