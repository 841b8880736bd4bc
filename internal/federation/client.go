package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
)

// DefaultSTSEndpoint is AWS's global STS endpoint.
const DefaultSTSEndpoint = "https://sts.amazonaws.com/"

// DefaultScopes are requested when Config.Scopes is empty.
var DefaultScopes = []string{"openid", "offline_access"}

// Config is an OpenID Connect account's settings.
type Config struct {
	Issuer       string // discovery base; may be empty when AuthURL and TokenURL are set
	AuthURL      string // overrides the discovered authorization_endpoint
	TokenURL     string // overrides the discovered token_endpoint
	ClientID     string
	ClientSecret string   // empty for public clients
	Scopes       []string // default DefaultScopes; "openid" is always added
	NoPKCE       bool
	RedirectURL  string // loopback redirect; default http://127.0.0.1:<free port>/callback

	STSEndpoint     string        // default DefaultSTSEndpoint
	RoleARN         string        // empty: none sent (MinIO claim mode)
	Duration        time.Duration // 0: the STS default
	RoleSessionName string        // empty: from the token's email or sub claim
}

// Client talks to one OpenID provider and one STS.
type Client struct {
	Config Config
	// HTTPClient is used for every request; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// Prompter shows sign-ins to the person (the authorization URL, device
	// codes); nil shows and opens nothing.
	Prompter authflow.Prompter
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	once    sync.Once
	ep      *Endpoints
	epErr   error
	keyless bool // no verification keys (explicit endpoints without issuer)
	prov    *oidc.Provider
}

// Endpoints are a provider's OAuth endpoints.
type Endpoints struct {
	Issuer     string
	Auth       string
	Token      string
	Device     string // empty when the provider offers no device grant
	Revocation string // empty when the provider offers no revocation
	JWKS       string
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Client) prompter() authflow.Prompter {
	if c.Prompter != nil {
		return c.Prompter
	}
	return authflow.OpenerPrompter(nil)
}

func (c *Client) ctx(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, c.httpClient())
	return context.WithValue(ctx, oauth2.HTTPClient, c.httpClient())
}

// Discover returns the provider's endpoints: from its discovery document
// (once per Client) with the explicit URLs of Config taking precedence.
func (c *Client) Discover(ctx context.Context) (*Endpoints, error) {
	c.once.Do(func() { c.ep, c.epErr = c.discover(ctx) })
	return c.ep, c.epErr
}

func (c *Client) discover(ctx context.Context) (*Endpoints, error) {
	cfg := c.Config
	if cfg.Issuer == "" {
		if cfg.AuthURL == "" || cfg.TokenURL == "" {
			return nil, fault.New(fault.Config, "no OpenID issuer configured", "set --issuer (or both --auth-url and --token-url)")
		}
		c.keyless = true
		return &Endpoints{Auth: cfg.AuthURL, Token: cfg.TokenURL}, nil
	}
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	wellKnown := issuer + "/.well-known/openid-configuration"
	prov, err := oidc.NewProvider(c.ctx(ctx), issuer)
	if err != nil && strings.HasSuffix(cfg.Issuer, "/") {
		// Issuers are compared byte for byte; some end with a slash.
		var mm *oidc.IssuerMismatchError
		if errors.As(err, &mm) && mm.Discovered == cfg.Issuer {
			prov, err = oidc.NewProvider(c.ctx(ctx), cfg.Issuer)
		}
	}
	if err != nil {
		return nil, discoveryError(wellKnown, err)
	}
	var extra struct {
		Revocation string `json:"revocation_endpoint"`
		JWKS       string `json:"jwks_uri"`
	}
	_ = prov.Claims(&extra)
	oep := prov.Endpoint()
	ep := &Endpoints{Issuer: cfg.Issuer, Auth: oep.AuthURL, Token: oep.TokenURL, Device: oep.DeviceAuthURL,
		Revocation: extra.Revocation, JWKS: extra.JWKS}
	if cfg.AuthURL != "" {
		ep.Auth = cfg.AuthURL
	}
	if cfg.TokenURL != "" {
		ep.Token = cfg.TokenURL
	}
	var missing []string
	if ep.Auth == "" {
		missing = append(missing, "authorization_endpoint")
	}
	if ep.Token == "" {
		missing = append(missing, "token_endpoint")
	}
	if len(missing) > 0 {
		return nil, fault.New(fault.Config,
			fmt.Sprintf("the OpenID discovery document at %s has no %s", wellKnown, strings.Join(missing, " or ")),
			"check --issuer, or give the endpoints explicitly with --auth-url and --token-url")
	}
	if ep.JWKS == "" {
		c.keyless = true
	}
	c.prov = prov
	c.log().Debug("discovered OpenID provider", "issuer", cfg.Issuer, "device_grant", ep.Device != "", "revocation", ep.Revocation != "")
	return ep, nil
}

func discoveryError(wellKnown string, err error) error {
	var mm *oidc.IssuerMismatchError
	if errors.As(err, &mm) {
		return fault.New(fault.Config,
			fmt.Sprintf("the OpenID provider at %s calls itself %q", wellKnown, mm.Discovered),
			fmt.Sprintf("set --issuer to exactly %s", mm.Discovered))
	}
	if isNetworkError(err) {
		return &fault.Error{Kind: fault.Network, Msg: "OpenID discovery at " + wellKnown, Err: unwrapURLError(err),
			Hint: "check the issuer URL (--issuer) and that the provider is reachable"}
	}
	return &fault.Error{Kind: fault.Config, Msg: "OpenID discovery at " + wellKnown, Err: errors.New(oneLine(err.Error(), 200)),
		Hint: "check --issuer: it must be the issuer URL, without /.well-known/openid-configuration"}
}

// oneLine folds s onto one line and cuts it to n bytes.
func oneLine(s string, n int) string {
	return shorten(strings.Join(strings.Fields(s), " "), n)
}

func isNetworkError(err error) bool {
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.As(err, &oe)
}

// unwrapURLError drops url.Error's "Get \"URL\":" prefix (the message
// names the URL already).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) oauthConfig(ep *Endpoints, redirectURL string) *oauth2.Config {
	scopes := c.Config.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	hasOpenID := false
	for _, s := range scopes {
		hasOpenID = hasOpenID || s == "openid"
	}
	if !hasOpenID {
		scopes = append([]string{"openid"}, scopes...)
	}
	return &oauth2.Config{
		ClientID:     c.Config.ClientID,
		ClientSecret: c.Config.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: ep.Auth, TokenURL: ep.Token, DeviceAuthURL: ep.Device},
		RedirectURL:  redirectURL,
		Scopes:       scopes,
	}
}

// requestedOffline reports whether offline_access is among the scopes.
func (c *Client) requestedOffline() bool {
	scopes := c.Config.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	for _, s := range scopes {
		if s == "offline_access" {
			return true
		}
	}
	return false
}
