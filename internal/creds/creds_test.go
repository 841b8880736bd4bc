package creds

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Load never changes the process environment (it used to unset
// AWS_CA_BUNDLE around the SDK's config load, racing other goroutines that
// read it), and a missing bundle does not matter until a TLS connection
// needs it.
func TestLoadLeavesEnvironmentAlone(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "missing.pem")
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	for _, v := range []string{"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		t.Setenv(v, "") // restored afterwards
		os.Unsetenv(v)
	}
	stop := make(chan struct{})
	var seen sync.Map
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			seen.Store(os.Getenv("AWS_CA_BUNDLE"), true)
		}
	})
	for range 20 {
		if _, err := Load(t.Context(), Options{Region: "us-east-1", CABundle: EnvCABundle()}); err != nil {
			t.Fatalf("Load with a missing AWS_CA_BUNDLE: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	seen.Range(func(k, _ any) bool {
		if k != bundle {
			t.Errorf("AWS_CA_BUNDLE was %q during Load", k)
		}
		return true
	})
}
