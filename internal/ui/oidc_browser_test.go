package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestBrowserOIDCSignIn: an OpenID Connect account (Dex, MinIO's STS
// trusting it) signs in from the page with the PKCE link (Dex's login
// page, then the redirect to s3sso's loopback listener) and shows its
// bucket; after a sign-out, "Use a code" shows the device code and the
// verification link, and approving it on Dex's device page signs in.
func TestBrowserOIDCSignIn(t *testing.T) {
	const client = "s3sso-ui"
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
	e := &uiEnv{t: t, home: testenv.Home(t), minio: m, bucket: m.NewBucket(t),
		vars: []string{"S3SSO_KEYRING=off", "BROWSER=/bin/false"}}
	e.putObject(e.bucket, "hello.txt", []byte("hello"))
	e.s3sso("", "account", "add", "dex", "--type", "oidc", "--issuer", dex.Issuer, "--client-id", client,
		"--scopes", "openid,offline_access,email,profile", "--sts-endpoint", m.Endpoint, "--role-arn", roles[0],
		"--endpoint-url", m.Endpoint, "--region", "us-east-1")
	e.start("--account", "dex")

	// PKCE: the panel's link is Dex's authorization page; the person signs
	// in there and Dex redirects to the loopback listener.
	e.click("sign-in")
	e.tab.Do(chromedp.WaitVisible(tidIn("signin-panel", "signin-link")))
	href := testenv.Eval[string](e.tab, `document.querySelector('[data-testid="signin-panel"] [data-testid="signin-link"]').href`)
	if !strings.HasPrefix(href, dex.Issuer+"/auth") {
		t.Fatalf("sign-in link %q", href)
	}
	if st, body, err := dex.SignIn(context.Background(), href); err != nil || st != http.StatusOK {
		t.Fatalf("Dex sign-in: %d %v %.300s", st, err, body)
	}
	e.tab.Do(chromedp.WaitNotPresent(tid("signin-panel")))
	e.waitText("account-state", "signed in")
	e.open("dex", e.bucket, "")
	e.waitRow("hello.txt")

	// Device code.
	e.click("sign-out")
	e.waitText("account-state", "needs sign-in")
	e.click("sign-in-device")
	e.tab.Do(chromedp.WaitVisible(tidIn("signin-panel", "device-code")))
	code := e.text("device-code")
	link := testenv.Eval[string](e.tab, `document.querySelector('[data-testid="signin-panel"] [data-testid="signin-link"]').textContent`)
	if code == "" || !strings.HasPrefix(link, dex.Issuer) {
		t.Fatalf("device-code panel: code %q, link %q", code, link)
	}
	e.shot("oidc-device-code")
	if st, body, err := dex.ApproveDevice(context.Background(), link, code); err != nil || st != http.StatusOK {
		t.Fatalf("Dex device approval: %d %v %.300s", st, err, body)
	}
	e.tab.Do(chromedp.WaitNotPresent(tid("signin-panel")))
	e.waitText("account-state", "signed in")
	e.open("dex", e.bucket, "")
	e.waitRow("hello.txt")
}
