package appdir

import (
	"path/filepath"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

func TestXDGWinsAndRelativeIsIgnored(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	t.Setenv("XDG_CACHE_HOME", "relative/cache")
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	if got, _ := Config("accounts.json"); got != filepath.Join(home, "cfg", "s3sso", "accounts.json") {
		t.Errorf("Config = %s", got)
	}
	if got, _ := State("journal"); got != filepath.Join(home, "state", "s3sso", "journal") {
		t.Errorf("State = %s", got)
	}
	// A relative XDG value is invalid per the spec, and Go's own lookup
	// refuses it: a clear configuration error, not a directory relative to
	// wherever the command runs.
	if got, err := Cache("oidc"); err == nil || fault.KindOf(err) != fault.Config {
		t.Errorf("Cache with a relative XDG_CACHE_HOME = %s, %v", got, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	if got, _ := Cache("oidc"); got != filepath.Join(home, ".cache", "s3sso", "oidc") {
		t.Errorf("Cache without XDG_CACHE_HOME = %s", got)
	}
}
