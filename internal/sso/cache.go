package sso

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // the AWS CLI names cache files by sha1; not a security use
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/atomicfile"
)

// timeFormat is the AWS CLI's cache time format (UTC, no fractions).
const timeFormat = "2006-01-02T15:04:05Z"

// CacheDir returns ~/.aws/sso/cache (the AWS CLI offers no way to move it).
func CacheDir() string {
	home := os.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".aws", "sso", "cache")
}

// CLICacheDir returns ~/.aws/cli/cache, the AWS CLI's role-credential cache.
func CLICacheDir() string {
	return filepath.Join(filepath.Dir(filepath.Dir(CacheDir())), "cli", "cache")
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s)) //nolint:gosec // file naming compatible with the AWS CLI
	return hex.EncodeToString(sum[:])
}

// TokenFileName returns the token cache file name for key (the sso-session
// name, or the start URL of a legacy profile): sha1(key) + ".json".
func TokenFileName(key string) string { return sha1Hex(key) + ".json" }

// RegistrationFileName returns the client-registration cache file name the
// AWS CLI (>= 2.7.32) uses: sha1 of json.dumps({"region", "scopes",
// "session_name", "startUrl", "tool": "botocore"}, sort_keys=True). scopes
// nil is JSON null (sso_registration_scopes absent); session "" is null
// (legacy profile).
func RegistrationFileName(startURL, region string, scopes []string, session string) string {
	var sc, sn any
	if scopes != nil {
		sc = scopes
	}
	if session != "" {
		sn = session
	}
	b, _ := pyDumps([]pyField{
		{"region", region}, {"scopes", sc}, {"session_name", sn}, {"startUrl", startURL}, {"tool", "botocore"},
	})
	return sha1Hex(string(b)) + ".json"
}

// Token is a cached IAM Identity Center access token in the AWS CLI's
// format. Fields the CLI may omit are empty or zero when absent.
type Token struct {
	StartURL              string
	Region                string
	AccessToken           string
	ExpiresAt             time.Time
	ClientID              string
	ClientSecret          string
	RegistrationExpiresAt time.Time
	RefreshToken          string

	// unknown holds members this package does not know, in file order; they
	// are written back after the known ones.
	unknown []pyField
	// raw holds the time fields as they were written, so that a time s3sso
	// did not change is written back exactly (a "+00:00" stays "+00:00").
	raw map[string]rawTime
}

type rawTime struct {
	t time.Time
	s string
}

// timeField renders a time field: as it was read when unchanged, else in the
// AWS CLI's format.
func (t *Token) timeField(key string, v time.Time) string {
	if r, ok := t.raw[key]; ok && r.t.Equal(v) {
		return r.s
	}
	return v.UTC().Format(timeFormat)
}

var tokenKeys = map[string]bool{"startUrl": true, "region": true, "accessToken": true, "expiresAt": true,
	"clientId": true, "clientSecret": true, "registrationExpiresAt": true, "refreshToken": true}

// ErrNoToken means there is no usable token cache file (missing, not JSON,
// or without accessToken and expiresAt). A login is needed.
var ErrNoToken = errors.New("no cached SSO token")

// ParseTime reads a cache timestamp leniently: RFC 3339 with or without
// fractional seconds or an offset, and the old "...UTC" suffix. A time whose
// UTC year has not four digits (an offset moved it out of 0000-9999) is
// refused: it could not be written back in the cache's format.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutSuffix(s, "UTC"); ok {
		s = rest + "Z"
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			if y := t.UTC().Year(); y < 0 || y > 9999 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q", s)
}

