package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/federation"
	"github.com/s3sso/s3sso/internal/testenv"
)

// deviceEnv is Dex (clients that may use the device grant) plus a MinIO in
// role-policy mode that trusts it.
type deviceEnv struct {
	dex     *testenv.Dex
	minio   *testenv.MinIO
	roleARN string
}

// startDeviceEnv starts Dex and MinIO for the device flow. The clients
// list Dex's device callback among their redirect URIs: Dex refuses
// /device/callback for a client that registers other redirect URIs but not
// this one. minioClient is the client ID MinIO trusts.
func startDeviceEnv(t *testing.T, opts testenv.DexOptions, minioClient string) *deviceEnv {
	t.Helper()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freePort(t))
	opts.Clients = []testenv.DexClient{
		{ID: publicClient, Public: true, RedirectURIs: []string{redirect, testenv.DexDeviceCallback}},
		{ID: confClient, Secret: confSecret, RedirectURIs: []string{redirect, testenv.DexDeviceCallback}},
	}
	dex := testenv.StartDex(t, opts)
	env := []string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL=" + dex.Issuer + "/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID=" + minioClient,
		"MINIO_IDENTITY_OPENID_SCOPES=openid,email,profile",
		"MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite",
	}
	if minioClient == confClient {
		env = append(env, "MINIO_IDENTITY_OPENID_CLIENT_SECRET="+confSecret)
	}
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{Env: env})
	roles := m.IAMRoles(t)
	if len(roles) != 1 {
		t.Fatalf("MinIO announced roles %v, want one", roles)
	}
	return &deviceEnv{dex: dex, minio: m, roleARN: roles[0]}
}

// pollRecorder records the OAuth error codes of Dex's answers to device
// token polls.
type pollRecorder struct {
	mu      sync.Mutex
	answers []string // error code, or "token" for success
	times   []time.Time
	pending chan struct{}
	once    sync.Once
}

func newPollRecorder() *pollRecorder { return &pollRecorder{pending: make(chan struct{})} }

func (p *pollRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	isPoll := false
	if req.Body != nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/token") {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		isPoll = strings.Contains(string(b), "grant-type%3Adevice_code")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !isPoll {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var answer struct {
		Error   string `json:"error"`
		IDToken string `json:"id_token"`
	}
	_ = json.Unmarshal(b, &answer)
	code := answer.Error
	if answer.IDToken != "" {
		code = "token"
	}
	p.mu.Lock()
	p.answers = append(p.answers, code)
	p.times = append(p.times, time.Now())
	p.mu.Unlock()
	if code == "authorization_pending" {
		p.once.Do(func() { close(p.pending) })
	}
	return resp, nil
}

// minGap is the shortest time between two polls.
func (p *pollRecorder) minGap() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	gap := time.Duration(1<<63 - 1)
	for i := 1; i < len(p.times); i++ {
		gap = min(gap, p.times[i].Sub(p.times[i-1]))
	}
	return gap
}

func (p *pollRecorder) codes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.answers...)
}

// promptWriter collects what s3sso tells the user and hands over the
// verification URL and user code once both have been printed.
type promptWriter struct {
	t    *testing.T
	mu   sync.Mutex
	buf  strings.Builder
	got  chan [2]string
	sent bool
}

func newPromptWriter(t *testing.T) *promptWriter {
	return &promptWriter{t: t, got: make(chan [2]string, 1)}
}

var (
	promptURLRE  = regexp.MustCompile(`(?m)^\s+(https?://\S+)\s*$`)
	promptCodeRE = regexp.MustCompile(`(?m)^\s+([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})*)\s*$`)
)

func (w *promptWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if !w.sent {
		if u, c := parseDevicePrompt(w.buf.String()); u != "" && c != "" {
			w.got <- [2]string{u, c}
			w.sent = true
		}
	}
	return len(b), nil
}

// SignIn implements authflow.Prompter: it writes the URL and the code each
// on an indented line of their own, as the CLI does.
func (w *promptWriter) SignIn(_ context.Context, s authflow.SignIn) error {
	if s.OpenHere {
		w.t.Error("the device flow asked to open a browser on this machine")
	}
	fmt.Fprintf(w, "open:\n\n  %s\n\ncode:\n\n  %s\n\n", s.URL, s.UserCode)
	return nil
}

