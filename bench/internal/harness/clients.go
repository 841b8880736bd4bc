package harness

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// client is one S3 client under test: its binary, its private HOME and the
// environment that points it at the server.
type client struct {
	name string
	bin  string
	home string
	env  []string // full environment of its processes
}

// baseEnv is the environment every client process starts with: nothing
// from the caller's AWS setup except the CA bundle variables real users
// have, a private HOME, and no IMDS.
func baseEnv(home, tmp string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + tmp,
		"LANG=C.UTF-8",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
	}
	// GORACE: a race-built s3sso (the smoke test's) must not sleep at exit.
	for _, k := range []string{"AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func staticKeyEnv(srv Server) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		"AWS_REGION=" + srv.Region,
		"AWS_DEFAULT_REGION=" + srv.Region,
	}
}

// newClient creates the client's HOME under dir and its environment.
func newClient(name, bin, dir, tmp string, srv Server) (*client, error) {
	home := filepath.Join(dir, "home-"+name)
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[default]\nregion = "+srv.Region+"\n"), 0o600); err != nil {
		return nil, err
	}
	c := &client{name: name, bin: bin, home: home, env: baseEnv(home, tmp)}
	switch name {
	case S3sso, S3ssoKeys, S3ssoBase, S5cmd, AWS:
		c.env = append(c.env, staticKeyEnv(srv)...)
	case Rclone:
		conf := filepath.Join(home, "rclone.conf")
		if err := os.WriteFile(conf, nil, 0o600); err != nil {
			return nil, err
		}
		c.env = append(c.env,
			"RCLONE_CONFIG="+conf,
			"RCLONE_CONFIG_BENCH_TYPE=s3",
			"RCLONE_CONFIG_BENCH_PROVIDER=Minio",
			"RCLONE_CONFIG_BENCH_ENDPOINT="+srv.Endpoint,
			"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="+srv.AccessKey,
			"RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="+srv.SecretKey,
			"RCLONE_CONFIG_BENCH_REGION="+srv.Region,
		)
	case MC:
		u, err := url.Parse(srv.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: %w", srv.Endpoint, err)
		}
		u.User = url.UserPassword(srv.AccessKey, srv.SecretKey)
		c.env = append(c.env, "MC_HOST_bench="+u.String())
	}
	return c, nil
}

// spec is one timed command: what to run and what the result must be.
type spec struct {
	args []string // without the binary
	env  []string // nil: the client's environment
}