// ParseToken parses a token cache file's content. Errors say which field
// is missing or has which wrong type, never what a field holds.
func ParseToken(data []byte) (*Token, error) {
	v, err := decodeOrdered(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoToken, jsonProblem(err))
	}
	fields, ok := v.([]pyField)
	if !ok {
		return nil, fmt.Errorf("%w: the file holds %s, not a JSON object", ErrNoToken, article(pyType(v)))
	}
	t := &Token{}
	str := func(v any) string { s, _ := v.(string); return s }
	var problems []string
	seen := map[string]bool{}
	for _, f := range fields {
		seen[f.Key] = true
		switch f.Key {
		case "startUrl":
			t.StartURL = str(f.Value)
		case "region":
			t.Region = str(f.Value)
		case "accessToken":
			s, ok := f.Value.(string)
			switch {
			case !ok:
				problems = append(problems, "accessToken is "+article(pyType(f.Value))+", not a string")
			case s == "":
				problems = append(problems, "accessToken is empty")
			}
			t.AccessToken = s
		case "expiresAt":
			s, ok := f.Value.(string)
			if !ok {
				problems = append(problems, "expiresAt is "+article(pyType(f.Value))+", not a string such as \"2026-07-23T19:04:05Z\"")
				break
			}
			tm, err := ParseTime(s)
			if err != nil {
				problems = append(problems, "expiresAt is not a time such as \"2026-07-23T19:04:05Z\""+shownTime(s))
				break
			}
			t.ExpiresAt = tm
			t.keepRaw(f.Key, tm, s)
		case "clientId":
			t.ClientID = str(f.Value)
		case "clientSecret":
			t.ClientSecret = str(f.Value)
		case "registrationExpiresAt":
			if tm, err := ParseTime(str(f.Value)); err == nil {
				t.RegistrationExpiresAt = tm
				t.keepRaw(f.Key, tm, str(f.Value))
			}
		case "refreshToken":
			t.RefreshToken = str(f.Value)
		default:
			t.unknown = append(t.unknown, f)
		}
	}
	for _, k := range []string{"accessToken", "expiresAt"} {
		if !seen[k] {
			problems = append(problems, k+" is missing")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s (the file must contain accessToken and expiresAt as strings)", ErrNoToken, strings.Join(problems, "; "))
	}
	return t, nil
}

// pyType names the JSON type of a value from decodeOrdered.
func pyType(v any) string {
	switch v.(type) {
	case []pyField:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "number"
}

// article puts "a" or "an" before a JSON type name ("null" stays bare).
func article(typ string) string {
	switch typ {
	case "null":
		return "null"
	case "array", "object":
		return "an " + typ
	}
	return "a " + typ
}

// timeChars are the characters of any timestamp layout; a value made only
// of them cannot be a token, so it may be shown.
var timeChars = regexp.MustCompile(`^[0-9TZUC:.+\- ]{1,40}$`)

// shownTime returns ` (got "...")` for a value that looks like a timestamp
// and "" for anything else, which is not echoed.
func shownTime(s string) string {
	if timeChars.MatchString(s) {
		return fmt.Sprintf(" (got %q)", s)
	}
	return ""
}

// jsonProblem describes a JSON syntax error by position only: the message
// of encoding/json quotes the offending character.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON (error at byte %d)", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "not valid JSON (it ends too early)"
	}
	return "not valid JSON"
}

// keepRaw remembers how a time field was written. Only RFC 3339 forms are
// kept; the old "...UTC" suffix is rewritten in the CLI's current format,
// which every reader (the Go SDK's too) accepts.
func (t *Token) keepRaw(key string, tm time.Time, s string) {
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return
	}
	if t.raw == nil {
		t.raw = map[string]rawTime{}
	}
	t.raw[key] = rawTime{tm, s}
}

// Marshal renders the token exactly as the AWS CLI writes it; time fields
// s3sso did not change keep the text they were read with.
func (t *Token) Marshal() ([]byte, error) {
	f := []pyField{{"startUrl", t.StartURL}, {"region", t.Region}, {"accessToken", t.AccessToken},
		{"expiresAt", t.timeField("expiresAt", t.ExpiresAt)}}
	if t.ClientID != "" {
		f = append(f, pyField{"clientId", t.ClientID})
	}
	if t.ClientSecret != "" {
		f = append(f, pyField{"clientSecret", t.ClientSecret})
	}
	if !t.RegistrationExpiresAt.IsZero() {
		f = append(f, pyField{"registrationExpiresAt", t.timeField("registrationExpiresAt", t.RegistrationExpiresAt)})
	}
	if t.RefreshToken != "" {
		f = append(f, pyField{"refreshToken", t.RefreshToken})
	}
	for _, u := range t.unknown {
		if !tokenKeys[u.Key] {
			f = append(f, u)
		}
	}
	return pyDumps(f)
}

