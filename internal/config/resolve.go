package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Input selects what Resolve resolves: the environment and the command-line
// overrides (--profile, --region).
type Input struct {
	// LookupEnv reads the environment; nil means os.LookupEnv. A variable
	// that is set but empty counts as set, as in botocore.
	LookupEnv func(string) (string, bool)
	Profile   string // --profile: explicit, disables the environment credentials
	Region    string // --region
}

func (in Input) env(name string) (string, bool) {
	if in.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return in.LookupEnv(name)
}

func (in Input) getenv(name string) string {
	v, _ := in.env(name)
	return v
}

// Resolution is what the AWS CLI would use for a command, resolved from the
// environment, the flags, ~/.aws/config and ~/.aws/credentials without any
// network call. Its JSON form is what the differential test compares with
// botocore (testdata/botocore_resolve.py).
type Resolution struct {
	Profile     string            `json:"profile"`
	Region      *string           `json:"region"` // nil: none configured
	Credentials *Credentials      `json:"credentials"`
	Endpoints   map[string]string `json:"endpoints"` // configured endpoint URL per service key (s3, sts, sso, sso_oidc)

	ConfigPath      string `json:"-"`
	CredentialsPath string `json:"-"`
}

// RegionName returns the region, or "" when none is configured.
func (r *Resolution) RegionName() string {
	if r == nil || r.Region == nil {
		return ""
	}
	return *r.Region
}

// Credentials is the credential source the AWS CLI's resolver selects, with
// what it needs, never fetched. Secrets are only in unexported fields; the
// JSON form carries a digest of the secret key.
type Credentials struct {
	Method string `json:"method"` // botocore's METHOD: env, shared-credentials-file, config-file, assume-role, assume-role-with-web-identity, sso, custom-process

	AccessKey string `json:"access_key,omitempty"`
	Secret    string `json:"secret,omitempty"` // sha256 prefix of the secret key
	Token     *bool  `json:"token,omitempty"`

	Process string `json:"process,omitempty"` // credential_process

	SSO *SSOSettings `json:"sso,omitempty"`

	RoleARN              string       `json:"role_arn,omitempty"`
	RoleSessionName      string       `json:"role_session_name,omitempty"`
	ExternalID           string       `json:"external_id,omitempty"`
	MFASerial            string       `json:"mfa_serial,omitempty"`
	DurationSeconds      *int         `json:"duration_seconds,omitempty"`
	Source               *Credentials `json:"source,omitempty"` // assume-role: where the source credentials come from
	CredentialSource     string       `json:"-"`                // credential_source, when the source is named
	WebIdentityTokenFile string       `json:"web_identity_token_file,omitempty"`

	Profile      string `json:"-"` // the profile the source was found in
	secretKey    string
	sessionToken string
}

// SecretKey returns the secret access key of static credentials.
func (c *Credentials) SecretKey() string { return c.secretKey }

// SessionToken returns the session token of static credentials.
func (c *Credentials) SessionToken() string { return c.sessionToken }

// SSOSettings is the IAM Identity Center sign-in an sso credential source
// uses.
type SSOSettings struct {
	Session   *string `json:"session"`
	StartURL  string  `json:"start_url"`
	Region    string  `json:"region"`
	AccountID string  `json:"account_id"`
	RoleName  string  `json:"role_name"`
}

// Error kinds of a ResolveError (the same names as the differential test's
// botocore helper uses).
const (
	ErrParse               = "parse"
	ErrProfileNotFound     = "profile_not_found"
	ErrInvalidRegion       = "invalid_region"
	ErrSourceProfileLoop   = "source_profile_loop"
	ErrPartialCredentials  = "partial_credentials"
	ErrCredentialRetrieval = "credential_retrieval"
	ErrInvalidConfig       = "invalid_config"
)

// ResolveError is a configuration the AWS CLI refuses. Msg names the file
// (and line where there is one) but never a secret value; Hint is the fix.
type ResolveError struct {
	Kind string
	Msg  string
	Hint string
	Err  error // a *ParseError for Kind parse
}

func (e *ResolveError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Msg
}

func (e *ResolveError) Unwrap() error { return e.Err }

