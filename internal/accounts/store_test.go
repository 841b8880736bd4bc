package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	return &Store{Path: filepath.Join(t.TempDir(), "cfg", "s3sso", "accounts.json")}
}

func oidcAccount(name string) *Account {
	return &Account{Name: name, Type: TypeOIDC, Region: "us-east-1",
		OIDC: &OIDC{Issuer: "https://idp.example.com", ClientID: "cli"}}
}

func TestUpdateCreatesPrivateFile(t *testing.T) {
	s := newStore(t)
	err := s.Update(t.Context(), func(f *File) error {
		f.Accounts["work"] = oidcAccount("work")
		f.Default = "work"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	dst, _ := os.Stat(filepath.Dir(s.Path))
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", dst.Mode().Perm())
	}
	f, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "work" || a.OIDC.Issuer != "https://idp.example.com" || f.Default != "work" || f.Version != Version {
		t.Errorf("loaded %+v %+v", f, a)
	}
	if _, err := f.Get("nope"); !errors.Is(err, ErrNotFound) || fault.KindOf(err) != fault.NotFound {
		t.Errorf("Get(nope) = %v", err)
	}
}

func TestUnknownFieldsSurviveRewrite(t *testing.T) {
	s := newStore(t)
	content := `{"version":1,"future_top":{"x":1},"accounts":{"a":{"type":"oidc","future_acct":"keep","oidc":{"client_id":"c","issuer":"https://i","future_oidc":[1,2]}},
"b":{"type":"sso","sso":{"start_url":"https://x.awsapps.com/start"}}}}`
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), func(f *File) error {
		f.Accounts["c"] = oidcAccount("c")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(s.Path)
	for _, want := range []string{`"future_top"`, `"future_acct": "keep"`, `"future_oidc"`, `"start_url"`, `"c": {`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("rewritten file lacks %s:\n%s", want, b)
		}
	}
}

func TestCorruptFileIsReportedAndKept(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o700); err != nil {
		t.Fatal(err)
	}
	bad := []byte(`{"version":1,"accounts":{`)
	if err := os.WriteFile(s.Path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Update(t.Context(), func(f *File) error {
		f.Accounts["x"] = oidcAccount("x")
		return nil
	})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != s.Path || !strings.Contains(err.Error(), s.Path) {
		t.Fatalf("Update on corrupt file: %v", err)
	}
	if fault.KindOf(err) != fault.Config || fault.HintOf(err) == "" {
		t.Errorf("kind %v hint %q", fault.KindOf(err), fault.HintOf(err))
	}
	if b, _ := os.ReadFile(s.Path); string(b) != string(bad) {
		t.Errorf("corrupt file was changed: %s", b)
	}
}

func TestNewerVersionIsNotOverwritten(t *testing.T) {
	s := newStore(t)
	_ = os.MkdirAll(filepath.Dir(s.Path), 0o700)
	content := `{"version":99,"accounts":{}}`
	_ = os.WriteFile(s.Path, []byte(content), 0o600)
	err := s.Update(t.Context(), func(*File) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(s.Path); string(b) != content {
		t.Errorf("file changed: %s", b)
	}
}

// Concurrent writers, each through its own lock file handle (as separate
// processes would), must not lose an update.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := newStore(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			st := &Store{Path: s.Path}
			errs <- st.Update(context.Background(), func(f *File) error {
				name := fmt.Sprintf("acct%02d", i)
				f.Accounts[name] = oidcAccount(name)
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Names()); got != n {
		t.Errorf("%d accounts after %d concurrent adds: %v", got, n, f.Names())
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Account
		want string
	}{
		{"ok", *oidcAccount("ok"), ""},
		{"bad name", Account{Name: "a/b", Type: TypeOIDC, OIDC: &OIDC{ClientID: "c", Issuer: "https://i"}}, "invalid account name"},
		{"no client", Account{Name: "a", Type: TypeOIDC, OIDC: &OIDC{Issuer: "https://i"}}, "--client-id"},
		{"no issuer", Account{Name: "a", Type: TypeOIDC, OIDC: &OIDC{ClientID: "c"}}, "--issuer"},
		{"duration", Account{Name: "a", Type: TypeOIDC, OIDC: &OIDC{ClientID: "c", Issuer: "https://i", DurationSeconds: 60}}, "--duration"},
		{"type", Account{Name: "a", Type: "nope"}, "unsupported --type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