// Refreshable reports whether the token carries what a refresh needs
// (botocore's rule: refreshToken, clientId, clientSecret and an unexpired
// registrationExpiresAt).
func (t *Token) Refreshable(now time.Time) bool {
	return t.RefreshToken != "" && t.ClientID != "" && t.ClientSecret != "" &&
		!t.RegistrationExpiresAt.IsZero() && now.Before(t.RegistrationExpiresAt)
}

// Cache is the ~/.aws/sso/cache directory.
type Cache struct {
	Dir string
	// Logger, when set, receives a warning when other users can write to
	// Dir.
	Logger *slog.Logger
}

// DefaultCache returns the cache in the user's home directory.
func DefaultCache() Cache { return Cache{Dir: CacheDir()} }

// TokenPath returns the token file for key.
func (c Cache) TokenPath(key string) string { return filepath.Join(c.Dir, TokenFileName(key)) }

// ReadToken reads the token cached under key. A missing or unusable file
// (not JSON, a field missing or of the wrong type, larger than
// atomicfile.MaxSize) wraps ErrNoToken; a directory in the file's place is
// a fault.Local error naming the path and the fix.
func (c Cache) ReadToken(key string) (*Token, error) {
	c.warnIfOpen()
	path := c.TokenPath(key)
	b, err := atomicfile.ReadFile(path, atomicfile.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoToken
	}
	var tooLarge *atomicfile.TooLargeError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("read SSO token cache: %w: %w", ErrNoToken, tooLarge)
	}
	if err != nil {
		return nil, fmt.Errorf("read SSO token cache: %w", err)
	}
	t, err := ParseToken(b)
	if err != nil {
		return nil, fmt.Errorf("read SSO token cache %s: %w", path, err)
	}
	return t, nil
}

// WriteToken writes the token under key atomically.
func (c Cache) WriteToken(key string, t *Token) error {
	b, err := t.Marshal()
	if err != nil {
		return fmt.Errorf("write SSO token cache: %w", err)
	}
	return c.writeFile(TokenFileName(key), b)
}

// writeFile writes name in the cache directory: directory 0700, file 0600,
// temporary file + fsync + rename; a symbolic link is written through.
func (c Cache) writeFile(name string, data []byte) error {
	c.warnIfOpen()
	return atomicfile.WriteFile(filepath.Join(c.Dir, name), data, 0o600)
}

// warnIfOpen warns (once) when other users can write to the cache
// directory.
func (c Cache) warnIfOpen() {
	atomicfile.WarnIfOpen(c.Logger, c.Dir, "the SSO token cache directory")
}

// Registration is a cached OIDC client registration.
type Registration struct {
	ClientID     string
	ClientSecret string
	ExpiresAt    time.Time
	Scopes       []string
	GrantTypes   []string
	unknown      []pyField
}

// registrationWindow: a registration with less time left counts as expired.
const registrationWindow = 15 * time.Minute

// usable reports whether the registration fits the flow (pkce: it must
// have the authorization_code grant; device: it must not) and has more than
// 15 minutes left.
func (r *Registration) usable(now time.Time, pkce bool) bool {
	hasCode := false
	for _, g := range r.GrantTypes {
		if g == "authorization_code" {
			hasCode = true
		}
	}
	return r.ClientID != "" && r.ClientSecret != "" && hasCode == pkce && r.ExpiresAt.Sub(now) > registrationWindow
}

// ReadRegistration reads a registration file (nil, nil when absent or
// unusable).
func (c Cache) ReadRegistration(name string) (*Registration, error) {
	b, err := atomicfile.ReadFile(filepath.Join(c.Dir, name), atomicfile.MaxSize)
	var tooLarge *atomicfile.TooLargeError
	if errors.Is(err, fs.ErrNotExist) || errors.As(err, &tooLarge) {
		return nil, nil // a cache miss: a new registration replaces it
	}
	if err != nil {
		return nil, fmt.Errorf("read SSO client registration: %w", err)
	}
	return parseRegistration(b), nil
}

