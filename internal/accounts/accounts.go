// Package accounts is s3sso's store of saved accounts: named sign-in
// settings that `s3sso account add|list|show|rm|use` manage and that
// `--account NAME` selects.
//
// The store is one JSON file, $XDG_CONFIG_HOME/s3sso/accounts.json (or
// os.UserConfigDir()/s3sso/accounts.json), mode 0600 in a 0700 directory:
//
//	{
//	  "version": 1,
//	  "default": "work",
//	  "accounts": {
//	    "work": {
//	      "type": "oidc",
//	      "endpoint_url": "http://127.0.0.1:9000",
//	      "region": "us-east-1",
//	      "path_style": true,
//	      "oidc": {"issuer": "https://idp.example.com", "client_id": "s3sso", ...}
//	    }
//	  }
//	}
//
// Every account has a type and the settings every type shares (endpoint URL,
// region, path style, and the advanced settings dual_stack,
// list_all_buckets, check_cloudfront, external_buckets); the settings of its
// type live in an object named after the type: "sso" (IAM Identity Center
// start URL, SSO region, account ID, role name), "profile" (an AWS config
// profile), "oidc", or "keys" (the access key ID; the secret key is in the
// OS keyring or a 0600 file, see Secrets, never in this file). Fields this
// version does not know are kept when the file is rewritten, so an older
// s3sso never drops a newer one's settings.
//
// Writes are atomic (temporary file, fsync, rename) and serialised between
// processes by a lock file (accounts.json.lock), so two processes editing at
// once lose no update. The previous version is kept in accounts.json.bak. A
// file that cannot be parsed is reported with its path (and the backup's)
// and is never overwritten.
package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/s3sso/s3sso/internal/appdir"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Version is the file format version this package writes.
const Version = 1

// Type is an account's sign-in kind.
type Type string

// The account types.
const (
	TypeOIDC    Type = "oidc"
	TypeSSO     Type = "sso"
	TypeProfile Type = "profile"
	TypeKeys    Type = "keys"
)

// ErrNotFound is returned (wrapped) when an account does not exist.
var ErrNotFound = errors.New("account not found")

// Account is one saved account.
type Account struct {
	Name string `json:"-"`
	Type Type   `json:"type"`

	// Settings every type shares.
	EndpointURL string `json:"endpoint_url,omitempty"`
	Region      string `json:"region,omitempty"`
	PathStyle   bool   `json:"path_style,omitempty"`

	// Advanced settings (see Settings methods for defaults).
	DualStack       bool     `json:"dual_stack,omitempty"`
	ListAllBuckets  *bool    `json:"list_all_buckets,omitempty"` // nil: on
	CheckCloudFront bool     `json:"check_cloudfront,omitempty"`
	ExternalBuckets []string `json:"external_buckets,omitempty"`
	// HeaderRules give uploads default headers by key pattern.
	HeaderRules []objstore.HeaderRule `json:"header_rules,omitempty"`

	// Per-type settings; exactly the one matching Type is set.
	OIDC    *OIDC    `json:"oidc,omitempty"`
	SSO     *SSO     `json:"sso,omitempty"`
	Profile *Profile `json:"profile,omitempty"`
	Keys    *Keys    `json:"keys,omitempty"`

	Created time.Time `json:"created,omitzero"`

	extra map[string]json.RawMessage // fields this version does not know
}

// OIDC holds the settings of an OpenID Connect account (`--type oidc`): the
// same fields a Cyberduck S3-STS profile has, plus discovery.
type OIDC struct {
	Issuer       string   `json:"issuer,omitempty"`
	AuthURL      string   `json:"authorization_url,omitempty"` // overrides discovery
	TokenURL     string   `json:"token_url,omitempty"`         // overrides discovery
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"` // confidential clients only
	Scopes       []string `json:"scopes,omitempty"`        // default: openid offline_access
	NoPKCE       bool     `json:"no_pkce,omitempty"`
	RedirectURL  string   `json:"redirect_url,omitempty"` // default: http://127.0.0.1:<free port>/callback

	STSEndpoint     string `json:"sts_endpoint,omitempty"` // default: https://sts.amazonaws.com/
	RoleARN         string `json:"role_arn,omitempty"`
	DurationSeconds int    `json:"duration_seconds,omitempty"`
	RoleSessionName string `json:"role_session_name,omitempty"`

	extra map[string]json.RawMessage
}

// File is the whole accounts file.
type File struct {
	Version  int                 `json:"version"`
	Default  string              `json:"default,omitempty"`
	Accounts map[string]*Account `json:"accounts"`

	extra map[string]json.RawMessage
}

// Names returns the account names, sorted.
func (f *File) Names() []string {
	return slices.Sorted(maps.Keys(f.Accounts))
}

