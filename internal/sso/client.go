package sso

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/smithy-go"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/creds"
	"github.com/s3sso/s3sso/internal/fault"
)

// Target is one IAM Identity Center sign-in: the validated configuration
// plus the endpoint overrides in effect for it.
type Target struct {
	config.SSO
	// OIDCEndpoint and PortalEndpoint override the AWS endpoints (from
	// AWS_ENDPOINT_URL_SSO_OIDC / AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL or
	// the profile's services section); empty means AWS.
	OIDCEndpoint   string
	PortalEndpoint string
	// StartURLCache (s3sso's saved sso accounts) signs in like an
	// sso-session (PKCE unless the device flow is asked for, tokens
	// refreshed) while the token stays in the legacy start-URL cache file
	// (Session must be ""). Set Scopes so the client registration is not
	// shared with legacy profiles' device-flow registration.
	StartURLCache bool
	// IssuerURL is the start URL sent to IAM Identity Center (startUrl,
	// issuerUrl): StartURL, or the portal a vanity StartURL redirects to.
	// Login fills it in (see ResolveStartURL); StartURL stays the cache key.
	IssuerURL string
	// WriteBackRegion, when set, is called after a login whose vanity start
	// URL resolved to another region than Region, to save that region where
	// the sign-in is configured (sso_region, like the AWS CLI).
	WriteBackRegion func(region string) error
	// Ref is what a new sign-in to this target is asked for in errors;
	// empty means the profile, else the sso-session.
	Ref fault.LoginRef
}

// LoginRef returns what a person signs in to for t.
func (t Target) LoginRef() fault.LoginRef {
	switch {
	case !t.Ref.IsZero():
		return t.Ref
	case t.Profile != "":
		return fault.LoginRef{Profile: t.Profile}
	case t.Session != "":
		return fault.LoginRef{SSOSession: t.Session}
	}
	return fault.LoginRef{Profile: "default"}
}

// Legacy reports whether t signs in like a legacy profile: device flow, no
// refresh. A StartURLCache target does not, though its token is cached
// under the start URL like a legacy profile's.
func (t Target) Legacy() bool { return t.SSO.Legacy() && !t.StartURLCache }

// NewTarget combines a resolved sign-in with the endpoint overrides of the
// config file f for its profile.
func NewTarget(f *config.File, s config.SSO) Target {
	t := Target{SSO: s}
	profile := s.Profile
	if profile == "" && f.Profile("default") != nil {
		profile = "default"
	}
	t.OIDCEndpoint, _ = f.Endpoint(profile, config.ServiceSSOOIDC)
	t.PortalEndpoint, _ = f.Endpoint(profile, config.ServiceSSO)
	if f.Path != "" {
		t.WriteBackRegion = ConfigRegionWriter(f.Path, s)
	}
	return t
}

// Client performs sign-ins and portal calls, and owns the token cache.
// The zero value is not usable; use New.
type Client struct {
	Cache Cache
	// RoleCache is where role credentials are shared with the AWS CLI
	// (~/.aws/cli/cache); an empty Dir keeps them in memory only.
	RoleCache RoleCache
	Logger    *slog.Logger
	// Now returns the current time; tests replace it.
	Now func() time.Time
	// after waits for d (tests replace it to skip poll intervals).
	after func(d time.Duration) <-chan time.Time
	// HTTPClient, when set, is used to resolve vanity start URLs (tests
	// trust their TLS server with it); nil means the AWS_CA_BUNDLE-aware
	// default.
	HTTPClient *http.Client
	// AWSHTTPClient sends the OIDC and portal requests; nil means a client
	// trusting AWS_CA_BUNDLE (creds.NewHTTPClient).
	AWSHTTPClient aws.HTTPClient

	mu       sync.Mutex
	apis     map[string]*apis
	resolved map[string]Resolved // start URL resolutions, by configured start URL
}

type apis struct {
	oidc   *ssooidc.Client
	portal *sso.Client
	// oidcBase is scheme://host of the resolved OIDC endpoint, the base of
	// the /authorize URL.
	oidcBase string
}

// New returns a client using the default cache directory.
func New(logger *slog.Logger) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{Cache: Cache{Dir: CacheDir(), Logger: logger}, RoleCache: DefaultRoleCache(), Logger: logger, Now: time.Now, after: time.After, apis: map[string]*apis{}, resolved: map[string]Resolved{}}
}

func (c *Client) now() time.Time { return c.Now().UTC() }

// api returns (building once) the OIDC and portal clients for t. They send
// unsigned requests with an HTTP client that honours AWS_CA_BUNDLE.
func (c *Client) api(ctx context.Context, t Target) (*apis, error) {
	key := t.Region + "\x00" + t.OIDCEndpoint + "\x00" + t.PortalEndpoint
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.apis[key]; a != nil {
		return a, nil
	}
	hc := c.AWSHTTPClient
	if hc == nil {
		hc = creds.NewHTTPClient(0, creds.EnvCABundle())
	}
	cfg := aws.Config{Region: t.Region, HTTPClient: hc, Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 3, RetryMode: aws.RetryModeStandard}
	a := &apis{
		oidc: ssooidc.NewFromConfig(cfg, func(o *ssooidc.Options) {
			o.BaseEndpoint = nil
			if t.OIDCEndpoint != "" {
				o.BaseEndpoint = aws.String(t.OIDCEndpoint)
			}
		}),
		portal: sso.NewFromConfig(cfg, func(o *sso.Options) {
			o.BaseEndpoint = nil
			if t.PortalEndpoint != "" {
				o.BaseEndpoint = aws.String(t.PortalEndpoint)
			}
		}),
	}
	if t.OIDCEndpoint != "" {
		a.oidcBase = t.OIDCEndpoint
	} else {
		ep, err := ssooidc.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, ssooidc.EndpointParameters{Region: aws.String(t.Region)})
		if err != nil {
			return nil, fmt.Errorf("resolve the OIDC endpoint for region %s: %w", t.Region, err)
		}
		a.oidcBase = ep.URI.String()
	}
	if u, err := url.Parse(a.oidcBase); err == nil {
		a.oidcBase = u.Scheme + "://" + u.Host
	}
	c.apis[key] = a
	return a, nil
}

// apiCode returns the error code of an AWS API error ("" if none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return strings.TrimSuffix(ae.ErrorCode(), ":")
	}
	return ""
}