func resolveErr(kind, hint, format string, args ...any) error {
	return &ResolveError{Kind: kind, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// profileView is one profile as botocore sees it: the config file's section
// (the last of that name) updated with the credentials file's section.
type profileView map[string]viewValue

type viewValue struct {
	value  string
	nested map[string]string
	path   string
	line   int // 1-based
}

func (p profileView) get(k string) (string, bool) {
	v, ok := p[k]
	return v.value, ok
}

func (p profileView) where(k string) string {
	v, ok := p[k]
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s line %d", v.path, v.line)
}

func sectionView(s *Section, path string) profileView {
	out := profileView{}
	for name, k := range s.view() {
		out[name] = viewValue{value: k.Value, nested: k.Nested, path: path, line: k.line + 1}
	}
	return out
}

// shared is both files read the AWS CLI's way.
type shared struct {
	cfg, creds *File
	profiles   map[string]profileView
	credViews  map[string]profileView // the credentials file's sections
	cfgViews   map[string]profileView // the config file's profiles
}

// ConfigPath returns the config file path for the environment:
// AWS_CONFIG_FILE with environment variables and ~ expanded like Python's
// os.path.expandvars and expanduser, or ~/.aws/config.
func ConfigPath(lookup func(string) (string, bool)) string {
	return Input{LookupEnv: lookup}.path("AWS_CONFIG_FILE", "config")
}

// CredentialsPath is ConfigPath for AWS_SHARED_CREDENTIALS_FILE and
// ~/.aws/credentials.
func CredentialsPath(lookup func(string) (string, bool)) string {
	return Input{LookupEnv: lookup}.path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

func (in Input) path(envName, file string) string {
	p, ok := in.env(envName)
	if !ok {
		p = "~/.aws/" + file
	}
	return in.expandUser(in.expandVars(p))
}

var pyVarRE = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// expandVars is Python's os.path.expandvars: $NAME and ${NAME} of set
// variables are replaced, others are left as they are.
func (in Input) expandVars(p string) string {
	if !strings.Contains(p, "$") {
		return p
	}
	return pyVarRE.ReplaceAllStringFunc(p, func(m string) string {
		name := strings.TrimSuffix(strings.TrimPrefix(m[1:], "{"), "}")
		if v, ok := in.env(name); ok {
			return v
		}
		return m
	})
}

// expandUser is Python's os.path.expanduser for "~" and "~/..." (HOME).
func (in Input) expandUser(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, ok := in.env("HOME")
	if !ok {
		home, _ = os.UserHomeDir()
	}
	if p == "~" {
		return home
	}
	return strings.TrimSuffix(home, "/") + p[1:]
}

// loadShared reads a file for the resolver: a missing path or a directory
// is an empty file (botocore: ConfigNotFound).
func loadShared(path string) (*File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &File{Path: path}, nil
	} else if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: path}, nil
	}
	return Load(path)
}

func readShared(in Input) (*shared, error) {
	cfgPath, credPath := in.path("AWS_CONFIG_FILE", "config"), in.path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
	cfg, err := loadShared(cfgPath)
	if err == nil {
		var creds *File
		creds, err = loadShared(credPath)
		if err == nil {
			sh := &shared{cfg: cfg, creds: creds, profiles: map[string]profileView{}, credViews: map[string]profileView{}, cfgViews: map[string]profileView{}}
			for _, s := range cfg.Sections {
				if s.Kind == KindProfile {
					sh.cfgViews[s.Name] = sectionView(s, cfg.Path)
				}
			}
			for _, s := range creds.Sections {
				if s.Header != defaultSection {
					sh.credViews[s.Header] = sectionView(s, creds.Path)
				}
			}
			for name, v := range sh.cfgViews {
				p := profileView{}
				for k, x := range v {
					p[k] = x
				}
				sh.profiles[name] = p
			}
			for name, v := range sh.credViews {
				p, ok := sh.profiles[name]
				if !ok {
					p = profileView{}
					sh.profiles[name] = p
				}
				for k, x := range v {
					p[k] = x
				}
			}
			return sh, nil
		}
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return nil, &ResolveError{Kind: ErrParse, Err: err, Hint: "fix the file; the AWS CLI rejects it too"}
	}
	return nil, &ResolveError{Kind: ErrParse, Err: err, Hint: "make the file readable, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere"}
}

