package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// DexPassword is the password of Dex's static test user.
const DexPassword = "dex-test-password"

// dexPasswordHash is bcrypt(DexPassword), cost 10.
const dexPasswordHash = "$2a$10$gJZ0PKo4pWdUSis3QMVxl.JD6wQoEKEfYrzqOf9Bp2.9IZtXD1QD."

// DexClient is a static OAuth client of a test Dex.
type DexClient struct {
	ID           string
	Secret       string // empty for a public client
	Public       bool
	RedirectURIs []string
}

// DexOptions configures [StartDex].
type DexOptions struct {
	Clients []DexClient
	// Email and Username of the static user; defaults alice@example.com and
	// alice. Username is the ID token's "name" claim (scope profile).
	Email, Username string
	// IDTokenTTL is how long ID tokens live (Dex's expiry.idTokens); 0
	// means Dex's default (24h).
	IDTokenTTL time.Duration
	// DeviceRequestTTL is how long a device flow's user code stays valid
	// (Dex's expiry.deviceRequests); 0 means Dex's default (5m).
	DeviceRequestTTL time.Duration
	// ApprovalScreen makes Dex show its "Grant Access" page after the
	// login (oauth2.skipApprovalScreen false) for every client.
	ApprovalScreen bool
	// IssuerAtRoot serves Dex at http://127.0.0.1:PORT instead of
	// http://127.0.0.1:PORT/dex. Dex sends the browser of a confidential
	// client's device flow to /device/callback at the host's root, which
	// only works then.
	IssuerAtRoot bool
}

// DexDeviceCallback is the redirect URI of Dex's device flow. Dex accepts it
// without registration only for a public client without RedirectURIs; any
// other client must list it in RedirectURIs to use the device grant.
const DexDeviceCallback = "/device/callback"

// Dex is a running Dex OpenID provider started by [StartDex].
type Dex struct {
	// Issuer is http://127.0.0.1:PORT/dex (or without /dex, see
	// [DexOptions].IssuerAtRoot).
	Issuer   string
	Email    string
	Username string
	Password string

	proc *process
	tmp  string
}

