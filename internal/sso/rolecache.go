package sso

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/atomicfile"
)

// RoleCacheWindow: role credentials cached in ~/.aws/cli/cache are reused
// until less than this much of their lifetime is left, as botocore's
// CachedCredentialFetcher does.
const RoleCacheWindow = 15 * time.Minute

// roleCacheProviderType marks the AWS CLI's cache entries of SSO role
// credentials (`aws sso logout` deletes exactly these).
const roleCacheProviderType = "sso"

// RoleCache is the AWS CLI's role-credential cache, ~/.aws/cli/cache, for
// the entries of IAM Identity Center roles (protocol.md section 6): one file
// per role and sign-in, named sha1 of the compact sorted JSON of accountId,
// roleName and sessionName (or startUrl for a legacy profile), holding
//
//	{"ProviderType": "sso", "Credentials": {"AccessKeyId": "..",
//	 "SecretAccessKey": "..", "SessionToken": "..",
//	 "Expiration": "2026-07-23T19:04:05Z", "AccountId": ".."}}
//
// in Python's json.dumps layout. The AWS CLI v2 and s3sso both read and write
// it, so a role credential fetched by either serves the other.
type RoleCache struct {
	Dir string
}

// DefaultRoleCache returns the cache in the user's home directory.
func DefaultRoleCache() RoleCache { return RoleCache{Dir: CLICacheDir()} }

// Path returns the cache file of t's role.
func (c RoleCache) Path(t Target) string {
	return filepath.Join(c.Dir, CLIRoleCacheFileName(t.AccountID, t.RoleName, t.Session, t.StartURL))
}

// roleCacheFile is the JSON of one entry. Unknown members are not kept: the
// AWS CLI rewrites whole entries too.
type roleCacheFile struct {
	ProviderType string `json:"ProviderType"`
	Credentials  struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		SessionToken    string `json:"SessionToken"`
		Expiration      string `json:"Expiration"`
		AccountID       string `json:"AccountId"`
	} `json:"Credentials"`
}

// errNoRoleCache means: no usable entry (missing, unreadable JSON, not an
// SSO entry, or incomplete). Like the AWS CLI, s3sso then calls
// GetRoleCredentials and rewrites the entry.
var errNoRoleCache = errors.New("no cached role credentials")

// Read returns the cached credentials of t's role, whatever their expiry;
// see Fresh. A missing or unusable entry wraps errNoRoleCache.
func (c RoleCache) Read(t Target) (aws.Credentials, error) {
	p := c.Path(t)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return aws.Credentials{}, errNoRoleCache
	}
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("%w: %w", errNoRoleCache, err)
	}
	var f roleCacheFile
	if err := json.Unmarshal(b, &f); err != nil {
		return aws.Credentials{}, fmt.Errorf("%w: %s: invalid JSON", errNoRoleCache, p)
	}
	rc := f.Credentials
	if f.ProviderType != roleCacheProviderType || rc.AccessKeyID == "" || rc.SecretAccessKey == "" || rc.Expiration == "" {
		return aws.Credentials{}, fmt.Errorf("%w: %s: not an SSO entry", errNoRoleCache, p)
	}
	exp, err := ParseTime(rc.Expiration)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("%w: %s: %w", errNoRoleCache, p, err)
	}
	acct := rc.AccountID
	if acct == "" {
		acct = t.AccountID // the CLI before 2.13 does not write it
	}
	return aws.Credentials{
		AccessKeyID: rc.AccessKeyID, SecretAccessKey: rc.SecretAccessKey, SessionToken: rc.SessionToken,
		Source: CredentialsSource, CanExpire: true, Expires: exp, AccountID: acct,
	}, nil
}

// Fresh reports whether cached credentials may be used at now: more than
// RoleCacheWindow of their lifetime is left.
func Fresh(cr aws.Credentials, now time.Time) bool {
	return cr.Expires.Sub(now) > RoleCacheWindow
}