func (w *promptWriter) Warn(string) {}

func (w *promptWriter) Info(string) {}

func (w *promptWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// parseDevicePrompt reads the verification URL and the user code (each on
// its own indented line) from s3sso's device-flow instructions.
func parseDevicePrompt(s string) (verificationURL, userCode string) {
	if m := promptURLRE.FindStringSubmatch(s); m != nil {
		verificationURL = m[1]
	}
	if m := promptCodeRE.FindStringSubmatch(s); m != nil {
		userCode = m[1]
	}
	return verificationURL, userCode
}

func (d *deviceEnv) provider(t *testing.T, cfg federation.Config, prompt authflow.Prompter, rt http.RoundTripper) *federation.Provider {
	t.Helper()
	cfg.Issuer = d.dex.Issuer
	cfg.STSEndpoint = d.minio.Endpoint
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"openid", "offline_access", "email", "profile"}
	}
	return &federation.Provider{
		Client: &federation.Client{Config: cfg, Prompter: prompt,
			HTTPClient: &http.Client{Transport: rt, Timeout: 30 * time.Second}},
		Cache:        &federation.Cache{Dir: filepath.Join(t.TempDir(), "oidc")},
		Account:      "dev",
		Interactive:  true,
		LoginOptions: federation.LoginOptions{UseDeviceCode: true},
	}
}

// approveAfterPending waits for s3sso's instructions and for Dex's first
// authorization_pending answer, then approves the code at Dex as the static
// user (the "other device"). It returns the final page.
func approveAfterPending(ctx context.Context, d *deviceEnv, prompt *promptWriter, polls *pollRecorder,
	act func(context.Context, string, string) (int, string, error)) (string, string, error) {
	var got [2]string
	select {
	case got = <-prompt.got:
	case <-ctx.Done():
		return "", "", fmt.Errorf("no verification URL and user code printed: %q", prompt.String())
	}
	if polls != nil {
		select {
		case <-polls.pending:
		case <-ctx.Done():
			return "", "", errors.New("s3sso never polled")
		}
	}
	status, page, err := act(ctx, got[0], got[1])
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("the device page ended at HTTP %d: %.300s", status, page)
	}
	return got[1], page, err
}

