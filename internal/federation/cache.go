package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/s3sso/s3sso/internal/appdir"
	"github.com/s3sso/s3sso/internal/atomicfile"
	"github.com/s3sso/s3sso/internal/fault"
)

// Cache keeps one entry per account in Dir/<account>.json.
type Cache struct {
	Dir string
}

// DefaultCacheDir returns $XDG_CACHE_HOME/s3sso/oidc, falling back to
// os.UserCacheDir()/s3sso/oidc.
func DefaultCacheDir() (string, error) {
	return appdir.Cache("oidc")
}

// Entry is one account's cached sign-in state.
type Entry struct {
	// Issuer and ClientID bind the entry to the settings it was made with;
	// an entry for other settings is ignored.
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`

	Subject       string    `json:"subject,omitempty"`
	Email         string    `json:"email,omitempty"`
	IDToken       string    `json:"id_token,omitempty"`
	IDTokenExpiry time.Time `json:"id_token_expiry,omitzero"`
	RefreshToken  string    `json:"refresh_token,omitempty"`

	RoleARN     string       `json:"role_arn,omitempty"` // the role asked for
	Credentials *Credentials `json:"credentials,omitempty"`
	Updated     time.Time    `json:"updated,omitzero"`
}

func (c *Cache) path(account string) string { return filepath.Join(c.Dir, account+".json") }

// Load returns the account's entry, or nil when there is none. An unreadable,
// corrupt or oversized (over atomicfile.MaxSize) entry is treated as none (it
// holds nothing that a sign-in cannot recreate) and reported in err.
func (c *Cache) Load(account string) (*Entry, error) {
	b, err := atomicfile.ReadFile(c.path(account), atomicfile.MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token cache: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("token cache %s is corrupt: %w", c.path(account), err)
	}
	return &e, nil
}

// Save writes the account's entry atomically, mode 0600.
func (c *Cache) Save(account string, e *Entry) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("encode token cache: %w", err)
	}
	if err := writeFileAtomic(c.path(account), append(b, '\n')); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("write token cache: %w", err), "")
	}
	return nil
}

// Delete removes the account's entry; a missing one is not an error.
func (c *Cache) Delete(account string) error {
	err := os.Remove(c.path(account))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Wrap(fault.Local, fmt.Errorf("remove token cache: %w", err), "")
	}
	_ = os.Remove(c.path(account) + ".lock")
	return nil
}

// lock takes the account's inter-process lock, so that two processes do not
// spend the same refresh token.
func (c *Cache) lock(ctx context.Context, account string) (func(), error) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("create token cache directory: %w", err), "")
	}
	l := flock.New(c.path(account) + ".lock")
	lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	ok, err := l.TryLockContext(lctx, 25*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = lctx.Err()
		}
		return nil, fault.Wrap(fault.Conflict, fmt.Errorf("lock token cache for account %q: %w", account, err), "another s3sso process is signing in to this account; try again")
	}
	return func() { _ = l.Unlock() }, nil
}

func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o600)
}
