package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/creds"
	"github.com/s3sso/s3sso/internal/fault"
)

// Vanity start URLs (protocol.md section 8, the AWS CLI's resolve.py): a
// start URL on a customer's own domain (https://sso.example.com) redirects
// to the real portal. Before signing in, the CLI follows that one redirect
// to learn the portal URL, which it sends to IAM Identity Center as
// startUrl / issuerUrl, and the region, which the portal's host names. The
// token cache keys and the token's startUrl keep the configured URL.

// awsIssuerHosts are the exact hosts of IAM Identity Center issuer URLs.
var awsIssuerHosts = []string{
	"identitycenter.amazonaws.com", "identitycenter.amazonaws.com.cn",
	"identitycenter.amazonaws.eu", "identitycenter.us-gov.amazonaws.com",
}

// awsOwnedSuffixes are the domains of AWS's own start URLs.
var awsOwnedSuffixes = []string{
	".app.aws", ".portal.amazonaws.com", ".portal.amazonaws.com.cn", ".app.amazonwebservices.com.cn",
	".portal.amazonaws.eu", ".api.amazonwebservices.eu", ".awsapps.com", ".awsapps.cn",
}

// AWSOwnedHost reports whether host is one of AWS's own start URL hosts;
// any other host is a vanity domain.
func AWSOwnedHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, h := range awsIssuerHosts {
		if host == h {
			return true
		}
	}
	for _, s := range awsOwnedSuffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// Resolved is the outcome of [ResolveStartURL].
type Resolved struct {
	// StartURL is the URL to send to IAM Identity Center (startUrl,
	// issuerUrl): the configured one, or for a vanity domain the portal URL
	// it redirects to.
	StartURL string
	// Region is the SSO region to sign in at: for a vanity domain the
	// region the portal's host names, else the configured one.
	Region string
	// Vanity reports that the configured URL was on a vanity domain and was
	// resolved.
	Vanity bool
}

// resolveTimeout bounds the request to a vanity domain.
const resolveTimeout = 15 * time.Second

// ResolveStartURL resolves a start URL as the AWS CLI does. An AWS-owned
// URL is returned as it is with the configured region, without a request.
// For a vanity domain it sends one HEAD (GET when HEAD is answered 405 or
// 501) without following redirects; the answer must be a redirect (301,
// 302, 303, 307 or 308) with a Location, which is followed no further. The
// Location, with its query and fragment dropped, the trailing "/" trimmed
// and the default port removed, must be an https URL on an AWS-owned host.
// The region comes from that host when it names one, else it is the
// configured region. hc is the HTTP client to use (its redirect policy is
// replaced); nil means one that trusts AWS_CA_BUNDLE like the SDK's.
func ResolveStartURL(ctx context.Context, hc *http.Client, startURL, region string) (Resolved, error) {
	res := Resolved{StartURL: startURL, Region: region}
	u, err := url.Parse(strings.TrimSpace(startURL))
	if err != nil || u.Host == "" {
		return res, fault.Newf(fault.Config, "start URL %q is not a URL", startURL)
	}
	if AWSOwnedHost(u.Hostname()) {
		return res, nil
	}
	op := "resolve the start URL " + startURL
	if u.Scheme != "https" {
		return res, fault.New(fault.Config, fmt.Sprintf("%s: a start URL on a custom domain must use https, not %s", op, u.Scheme),
			"use the https:// form of the start URL")
	}
	if hc == nil {
		hc = &http.Client{Transport: creds.NewHTTPClient(0, creds.EnvCABundle()).GetTransport()}
	}
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	resp, err := send(ctx, &noFollow, http.MethodHead, u.String()) //nolint:bodyclose // send reads and closes it
	if err == nil && (resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented) {
		resp, err = send(ctx, &noFollow, http.MethodGet, u.String()) //nolint:bodyclose // send reads and closes it
	}
	if err != nil {
		return res, resolveNetError(op, err)
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return res, fault.New(fault.Config, fmt.Sprintf("%s: %s is not an IAM Identity Center domain and answered %d, not a redirect to one",
			op, u.Hostname(), resp.StatusCode), "set the start URL of your AWS access portal (https://d-XXXXXXXXXX.awsapps.com/start or https://ssoins-….portal.REGION.app.aws)")
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return res, fault.New(fault.Config, fmt.Sprintf("%s: the redirect (%d) has no Location", op, resp.StatusCode), "")
	}
	target, err := u.Parse(loc)
	if err != nil {
		return res, fault.New(fault.Config, fmt.Sprintf("%s: the redirect's Location %q is not a URL", op, loc), "")
	}
	target = normalizeStartURL(target)
	if target.Scheme != "https" || !AWSOwnedHost(target.Hostname()) {
		return res, fault.New(fault.Config, fmt.Sprintf("%s: it redirects to %s, which is not an https URL of IAM Identity Center", op, target),
			"set the start URL of your AWS access portal instead (https://d-XXXXXXXXXX.awsapps.com/start or https://ssoins-….portal.REGION.app.aws)")
	}
	res.StartURL, res.Vanity = target.String(), true
	if r := StartURLRegion(res.StartURL); r != "" {
		res.Region = r
	}
	if res.Region == "" {
		return res, fault.New(fault.Config, fmt.Sprintf("%s: %s names no region and no sso_region is set", op, res.StartURL), "set sso_region")
	}
	return res, nil
}