// The device authorization grant against the real Dex with a public
// client: s3sso prints the verification URL and the user code, polls while
// Dex answers authorization_pending (never too fast: Dex would answer
// slow_down), the code is approved on "another device" (Dex's /device page
// and login form), and the ID token is exchanged at MinIO's STS (role-policy
// mode) for credentials that work for real S3 operations. The refresh token
// then renews the credentials without a new device flow.
func TestDexDeviceFlowPublicClient(t *testing.T) {
	testenv.Home(t)
	d := startDeviceEnv(t, testenv.DexOptions{}, publicClient)
	bucket := d.minio.NewBucket(t)
	prompt, polls := newPromptWriter(t), newPollRecorder()
	p := d.provider(t, federation.Config{ClientID: publicClient, RoleARN: d.roleARN, Duration: 15 * time.Minute}, prompt, polls)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	type approval struct {
		code, page string
		err        error
	}
	approved := make(chan approval, 1)
	go func() {
		code, page, err := approveAfterPending(ctx, d, prompt, polls, d.dex.ApproveDevice)
		approved <- approval{code, page, err}
	}()
	e, err := p.Login(ctx)
	a := <-approved
	if a.err != nil {
		t.Fatalf("approving at Dex: %v", a.err)
	}
	if err != nil {
		t.Fatalf("device login: %v\nprompt: %s", err, prompt)
	}
	if !strings.Contains(a.page, "Login Successful") {
		t.Errorf("Dex's device page after approval: %.300s", a.page)
	}
	out := prompt.String()
	t.Logf("s3sso printed:\n%s", out)
	if u, code := parseDevicePrompt(out); !strings.HasPrefix(u, d.dex.Issuer+"/device") || code != a.code {
		t.Errorf("printed verification URL %q and code %q", u, code)
	}
	// Dex answers slow_down to a poll that comes sooner than the interval
	// after the previous one, and from then on expects 5 s more each time;
	// a client that ignored it would collect slow_down after slow_down.
	codes := polls.codes()
	t.Logf("Dex's answers to the polls: %v", codes)
	if len(codes) < 2 || codes[0] != "authorization_pending" || codes[len(codes)-1] != "token" {
		t.Errorf("Dex's answers to the polls: %v, want authorization_pending ... token", codes)
	}
	for i := 1; i < len(codes); i++ {
		if codes[i] == "slow_down" && codes[i-1] == "slow_down" {
			t.Errorf("s3sso did not slow down after slow_down: %v", codes)
		}
	}
	// Dex's interval is 5 s; a poll repeated at once (as x/oauth2's
	// auth-style detection does after every authorization_pending) is a
	// bug. A slow machine only makes the gaps longer.
	if gap := polls.minGap(); gap < time.Second {
		t.Errorf("two polls only %v apart: %v", gap, codes)
	}
	if e.Email != d.dex.Email || e.RefreshToken == "" || e.Credentials == nil || e.IDToken == "" {
		t.Fatalf("entry after device login: email %q refresh %v creds %v", e.Email, e.RefreshToken != "", e.Credentials != nil)
	}
	if d := time.Until(e.Credentials.Expiration); d < 10*time.Minute || d > 16*time.Minute {
		t.Errorf("credentials expire in %v, want about 15m", d)
	}
	putAndList(t, s3Client(t, d.minio, p), bucket, "via-device-flow")
	for _, s := range []string{e.IDToken, e.RefreshToken, e.Credentials.SecretAccessKey, e.Credentials.SessionToken} {
		if strings.Contains(out, s) {
			t.Error("a token or secret appears in the device-flow instructions")
		}
	}

	// Renewal through the refresh token the device flow yielded: no new
	// device flow.
	cache := p.Cache
	old := *e
	oldCreds := *e.Credentials
	oldCreds.Expiration = time.Now().Add(-time.Minute)
	old.Credentials = &oldCreds
	old.IDTokenExpiry = time.Now().Add(-time.Minute)
	if err := cache.Save("dev", &old); err != nil {
		t.Fatal(err)
	}
	prompt2 := newPromptWriter(t)
	p2 := d.provider(t, federation.Config{ClientID: publicClient, RoleARN: d.roleARN, Duration: 15 * time.Minute}, prompt2, nil)
	p2.Cache = cache
	p2.Interactive = false
	c, err := p2.Retrieve(ctx)
	if err != nil {
		t.Fatalf("renewal with the device flow's refresh token: %v", err)
	}
	if c.AccessKeyID == oldCreds.AccessKeyID {
		t.Fatal("renewal returned the expired credentials")
	}
	if prompt2.String() != "" {
		t.Errorf("renewal printed device instructions: %q", prompt2)
	}
	putAndList(t, s3Client(t, d.minio, p2), bucket, "via-device-refresh")
}

// A confidential client can use the device grant too: Dex binds the device
// request to the client secret sent with it, and refuses the approval when
// none was sent. (Dex sends a confidential client's approving browser to
// /device/callback at the host's root, so this needs an issuer without a
// path.)
func TestDexDeviceFlowConfidentialClient(t *testing.T) {
	testenv.Home(t)
	d := startDeviceEnv(t, testenv.DexOptions{IssuerAtRoot: true}, confClient)
	bucket := d.minio.NewBucket(t)
	prompt := newPromptWriter(t)
	p := d.provider(t, federation.Config{ClientID: confClient, ClientSecret: confSecret, RoleARN: d.roleARN}, prompt, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, _, err := approveAfterPending(ctx, d, prompt, nil, d.dex.ApproveDevice)
		if err != nil {
			cancel() // nothing will approve the code: stop polling
		}
		errc <- err
	}()
	_, err := p.Login(ctx)
	if aerr := <-errc; aerr != nil {
		t.Fatalf("approving at Dex: %v", aerr)
	}
	if err != nil {
		t.Fatalf("device login: %v", err)
	}
	putAndList(t, s3Client(t, d.minio, p), bucket, "via-device-conf")
	if strings.Contains(prompt.String(), confSecret) {
		t.Error("the client secret appears in the instructions")
	}
}

