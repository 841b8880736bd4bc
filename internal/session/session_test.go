package session

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// isolate gives the test its own AWS config with two static-key profiles.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile a]\nregion = eu-west-1\naws_access_key_id = AKIDA\naws_secret_access_key = sa\n"+
		"[profile b]\nregion = us-west-2\naws_access_key_id = AKIDB\naws_secret_access_key = sb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, v := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
}

// One Manager holds several identities at once, each cached by reference
// and overrides.
func TestManySessions(t *testing.T) {
	isolate(t)
	m := New(Options{})
	var wg sync.WaitGroup
	got := make([]*Session, 4)
	for i, ref := range []Ref{{Profile: "a"}, {Profile: "b"}, {Profile: "a"}, {Profile: "b"}} {
		wg.Go(func() {
			s, err := m.Open(t.Context(), ref, Overrides{})
			if err != nil {
				t.Errorf("open %v: %v", ref, err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if got[0] != got[2] || got[1] != got[3] || got[0] == got[1] {
		t.Fatal("sessions are not cached per reference")
	}
	for _, c := range []struct {
		s      *Session
		key    string
		region string
	}{{got[0], "AKIDA", "eu-west-1"}, {got[1], "AKIDB", "us-west-2"}} {
		cr, err := c.s.Config.Credentials.Retrieve(t.Context())
		if err != nil || cr.AccessKeyID != c.key || c.s.Config.Region != c.region {
			t.Errorf("%v: key %q region %q (%v), want %s %s", c.s.Ref, cr.AccessKeyID, c.s.Config.Region, err, c.key, c.region)
		}
	}
	o, err := m.Open(t.Context(), Ref{Profile: "a"}, Overrides{Region: "ap-south-1"})
	if err != nil || o == got[0] || o.Config.Region != "ap-south-1" {
		t.Errorf("overrides make another session: %v %v", o.Config.Region, err)
	}
}

type fakePrompter struct {
	NonInteractive
	interactive bool
	asked       []Choice
	answer      int
}

func (p *fakePrompter) Interactive() bool { return p.interactive }
func (p *fakePrompter) Choose(_ context.Context, c Choice) (int, error) {
	p.asked = append(p.asked, c)
	return p.answer, nil
}

// A choice with one answer is never asked; several are asked when someone
// can answer, and otherwise fail with the data a front end needs.
func TestChoose(t *testing.T) {
	p := &fakePrompter{interactive: true, answer: 1}
	one := Choice{Ref: Ref{Account: "w"}, What: "role", Setting: SettingRoleName, IDs: []string{"R"}, Labels: []string{"R"}}
	if v, err := choose(t.Context(), p, one); err != nil || v != "R" || len(p.asked) != 0 {
		t.Fatalf("single choice: %q %v, asked %d", v, err, len(p.asked))
	}
	two := one
	two.IDs, two.Labels = []string{"R", "A"}, []string{"R", "A"}
	if v, err := choose(t.Context(), p, two); err != nil || v != "A" || len(p.asked) != 1 {
		t.Fatalf("two choices: %q %v", v, err)
	}
	_, err := choose(t.Context(), &fakePrompter{}, two)
	var ce *ChoiceError
	if !errors.As(err, &ce) || fault.KindOf(err) != fault.Usage || ce.Choice.Setting != SettingRoleName || ce.Choice.Ref.Account != "w" {
		t.Fatalf("without a person: %v", err)
	}
	if _, err := choose(t.Context(), p, Choice{Ref: Ref{Account: "w"}, What: "role"}); fault.KindOf(err) != fault.AccessDenied {
		t.Fatalf("no choice: %v", err)
	}
}

func TestRefLoginRef(t *testing.T) {
	t.Setenv("AWS_PROFILE", "")
	for ref, want := range map[Ref]fault.LoginRef{
		{}:                {Profile: "default"},
		{Profile: "dev"}:  {Profile: "dev"},
		{SSOSession: "c"}: {SSOSession: "c"},
		{Account: "w"}:    {Account: "w"},
	} {
		if got := ref.LoginRef(); got != want || RefOf(got).LoginRef() != want {
			t.Errorf("%+v: %+v, want %+v", ref, got, want)
		}
	}
}

// A failed Open is not cached: once the profile exists, Open succeeds.
func TestOpenFailureNotCached(t *testing.T) {
	isolate(t)
	m := New(Options{})
	if _, err := m.Open(t.Context(), Ref{Profile: "c"}, Overrides{}); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("missing profile: %v", err)
	}
	f, err := os.OpenFile(os.Getenv("AWS_CONFIG_FILE"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("[profile c]\naws_access_key_id = AKIDC\naws_secret_access_key = sc\n")
	f.Close()
	s, err := m.Open(t.Context(), Ref{Profile: "c"}, Overrides{})
	if err != nil {
		t.Fatalf("after adding the profile: %v", err)
	}
	if cr, err := s.Config.Credentials.Retrieve(t.Context()); err != nil || cr.AccessKeyID != "AKIDC" {
		t.Errorf("credentials %q %v", cr.AccessKeyID, err)
	}
}
