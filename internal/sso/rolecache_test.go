package sso

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

func roleTarget(session string) Target {
	return Target{SSO: config.SSO{Session: session, StartURL: startURL, Region: "us-east-1", AccountID: "111122223333", RoleName: "ReadOnly"}}
}

func TestRoleCacheFileFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cli", "cache")
	c := RoleCache{Dir: dir}
	exp := time.Date(2026, 7, 23, 19, 4, 5, 0, time.UTC)
	tgt := roleTarget("my-sso")
	if err := c.Write(tgt, aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s/1", SessionToken: "t\u00e9", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if got := c.Path(tgt); filepath.Base(got) != "0521d1f6a6c4e68f9e18540309367cc3cccb6305.json" {
		t.Errorf("file %s", got)
	}
	b, err := os.ReadFile(c.Path(tgt))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ProviderType": "sso", "Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s/1", "SessionToken": "t\u00e9", "Expiration": "2026-07-23T19:04:05Z", "AccountId": "111122223333"}}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	fi, _ := os.Stat(c.Path(tgt))
	di, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
		t.Errorf("modes: file %v, dir %v", fi.Mode(), di.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	cr, err := c.Read(tgt)
	if err != nil || cr.AccessKeyID != "ASIA1" || cr.SecretAccessKey != "s/1" || cr.SessionToken != "té" || !cr.Expires.Equal(exp) ||
		cr.AccountID != "111122223333" || !cr.CanExpire || cr.Source != CredentialsSource {
		t.Errorf("read back %+v, %v", cr, err)
	}
	// Legacy profiles are keyed by start URL.
	if a, b := c.Path(roleTarget("")), c.Path(tgt); a == b {
		t.Error("legacy and session entries share a file")
	}
	if ok, err := c.Remove(tgt); !ok || err != nil {
		t.Errorf("remove: %v %v", ok, err)
	}
	if ok, err := c.Remove(tgt); ok || err != nil {
		t.Errorf("remove again: %v %v", ok, err)
	}
}

