package federation_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/federation"
	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	publicClient = "s3sso-public"
	confClient   = "s3sso-conf"
	confSecret   = "conf-client-secret-4711"
)

// realEnv is Dex plus a MinIO that trusts it.
type realEnv struct {
	dex      *testenv.Dex
	minio    *testenv.MinIO
	redirect string // registered loopback redirect URL
	roleARN  string // role-policy mode only
	browser  *browser
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startReal starts Dex with a public and a confidential client and a MinIO
// whose OpenID provider is Dex with client ID minioClient, in role-policy
// mode (claimMode false) or with the policy taken from the "name" claim.
func startReal(t *testing.T, minioClient string, claimMode bool) *realEnv {
	t.Helper()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freePort(t))
	dexOpts := testenv.DexOptions{Clients: []testenv.DexClient{
		{ID: publicClient, Public: true, RedirectURIs: []string{redirect}},
		{ID: confClient, Secret: confSecret, RedirectURIs: []string{redirect}},
	}}
	if claimMode {
		// The "name" claim (Dex: the username) names the MinIO policy.
		dexOpts.Username = "readwrite"
	}
	dex := testenv.StartDex(t, dexOpts)
	env := []string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL=" + dex.Issuer + "/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID=" + minioClient,
		"MINIO_IDENTITY_OPENID_SCOPES=openid,email,profile",
	}
	if minioClient == confClient {
		env = append(env, "MINIO_IDENTITY_OPENID_CLIENT_SECRET="+confSecret)
	}
	if claimMode {
		env = append(env, "MINIO_IDENTITY_OPENID_CLAIM_NAME=name")
	} else {
		env = append(env, "MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite")
	}
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{Env: env})
	r := &realEnv{dex: dex, minio: m, redirect: redirect, browser: &browser{dex: dex}}
	if !claimMode {
		roles := m.IAMRoles(t)
		if len(roles) != 1 {
			t.Fatalf("MinIO announced roles %v, want one", roles)
		}
		r.roleARN = roles[0]
	}
	return r
}

// browser drives Dex's login form for each URL it is asked to open.
type browser struct {
	dex    *testenv.Dex
	mu     sync.Mutex
	opened []string
	errs   []error
	wg     sync.WaitGroup
}

func (b *browser) open(ctx context.Context, u string) error {
	b.mu.Lock()
	b.opened = append(b.opened, u)
	b.mu.Unlock()
	b.wg.Go(func() {
		status, body, err := b.dex.SignIn(context.WithoutCancel(ctx), u)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("browser ended at HTTP %d: %.300s", status, body)
		}
		if err != nil {
			b.mu.Lock()
			b.errs = append(b.errs, err)
			b.mu.Unlock()
		}
	})
	return nil
}

func (b *browser) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.opened)
}

func (r *realEnv) provider(t *testing.T, cfg federation.Config, cacheDir string) *federation.Provider {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = r.dex.Issuer
	}
	if cfg.RedirectURL == "" {
		cfg.RedirectURL = r.redirect
	}
	if cfg.STSEndpoint == "" {
		cfg.STSEndpoint = r.minio.Endpoint
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"openid", "offline_access", "email", "profile"}
	}
	return &federation.Provider{
		Client:       &federation.Client{Config: cfg, Prompter: authflow.OpenerPrompter(r.browser.open)},
		Cache:        &federation.Cache{Dir: cacheDir},
		Account:      "test",
		Interactive:  true,
		LoginOptions: federation.LoginOptions{CallbackTimeout: 30 * time.Second},
	}
}

func s3Client(t *testing.T, m *testenv.MinIO, creds aws.CredentialsProvider) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(t.Context(),
		config.WithHTTPClient(awshttp.NewBuildableClient()),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithRegion("us-east-1"), config.WithCredentialsProvider(creds))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
		o.UsePathStyle = true
	})
}

func putAndList(t *testing.T, c *s3.Client, bucket, key string) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("PutObject with STS credentials: %v", err)
	}
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatalf("ListObjectsV2 with STS credentials: %v", err)
	}
	found := false
	for _, o := range out.Contents {
		found = found || aws.ToString(o.Key) == key
	}
	if !found {
		t.Fatalf("%s not listed", key)
	}
}