// Write stores cr as t's entry, atomically (temporary file, fsync, rename),
// 0600 in a directory created 0700.
func (c RoleCache) Write(t Target, cr aws.Credentials) error {
	acct := cr.AccountID
	if acct == "" {
		acct = t.AccountID
	}
	b, err := pyDumps([]pyField{
		{"ProviderType", roleCacheProviderType},
		{"Credentials", []pyField{
			{"AccessKeyId", cr.AccessKeyID},
			{"SecretAccessKey", cr.SecretAccessKey},
			{"SessionToken", cr.SessionToken},
			{"Expiration", cr.Expires.UTC().Format(timeFormat)},
			{"AccountId", acct},
		}},
	})
	if err != nil {
		return fmt.Errorf("write cached role credentials: %w", err)
	}
	if err := atomicfile.WriteFile(c.Path(t), b, 0o600); err != nil {
		return fmt.Errorf("write cached role credentials: %w", err)
	}
	return nil
}

// Remove deletes t's entry. It reports whether there was one; a missing
// entry is not an error.
func (c RoleCache) Remove(t Target) (bool, error) {
	err := os.Remove(c.Path(t))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("remove cached role credentials: %w", err)
}

// removeIfKey deletes t's entry only while it still holds accessKeyID, so
// that credentials another process wrote in the meantime survive.
func (c RoleCache) removeIfKey(t Target, accessKeyID string) {
	if cur, err := c.Read(t); err == nil && cur.AccessKeyID == accessKeyID {
		_, _ = c.Remove(t)
	}
}

// cached returns the credentials of the role-credential cache when they are
// fresh (more than RoleCacheWindow left) and no service has refused them.
func (r *RoleProvider) cached() (aws.Credentials, bool) {
	if r.Cache == nil {
		return aws.Credentials{}, false
	}
	c := r.Tokens.c
	cr, err := r.Cache.Read(r.Tokens.t)
	if err != nil {
		if err != errNoRoleCache { //nolint:errorlint // the bare sentinel means: no file, nothing to say
			c.Logger.Debug("role-credential cache entry not used", "err", err)
		}
		return aws.Credentials{}, false
	}
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	if r.refused[cr.AccessKeyID] || !Fresh(cr, c.now()) {
		return aws.Credentials{}, false
	}
	r.fromCache = cr.AccessKeyID
	c.Logger.Debug("using cached role credentials", "file", r.Cache.Path(r.Tokens.t), "expires", cr.Expires)
	return cr, true
}

// store writes new role credentials to the cache. A failure is only
// logged: the credentials work all the same, the next start fetches again.
func (r *RoleProvider) store(cr aws.Credentials) {
	if r.Cache == nil {
		return
	}
	if err := r.Cache.Write(r.Tokens.t, cr); err != nil {
		r.Tokens.c.Logger.Warn("cannot share the role credentials with the AWS CLI", "err", err)
	}
}

// dropCached removes the cache entry (the portal refused the token or the
// role): credentials cached for it must not outlive the refusal.
func (r *RoleProvider) dropCached() {
	if r.Cache == nil {
		return
	}
	if ok, err := r.Cache.Remove(r.Tokens.t); err != nil {
		r.Tokens.c.Logger.Warn("cannot remove cached role credentials", "err", err)
	} else if ok {
		r.Tokens.c.Logger.Debug("removed cached role credentials", "file", r.Cache.Path(r.Tokens.t))
	}
}

// CredentialsRefused tells the provider that a service refused a request
// signed with accessKeyID as invalid or expired (S3: InvalidAccessKeyId,
// ExpiredToken, InvalidToken). When those credentials came from the
// role-credential cache, it deletes the entry (if it still holds them) and
// forgets the in-memory copy, so that the next Retrieve calls
// GetRoleCredentials, and returns true: the request may be retried with
// the new credentials. Requests signed with credentials fresh from the
// portal, or with other keys, return false, so a request is retried at
// most once. It is safe for concurrent use.
func (r *RoleProvider) CredentialsRefused(accessKeyID string) bool {
	if r.Cache == nil || accessKeyID == "" {
		return false
	}
	r.cacheMu.Lock()
	switch {
	case r.refused[accessKeyID]:
		// Dropped already; this request was in flight with the same key.
		r.cacheMu.Unlock()
		return true
	case accessKeyID != r.fromCache:
		r.cacheMu.Unlock()
		return false
	}
	if r.refused == nil {
		r.refused = map[string]bool{}
	}
	r.refused[accessKeyID] = true
	r.cacheMu.Unlock()
	r.Cache.removeIfKey(r.Tokens.t, accessKeyID)
	r.Tokens.c.Logger.Debug("the service refused the cached role credentials; fetching new ones", "file", r.Cache.Path(r.Tokens.t))
	if r.invalidate != nil {
		r.invalidate()
	}
	return true
}
