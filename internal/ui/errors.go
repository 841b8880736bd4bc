package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// apiErr is an error as the page shows it: the message in plain words, the
// advice (the CLI's hint, or the page's own words where the CLI's names a
// command), its kind, the account to sign in to when a sign-in fixes it,
// and the form field it is about.
type apiErr struct {
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Kind    string `json:"kind"`
	Login   string `json:"login,omitempty"` // the account (or profile:NAME) to sign in to
	Field   string `json:"field,omitempty"` // the form field (the CLI flag's name)
}

var statusOfKind = map[fault.Kind]int{
	fault.Unknown:      http.StatusInternalServerError,
	fault.Usage:        http.StatusBadRequest,
	fault.Partial:      http.StatusMultiStatus,
	fault.NotFound:     http.StatusNotFound,
	fault.AccessDenied: http.StatusForbidden,
	fault.Auth:         http.StatusUnauthorized,
	fault.Network:      http.StatusBadGateway,
	fault.Local:        http.StatusInternalServerError,
	fault.Integrity:    http.StatusBadGateway,
	fault.Config:       http.StatusUnprocessableEntity,
	fault.Conflict:     http.StatusConflict,
	fault.Interrupted:  499,
}

// flagRE finds the CLI flag an account validation error names; the
// page's form fields carry the same names.
var flagRE = regexp.MustCompile(`--([a-z][a-z-]+)`)

func errorBody(err error) apiErr {
	kind := fault.Classify(err)
	e := apiErr{Message: session.Scrub(err.Error()), Kind: kind.String()}
	var exists *session.AccountExistsError
	var listAll *session.ListAllDeniedError
	var choice *session.ChoiceError
	var noRole *session.RoleARNRequiredError
	var role *session.RoleError
	var fe fieldErr
	if errors.As(err, &fe) {
		e.Field = fe.field
	}
	switch {
	case errors.As(err, &exists):
		e.Hint, e.Field = "choose another name, or edit the existing account", "name"
	case errors.As(err, &listAll):
		e.Hint = "this account may not list all buckets: turn off \"List all my buckets\" in its Advanced settings and add the buckets it can use as external buckets"
	case errors.As(err, &choice):
		e.Hint = "sign in from this page to pick the " + choice.Choice.What + ", or set it in the account's settings"
	case errors.As(err, &noRole):
		e.Hint, e.Field = "enter the role ARN to assume in the account's settings", "role-arn"
	case errors.As(err, &role):
		e.Hint = "check the account's AWS account ID and role name in its settings"
	}
	if le, hint, ok := fault.LoginHint(err); ok && !le.Ref.IsZero() {
		e.Login = refName(session.RefOf(le.Ref))
		if e.Hint == "" {
			e.Hint = "sign in to " + e.Login + " again"
			if hint != "" && kind != fault.Auth {
				e.Hint = hint + "; then sign in again and allow the request"
			}
		}
	}
	if e.Hint == "" {
		e.Hint = fault.HintOf(err)
	}
	if e.Hint == "" {
		switch kind {
		case fault.AccessDenied:
			e.Hint = "the identity in use lacks permission for this operation"
		case fault.Auth:
			e.Hint = "sign in to the account again"
		case fault.Network:
			e.Hint = "check the account's endpoint URL and that the server is running"
		}
	}
	if e.Field == "" && (kind == fault.Usage || kind == fault.Config) {
		if m := flagRE.FindStringSubmatch(e.Message); m != nil {
			e.Field = m[1]
		}
	}
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	st := statusOfKind[fault.Classify(err)]
	if st == 0 {
		st = http.StatusInternalServerError
	}
	writeJSON(w, st, map[string]apiErr{"error": errorBody(err)})
}

func writeErrorMsg(w http.ResponseWriter, status int, msg, hint string) {
	writeJSON(w, status, map[string]apiErr{"error": {Message: msg, Hint: hint, Kind: "error"}})
}

// badRequest is a usage error about a request's parameter.
func badRequest(format string, args ...any) error { return fault.Newf(fault.Usage, format, args...) }