// LoadShared reads the config file and the credentials file for in (their
// paths from AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), returning
// the config file. A file the AWS CLI refuses is a *ResolveError of kind
// parse.
func LoadShared(in Input) (*File, error) {
	sh, err := readShared(in)
	if err != nil {
		return nil, err
	}
	return sh.cfg, nil
}

// Resolve resolves the profile, region, credential source and configured
// endpoints as the AWS CLI does (botocore's rules; where botocore and the
// AWS CLI v2 differ, the CLI v2's: AWS_PROFILE before AWS_DEFAULT_PROFILE,
// and AWS_REGION before AWS_DEFAULT_REGION). Nothing is fetched: role and
// SSO credentials are described, credential_process is not run. The first
// configuration the CLI refuses is a *ResolveError; the Resolution then
// holds what was resolved before it.
func Resolve(in Input) (*Resolution, error) {
	res := &Resolution{
		ConfigPath:      in.path("AWS_CONFIG_FILE", "config"),
		CredentialsPath: in.path("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
	}
	sh, err := readShared(in)
	if err != nil {
		return res, err
	}

	// Profile: --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, default.
	name, explicit := "", false
	if in.Profile != "" {
		name, explicit = in.Profile, true
	} else if v, ok := in.env("AWS_PROFILE"); ok {
		name, explicit = v, true
	} else if v, ok := in.env("AWS_DEFAULT_PROFILE"); ok {
		name, explicit = v, true
	}
	res.Profile = name
	if name == "" {
		res.Profile = "default"
	}
	prof, ok := sh.profiles[name]
	if !explicit {
		prof, ok = sh.profiles["default"], true
	}
	if !ok {
		return res, resolveErr(ErrProfileNotFound,
			"check the name with `s3sso profiles` or `aws configure list-profiles`, or unset AWS_PROFILE",
			"profile %q not found in %s or %s", name, sh.cfg.Path, sh.creds.Path)
	}

	// Region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile.
	var where string
	if in.Region != "" {
		res.Region, where = &in.Region, "--region"
	} else if v, ok := in.env("AWS_REGION"); ok {
		res.Region, where = &v, "AWS_REGION"
	} else if v, ok := in.env("AWS_DEFAULT_REGION"); ok {
		res.Region, where = &v, "AWS_DEFAULT_REGION"
	} else if v, ok := prof.get("region"); ok {
		res.Region, where = &v, fmt.Sprintf("region in profile %q (%s)", res.Profile, prof.where("region"))
	}
	if res.Region != nil && !validRegion(*res.Region) {
		hint := "set a region name such as eu-west-1"
		if strings.ContainsAny(*res.Region, "#;") {
			hint = "the AWS CLI has no comments after a value: put the comment on a line of its own"
		}
		return res, resolveErr(ErrInvalidRegion, hint, "%s: %q is not a valid region name", where, *res.Region)
	}

	r := &resolver{sh: sh, in: in, visited: []string{res.Profile}}
	res.Credentials, err = r.chain(res.Profile, prof, in.Profile == "")
	if err != nil {
		return res, err
	}
	if res.Credentials == nil {
		// The end of the chain: selected here, fetched by the SDK.
		if r.containerSet() {
			res.Credentials = &Credentials{Method: "container-role"}
		} else if !strings.EqualFold(in.getenv("AWS_EC2_METADATA_DISABLED"), "true") {
			res.Credentials = &Credentials{Method: "iam-role"}
		}
	}

	res.Endpoints = map[string]string{}
	for _, svc := range []string{ServiceS3, ServiceSTS, ServiceSSO, ServiceSSOOIDC} {
		u, err := sh.endpoint(in, prof, svc)
		if err != nil {
			return res, err
		}
		if u != nil {
			res.Endpoints[svc] = *u
		}
	}
	return res, nil
}

var validRegionRE = regexp.MustCompile(`^[a-zA-Z0-9-]{0,63}$`)

// validRegion is botocore's validate_region_name: a host label (no leading
// or trailing '-', not all digits); the empty string passes.
func validRegion(r string) bool {
	if !validRegionRE.MatchString(r) || strings.HasPrefix(r, "-") || strings.HasSuffix(r, "-") {
		return false
	}
	if r == "" {
		return true
	}
	return strings.Trim(r, "0123456789") != ""
}

// endpoint is botocore's configured endpoint for a service:
// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services
// section, the profile's endpoint_url; none when ignored.
func (sh *shared) endpoint(in Input, prof profileView, svc string) (*string, error) {
	if v, ok := in.env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); ok {
		if strings.EqualFold(v, "true") {
			return nil, nil
		}
	} else if v, ok := prof.get("ignore_configured_endpoint_urls"); ok && strings.EqualFold(v, "true") {
		return nil, nil
	}
	if v, ok := in.env("AWS_ENDPOINT_URL_" + strings.ToUpper(svc)); ok {
		return &v, nil
	}
	if v, ok := in.env("AWS_ENDPOINT_URL"); ok {
		return &v, nil
	}
	if name, ok := prof.get("services"); ok {
		s := sh.cfg.Services(name)
		if s == nil {
			return nil, resolveErr(ErrInvalidConfig, fmt.Sprintf("add a [services %s] section to %s or remove the services key", shlexQuote(name), sh.cfg.Path),
				"services = %s (%s) names no [services] section", name, prof.where("services"))
		}
		if k := s.view()[svc]; k != nil {
			if u, ok := k.Nested["endpoint_url"]; ok {
				return &u, nil
			}
		}
	}
	if v, ok := prof.get("endpoint_url"); ok {
		return &v, nil
	}
	return nil, nil
}

