package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// followSignIn waits for the next sign-in panel and does what the person's
// browser does: opens its link (the emulator redirects to the core's
// loopback listener).
func (e *uiEnv) followSignIn() Prompt {
	e.t.Helper()
	var p Prompt
	json.Unmarshal(e.waitEvent("prompt", func(d json.RawMessage) bool { return strings.Contains(string(d), `"signin"`) }), &p)
	go func() {
		if res, err := http.Get(p.URL); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}()
	return p
}

// TestReloginPausesUpload: an upload through the page outlives its role
// credentials after the IAM Identity Center session ended (revoked), so
// they cannot be renewed silently. The core pauses the job and signs in
// again through the page: a "sign-in expired" notice, the transfer marked
// paused, a sign-in panel; after the sign-in the upload completes, intact.
func TestReloginPausesUpload(t *testing.T) { testRelogin(t, false) }

// TestReloginPausesUploadInParts: the same with the upload the page sends
// in parallel parts (a large file): each part's request pauses and goes on.
func TestReloginPausesUploadInParts(t *testing.T) { testRelogin(t, true) }

func testRelogin(t *testing.T, parts bool) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	e := startUI(t)
	d := &ssotest.Deadlines{}
	emu := ssotest.Start(t, ssotest.Options{
		Accounts:    []ssotest.Account{{ID: "111122223333", Name: "dev", Roles: []string{"Admin"}}},
		Credentials: d.Wrap(ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0), 4*time.Second),
	})
	// The proxy refuses expired credentials as AWS does, and paces the
	// bytes so that the upload lasts longer than the credentials.
	proxy, err := ssotest.NewExpiryProxy(m.Endpoint, d, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	t.Setenv("AWS_ENDPOINT_URL_SSO", emu.URL)
	t.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", emu.URL)
	t.Setenv("S3SSO_TEST_CREDENTIALS_EXPIRY_WINDOW", "1s")
	t.Setenv("S3SSO_TEST_REFRESH_INTERVAL", "500ms")
	e.watch()

	form := map[string]any{"name": "work", "type": "sso", "settings": map[string]any{"start-url": startURL, "sso-region": "us-east-1",
		"endpoint-url": ps.URL, "region": m.Region, "path-style": true, "list-all-buckets": false, "external-bucket": bucket}}
	if st := e.do("POST", "/api/accounts", form, nil); st != http.StatusCreated {
		t.Fatalf("add: %d", st)
	}
	e.do("POST", "/api/accounts/work/login", map[string]any{}, nil)
	e.followSignIn()
	var done loginState
	json.Unmarshal(e.waitEvent("login", nil), &done)
	if done.State != "done" {
		t.Fatalf("first sign-in: %+v", done)
	}

	// 40 MiB: three parts at 4 MiB/s through the proxy, about 10 s; the
	// credentials live 4 s and the session ends at once.
	body := make([]byte, 40<<20)
	rand.Read(body)
	result := make(chan int, 1)
	send := func(method, path string, body []byte) int {
		req, _ := http.NewRequest(method, e.base+path, bytes.NewReader(body))
		req.Header.Set("Origin", e.base)
		res, err := e.c.Do(req)
		if err != nil {
			return -1
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	go func() {
		if parts {
			result <- uploadInParts(e, "work", bucket, "big.bin", body, send)
			return
		}
		req, _ := http.NewRequest("PUT", e.base+"/api/upload?"+q("acct", "work", "bucket", bucket, "key", "big.bin", "size", itoa(int64(len(body)))), bytes.NewReader(body))
		req.Header.Set("Origin", e.base)
		res, err := e.c.Do(req)
		if err != nil {
			result <- -1
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		result <- res.StatusCode
	}()
	e.waitEvent("transfer", func(d json.RawMessage) bool { return strings.Contains(string(d), `"running"`) })
	emu.RevokeAll()

	var n Notice
	json.Unmarshal(e.waitEvent("notice", func(d json.RawMessage) bool { return strings.Contains(string(d), "sign-in-expired") }), &n)
	if n.Ref != "work" || !strings.Contains(n.Message, "paused") {
		t.Errorf("notice: %+v", n)
	}
	var ts []Transfer
	e.do("GET", "/api/transfers", nil, &ts)
	if len(ts) != 1 || ts[0].State != StateRunning || !ts[0].Paused {
		t.Errorf("transfer while the sign-in is due: %+v", ts)
	}
	if p := e.followSignIn(); p.Ref != "work" {
		t.Errorf("re-sign-in panel: %+v", p)
	}
	e.waitEvent("notice", func(d json.RawMessage) bool { return strings.Contains(string(d), "job-resumed") })
	if st := <-result; st != 200 {
		t.Fatalf("upload: HTTP %d", st)
	}
	var after []Transfer
	e.do("GET", "/api/transfers", nil, &after)
	if ts = after; len(ts) != 1 || ts[0].State != StateDone || ts[0].Paused || ts[0].BytesDone != int64(len(body)) {
		t.Errorf("transfer after the sign-in: %+v", ts)
	}
	if n := emu.Count("CreateToken:authorization_code"); n != 2 {
		t.Errorf("%d PKCE sign-ins, want 2", n)
	}
	out, err := m.Client(t).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) {
		t.Errorf("uploaded object differs (%d bytes)", len(got))
	}
	t.Logf("role credentials issued: %d; requests refused by the proxy: %d", len(d.Issued()), len(proxy.Rejected()))
}

// uploadInParts uploads body as the page does a large file: start, the
// parts at once, complete; it returns the first status that is not 200, or
// the completion's.
func uploadInParts(e *uiEnv, acct, bucket, key string, body []byte, send func(method, path string, body []byte) int) int {
	req, _ := http.NewRequest("POST", e.base+"/api/uploads?"+q("acct", acct, "bucket", bucket, "key", key, "size", itoa(int64(len(body)))), nil)
	req.Header.Set("Origin", e.base)
	res, err := e.c.Do(req)
	if err != nil {
		return -1
	}
	var st partsStart
	json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if res.StatusCode != 200 {
		return res.StatusCode
	}
	codes := make(chan int, st.Parts)
	for n := 1; n <= st.Parts; n++ {
		go func() {
			codes <- send("PUT", "/api/uploads/"+st.ID+"/parts/"+itoa(int64(n)), body[int64(n-1)*st.PartSize:min(int64(n)*st.PartSize, int64(len(body)))])
		}()
	}
	for range st.Parts {
		if c := <-codes; c != 200 {
			return c
		}
	}
	return send("POST", "/api/uploads/"+st.ID+"/complete", nil)
}