func TestRoleCacheReadsLeniently(t *testing.T) {
	c := RoleCache{Dir: t.TempDir()}
	tgt := roleTarget("my-sso")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(c.Path(tgt), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The AWS CLI before 2.13 writes no AccountId; very old ones wrote "UTC".
	write(`{"ProviderType": "sso", "Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T", "Expiration": "2026-07-23T19:04:05UTC"}}`)
	cr, err := c.Read(tgt)
	if err != nil || cr.AccountID != "111122223333" || cr.Expires.Format(time.RFC3339) != "2026-07-23T19:04:05Z" {
		t.Errorf("%+v %v", cr, err)
	}
	for _, bad := range []string{
		`{`,
		`{"ProviderType": "assume-role", "Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "2026-07-23T19:04:05Z"}}`,
		`{"ProviderType": "sso", "Credentials": {"AccessKeyId": "A", "Expiration": "2026-07-23T19:04:05Z"}}`,
		`{"ProviderType": "sso", "Credentials": {"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}}`,
	} {
		write(bad)
		if _, err := c.Read(tgt); !errors.Is(err, errNoRoleCache) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	now := time.Now()
	if Fresh(aws.Credentials{Expires: now.Add(14 * time.Minute)}, now) || !Fresh(aws.Credentials{Expires: now.Add(16 * time.Minute)}, now) {
		t.Error("reuse window is not 15 minutes")
	}
}

// botocoreFetcher runs botocore's own SSOCredentialFetcher on dir with a
// stub portal client; it returns the cache key botocore computes, whether
// it called GetRoleCredentials, and the access key it ended up with.
const botocoreFetcher = `
import sys, json
from botocore.credentials import SSOCredentialFetcher
from botocore.utils import JSONFileCache
d = json.loads(sys.argv[2])
calls = []
class Stub:
    class exceptions:
        class UnauthorizedException(Exception):
            pass
    def get_role_credentials(self, **kw):
        calls.append(kw)
        return {"roleCredentials": {"accessKeyId": "ASIABOTOCORE", "secretAccessKey": "s", "sessionToken": "t", "expiration": d["expMs"]}}
f = SSOCredentialFetcher(d["startUrl"], "us-east-1", d["role"], d["account"], client_creator=lambda *a, **k: Stub(),
                         token_loader=lambda u: {"accessToken": "tok", "expiresAt": "2999-01-01T00:00:00Z"}, cache=JSONFileCache(sys.argv[1]),
                         sso_session_name=d["session"] or None)
c = f.fetch_credentials()
print(json.dumps({"key": f._create_cache_key(), "calls": len(calls), "accessKey": c["access_key"]}))
`

// TestRoleCacheAgainstBotocore: botocore's SSO fetcher uses an entry s3sso
// wrote (same file name, no portal call), and s3sso reads the entry
// botocore writes.
func TestRoleCacheAgainstBotocore(t *testing.T) {
	py := testenv.RequireTool(t, "python3")
	for _, session := range []string{"my-sso", ""} {
		dir := t.TempDir()
		c := RoleCache{Dir: dir}
		tgt := roleTarget(session)
		run := func(expiry time.Time) (key string, calls int, accessKey string) {
			t.Helper()
			arg, _ := json.Marshal(map[string]any{"startUrl": startURL, "role": tgt.RoleName, "account": tgt.AccountID,
				"session": session, "expMs": expiry.UnixMilli()})
			out, err := exec.Command(py, "-c", botocoreFetcher, dir, string(arg)).CombinedOutput()
			if err != nil {
				t.Fatalf("botocore: %v\n%s", err, out)
			}
			var r struct {
				Key       string
				Calls     int
				AccessKey string
			}
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			return r.Key, r.Calls, r.AccessKey
		}
		// s3sso writes, botocore reads without calling the portal.
		if err := c.Write(tgt, aws.Credentials{AccessKeyID: "ASIAS3SSO", SecretAccessKey: "s", SessionToken: "t", Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		key, calls, ak := run(time.Now().Add(time.Hour))
		if key+".json" != filepath.Base(c.Path(tgt)) || calls != 0 || ak != "ASIAS3SSO" {
			t.Errorf("session %q: botocore key %s (s3sso %s), %d calls, key %s", session, key, filepath.Base(c.Path(tgt)), calls, ak)
		}
		// Within 15 minutes of expiry botocore fetches anew and writes;
		// s3sso reads what it wrote.
		if err := c.Write(tgt, aws.Credentials{AccessKeyID: "ASIAS3SSO", SecretAccessKey: "s", SessionToken: "t", Expires: time.Now().Add(14 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(2 * time.Hour).Truncate(time.Second)
		if _, calls, ak := run(exp); calls != 1 || ak != "ASIABOTOCORE" {
			t.Errorf("session %q: near expiry botocore made %d calls, key %s", session, calls, ak)
		}
		cr, err := c.Read(tgt)
		if err != nil || cr.AccessKeyID != "ASIABOTOCORE" || !cr.Expires.Equal(exp) {
			t.Errorf("session %q: s3sso read %+v, %v", session, cr, err)
		}
	}
}

// TestRoleProviderSharesCache: role credentials are fetched once and then
// served from the cache file by any new provider (a new process), until 15
// minutes before they expire; refused cached credentials are dropped and
// replaced once.
func TestRoleProviderSharesCache(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	login(t, f)
	retrieve := func() aws.Credentials {
		t.Helper()
		creds, _ := f.c.NewCredentials(f.target)
		cr, err := creds.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	first := retrieve()
	if n := f.emu.Count("GetRoleCredentials"); n != 1 {
		t.Fatalf("GetRoleCredentials %d", n)
	}
	onDisk, err := f.c.RoleCache.Read(f.target)
	if err != nil || onDisk.AccessKeyID != first.AccessKeyID {
		t.Fatalf("not cached: %+v %v", onDisk, err)
	}
	// A new process: no call, same credentials.
	if again := retrieve(); again.AccessKeyID != first.AccessKeyID || f.emu.Count("GetRoleCredentials") != 1 {
		t.Errorf("second start: key %s, %d calls", again.AccessKeyID, f.emu.Count("GetRoleCredentials"))
	}
	// Less than 15 minutes left: fetched anew and rewritten.
	// (first.Expires is CredentialsCache's, ahead of the real expiry.)
	skip := onDisk.Expires.Sub(f.clock()) - 14*time.Minute
	f.advance(skip)
	second := retrieve()
	if second.AccessKeyID == first.AccessKeyID || f.emu.Count("GetRoleCredentials") != 2 {
		t.Errorf("near expiry: key %s, %d calls", second.AccessKeyID, f.emu.Count("GetRoleCredentials"))
	}
	if cr, _ := f.c.RoleCache.Read(f.target); cr.AccessKeyID != second.AccessKeyID {
		t.Error("the new credentials were not written back")
	}
	f.advance(-skip)

	// S3 refuses the cached credentials: dropped, replaced once.
	var refused func(string) bool
	creds, _ := f.c.NewCredentials(f.target, func(r *RoleProvider) { refused = r.CredentialsRefused })
	cached, _ := creds.Retrieve(t.Context())
	if cached.AccessKeyID != second.AccessKeyID || f.emu.Count("GetRoleCredentials") != 2 {
		t.Fatalf("not served from the cache: %s, %d calls", cached.AccessKeyID, f.emu.Count("GetRoleCredentials"))
	}
	if refused("ASIAUNKNOWN") {
		t.Error("a key the provider never served was taken as refused")
	}
	if !refused(cached.AccessKeyID) {
		t.Fatal("refused cached credentials must be replaced")
	}
	// Requests in flight with the same key retry too.
	if !refused(cached.AccessKeyID) {
		t.Fatal("a second request refused with the dropped key must be retried")
	}
	if _, err := f.c.RoleCache.Read(f.target); err == nil {
		t.Error("the refused entry is still cached")
	}
	third, err := creds.Retrieve(t.Context())
	if err != nil || third.AccessKeyID == second.AccessKeyID || f.emu.Count("GetRoleCredentials") != 3 {
		t.Fatalf("after the refusal: %s, %v, %d calls", third.AccessKeyID, err, f.emu.Count("GetRoleCredentials"))
	}
	if refused(third.AccessKeyID) {
		t.Error("credentials fresh from the portal must not be replaced again")
	}
}

// TestRoleProviderRevokedToken: cached role credentials outlive a revoked
// token (as in the AWS CLI); once they are refused, the portal's 401 asks
// for a new login and the entry is gone.
func TestRoleProviderRevokedToken(t *testing.T) {
	f := newFixture(t, ssotest.Options{})
	login(t, f)
	first, _ := f.c.NewCredentials(f.target)
	cr, err := first.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f.emu.RevokeAll()
	// A new process uses the cached credentials without the portal.
	var refused func(string) bool
	creds, _ := f.c.NewCredentials(f.target, func(r *RoleProvider) { refused = r.CredentialsRefused })
	if c2, err := creds.Retrieve(t.Context()); err != nil || c2.AccessKeyID != cr.AccessKeyID || f.emu.Count("GetRoleCredentials") != 1 {
		t.Fatalf("cached credentials after revocation: %v, %d calls", err, f.emu.Count("GetRoleCredentials"))
	}
	if !refused(cr.AccessKeyID) {
		t.Fatal("refusal of cached credentials not taken")
	}
	_, err = creds.Retrieve(t.Context())
	if !errors.Is(err, ErrLoginRequired) || !strings.Contains(err.Error(), "rejected") || fault.KindOf(err) != fault.Auth {
		t.Fatalf("401 after the refusal: %v", err)
	}
	if _, err := os.Stat(f.c.RoleCache.Path(f.target)); !os.IsNotExist(err) {
		t.Errorf("entry left after a 401: %v", err)
	}
}
