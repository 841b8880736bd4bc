package sso

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// LoginRequiredError means the cached sign-in is missing, expired, cannot
// be refreshed or was rejected: the user must sign in again. It is wrapped
// in a fault.LoginRequiredError naming what to sign in to.
type LoginRequiredError struct {
	Profile string // profile or session named in messages
	Reason  string
	Err     error // cause, if any
}

func (e *LoginRequiredError) Error() string {
	msg := "sign-in required"
	if e.Profile != "" {
		msg += " for " + e.Profile
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// ErrLoginRequired matches every LoginRequiredError with errors.Is.
var ErrLoginRequired = errors.New("sign-in required")

// Is makes errors.Is(err, ErrLoginRequired) true.
func (e *LoginRequiredError) Is(target error) bool { return target == ErrLoginRequired }

// loginRequired returns a fault.Auth error asking for a new sign-in to t's
// reference, with a region-mismatch hint when the start URL's host names
// another region than sso_region.
func loginRequired(t Target, reason string, cause error) error {
	ref := t.LoginRef()
	return fault.NeedsLogin(&LoginRequiredError{Profile: ref.String(), Reason: reason, Err: cause}, ref,
		RegionMismatch(t.StartURL, t.Region))
}

var startURLRegionPatterns = []*regexp.Regexp{
	regexp.MustCompile(`^[^.]+\.portal\.([a-z0-9-]+)\.app\.aws$`),
	regexp.MustCompile(`^[^.]+\.([a-z0-9-]+)\.portal\.amazonaws\.com$`),
	regexp.MustCompile(`^[^.]+\.([a-z0-9-]+)\.portal\.amazonaws\.com\.cn$`),
	regexp.MustCompile(`^[^.]+\.portal\.([a-z0-9-]+)\.app\.amazonwebservices\.com\.cn$`),
	regexp.MustCompile(`^[^.]+\.([a-z0-9-]+)\.portal\.amazonaws\.eu$`),
	regexp.MustCompile(`^[^.]+\.portal\.([a-z0-9-]+)\.api\.amazonwebservices\.eu$`),
}

// StartURLRegion returns the region a start URL's host names (the newer
// instance portal forms, protocol.md section 8), or "" when the host
// carries no region (awsapps.com, issuer URLs, vanity domains).
func StartURLRegion(startURL string) string {
	u, err := url.Parse(strings.TrimSpace(startURL))
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	for _, re := range startURLRegionPatterns {
		if m := re.FindStringSubmatch(host); m != nil {
			return m[1]
		}
	}
	return ""
}

// RegionMismatch returns a one-line explanation with the fix when the start
// URL names a region other than ssoRegion, else "".
func RegionMismatch(startURL, ssoRegion string) string {
	r := StartURLRegion(startURL)
	if r == "" || r == ssoRegion {
		return ""
	}
	return fmt.Sprintf("start URL region %s does not match sso_region %s: set sso_region = %s", r, ssoRegion, r)
}