// StartDex starts Dex (the binary built by `scripts/tools.sh dex`, found
// with [RequireTool]) on a free 127.0.0.1 port with in-memory storage, the
// local password connector, one static user (password [DexPassword]) and
// opts.Clients, waits until its discovery document is served and stops it
// when the test ends.
func StartDex(t testing.TB, opts DexOptions) *Dex {
	t.Helper()
	bin := RequireTool(t, "dex")
	if opts.Email == "" {
		opts.Email = "alice@example.com"
	}
	if opts.Username == "" {
		opts.Username = "alice"
	}
	d, err := retryPortInUse(func() (*Dex, error) { return startDex(bin, opts) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stop)
	return d
}

func startDex(bin string, opts DexOptions) (_ *Dex, err error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "s3sso-dex-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	issuer := "http://" + addr + "/dex"
	if opts.IssuerAtRoot {
		issuer = "http://" + addr
	}
	d := &Dex{Issuer: issuer, Email: opts.Email, Username: opts.Username, Password: DexPassword,
		tmp: tmp}

	type client struct {
		ID           string   `json:"id"`
		Secret       string   `json:"secret,omitempty"`
		Name         string   `json:"name"`
		Public       bool     `json:"public,omitempty"`
		RedirectURIs []string `json:"redirectURIs,omitempty"`
	}
	var clients []client
	for _, c := range opts.Clients {
		clients = append(clients, client{ID: c.ID, Secret: c.Secret, Name: c.ID, Public: c.Public, RedirectURIs: c.RedirectURIs})
	}
	cfg := map[string]any{
		"issuer":  d.Issuer,
		"storage": map[string]any{"type": "memory"},
		"web":     map[string]any{"http": addr},
		"oauth2": map[string]any{
			"passwordConnector":  "local",
			"skipApprovalScreen": !opts.ApprovalScreen,
			"grantTypes": []string{"authorization_code", "refresh_token", "password",
				"urn:ietf:params:oauth:grant-type:device_code"},
			"responseTypes": []string{"code"},
		},
		"enablePasswordDB": true,
		"staticPasswords": []map[string]any{{
			"email": opts.Email, "hash": dexPasswordHash, "username": opts.Username,
			"userID": "08a8684b-db88-4b73-90a9-3cd1661f5466",
		}},
		"staticClients": clients,
		"logger":        map[string]any{"level": "debug"},
	}
	expiry := map[string]any{}
	if opts.IDTokenTTL > 0 {
		expiry["idTokens"] = opts.IDTokenTTL.String()
	}
	if opts.DeviceRequestTTL > 0 {
		expiry["deviceRequests"] = opts.DeviceRequestTTL.String()
	}
	if len(expiry) > 0 {
		cfg["expiry"] = expiry
	}
	b, err := json.MarshalIndent(cfg, "", "  ") // JSON is YAML
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(tmp, "config.yaml")
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", conf)
	cmd.Env = []string{"PATH=" + initialGetenv("PATH"), "HOME=" + tmp, "TMPDIR=" + tmp}
	d.proc, err = startProcess("Dex", cmd, d.Issuer+"/.well-known/openid-configuration")
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Dex) stop() {
	d.proc.stop()
	os.RemoveAll(d.tmp)
}

// Log returns what Dex has logged so far.
func (d *Dex) Log() string { return d.proc.log.String() }

var (
	formActionRE = regexp.MustCompile(`(?is)<form[^>]*action="([^"]*)"`)
	passwordRE   = regexp.MustCompile(`(?i)name="password"`)
	userCodeRE   = regexp.MustCompile(`(?i)name="user_code"`)
	approvalRE   = regexp.MustCompile(`(?i)name="approval"`)
	reqIDRE      = regexp.MustCompile(`(?i)name="req"\s+value="([^"]*)"`)
)

// SignIn is a scripted browser: it follows authURL with a cookie jar,
// submits Dex's login form with the static user's credentials and follows
// the redirects to the client's loopback callback. It returns the final
// response's status and body text, and an error when the login page never
// appears or a request fails.
func (d *Dex) SignIn(ctx context.Context, authURL string) (status int, body string, err error) {
	return d.SignInAs(ctx, authURL, d.Email, d.Password)
}

// SignInAs is [Dex.SignIn] with the given login and password.
func (d *Dex) SignInAs(ctx context.Context, authURL, login, password string) (int, string, error) {
	b := newDexBrowser()
	defer b.client.CloseIdleConnections()
	resp, page, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return 0, "", fmt.Errorf("browser: open %s: %w", authURL, err)
	}
	resp, page, err = b.login(ctx, resp, page, login, password)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, page, nil
}

// ApproveDevice is a scripted browser for the device authorization grant:
// it opens verificationURI (Dex's /device page, with or without
// ?user_code=), submits userCode, signs in as the static user, grants
// access when Dex shows its approval screen, and follows the redirects to
// Dex's device callback. It returns the final page's status and body (Dex
// answers "Login Successful" on success) and an error when a page on the
// way is missing or a request fails.
func (d *Dex) ApproveDevice(ctx context.Context, verificationURI, userCode string) (int, string, error) {
	return d.device(ctx, verificationURI, userCode, "approve")
}

// DenyDevice is [Dex.ApproveDevice] pressing "Cancel" on Dex's approval
// screen (which needs [DexOptions].ApprovalScreen).
func (d *Dex) DenyDevice(ctx context.Context, verificationURI, userCode string) (int, string, error) {
	return d.device(ctx, verificationURI, userCode, "rejected")
}