// commands builds the command line of client c for workload w. src and dst
// are a local path and an s3 location (bucket/key or bucket/prefix/,
// without scheme) whose direction depends on w.
func (h *harness) command(c *client, w, local, remote string) spec {
	w = base(w)
	e := h.cfg.Server.Endpoint
	s3u := "s3://" + remote
	switch c.name {
	case S3sso, S3ssoKeys, S3ssoBase:
		g := []string{"--endpoint-url", e, "--no-progress"}
		switch w {
		case W1, W3, W6, W7:
			g = append(g, "-q")
		}
		switch w {
		case W1:
			return spec{args: append(g, "cp", "-r", local, s3u)}
		case W2:
			return spec{args: append(g, "-q", "cp", "-r", s3u, local)}
		case W3:
			return spec{args: append(g, "cp", local, s3u)}
		case W4:
			return spec{args: append(g, "-q", "cp", s3u, local)}
		case W5:
			return spec{args: append(g, "ls", "-r", s3u)}
		case W6:
			return spec{args: append(g, "rm", "-r", s3u)}
		case W7:
			return spec{args: append(g, "sync", local, s3u)}
		case W8:
			if c.name != S3sso {
				return spec{args: append(g, "cat", s3u)}
			}
			return spec{args: []string{"--profile", "dev", "--no-progress", "cat", s3u}, env: h.ssoEnv}
		}
	case S5cmd:
		g := []string{"--endpoint-url", e}
		switch w {
		case W1, W2, W3, W6, W7:
			g = append(g, "--log", "error")
		case W4:
			g = append(g, "--log", "error", "--numworkers", "64")
		}
		switch w {
		case W1:
			return spec{args: append(g, "cp", local+"/*", s3u)}
		case W2:
			return spec{args: append(g, "cp", s3u+"*", local+"/")}
		case W3, W4:
			if w == W3 {
				return spec{args: append(g, "cp", local, s3u)}
			}
			return spec{args: append(g, "cp", s3u, local)}
		case W5:
			return spec{args: append(g, "ls", s3u+"*")}
		case W6:
			return spec{args: append(g, "rm", s3u+"*")}
		case W7:
			return spec{args: append(g, "sync", local+"/", s3u)}
		case W8:
			return spec{args: append(g, "cat", s3u)}
		}
	case Rclone:
		r := "bench:" + remote
		many := []string{"--transfers", "32", "--checkers", "64"}
		switch w {
		case W1:
			return spec{args: append([]string{"copy", local, r}, many...)}
		case W2:
			return spec{args: append([]string{"copy", r, local}, many...)}
		case W3:
			return spec{args: []string{"copyto", local, r, "--s3-upload-concurrency", "8", "--s3-chunk-size", "16M"}}
		case W4:
			return spec{args: []string{"copyto", r, local}}
		case W5:
			return spec{args: []string{"lsf", "-R", "--fast-list", r}}
		case W6:
			return spec{args: append([]string{"delete", r}, many...)}
		case W7:
			return spec{args: append([]string{"sync", local, r, "--fast-list", "--update", "--use-server-modtime"}, many...)}
		case W8:
			return spec{args: []string{"cat", r}}
		}
	case MC:
		g := []string{"--config-dir", filepath.Join(c.home, ".mc"), "--no-color"}
		m := "bench/" + remote
		switch w {
		case W1:
			return spec{args: append(g, "--quiet", "cp", "-r", local+"/", m)}
		case W2:
			return spec{args: append(g, "--quiet", "cp", "-r", m, local+"/")}
		case W3:
			return spec{args: append(g, "--quiet", "cp", local, m)}
		case W4:
			return spec{args: append(g, "--quiet", "cp", m, local)}
		case W5:
			return spec{args: append(g, "ls", "-r", m)}
		case W6:
			return spec{args: append(g, "--quiet", "rm", "-r", "--force", m)}
		case W7:
			return spec{args: append(g, "--quiet", "mirror", local, m)}
		case W8:
			return spec{args: append(g, "cat", m)}
		}
	case AWS:
		g := []string{"--endpoint-url", e}
		q := "--only-show-errors"
		switch w {
		case W1:
			return spec{args: append(g, "s3", "cp", "--recursive", q, local, s3u)}
		case W2:
			return spec{args: append(g, "s3", "cp", "--recursive", q, s3u, local)}
		case W3:
			return spec{args: append(g, "s3", "cp", q, local, s3u)}
		case W4:
			return spec{args: append(g, "s3", "cp", q, s3u, local)}
		case W5:
			return spec{args: append(g, "s3", "ls", "--recursive", s3u)}
		case W6:
			return spec{args: append(g, "s3", "rm", "--recursive", q, s3u)}
		case W7:
			return spec{args: append(g, "s3", "sync", q, local, s3u)}
		case W8:
			return spec{args: []string{"--profile", "dev", "s3", "cp", s3u, "-"}, env: h.ssoEnv}
		}
	}
	panic(fmt.Sprintf("bench: no command for %s %s", c.name, w))
}

// clientNote says how a client authenticates in W8.
func clientNote(name string) string {
	switch name {
	case S3sso, AWS:
		return "SSO profile, cached token"
	case S3ssoKeys, S3ssoBase:
		return "static keys"
	default:
		return "static keys (no SSO support)"
	}
}

// w8pNote says how a client authenticates in W8p.
func w8pNote(name string) string {
	switch name {
	case S3sso:
		return "SSO, role credentials cached"
	case S3ssoCold:
		return "SSO, empty role-credential cache: GetRoleCredentials"
	case AWS:
		return "AWS CLI v1, SSO: GetRoleCredentials on every start"
	case AWSv2:
		return "SSO, role credentials cached"
	case AWSv2Cold:
		return "SSO, empty role-credential cache: GetRoleCredentials"
	}
	return "static keys (no SSO support)"
}

// tail returns the last n bytes of s, on a line boundary when possible.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return "…" + s
}