// Authorization code + PKCE with a public client against Dex, the role ARN
// MinIO announces (role-policy mode), real S3 operations with the STS
// credentials, then renewal through the refresh token in the background and
// synchronously.
func TestE2ELoginPKCERolePolicy(t *testing.T) {
	testenv.Home(t)
	r := startReal(t, publicClient, false)
	bucket := r.minio.NewBucket(t)
	cacheDir := filepath.Join(t.TempDir(), "oidc")
	p := r.provider(t, federation.Config{ClientID: publicClient, RoleARN: r.roleARN, Duration: 15 * time.Minute}, cacheDir)

	e, err := p.Login(t.Context())
	if err != nil {
		t.Fatalf("login: %v (browser errors: %v)", err, r.browser.errs)
	}
	r.browser.wg.Wait()
	if len(r.browser.errs) > 0 {
		t.Fatal(r.browser.errs)
	}
	if r.browser.count() != 1 {
		t.Fatalf("browser opened %d times", r.browser.count())
	}
	u := r.browser.opened[0]
	for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "nonce=", "state=", "offline_access"} {
		if !strings.Contains(u, want) {
			t.Errorf("authorization URL lacks %s: %s", want, u)
		}
	}
	if e.Email != r.dex.Email || e.RefreshToken == "" || e.Credentials == nil {
		t.Fatalf("entry after login: email %q refresh %v creds %v", e.Email, e.RefreshToken != "", e.Credentials != nil)
	}
	if d := time.Until(e.Credentials.Expiration); d < 10*time.Minute || d > 16*time.Minute {
		t.Errorf("credentials expire in %v, want about 15m (DurationSeconds=900)", d)
	}
	putAndList(t, s3Client(t, r.minio, p), bucket, "via-login")

	// A new process: the cache alone serves the credentials.
	p2 := r.provider(t, federation.Config{ClientID: publicClient, RoleARN: r.roleARN, Duration: 15 * time.Minute}, cacheDir)
	p2.Interactive = false
	c1, err := p2.Retrieve(t.Context())
	if err != nil || c1.AccessKeyID != e.Credentials.AccessKeyID {
		t.Fatalf("cached retrieve: %v %v", c1.AccessKeyID, err)
	}

	// Credentials in their last minutes and an expired ID token: Retrieve
	// still serves them and renews in the background via the refresh token.
	old := *e
	oldCreds := *e.Credentials
	old.Credentials = &oldCreds
	old.Credentials.Expiration = time.Now().Add(3 * time.Minute)
	old.IDTokenExpiry = time.Now().Add(-time.Hour)
	cache := &federation.Cache{Dir: cacheDir}
	if err := cache.Save("test", &old); err != nil {
		t.Fatal(err)
	}
	p3 := r.provider(t, federation.Config{ClientID: publicClient, RoleARN: r.roleARN, Duration: 15 * time.Minute}, cacheDir)
	p3.Interactive = false
	c2, err := p3.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c2.AccessKeyID != oldCreds.AccessKeyID {
		t.Errorf("in the refresh window Retrieve returned new credentials at once")
	}
	if err := p3.WaitRenewal(t.Context()); err != nil {
		t.Fatalf("background renewal: %v", err)
	}
	c3, err := p3.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c3.AccessKeyID == oldCreds.AccessKeyID {
		t.Fatalf("background renewal did not replace the credentials")
	}
	renewed, _ := cache.Load("test")
	if renewed.IDTokenExpiry.Before(time.Now()) || renewed.RefreshToken == "" {
		t.Errorf("renewal did not refresh the ID token: expiry %v", renewed.IDTokenExpiry)
	}
	putAndList(t, s3Client(t, r.minio, p3), bucket, "via-background-refresh")

	// Expired credentials and ID token: synchronous renewal, no browser.
	renewed.Credentials.Expiration = time.Now().Add(-time.Minute)
	renewed.IDTokenExpiry = time.Now().Add(-time.Minute)
	if err := cache.Save("test", renewed); err != nil {
		t.Fatal(err)
	}
	p4 := r.provider(t, federation.Config{ClientID: publicClient, RoleARN: r.roleARN, Duration: 15 * time.Minute}, cacheDir)
	p4.Interactive = false
	c4, err := p4.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("synchronous renewal: %v", err)
	}
	if c4.AccessKeyID == c3.AccessKeyID {
		t.Fatalf("synchronous renewal returned the expired credentials")
	}
	if r.browser.count() != 1 {
		t.Errorf("the browser was opened again during renewals (%d)", r.browser.count())
	}

	// Without a usable refresh token and not interactive: login required.
	renewed, _ = cache.Load("test")
	renewed.RefreshToken = "bogus"
	renewed.Credentials = nil
	renewed.IDTokenExpiry = time.Now().Add(-time.Minute)
	_ = cache.Save("test", renewed)
	p5 := r.provider(t, federation.Config{ClientID: publicClient, RoleARN: r.roleARN}, cacheDir)
	p5.Interactive = false
	_, err = p5.Retrieve(t.Context())
	if le, ok := fault.LoginRequired(err); !errors.Is(err, federation.ErrLoginRequired) || !ok || le.Ref != (fault.LoginRef{Account: "test"}) {
		t.Fatalf("with a rejected refresh token: %v (hint %q)", err, fault.HintOf(err))
	}
	// Interactive: falls back to the browser.
	p5.Interactive = true
	if _, err := p5.Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.browser.wg.Wait()
	if r.browser.count() != 2 {
		t.Errorf("browser opened %d times, want 2", r.browser.count())
	}

	// Logout forgets everything (Dex advertises no revocation endpoint).
	revoked, revokeErr, err := p5.Logout(t.Context())
	if err != nil || revokeErr != nil || revoked {
		t.Fatalf("logout: revoked %v, %v, %v", revoked, revokeErr, err)
	}
	if e, _ := cache.Load("test"); e != nil {
		t.Fatal("cache still present after logout")
	}
}