func (d *Dex) device(ctx context.Context, verificationURI, userCode, decision string) (int, string, error) {
	b := newDexBrowser()
	defer b.client.CloseIdleConnections()
	resp, page, err := b.do(ctx, http.MethodGet, verificationURI, nil)
	if err != nil {
		return 0, "", fmt.Errorf("browser: open %s: %w", verificationURI, err)
	}
	if !userCodeRE.MatchString(page) {
		return resp.StatusCode, page, fmt.Errorf("browser: %s shows no user code form (HTTP %d)", verificationURI, resp.StatusCode)
	}
	action, err := formAction(resp, page)
	if err != nil {
		return 0, "", err
	}
	resp, page, err = b.do(ctx, http.MethodPost, action, url.Values{"user_code": {userCode}})
	if err != nil {
		return 0, "", fmt.Errorf("browser: submit the user code: %w", err)
	}
	if userCodeRE.MatchString(page) {
		// Dex shows the form again for an unknown or expired code.
		return resp.StatusCode, page, nil
	}
	resp, page, err = b.login(ctx, resp, page, d.Email, d.Password)
	if err != nil || !approvalRE.MatchString(page) {
		if err != nil {
			return 0, "", err
		}
		return resp.StatusCode, page, nil
	}
	m := reqIDRE.FindStringSubmatch(page)
	if m == nil {
		return 0, "", fmt.Errorf("browser: the approval page has no request ID")
	}
	// The approval forms post to the page's own URL (which carries the hmac).
	resp, page, err = b.do(ctx, http.MethodPost, resp.Request.URL.String(), url.Values{"req": {m[1]}, "approval": {decision}})
	if err != nil {
		return 0, "", fmt.Errorf("browser: submit the approval: %w", err)
	}
	return resp.StatusCode, page, nil
}

// dexBrowser is an HTTP client with a cookie jar that follows redirects.
type dexBrowser struct{ client *http.Client }

func newDexBrowser() *dexBrowser {
	jar, _ := cookiejar.New(nil)
	return &dexBrowser{client: &http.Client{Jar: jar, Transport: &http.Transport{}, Timeout: 30 * time.Second}}
}

// do sends a GET, or a POST of form, and returns the final response (body
// closed) and its body.
func (b *dexBrowser) do(ctx context.Context, method, u string, form url.Values) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, string(data), err
}

// login submits Dex's login form when page shows one and returns the
// response it leads to; without a form (an error page, or a redirect
// straight back) it returns resp and page unchanged.
func (b *dexBrowser) login(ctx context.Context, resp *http.Response, page, login, password string) (*http.Response, string, error) {
	if !passwordRE.MatchString(page) {
		return resp, page, nil
	}
	action, err := formAction(resp, page)
	if err != nil {
		return nil, "", err
	}
	resp, page, err = b.do(ctx, http.MethodPost, action, url.Values{"login": {login}, "password": {password}})
	if err != nil {
		return nil, "", fmt.Errorf("browser: submit the login form: %w", err)
	}
	return resp, page, nil
}

// formAction resolves the first form's action against the page's URL (the
// page's own URL when the form has none).
func formAction(resp *http.Response, page string) (string, error) {
	action := resp.Request.URL.String()
	if m := formActionRE.FindStringSubmatch(page); m != nil && m[1] != "" {
		ref, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			return "", fmt.Errorf("browser: form action %q: %w", m[1], err)
		}
		action = resp.Request.URL.ResolveReference(ref).String()
	}
	return action, nil
}

// PasswordToken returns an ID token for the static user from Dex's
// resource-owner password grant (scopes openid email profile).
func (d *Dex) PasswordToken(t testing.TB, clientID, clientSecret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {d.Email}, "password": {d.Password},
		"scope": {"openid email profile"}, "client_id": {clientID}}
	if clientSecret != "" {
		form.Set("client_secret", clientSecret)
	}
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.PostForm(d.Issuer+"/token", form)
	if err != nil {
		t.Fatalf("dex password grant: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &tok); err != nil || tok.IDToken == "" {
		t.Fatalf("dex password grant: HTTP %d: %s", resp.StatusCode, b)
	}
	return tok.IDToken
}
