package creds

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/s3sso/s3sso/internal/fault"
)

// caBundle parses AWS_CA_BUNDLE once per process, on the first TLS
// connection that needs it: commands that talk plain HTTP to a local server
// never pay for parsing a few hundred certificates, and the S3, STS and SSO
// clients share one pool.
var caBundle = sync.OnceValues(func() (*x509.CertPool, error) {
	path := os.Getenv("AWS_CA_BUNDLE")
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, &fault.Error{Kind: fault.Config, Msg: "read AWS_CA_BUNDLE " + path, Err: err,
			Hint: "point AWS_CA_BUNDLE at a PEM file of trusted certificates, or unset it"}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &fault.Error{Kind: fault.Config, Msg: fmt.Sprintf("AWS_CA_BUNDLE %s holds no PEM certificates", path),
			Hint: "point AWS_CA_BUNDLE at a PEM file of trusted certificates, or unset it"}
	}
	return pool, nil
})

// lazyCABundle reports whether AWS_CA_BUNDLE can be applied lazily: it is
// set and no HTTPS proxy is configured (a proxy tunnel's TLS uses the
// transport's own TLS settings, which then need the pool up front).
func lazyCABundle() bool {
	if os.Getenv("AWS_CA_BUNDLE") == "" {
		return false
	}
	for _, v := range []string{"HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		if os.Getenv(v) != "" {
			return false
		}
	}
	return true
}

// NewHTTPClient returns the HTTP client for AWS APIs: a BuildableClient (so
// the SDK can still apply settings such as a profile's ca_bundle) with a
// connection pool of maxConns per host. With AWS_CA_BUNDLE set, TLS
// connections trust exactly that bundle, as the AWS CLI and SDKs do, and the
// bundle is parsed on first use.
func NewHTTPClient(maxConns int) *awshttp.BuildableClient {
	if maxConns <= 0 {
		maxConns = 64
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	lazy := lazyCABundle()
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = maxConns * 2
		t.MaxIdleConnsPerHost = maxConns
		t.MaxConnsPerHost = 0
		t.IdleConnTimeout = 90 * time.Second
		t.ExpectContinueTimeout = 0
		t.DialContext = dialer.DialContext
		if lazy {
			t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				return dialTLS(ctx, dialer, network, addr)
			}
		}
	})
}

func dialTLS(ctx context.Context, d *net.Dialer, network, addr string) (net.Conn, error) {
	pool, err := caBundle()
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12})
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

// hideCABundle keeps the SDK's config loader from parsing AWS_CA_BUNDLE up
// front when NewHTTPClient applies it lazily; the returned function restores
// the variable. Loads are serialised so concurrent loads see a consistent
// environment.
func hideCABundle() (restore func()) {
	if !lazyCABundle() {
		return func() {}
	}
	envMu.Lock()
	v := os.Getenv("AWS_CA_BUNDLE")
	os.Unsetenv("AWS_CA_BUNDLE")
	return func() {
		os.Setenv("AWS_CA_BUNDLE", v)
		envMu.Unlock()
	}
}

var envMu sync.Mutex