// resolver follows botocore's credential resolver for one resolution.
type resolver struct {
	sh      *shared
	in      Input
	visited []string
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

// chain is botocore's default chain: the environment (unless --profile),
// assume-role, then the profile providers.
func (r *resolver) chain(name string, prof profileView, useEnv bool) (*Credentials, error) {
	if useEnv {
		if c, err := r.envCreds(); c != nil || err != nil {
			return c, err
		}
	}
	if c, err := r.assumeRole(name, prof); c != nil || err != nil {
		return c, err
	}
	return r.profileProviders(name, prof, !useEnv)
}

func (r *resolver) envCreds() (*Credentials, error) {
	ak := r.in.getenv("AWS_ACCESS_KEY_ID")
	if ak == "" {
		return nil, nil
	}
	sk := r.in.getenv("AWS_SECRET_ACCESS_KEY")
	if sk == "" {
		return nil, resolveErr(ErrPartialCredentials, "set AWS_SECRET_ACCESS_KEY too, or unset AWS_ACCESS_KEY_ID",
			"AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY")
	}
	tok := ""
	for _, n := range []string{"AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"} {
		if v := r.in.getenv(n); v != "" {
			tok = v
		}
	}
	return static("env", ak, sk, tok), nil
}

func (r *resolver) containerSet() bool {
	_, rel := r.in.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
	_, full := r.in.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	return rel || full
}

func static(method, ak, sk, tok string) *Credentials {
	t := tok != ""
	return &Credentials{Method: method, AccessKey: ak, Secret: digest(sk), Token: &t, secretKey: sk, sessionToken: tok}
}

func hasStatic(p profileView) bool {
	_, a := p["aws_access_key_id"]
	_, s := p["aws_secret_access_key"]
	return a || s
}

func hasAssumeRole(p profileView) bool {
	_, r := p["role_arn"]
	_, w := p["web_identity_token_file"]
	return r && !w
}

func (r *resolver) assumeRole(name string, prof profileView) (*Credentials, error) {
	if !hasAssumeRole(prof) {
		return nil, nil
	}
	c := &Credentials{Method: "assume-role", Profile: name}
	c.RoleARN, _ = prof.get("role_arn")
	c.RoleSessionName, _ = prof.get("role_session_name")
	c.ExternalID, _ = prof.get("external_id")
	c.MFASerial, _ = prof.get("mfa_serial")
	if v, ok := prof.get("duration_seconds"); ok {
		if n, err := pyInt(v); err == nil {
			c.DurationSeconds = &n
		}
	}
	src, hasSrc := prof.get("source_profile")
	cs, hasCS := prof.get("credential_source")
	switch {
	case hasSrc && hasCS:
		return nil, resolveErr(ErrInvalidConfig, "keep one of them", "profile %q has both source_profile and credential_source (%s)", name, prof.where("role_arn"))
	case !hasSrc && !hasCS:
		return nil, resolveErr(ErrPartialCredentials, "add source_profile or credential_source to the profile",
			"profile %q has role_arn (%s) but neither source_profile nor credential_source", name, prof.where("role_arn"))
	case hasCS:
		c.CredentialSource = cs
		switch cs {
		case "Environment":
			env, err := r.envCreds()
			if err != nil {
				return nil, err
			}
			if env == nil {
				return nil, resolveErr(ErrCredentialRetrieval, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
					"credential_source = Environment in profile %q, but the environment has no credentials", name)
			}
			c.Source = env
		case "Ec2InstanceMetadata":
			// Never fetched here; the SDK's provider fetches them.
			if strings.EqualFold(r.in.getenv("AWS_EC2_METADATA_DISABLED"), "true") {
				return nil, resolveErr(ErrCredentialRetrieval, "unset AWS_EC2_METADATA_DISABLED or use another credential_source",
					"credential_source = Ec2InstanceMetadata in profile %q, but AWS_EC2_METADATA_DISABLED=true", name)
			}
			c.Source = &Credentials{Method: "iam-role"}
		case "EcsContainer":
			if !r.containerSet() {
				return nil, resolveErr(ErrCredentialRetrieval, "set AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI, or use another credential_source",
					"credential_source = EcsContainer in profile %q, but no container credentials endpoint is set", name)
			}
			c.Source = &Credentials{Method: "container-role"}
		default:
			return nil, resolveErr(ErrInvalidConfig, "use Environment, Ec2InstanceMetadata or EcsContainer",
				"credential_source %q in profile %q (%s) is not valid", cs, name, prof.where("credential_source"))
		}
		return c, nil
	}
	sp, ok := r.sh.profiles[src]
	if !ok {
		return nil, resolveErr(ErrInvalidConfig, "create the profile or fix the name",
			"source_profile %q of profile %q (%s) does not exist", src, name, prof.where("source_profile"))
	}
	for _, v := range r.visited {
		if v != src {
			continue
		}
		if src != name || !hasStatic(sp) {
			hint := "make the chain end at a profile with credentials (static keys, credential_process, sso_session or web_identity_token_file) that is not already in it"
			if src == name {
				hint = "a profile may name itself as source_profile only when it holds aws_access_key_id and aws_secret_access_key; " + hint
			}
			return nil, resolveErr(ErrSourceProfileLoop, hint,
				"source_profile loop in %s: profile %s -> %s", r.sh.cfg.Path, strings.Join(r.visited, " -> "), src)
		}
	}
	r.visited = append(r.visited, src)
	var err error
	if hasStatic(sp) || !hasAssumeRole(sp) {
		c.Source, err = r.profileProviders(src, sp, true)
		if err == nil && c.Source == nil {
			err = resolveErr(ErrInvalidConfig, "give profile "+src+" credentials (static keys, credential_process, sso_session or web_identity_token_file), or name another source_profile",
				"profile %s, the source_profile of role %s, has no credentials", src, c.RoleARN)
		}
	} else {
		c.Source, err = r.assumeRole(src, sp)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// pyInt is Python's int() of a string: surrounding white space and
// underscores between digits allowed.
func pyInt(s string) (int, error) {
	s = pyStrip(s)
	if strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
		return 0, errors.New("invalid")
	}
	return strconv.Atoi(strings.ReplaceAll(s, "_", ""))
}

// profileProviders is botocore's ProfileProviderBuilder chain: web
// identity, SSO, the credentials file, credential_process, the config file.
func (r *resolver) profileProviders(name string, prof profileView, disableEnv bool) (*Credentials, error) {
	if c, err := r.webIdentity(prof, disableEnv); c != nil || err != nil {
		return c, err
	}
	if c, err := r.sso(name, prof); c != nil || err != nil {
		return c, err
	}
	for _, src := range []struct {
		method string
		view   profileView
	}{{"shared-credentials-file", r.sh.credViews[name]}} {
		if c, err := staticFrom(src.method, name, src.view); c != nil || err != nil {
			return c, err
		}
	}
	if v, ok := prof.get("credential_process"); ok && v != "" {
		return &Credentials{Method: "custom-process", Process: v, Profile: name}, nil
	}
	return staticFrom("config-file", name, r.sh.cfgViews[name])
}

func staticFrom(method, name string, v profileView) (*Credentials, error) {
	if v == nil {
		return nil, nil
	}
	ak, ok := v.get("aws_access_key_id")
	if !ok {
		return nil, nil
	}
	sk, ok := v.get("aws_secret_access_key")
	if !ok {
		return nil, resolveErr(ErrPartialCredentials, "add aws_secret_access_key to the profile",
			"profile %q has aws_access_key_id (%s) but no aws_secret_access_key", name, v.where("aws_access_key_id"))
	}
	tok := ""
	if t, ok := v.get("aws_security_token"); ok {
		tok = t
	} else if t, ok := v.get("aws_session_token"); ok {
		tok = t
	}
	c := static(method, ak, sk, tok)
	c.Profile = name
	return c, nil
}

func (r *resolver) webIdentity(prof profileView, disableEnv bool) (*Credentials, error) {
	get := func(key, env string) (string, bool) {
		if !disableEnv {
			if v, ok := r.in.env(env); ok {
				return v, true
			}
		}
		return prof.get(key)
	}
	path, _ := get("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE")
	if path == "" {
		return nil, nil
	}
	arn, _ := get("role_arn", "AWS_ROLE_ARN")
	if arn == "" {
		return nil, resolveErr(ErrInvalidConfig, "set role_arn in the profile or AWS_ROLE_ARN",
			"web_identity_token_file is set but no role ARN")
	}
	c := &Credentials{Method: "assume-role-with-web-identity", RoleARN: arn, WebIdentityTokenFile: path}
	c.RoleSessionName, _ = get("role_session_name", "AWS_ROLE_SESSION_NAME")
	return c, nil
}

func (r *resolver) sso(name string, prof profileView) (*Credentials, error) {
	_, a := prof["sso_account_id"]
	_, rn := prof["sso_role_name"]
	if !a && !rn {
		return nil, nil
	}
	view := map[string]string{}
	for k, v := range prof {
		view[k] = v.value
	}
	required := []string{"sso_role_name", "sso_account_id", "sso_start_url", "sso_region"}
	var session *string
	if s, ok := view["sso_session"]; ok {
		sec := r.sh.cfg.SSOSession(s)
		if sec == nil {
			return nil, resolveErr(ErrInvalidConfig, "add the [sso-session] section or fix sso_session",
				"The specified sso-session does not exist: %q (profile %q, %s)", s, name, prof.where("sso_session"))
		}
		for k, kv := range sec.view() {
			if pv, ok := view[k]; ok && pv != kv.Value {
				return nil, resolveErr(ErrInvalidConfig, "remove "+k+" from the profile or make the two equal",
					"The value for %s is inconsistent between profile %q (%s) and sso-session %q (%s)", k, name, pv, s, kv.Value)
			}
			view[k] = kv.Value
		}
		session = &s
		required = append(required, "sso_session")
	}
	var missing []string
	for _, k := range required {
		if _, ok := view[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, resolveErr(ErrInvalidConfig, "run `s3sso configure sso --profile "+shlexQuote(name)+"`",
			"The profile %q is configured to use SSO but is missing required configuration: %s", name, strings.Join(missing, ", "))
	}
	return &Credentials{Method: "sso", Profile: name, SSO: &SSOSettings{
		Session: session, StartURL: view["sso_start_url"], Region: view["sso_region"],
		AccountID: view["sso_account_id"], RoleName: view["sso_role_name"],
	}}, nil
}
