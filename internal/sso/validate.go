package sso

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/s3sso/s3sso/internal/config"
)

// ValidateStartURL checks a start URL as `configure sso` takes it: https
// with a host and nothing but a path and an optional fragment. The
// d-xxxxxxxxxx.awsapps.com/start form (also with a trailing slash or "#"),
// the region-specific ssoins-xxxx.portal.REGION.app.aws form and vanity
// domains (resolved at sign-in, see ResolveStartURL) all pass. The error
// says what to type.
func ValidateStartURL(raw string) error {
	const example = "https://d-xxxxxxxxxx.awsapps.com/start"
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("%q is not a start URL; it looks like %s", raw, example)
	case u.Scheme != "https":
		return fmt.Errorf("the start URL must use https, not %q: %s", u.Scheme, example)
	case u.User != nil || u.RawQuery != "":
		return fmt.Errorf("the start URL has no user name or query: %s", example)
	}
	host := strings.ToLower(u.Hostname())
	if strings.HasSuffix(host, ".awsapps.com") && !strings.HasPrefix(strings.TrimSuffix(u.Path, "/"), "/start") {
		return fmt.Errorf("an awsapps.com start URL ends in /start: https://%s/start", u.Host)
	}
	return nil
}

// CheckSSORegion checks an SSO region: a known region, and the one the start
// URL's host names when it names one. The error holds the fix.
func CheckSSORegion(startURL, region string) error {
	if m := RegionMismatch(startURL, region); m != "" {
		return fmt.Errorf("%s", m)
	}
	if !config.KnownRegion(region) {
		return fmt.Errorf("%q is not an AWS region (the region of your IAM Identity Center instance, such as us-east-1)", region)
	}
	return nil
}
