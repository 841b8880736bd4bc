// Package appdir names s3sso's own directories: configuration (the accounts
// store), cache (OpenID Connect tokens) and state (transfer journals). The
// XDG base directory variables win on every platform; without them the
// platform's user directories are used.
package appdir

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/s3sso/s3sso/internal/fault"
)

const app = "s3sso"

// Config returns $XDG_CONFIG_HOME/s3sso/elem..., else os.UserConfigDir().
func Config(elem ...string) (string, error) {
	return dir("XDG_CONFIG_HOME", os.UserConfigDir, elem)
}

// Cache returns $XDG_CACHE_HOME/s3sso/elem..., else os.UserCacheDir().
func Cache(elem ...string) (string, error) {
	return dir("XDG_CACHE_HOME", os.UserCacheDir, elem)
}

// State returns $XDG_STATE_HOME/s3sso/elem..., else the user cache
// directory (Go has no portable state directory).
func State(elem ...string) (string, error) {
	return dir("XDG_STATE_HOME", os.UserCacheDir, elem)
}

func dir(env string, fallback func() (string, error), elem []string) (string, error) {
	base := os.Getenv(env)
	if base == "" || !filepath.IsAbs(base) {
		var err error
		if base, err = fallback(); err != nil {
			return "", fault.Wrap(fault.Config, fmt.Errorf("find the %s directory: %w", app, err), "set "+env+" or HOME")
		}
	}
	return filepath.Join(append([]string{base, app}, elem...)...), nil
}