// send makes one request and discards the body.
func send(ctx context.Context, hc *http.Client, method, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp, nil
}

// normalizeStartURL drops the query and fragment, the trailing "/" and the
// scheme's default port.
func normalizeStartURL(u *url.URL) *url.URL {
	v := *u
	v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment, v.User = "", false, "", "", nil
	v.Path = strings.TrimRight(v.Path, "/")
	v.RawPath = ""
	if p := v.Port(); p == "443" && v.Scheme == "https" || p == "80" && v.Scheme == "http" {
		v.Host = v.Hostname()
		if strings.Contains(v.Host, ":") {
			v.Host = "[" + v.Host + "]"
		}
	}
	return &v
}

func resolveNetError(op string, err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return fault.Wrap(fault.Interrupted, fmt.Errorf("%s: %w", op, err), "")
	case errors.As(err, &dnsErr):
		return &fault.Error{Kind: fault.Network, Msg: fmt.Sprintf("%s: cannot resolve %s", op, dnsErr.Name), Err: err}
	}
	return &fault.Error{Kind: fault.Network, Msg: op, Err: err,
		Hint: "the start URL's domain must answer over https with a redirect to the AWS access portal; if it uses a private CA, add it to AWS_CA_BUNDLE"}
}

// resolve resolves t's start URL once per client (a vanity domain is asked
// once per process) and returns t with Region set to the region to sign in
// at and IssuerURL to the URL to send to IAM Identity Center. StartURL, the
// cache key, stays as configured.
func (c *Client) resolve(ctx context.Context, t Target) (Target, error) {
	if t.IssuerURL != "" {
		return t, nil
	}
	key := t.StartURL
	c.mu.Lock()
	r, ok := c.resolved[key]
	c.mu.Unlock()
	if ok && StartURLRegion(r.StartURL) == "" {
		r.Region = t.Region // the portal names none: the configured one
	}
	if !ok {
		var err error
		r, err = ResolveStartURL(ctx, c.HTTPClient, t.StartURL, t.Region)
		if err != nil {
			return t, err
		}
		c.mu.Lock()
		c.resolved[key] = r
		c.mu.Unlock()
		if r.Vanity {
			c.Logger.Debug("resolved vanity start URL", "start_url", t.StartURL, "portal", r.StartURL, "region", r.Region)
		}
	}
	t.IssuerURL, t.Region = r.StartURL, r.Region
	return t, nil
}

// ConfigRegionWriter returns a function that writes sso_region into the
// section of the config file at path that holds s's start URL (the
// sso-session, or the legacy profile), as the AWS CLI does after a vanity
// URL resolved to another region.
func ConfigRegionWriter(path string, s config.SSO) func(region string) error {
	return func(region string) error {
		f, err := config.Load(path)
		if err != nil {
			return fault.Wrap(fault.Config, fmt.Errorf("update sso_region in %s: %w", path, err), "")
		}
		kind, name := config.KindProfile, s.Profile
		if s.Session != "" {
			kind, name = config.KindSSOSession, s.Session
		}
		if name == "" {
			return nil
		}
		if err := f.Set(kind, name, config.KV{Key: "sso_region", Value: region}); err != nil {
			return fault.Wrap(fault.Config, fmt.Errorf("update sso_region in %s: %w", path, err), "")
		}
		if err := f.Save(); err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("update sso_region in %s: %w", path, err), "")
		}
		return nil
	}
}

// issuer returns the URL sent to IAM Identity Center: IssuerURL once
// resolved, else StartURL.
func (t Target) issuer() string {
	if t.IssuerURL != "" {
		return t.IssuerURL
	}
	return t.StartURL
}

// VanityFree reports whether startURL is on an AWS-owned host, so that
// ResolveStartURL sends no request for it.
func VanityFree(startURL string) bool {
	u, err := url.Parse(strings.TrimSpace(startURL))
	return err == nil && AWSOwnedHost(u.Hostname())
}
