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
}

// Dex is a running Dex OpenID provider started by [StartDex].
type Dex struct {
	// Issuer is http://127.0.0.1:PORT/dex.
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
	d := &Dex{Issuer: "http://" + addr + "/dex", Email: opts.Email, Username: opts.Username, Password: DexPassword,
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
			"skipApprovalScreen": true,
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
	if opts.IDTokenTTL > 0 {
		cfg["expiry"] = map[string]any{"idTokens": opts.IDTokenTTL.String()}
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
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	get := func(u string) (*http.Response, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), err
	}
	resp, page, err := get(authURL)
	if err != nil {
		return 0, "", fmt.Errorf("browser: open %s: %w", authURL, err)
	}
	if !passwordRE.MatchString(page) {
		// No login form: an error page, or a redirect straight back.
		return resp.StatusCode, page, nil
	}
	action := resp.Request.URL.String()
	if m := formActionRE.FindStringSubmatch(page); m != nil && m[1] != "" {
		ref, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			return 0, "", fmt.Errorf("browser: form action %q: %w", m[1], err)
		}
		action = resp.Request.URL.ResolveReference(ref).String()
	}
	form := url.Values{"login": {login}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("browser: submit the login form: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
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