// Dex's "Cancel" on the approval screen does not reach the polling device
// (Dex keeps the device request pending), so s3sso waits until the code
// expires and then says so in one line with the command to retry; a code
// nobody approves ends the same way.
func TestDexDeviceFlowDeniedAndExpired(t *testing.T) {
	testenv.Home(t)
	d := startDeviceEnv(t, testenv.DexOptions{ApprovalScreen: true, DeviceRequestTTL: 8 * time.Second}, publicClient)
	for _, tc := range []struct {
		name string
		act  func(context.Context, string, string) (int, string, error)
	}{
		{"denied", d.dex.DenyDevice},
		{"nobody approves", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prompt := newPromptWriter(t)
			p := d.provider(t, federation.Config{ClientID: publicClient, RoleARN: d.roleARN}, prompt, nil)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			denied := make(chan string, 1)
			if tc.act != nil {
				go func() {
					_, page, err := approveAfterPending(ctx, d, prompt, nil, tc.act)
					if err != nil && !strings.Contains(err.Error(), "HTTP 500") {
						page = err.Error()
					}
					denied <- page
				}()
			}
			_, err := p.Login(ctx)
			if tc.act != nil {
				if page := <-denied; !strings.Contains(page, "Approval rejected") {
					t.Errorf("Dex's page after Cancel: %.300s", page)
				}
			}
			if err == nil {
				t.Fatal("device login succeeded")
			}
			if ctx.Err() != nil {
				t.Fatalf("the login outlived the code's lifetime: %v", err)
			}
			if k := fault.KindOf(err); k != fault.Auth {
				t.Errorf("kind %v, want auth (%v)", k, err)
			}
			if le, ok := fault.LoginRequired(err); !strings.Contains(err.Error(), "expired") || !ok || !le.DeviceCode {
				t.Errorf("error %q hint %q: want the code's expiry and how to retry", err, fault.HintOf(err))
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			t.Logf("%v (hint: %s)", err, fault.HintOf(err))
		})
	}
}

// startBinary starts the built s3sso with args in the test's environment;
// stderr goes to prompt. wait returns the result once it has exited.
func startBinary(t *testing.T, ctx context.Context, prompt *promptWriter, args ...string) (wait func() testenv.Result) {
	t.Helper()
	cmd := exec.CommandContext(ctx, testenv.Binary(t), args...)
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true", "BROWSER=")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, prompt
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() testenv.Result {
		err := cmd.Wait()
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatalf("s3sso %s: %v", strings.Join(args, " "), err)
		}
		return testenv.Result{Stdout: stdout.String(), Stderr: prompt.String(), Code: cmd.ProcessState.ExitCode()}
	}
}

