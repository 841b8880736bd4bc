package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// W8p is W8 with the IAM Identity Center portal as far away as the real one
// (Config.PortalLatency, 100 ms by default): start to first byte with a
// cached SSO token, s3sso with an empty role-credential cache (it calls
// GetRoleCredentials) and with a warm one (it does not), the AWS CLI v1
// (which always calls), the AWS CLI v2 cold and warm (it shares the cache
// with s3sso), and s5cmd with static keys.
//
// When this process may make a private mount and network namespace (root,
// util-linux), the emulator serves HTTPS under the real host names inside
// it, MinIO is forwarded in, and every W8p client runs inside (through
// nsenter, for all alike): the AWS CLI v2 knows no endpoint settings for
// the sign-in. Otherwise the clients run on loopback with the emulator's
// endpoints in the profile, without the AWS CLI v2.

// W8p client names (s3sso, aws and s5cmd keep their names).
const (
	S3ssoCold = "s3sso-cold" // s3sso, role-credential cache emptied before each run
	AWSv2     = "aws-v2"     // the AWS CLI v2, role-credential cache warm
	AWSv2Cold = "aws-v2-cold"
)

// Real host names of IAM Identity Center in us-east-1.
const (
	w8pOIDCHost   = "oidc.us-east-1.amazonaws.com"
	w8pPortalHost = "portal.sso.us-east-1.amazonaws.com"
)

type w8pWorld struct {
	ns        *testenv.Namespace // nil: loopback, no AWS CLI v2
	emu       *ssotest.Server
	roleCache string // ~/.aws/cli/cache of the shared HOME
	s3        string // S3 endpoint where the clients run
	clients   []*client
	closers   []func()
}

func (w *w8pWorld) close() {
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
}

// setupW8p starts the emulator (with latency), writes the shared SSO
// profile, signs in with s3sso and lists the W8p clients.
func (h *harness) setupW8p(ctx context.Context, tmp string) (err error) {
	cfg := &h.cfg
	srv := cfg.Server
	w := &w8pWorld{}
	h.w8p = w
	dir := filepath.Join(cfg.WorkDir, "w8p")
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		return err
	}
	w.roleCache = filepath.Join(home, ".aws", "cli", "cache")
	w.emu = ssotest.New(ssotest.Options{
		Region:      "us-east-1",
		Accounts:    []ssotest.Account{{ID: "111122223333", Name: "bench", Email: "bench@example.com", Roles: []string{"Bench"}}},
		Credentials: ssotest.MinIOCredentials(srv.Endpoint, srv.AccessKey, srv.SecretKey, 0),
		Latency:     cfg.PortalLatency,
	})
	w.closers = append(w.closers, func() { _ = w.emu.Close() })
	env := baseEnv(home, tmp)
	s3 := srv.Endpoint
	services := ""
	if os.Geteuid() == 0 {
		w.ns, err = testenv.StartNamespace(dir, map[string]string{w8pOIDCHost: "127.0.0.1", w8pPortalHost: "127.0.0.1"})
		if err != nil {
			cfg.logf("W8p: %v; running on loopback without the AWS CLI v2", err)
			w.ns = nil
		}
	}
	if w.ns != nil {
		w.closers = append(w.closers, func() { _ = w.ns.Close() })
		cert, err := testenv.MakeTLSCert(dir, w8pOIDCHost, w8pPortalHost)
		if err != nil {
			return err
		}
		ln, err := w.ns.Listen("tcp", "127.0.0.1:443")
		if err != nil {
			return fmt.Errorf("W8p: listen on 127.0.0.1:443 in the namespace: %w", err)
		}
		w.emu.Serve(tls.NewListener(ln, cert.Config), "https://"+w8pOIDCHost)
		addr, stop, err := w.ns.ForwardTo(strings.TrimPrefix(strings.TrimPrefix(srv.Endpoint, "http://"), "https://"))
		if err != nil {
			return err
		}
		w.closers = append(w.closers, stop)
		s3 = "http://" + addr
		env = withEnv(env, "AWS_CA_BUNDLE="+cert.CAFile, "CURL_CA_BUNDLE="+cert.CAFile, "SSL_CERT_FILE="+cert.CAFile, "REQUESTS_CA_BUNDLE="+cert.CAFile)
	} else {
		if err := w.emu.Listen("127.0.0.1:0"); err != nil {
			return fmt.Errorf("start the SSO emulator: %w", err)
		}
		services = fmt.Sprintf("services = w8p\n\n[services w8p]\nsso =\n  endpoint_url = %[1]s\nsso_oidc =\n  endpoint_url = %[1]s\n", w.emu.URL)
	}
	env = withEnv(env, "AWS_PAGER=")
	conf := fmt.Sprintf(`[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Bench
region = %s
%s
[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`, srv.Region, services)
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(conf), 0o600); err != nil {
		return err
	}
	browser := filepath.Join(dir, "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\nexec curl -fsSL -o /dev/null \"$1\"\n"), 0o700); err != nil {
		return err
	}
	bin, args := w.wrap(cfg.S3sso, "login", "--profile", "dev")
	if s := measure(ctx, cfg.WorkDir, bin, args, withEnv(env, "BROWSER="+browser), time.Minute); s.exitErr != nil {
		return fmt.Errorf("W8p: s3sso login through the SSO emulator: %w: %s", s.exitErr, tail(s.stderr, 500))
	}

	add := func(name, bin string, e []string) {
		if bin != "" {
			w.clients = append(w.clients, &client{name: name, bin: bin, home: home, env: e})
		}
	}
	add(S3sso, cfg.S3sso, env)
	add(S3ssoCold, cfg.S3sso, env)
	add(AWS, cfg.AWS, env)
	if w.ns != nil {
		add(AWSv2, cfg.AWSv2, env)
		add(AWSv2Cold, cfg.AWSv2, env)
	}
	keys := withEnv(baseEnv(filepath.Join(cfg.WorkDir, "home-"+S5cmd), tmp), staticKeyEnv(srv)...)
	add(S5cmd, cfg.S5cmd, keys)
	for _, c := range w.clients {
		h.report.W8p = append(h.report.W8p, c.name)
		if c.name == AWSv2 {
			h.report.Versions[AWSv2] = version(ctx, c)
		}
	}
	h.report.W8pSetup = fmt.Sprintf("portal latency %s; ", cfg.PortalLatency)
	if w.ns != nil {
		h.report.W8pSetup += "emulator on HTTPS under the real host names in a private network namespace, every client started inside it through nsenter"
	} else {
		h.report.W8pSetup += "emulator on loopback, endpoints in the profile (no namespace: the AWS CLI v2 left out)"
	}
	w.s3 = s3
	return nil
}

