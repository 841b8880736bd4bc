package config

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// DefaultScope is the registration scope `aws configure sso` writes.
const DefaultScope = "sso:account:access"

// SSO is an IAM Identity Center sign-in resolved from a profile or an
// sso-session section, validated like botocore's SSO provider.
type SSO struct {
	// Profile is the profile the sign-in was resolved from ("" when it came
	// from --sso-session alone).
	Profile string
	// Session is the sso-session name; "" for a legacy profile.
	Session string
	// StartURL and Region are the configured sso_start_url and sso_region,
	// exactly as written.
	StartURL string
	Region   string
	// Scopes is sso_registration_scopes split on ',', trimmed, empties
	// dropped, in order; nil when the key is absent.
	Scopes []string
	// AccountID and RoleName pick the role (empty for --sso-session).
	AccountID string
	RoleName  string
	// ProfileRegion is the profile's region (for S3 and STS).
	ProfileRegion string
}

// Legacy reports whether the sign-in comes from a legacy profile (sso_*
// keys in the profile, no sso_session): device flow, no refresh, token cache
// keyed by start URL.
func (s SSO) Legacy() bool { return s.Session == "" }

// CacheKey is the string whose sha1 names the token cache file: the session
// name, or the start URL for legacy profiles.
func (s SSO) CacheKey() string {
	if s.Legacy() {
		return s.StartURL
	}
	return s.Session
}

// LoginCommand is the s3sso command that signs this in.
func (s SSO) LoginCommand() string {
	if s.Profile != "" {
		if s.Profile == "default" {
			return "s3sso login"
		}
		return "s3sso login --profile " + shlexQuote(s.Profile)
	}
	return "s3sso login --sso-session " + shlexQuote(s.Session)
}