// The built binary: `s3sso login --account NAME --use-device-code` prints
// the verification URL and the user code on lines of their own, the code
// is approved at Dex, and the S3 commands then use the cached STS
// credentials; whoami shows the identity; no token or secret is printed. A
// code nobody approves ends with one line and the command to retry (exit
// code 6).
func TestDexDeviceFlowBinary(t *testing.T) {
	home := testenv.Home(t)
	d := startDeviceEnv(t, testenv.DexOptions{}, publicClient)
	bucket := d.minio.NewBucket(t)
	if _, err := d.minio.Client(t).PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("hello.txt"),
		Body: strings.NewReader("hello from minio")}); err != nil {
		t.Fatal(err)
	}
	var outputs []string
	run := func(args ...string) testenv.Result {
		t.Helper()
		res := testenv.Run(t, []string{"AWS_EC2_METADATA_DISABLED=true"}, "", args...)
		outputs = append(outputs, res.Stdout, res.Stderr)
		return res
	}
	if res := run("account", "add", "dev", "--type", "oidc", "--issuer", d.dex.Issuer,
		"--client-id", publicClient, "--scopes", "openid,offline_access,email,profile",
		"--sts-endpoint", d.minio.Endpoint, "--role-arn", d.roleARN,
		"--endpoint-url", d.minio.Endpoint, "--region", "us-east-1", "--path-style"); res.Code != 0 {
		t.Fatalf("account add: %s", res)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	prompt := newPromptWriter(t)
	wait := startBinary(t, ctx, prompt, "login", "--account", "dev", "--use-device-code")
	_, page, aerr := approveAfterPending(ctx, d, prompt, nil, d.dex.ApproveDevice)
	if aerr != nil {
		cancel()
	}
	res := wait()
	outputs = append(outputs, res.Stdout, res.Stderr)
	if aerr != nil {
		t.Fatalf("approving at Dex: %v\n%s", aerr, res)
	}
	if res.Code != 0 || !strings.Contains(res.Stdout+res.Stderr, "signed in to account dev as "+d.dex.Email) {
		t.Fatalf("login --use-device-code: %s", res)
	}
	if !strings.Contains(page, "Login Successful") {
		t.Errorf("Dex's device page after approval: %.300s", page)
	}
	t.Logf("s3sso login --account dev --use-device-code:\n%s", res)
	if u, code := parseDevicePrompt(res.Stderr); !strings.HasPrefix(u, d.dex.Issuer+"/device") || code == "" || !strings.Contains(u, code) {
		t.Errorf("verification URL %q, code %q", u, code)
	}

	// S3 commands use the cached credentials (no terminal, no $BROWSER:
	// they could not sign in themselves).
	if res := run("--account", "dev", "ls", "s3://"+bucket+"/"); res.Code != 0 || !strings.Contains(res.Stdout, "hello.txt") {
		t.Fatalf("ls --account after the device login: %s", res)
	}
	local := filepath.Join(t.TempDir(), "up.txt")
	testenv.WriteFile(t, local, "uploaded after a device login")
	if res := run("--account", "dev", "cp", local, "s3://"+bucket+"/up.txt"); res.Code != 0 {
		t.Fatalf("cp up: %s", res)
	}
	if res := run("--account", "dev", "cat", "s3://"+bucket+"/up.txt"); res.Code != 0 || res.Stdout != "uploaded after a device login" {
		t.Errorf("cat: %s", res)
	}
	if res := run("whoami", "--account", "dev"); res.Code != 0 || !strings.Contains(res.Stdout, d.dex.Email) {
		t.Errorf("whoami --account: %s", res)
	}

	var entry struct {
		IDToken      string `json:"id_token"`
		RefreshToken string `json:"refresh_token"`
		Credentials  struct {
			SecretAccessKey string `json:"secret_access_key"`
			SessionToken    string `json:"session_token"`
		} `json:"credentials"`
	}
	b, err := os.ReadFile(filepath.Join(home, ".cache", "s3sso", "oidc", "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &entry); err != nil {
		t.Fatal(err)
	}
	if entry.RefreshToken == "" || entry.Credentials.SessionToken == "" {
		t.Fatalf("cache after the device login lacks the refresh token or credentials")
	}
	all := strings.Join(outputs, "\n")
	for _, s := range []string{entry.IDToken, entry.RefreshToken, entry.Credentials.SecretAccessKey, entry.Credentials.SessionToken} {
		if s == "" || strings.Contains(all, s) {
			t.Errorf("a token or secret is empty or appears in the output")
		}
	}

	// A code nobody approves: a Dex whose user codes live 3 s.
	short := testenv.StartDex(t, testenv.DexOptions{DeviceRequestTTL: 3 * time.Second,
		Clients: []testenv.DexClient{{ID: publicClient, Public: true}}})
	if res := run("account", "add", "exp", "--type", "oidc", "--issuer", short.Issuer, "--client-id", publicClient,
		"--sts-endpoint", d.minio.Endpoint, "--role-arn", d.roleARN, "--endpoint-url", d.minio.Endpoint); res.Code != 0 {
		t.Fatalf("account add: %s", res)
	}
	res = run("login", "--account", "exp", "--use-device-code")
	if res.Code != 6 || !strings.Contains(res.Stderr, "expired") || !strings.Contains(res.Stderr, "s3sso login --account exp --use-device-code") {
		t.Errorf("an expired device code: %s", res)
	}
	t.Logf("expired: %s", res.Stderr)
}