// wrap returns the command line that runs bin with args where the W8p
// clients run.
func (w *w8pWorld) wrap(bin string, args ...string) (string, []string) {
	if w.ns == nil {
		return bin, args
	}
	return w.ns.Wrap(bin, args...)
}

// w8pCommand is the W8p command line of client c.
func (w *w8pWorld) command(c *client) []string {
	u := "s3://" + bucket + "/" + ttfbKey
	switch c.name {
	case S3sso, S3ssoCold:
		return []string{"--profile", "dev", "--no-progress", "--endpoint-url", w.s3, "cat", u}
	case AWS, AWSv2, AWSv2Cold:
		return []string{"--profile", "dev", "--endpoint-url", w.s3, "s3", "cp", u, "-"}
	case S5cmd:
		return []string{"--endpoint-url", w.s3, "cat", u}
	}
	panic("bench: no W8p command for " + c.name)
}

// roundW8p runs every W8p client TTFBRepeats times in an order rotated by
// round. Cold clients start with an empty role-credential cache; warm ones
// with an entry (written by an untimed run when missing).
func (h *harness) roundW8p(ctx context.Context, r int) error {
	w := h.w8p
	n := len(w.clients)
	for range max(1, h.cfg.Sizes.TTFBRepeats) {
		for i := range n {
			c := w.clients[(i+r-1)%n]
			bin, args := w.wrap(c.bin, w.command(c)...)
			switch c.name {
			case S3ssoCold, AWSv2Cold:
				if err := os.RemoveAll(w.roleCache); err != nil {
					return err
				}
			case S3sso, AWSv2:
				if entries, _ := os.ReadDir(w.roleCache); len(entries) == 0 {
					if s := measure(ctx, h.cfg.WorkDir, bin, args, c.env, time.Minute); s.exitErr != nil {
						h.result(W8p, c.name).fail(fmt.Sprintf("round %d: warm-up: %v: %s", r, s.exitErr, tail(s.stderr, 300)))
						continue
					}
				}
			}
			res := h.result(W8p, c.name)
			s := measure(ctx, h.cfg.WorkDir, bin, args, c.env, time.Minute)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			switch {
			case s.exitErr != nil:
				res.fail(fmt.Sprintf("round %d: %v: %s", r, s.exitErr, tail(s.stderr, 300)))
			case s.head != ttfbBody:
				res.fail(fmt.Sprintf("round %d: wrong result: cat wrote %q (stderr: %s)", r, tail(s.head, 100), tail(s.stderr, 300)))
			default:
				res.add(s)
				h.cfg.logf("%s r%d %-11s %8s  ttfb %s", W8p, r, c.name, s.wall.Round(time.Millisecond), s.ttfb.Round(time.Millisecond))
			}
		}
	}
	return nil
}

// withEnv returns env with the KEY=VALUE entries set (replacing any).
func withEnv(env []string, set ...string) []string {
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for _, s := range set {
			if sk, _, _ := strings.Cut(s, "="); sk == k {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}