// ParseScopes splits sso_registration_scopes like botocore.
func ParseScopes(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// IsSSOProfile reports whether the profile engages the SSO credential
// provider: it has sso_account_id or sso_role_name (botocore's rule).
func (f *File) IsSSOProfile(profile string) bool {
	p := f.Profile(profile)
	if p == nil {
		return false
	}
	_, a := p.Get("sso_account_id")
	_, r := p.Get("sso_role_name")
	return a || r
}

// HasSSOLogin reports whether the profile can be signed in to (it names an
// sso_session or holds sso_start_url).
func (f *File) HasSSOLogin(profile string) bool {
	p := f.Profile(profile)
	if p == nil {
		return false
	}
	_, s := p.Get("sso_session")
	_, u := p.Get("sso_start_url")
	return s || u
}

func configErr(msg, hint string) error {
	return &fault.Error{Kind: fault.Config, Msg: msg, Hint: hint}
}

// SSOForProfile resolves and validates the SSO sign-in of a profile. With
// needRole it also requires sso_account_id and sso_role_name (for
// credentials); without, only what a login needs.
func (f *File) SSOForProfile(profile string, needRole bool) (SSO, error) {
	p := f.Profile(profile)
	if p == nil {
		return SSO{}, &fault.Error{Kind: fault.NotFound, Msg: fmt.Sprintf("profile %q not found in %s", profile, f.Path),
			Hint: "create it with `s3sso configure sso --profile " + shlexQuote(profile) + "`"}
	}
	view := map[string]string{}
	for _, k := range p.Keys {
		view[k.Name] = k.Value
	}
	out := SSO{Profile: profile, ProfileRegion: view["region"]}
	if name, ok := view["sso_session"]; ok {
		out.Session = name
		s := f.SSOSession(name)
		if s == nil {
			return SSO{}, configErr(fmt.Sprintf("The specified sso-session does not exist: %q (profile %q in %s)", name, profile, f.Path),
				"add an [sso-session "+shlexQuote(name)+"] section, or run `s3sso configure sso`")
		}
		for _, k := range s.Keys {
			if pv, ok := view[k.Name]; ok && pv != k.Value {
				return SSO{}, configErr(fmt.Sprintf("The value for %s is inconsistent between profile (%s) and sso-session (%s)", k.Name, pv, k.Value),
					fmt.Sprintf("remove %s from [profile %s] or make it equal to [sso-session %s] in %s", k.Name, profile, name, f.Path))
			}
			view[k.Name] = k.Value
		}
	}
	out.StartURL = view["sso_start_url"]
	out.Region = view["sso_region"]
	if v, ok := view["sso_registration_scopes"]; ok && out.Session != "" {
		out.Scopes = ParseScopes(v)
	}
	out.AccountID = view["sso_account_id"]
	out.RoleName = view["sso_role_name"]
	required := []string{"sso_start_url", "sso_region"}
	if needRole {
		required = append(required, "sso_account_id", "sso_role_name")
	}
	var missing []string
	for _, k := range required {
		if view[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		where := "profile " + strconv.Quote(profile)
		if out.Session != "" {
			where += " (sso-session " + strconv.Quote(out.Session) + ")"
		}
		return SSO{}, configErr(fmt.Sprintf("%s is configured to use SSO but is missing required configuration: %s", where, strings.Join(missing, ", ")),
			"run `s3sso configure sso --profile "+shlexQuote(profile)+"`")
	}
	return out, nil
}

// SSOForSession resolves a sign-in from an [sso-session name] section alone
// (`s3sso login --sso-session name`).
func (f *File) SSOForSession(name string) (SSO, error) {
	s := f.SSOSession(name)
	if s == nil {
		return SSO{}, configErr(fmt.Sprintf("The specified sso-session does not exist: %q (in %s)", name, f.Path),
			"run `s3sso configure sso` to create it")
	}
	out := SSO{Session: name, StartURL: s.Value("sso_start_url"), Region: s.Value("sso_region")}
	if v, ok := s.Get("sso_registration_scopes"); ok {
		out.Scopes = ParseScopes(v)
	}
	var missing []string
	if out.StartURL == "" {
		missing = append(missing, "sso_start_url")
	}
	if out.Region == "" {
		missing = append(missing, "sso_region")
	}
	if len(missing) > 0 {
		return SSO{}, configErr(fmt.Sprintf("sso-session %q is missing required configuration: %s", name, strings.Join(missing, ", ")),
			"add them to [sso-session "+shlexQuote(name)+"] in "+f.Path)
	}
	return out, nil
}

// Endpoint service keys.
const (
	ServiceSSO     = "sso"      // the portal API, AWS_ENDPOINT_URL_SSO
	ServiceSSOOIDC = "sso_oidc" // the OIDC API, AWS_ENDPOINT_URL_SSO_OIDC
	ServiceS3      = "s3"
	ServiceSTS     = "sts"
)

// EndpointSource says where an endpoint override came from.
type EndpointSource string

// Endpoint sources, in precedence order.
const (
	EndpointNone       EndpointSource = ""
	EndpointServiceEnv EndpointSource = "service environment variable"
	EndpointGlobalEnv  EndpointSource = "AWS_ENDPOINT_URL"
	EndpointServices   EndpointSource = "services section"
	EndpointProfileURL EndpointSource = "profile endpoint_url"
)

// Endpoint returns the configured endpoint URL for service (a services-key
// like "sso_oidc") for profile ("" for none), with botocore's precedence:
// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services
// section, the profile's endpoint_url. It returns "" when none applies or
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls is
// true.
func (f *File) Endpoint(profile, service string) (string, EndpointSource) {
	var p *Section
	if profile != "" {
		p = f.Profile(profile)
	}
	if isTrue(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) || isTrue(p.Value("ignore_configured_endpoint_urls")) {
		return "", EndpointNone
	}
	if v := os.Getenv("AWS_ENDPOINT_URL_" + strings.ToUpper(service)); v != "" {
		return v, EndpointServiceEnv
	}
	if v := os.Getenv("AWS_ENDPOINT_URL"); v != "" {
		return v, EndpointGlobalEnv
	}
	if p == nil {
		return "", EndpointNone
	}
	if name := p.Value("services"); name != "" {
		if s := f.Services(name); s != nil {
			if k := s.key(service); k != nil && k.Nested["endpoint_url"] != "" {
				return k.Nested["endpoint_url"], EndpointServices
			}
		}
	}
	if v := p.Value("endpoint_url"); v != "" {
		return v, EndpointProfileURL
	}
	return "", EndpointNone
}

func isTrue(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// CommentCharWarnings lists values of the profile (and its sso-session and
// services sections) that contain '#' or ';'. botocore keeps such values
// whole while aws-sdk-go-v2 cuts them at the character, so the two read
// different values (and, for a start URL, different token cache files).
func (f *File) CommentCharWarnings(profile string) []string {
	var out []string
	check := func(s *Section) {
		if s == nil {
			return
		}
		for _, k := range s.Keys {
			if strings.ContainsAny(k.Value, "#;") {
				out = append(out, fmt.Sprintf("[%s] %s = %s contains '#' or ';': the AWS CLI keeps the whole value, the Go SDK and other tools cut it there", s.Header, k.Name, k.Value))
			}
			for nk, nv := range k.Nested {
				if strings.ContainsAny(nv, "#;") {
					out = append(out, fmt.Sprintf("[%s] %s.%s contains '#' or ';'", s.Header, k.Name, nk))
				}
			}
		}
	}
	p := f.Profile(profile)
	check(p)
	if p != nil {
		if n := p.Value("sso_session"); n != "" {
			check(f.SSOSession(n))
		}
		if n := p.Value("services"); n != "" {
			check(f.Services(n))
		}
	}
	sort.Strings(out)
	return out
}

// ProfileName returns the profile in effect: flag, then AWS_PROFILE, then
// AWS_DEFAULT_PROFILE, then "default".
func ProfileName(flag string) string {
	for _, v := range []string{flag, os.Getenv("AWS_PROFILE"), os.Getenv("AWS_DEFAULT_PROFILE")} {
		if v != "" {
			return v
		}
	}
	return "default"
}
