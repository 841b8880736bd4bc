package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestOIDCAccountSignIn: an OpenID Connect account added in the page
// against Dex, with MinIO's STS trusting Dex: the page's sign-in shows the
// authorization link (PKCE), Dex's login page redirects to the s3sso
// loopback listener, and the account lists its bucket and objects. After a
// sign-out, "Use a code" shows the device code and verification link; an
// approval on Dex's device page signs in.
func TestOIDCAccountSignIn(t *testing.T) {
	const client = "s3sso-ui"
	// A public client without registered redirect URIs: Dex accepts any
	// loopback redirect (RFC 8252) and its device callback.
	dex := testenv.StartDex(t, testenv.DexOptions{Clients: []testenv.DexClient{{ID: client, Public: true}}})
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{Env: []string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL=" + dex.Issuer + "/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID=" + client,
		"MINIO_IDENTITY_OPENID_SCOPES=openid,email,profile",
		"MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite",
	}})
	roles := m.IAMRoles(t)
	if len(roles) != 1 {
		t.Fatalf("MinIO announced roles %v, want one", roles)
	}
	bucket := m.NewBucket(t)
	if _, err := m.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket),
		Key: aws.String("hello.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}

	e := startUI(t)
	e.watch()
	form := map[string]any{"name": "dex", "type": "oidc", "settings": map[string]any{
		"issuer": dex.Issuer, "client-id": client, "scopes": "openid offline_access email profile",
		"sts-endpoint": m.Endpoint, "role-arn": roles[0],
		"endpoint-url": m.Endpoint, "region": m.Region, "path-style": true, "list-all-buckets": true}}
	var added map[string]any
	if st := e.do("POST", "/api/accounts", form, &added); st != http.StatusCreated {
		t.Fatalf("add: %d %v", st, added)
	}
	if v := e.accountView("dex"); v.Type != "oidc" || !v.CanSignIn || v.SignedIn {
		t.Errorf("account before the sign-in: %+v", v)
	}

	signIn := func(body map[string]any) Prompt {
		t.Helper()
		if st := e.do("POST", "/api/accounts/dex/login", body, nil); st != http.StatusAccepted {
			t.Fatalf("login: %d", st)
		}
		var p Prompt
		json.Unmarshal(e.waitEvent("prompt", func(d json.RawMessage) bool { return strings.Contains(string(d), `"signin"`) }), &p)
		return p
	}
	loginDone := func(what string) {
		t.Helper()
		var done loginState
		json.Unmarshal(e.waitEvent("login", nil), &done)
		if done.State != "done" {
			t.Fatalf("%s: %+v (Dex log: %s)", what, done, dex.Log())
		}
	}

	// PKCE: the link is Dex's authorization page; its login form ends at
	// the loopback listener.
	p := signIn(map[string]any{})
	if p.Ref != "dex" || p.Flow != "pkce" || !strings.HasPrefix(p.URL, dex.Issuer+"/auth") || !strings.Contains(p.URL, "code_challenge=") {
		t.Fatalf("sign-in panel: %+v", p)
	}
	go func() {
		st, body, err := dex.SignIn(context.Background(), p.URL)
		if err != nil || st != http.StatusOK {
			t.Errorf("Dex sign-in: %d %v %.300s", st, err, body)
		}
	}()
	loginDone("PKCE sign-in")
	if v := e.accountView("dex"); !v.SignedIn || !strings.HasPrefix(v.State, "signed in") {
		t.Errorf("account after the sign-in: %+v", v)
	}
	var bs struct {
		Buckets []bucketView `json:"buckets"`
	}
	if st := e.do("GET", "/api/buckets?"+q("acct", "dex"), nil, &bs); st != 200 {
		t.Fatalf("buckets: %d %+v", st, bs)
	}
	found := false
	for _, b := range bs.Buckets {
		found = found || b.Name == bucket
	}
	if !found {
		t.Errorf("bucket %s not in %+v", bucket, bs.Buckets)
	}
	if names, end := e.list("/api/list?" + q("acct", "dex", "bucket", bucket)); !contains(names, "hello.txt") || end.Error != nil {
		t.Errorf("listing: %v %+v", names, end)
	}

	// Device code: sign out, then "Use a code".
	if st := e.do("POST", "/api/accounts/dex/logout", map[string]any{}, nil); st != 200 {
		t.Fatalf("logout: %d", st)
	}
	if v := e.accountView("dex"); v.SignedIn {
		t.Errorf("account after the sign-out: %+v", v)
	}
	p = signIn(map[string]any{"device_code": true})
	if p.Ref != "dex" || p.Flow != "device" || p.UserCode == "" || !strings.HasPrefix(p.VerificationURL, dex.Issuer) {
		t.Fatalf("device-code panel: %+v", p)
	}
	go func() {
		st, body, err := dex.ApproveDevice(context.Background(), p.VerificationURL, p.UserCode)
		if err != nil || st != http.StatusOK {
			t.Errorf("Dex device approval: %d %v %.300s", st, err, body)
		}
	}()
	loginDone("device-code sign-in")
	if names, end := e.list("/api/list?" + q("acct", "dex", "bucket", bucket)); !contains(names, "hello.txt") || end.Error != nil {
		t.Errorf("listing after the device-code sign-in: %v %+v", names, end)
	}
}