// parseRegistration parses a registration file's content: nil when it is
// not a JSON object whose clientId, clientSecret and expiresAt are strings
// (or null) and whose scopes and grantTypes are lists of strings (or null),
// which the CLI treats as a cache miss. Member names match exactly, as in
// botocore ("ClientId" is an unknown member, kept on rewrite).
func parseRegistration(b []byte) *Registration {
	v, err := decodeOrdered(b)
	if err != nil {
		return nil
	}
	fields, ok := v.([]pyField)
	if !ok {
		return nil
	}
	str := func(v any) (string, bool) {
		s, ok := v.(string)
		return s, ok || v == nil
	}
	list := func(v any) ([]string, bool) {
		if v == nil {
			return nil, true
		}
		a, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]string, 0, len(a))
		for _, e := range a {
			s, ok := str(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	r := &Registration{}
	var expires string
	for _, f := range fields {
		ok := true
		switch f.Key {
		case "clientId":
			r.ClientID, ok = str(f.Value)
		case "clientSecret":
			r.ClientSecret, ok = str(f.Value)
		case "expiresAt":
			expires, ok = str(f.Value)
		case "scopes":
			r.Scopes, ok = list(f.Value)
		case "grantTypes":
			r.GrantTypes, ok = list(f.Value)
		default:
			r.unknown = append(r.unknown, f)
		}
		if !ok {
			return nil
		}
	}
	r.ExpiresAt, _ = ParseTime(expires)
	return r
}

// WriteRegistration writes a registration file in the AWS CLI's format.
func (c Cache) WriteRegistration(name string, r *Registration) error {
	b, err := r.marshal()
	if err != nil {
		return err
	}
	return c.writeFile(name, b)
}

// marshal renders the registration as the AWS CLI writes it.
func (r *Registration) marshal() ([]byte, error) {
	f := []pyField{{"clientId", r.ClientID}, {"clientSecret", r.ClientSecret}, {"expiresAt", r.ExpiresAt.UTC().Format(timeFormat)}}
	if len(r.Scopes) > 0 {
		f = append(f, pyField{"scopes", r.Scopes})
	}
	if len(r.GrantTypes) > 0 {
		f = append(f, pyField{"grantTypes", r.GrantTypes})
	}
	f = append(f, r.unknown...)
	return pyDumps(f)
}

// RemovedToken is a token file deleted by RemoveTokens.
type RemovedToken struct {
	File  string // base name, sha1(key).json
	Token *Token
}

// RemoveTokens deletes every *.json file in the cache that holds an
// accessToken (leaving client registrations) and returns the tokens it
// removed, for the portal Logout calls. This is what `aws sso logout` does.
func (c Cache) RemoveTokens() ([]RemovedToken, error) {
	paths, err := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []RemovedToken
	var errs []error
	for _, p := range paths {
		b, err := atomicfile.ReadFile(p, atomicfile.MaxSize)
		if err != nil {
			continue
		}
		var probe map[string]any
		if json.Unmarshal(b, &probe) != nil {
			continue
		}
		if _, ok := probe["accessToken"]; !ok {
			continue
		}
		if t, err := ParseToken(b); err == nil {
			out = append(out, RemovedToken{File: filepath.Base(p), Token: t})
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// RemoveCLIRoleCredentials deletes the AWS CLI's cached role credentials of
// ProviderType "sso" in ~/.aws/cli/cache (as `aws sso logout` does).
func RemoveCLIRoleCredentials(dir string) (int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var probe struct {
			ProviderType string `json:"ProviderType"`
		}
		if json.Unmarshal(b, &probe) != nil || probe.ProviderType != "sso" {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// CLIRoleCacheFileName returns the AWS CLI's role-credential cache file name
// (in ~/.aws/cli/cache) for an SSO role: sha1 of json.dumps(args,
// sort_keys=True, separators=(',', ':')) with args accountId, roleName and
// sessionName (or startUrl for a legacy profile).
func CLIRoleCacheFileName(accountID, roleName, session, startURL string) string {
	var b bytes.Buffer
	b.WriteString(`{"accountId":`)
	pyWriteString(&b, accountID)
	b.WriteString(`,"roleName":`)
	pyWriteString(&b, roleName)
	if session != "" {
		b.WriteString(`,"sessionName":`)
		pyWriteString(&b, session)
	} else {
		b.WriteString(`,"startUrl":`)
		pyWriteString(&b, startURL)
	}
	b.WriteString("}")
	return sha1Hex(b.String()) + ".json"
}