// Get returns the account name, or an error wrapping ErrNotFound.
func (f *File) Get(name string) (*Account, error) {
	a, ok := f.Accounts[name]
	if !ok {
		hint := "list the saved accounts with `s3sso account list`"
		if len(f.Accounts) == 0 {
			hint = "add one with `s3sso account add " + name + " --type sso|profile|oidc|keys ...`"
		}
		return nil, &fault.Error{Kind: fault.NotFound, Msg: fmt.Sprintf("account %q", name), Err: ErrNotFound, Hint: hint}
	}
	return a, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidName reports whether name can name an account: 1-64 letters, digits,
// '.', '_' or '-', starting with a letter or digit (it is used in file names).
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Validate checks an account's settings.
func (a *Account) Validate() error {
	if !ValidName(a.Name) {
		return fault.Newf(fault.Usage, "invalid account name %q: use 1-64 letters, digits, '.', '_' or '-'", a.Name)
	}
	if err := a.validateCommon(); err != nil {
		return err
	}
	switch a.Type {
	case TypeOIDC:
		if a.OIDC == nil {
			return fault.Newf(fault.Config, "account %q of type oidc has no oidc settings", a.Name)
		}
		return a.OIDC.validate(a.Name)
	case TypeSSO:
		if a.SSO == nil {
			return fault.Newf(fault.Config, "account %q of type sso has no sso settings", a.Name)
		}
		return a.SSO.validate(a.Name)
	case TypeProfile:
		if a.Profile == nil || a.Profile.Name == "" {
			return fault.Newf(fault.Usage, "account %q: --profile is required for --type profile", a.Name)
		}
		return nil
	case TypeKeys:
		if a.Keys == nil || a.Keys.AccessKeyID == "" {
			return fault.Newf(fault.Usage, "account %q: --access-key-id is required for --type keys", a.Name)
		}
		return nil
	case "":
		return fault.Newf(fault.Usage, "account %q: --type is required", a.Name)
	default:
		return fault.Newf(fault.Usage, "account %q: unsupported --type %q (supported: sso, profile, oidc, keys)", a.Name, a.Type)
	}
}

func (o *OIDC) validate(name string) error {
	if o.ClientID == "" {
		return fault.Newf(fault.Usage, "account %q: --client-id is required", name)
	}
	if o.Issuer == "" && (o.AuthURL == "" || o.TokenURL == "") {
		return fault.Newf(fault.Usage, "account %q: --issuer is required (or both --auth-url and --token-url)", name)
	}
	if o.DurationSeconds != 0 && (o.DurationSeconds < 900 || o.DurationSeconds > 365*24*3600) {
		return fault.Newf(fault.Usage, "account %q: --duration must be between 15m and 8760h", name)
	}
	return nil
}

// --- JSON with unknown fields preserved ---

func (a *Account) UnmarshalJSON(b []byte) error {
	type plain Account
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	var err error
	a.extra, err = unknownFields(b, []string{"type", "endpoint_url", "region", "path_style", "oidc", "created",
		"dual_stack", "list_all_buckets", "check_cloudfront", "external_buckets", "sso", "profile", "keys"})
	return err
}

func (a Account) MarshalJSON() ([]byte, error) {
	type plain Account
	return withExtra(plain(a), a.extra)
}

func (o *OIDC) UnmarshalJSON(b []byte) error {
	type plain OIDC
	if err := json.Unmarshal(b, (*plain)(o)); err != nil {
		return err
	}
	var err error
	o.extra, err = unknownFields(b, []string{"issuer", "authorization_url", "token_url", "client_id", "client_secret",
		"scopes", "no_pkce", "redirect_url", "sts_endpoint", "role_arn", "duration_seconds", "role_session_name"})
	return err
}

func (o OIDC) MarshalJSON() ([]byte, error) {
	type plain OIDC
	return withExtra(plain(o), o.extra)
}

func (f *File) UnmarshalJSON(b []byte) error {
	type plain File
	if err := json.Unmarshal(b, (*plain)(f)); err != nil {
		return err
	}
	var err error
	f.extra, err = unknownFields(b, []string{"version", "default", "accounts"})
	return err
}

func (f File) MarshalJSON() ([]byte, error) {
	type plain File
	return withExtra(plain(f), f.extra)
}

func unknownFields(b []byte, known []string) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for _, k := range known {
		delete(all, k)
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

func withExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// DefaultPath returns $XDG_CONFIG_HOME/s3sso/accounts.json, falling back to
// os.UserConfigDir()/s3sso/accounts.json.
func DefaultPath() (string, error) {
	return appdir.Config("accounts.json")
}

// SSORegionWriter returns a function that saves region as the SSO region of
// the sso account name, for a login whose vanity start URL resolved to
// another region than the saved one (as the AWS CLI writes sso_region back).
func (s *Store) SSORegionWriter(ctx context.Context, name string) func(region string) error {
	return func(region string) error {
		return s.Update(ctx, func(f *File) error {
			cur, err := f.Get(name)
			if err != nil {
				return err
			}
			if cur.SSO == nil {
				return fault.Newf(fault.Config, "account %q has no sso settings", name)
			}
			cur.SSO.Region = region
			return nil
		})
	}
}