// A confidential client against MinIO in claim mode: no RoleArn is sent and
// the policy comes from the token's "name" claim.
func TestE2ELoginConfidentialClaimMode(t *testing.T) {
	testenv.Home(t)
	r := startReal(t, confClient, true)
	bucket := r.minio.NewBucket(t)
	p := r.provider(t, federation.Config{ClientID: confClient, ClientSecret: confSecret}, t.TempDir())
	if _, err := p.Login(t.Context()); err != nil {
		t.Fatalf("login: %v (browser: %v)", err, r.browser.errs)
	}
	putAndList(t, s3Client(t, r.minio, p), bucket, "claim-mode")
	st, err := p.Status()
	if err != nil || !st.SignedIn || st.Email != r.dex.Email || st.RoleARN != "" {
		t.Fatalf("status %+v %v", st, err)
	}
}

// Bad input against the real components: each error names the setting to
// fix and carries the right kind.
func TestE2EBadInput(t *testing.T) {
	testenv.Home(t)
	r := startReal(t, publicClient, false)
	cases := []struct {
		name     string
		cfg      federation.Config
		kind     fault.Kind
		wantMsg  string
		wantHint string
	}{
		{"wrong client secret", federation.Config{ClientID: confClient, ClientSecret: "wrong", RoleARN: r.roleARN},
			fault.Config, "invalid_client", "--client-secret"},
		{"wrong role ARN", federation.Config{ClientID: publicClient, RoleARN: "arn:minio:iam:::role/nope"},
			fault.Config, "InvalidParameterValue", "--role-arn"},
		{"audience not trusted", federation.Config{ClientID: confClient, ClientSecret: confSecret, RoleARN: r.roleARN},
			fault.Auth, "azp", "--client-id"},
		{"redirect not registered", federation.Config{ClientID: publicClient, RoleARN: r.roleARN,
			RedirectURL: fmt.Sprintf("http://127.0.0.1:%d/other", freePort(t))},
			fault.Config, "redirect URL", "--redirect-url"},
		{"unknown client", federation.Config{ClientID: "nobody", RoleARN: r.roleARN},
			fault.Config, "client", "--client-id"},
		{"unreachable issuer", federation.Config{Issuer: fmt.Sprintf("http://127.0.0.1:%d/dex", freePort(t)), ClientID: publicClient},
			fault.Network, "OpenID discovery", "--issuer"},
		{"wrong issuer path", federation.Config{Issuer: r.dex.Issuer + "/nope", ClientID: publicClient},
			fault.Config, "404", "--issuer"},
		{"no role ARN for AWS", federation.Config{ClientID: publicClient, STSEndpoint: "https://sts.amazonaws.com/"},
			fault.Config, "role ARN", "--role-arn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := r.provider(t, tc.cfg, t.TempDir())
			_, err := p.Login(t.Context())
			r.browser.wg.Wait()
			if err == nil {
				t.Fatal("login succeeded")
			}
			if k := fault.KindOf(err); k != tc.kind {
				t.Errorf("kind %v, want %v (%v)", k, tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(fault.HintOf(err), tc.wantHint) {
				t.Errorf("error %q hint %q; want %q and %q", err, fault.HintOf(err), tc.wantMsg, tc.wantHint)
			}
			if strings.Contains(err.Error()+fault.HintOf(err), "wrong") && tc.cfg.ClientSecret == "wrong" {
				t.Errorf("the client secret leaked into the error: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// STS rejections of real tokens: a tampered token and an expired one.
func TestE2ESTSRejections(t *testing.T) {
	testenv.Home(t)
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", freePort(t))
	dex := testenv.StartDex(t, testenv.DexOptions{IDTokenTTL: 2 * time.Second, Clients: []testenv.DexClient{
		{ID: publicClient, Public: true, RedirectURIs: []string{redirect}}}})
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{Env: []string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL=" + dex.Issuer + "/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID=" + publicClient,
		"MINIO_IDENTITY_OPENID_ROLE_POLICY=readwrite",
	}})
	role := m.IAMRoles(t)[0]
	c := &federation.Client{Config: federation.Config{Issuer: dex.Issuer, ClientID: publicClient, STSEndpoint: m.Endpoint, RoleARN: role}}

	tok := dex.PasswordToken(t, publicClient, "")
	claims, err := federation.ParseClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssumeRole(t.Context(), tok, claims); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	_, err = c.AssumeRole(t.Context(), tampered, claims)
	var se *federation.STSError
	if !errors.As(err, &se) || !se.InvalidToken() || fault.KindOf(err) != fault.Auth || !strings.Contains(fault.HintOf(err), "--issuer") {
		t.Fatalf("tampered token: %v", err)
	}
	if strings.Contains(err.Error(), parts[1]) {
		t.Errorf("the token leaked into the error")
	}
	// Wait out the 2 s lifetime (plus clock-skew leeway MinIO may grant).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err = c.AssumeRole(t.Context(), tok, claims)
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if !errors.As(err, &se) || fault.KindOf(err) != fault.Auth {
		t.Fatalf("expired token: %v", err)
	}
	t.Logf("expired token: %v", err)
}
