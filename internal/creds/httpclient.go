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

// CABundle is a PEM file of trusted certificates (AWS_CA_BUNDLE), parsed on
// the first TLS connection that needs it: commands that talk plain HTTP to a
// local server never pay for parsing a few hundred certificates, and the S3,
// STS and SSO clients built with the same CABundle share one pool. A nil
// *CABundle means the system's roots. It is safe for concurrent use.
type CABundle struct {
	Path string
	pool func() (*x509.CertPool, error)
}

// NewCABundle returns the bundle at path, or nil when path is empty.
func NewCABundle(path string) *CABundle {
	if path == "" {
		return nil
	}
	return &CABundle{Path: path, pool: sync.OnceValues(func() (*x509.CertPool, error) { return loadPool(path) })}
}

// EnvCABundle returns the bundle that AWS_CA_BUNDLE names (nil if unset).
// It only reads the variable; nothing here changes the environment.
func EnvCABundle() *CABundle { return NewCABundle(os.Getenv("AWS_CA_BUNDLE")) }

// Pool returns the parsed certificates, parsing them on the first call.
func (b *CABundle) Pool() (*x509.CertPool, error) { return b.pool() }

func loadPool(path string) (*x509.CertPool, error) {
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
}

// placeholderRoot is what the SDK's config loader is handed as the CA
// bundle when the real one is applied lazily (see Load): a self-signed
// certificate whose private key was thrown away when it was made, so
// nothing can be signed by it. The loader only copies it into the TLS
// settings of its copy of the HTTP client, which are never used: the
// client's own TLS dialer trusts exactly the lazily parsed bundle.
const placeholderRoot = `-----BEGIN CERTIFICATE-----
MIIBzjCCAXWgAwIBAgIUQoWY5AHcmkXVtjDXAZVfotnFgycwCgYIKoZIzj0EAwIw
PDE6MDgGA1UEAwwxczNzc28gcGxhY2Vob2xkZXIsIG5ldmVyIHRydXN0ZWQgZm9y
IGEgY29ubmVjdGlvbjAgFw0yNjExMjgxMzU5MTFaGA8yMTI2MTEwNDEzNTkxMVow
PDE6MDgGA1UEAwwxczNzc28gcGxhY2Vob2xkZXIsIG5ldmVyIHRydXN0ZWQgZm9y
IGEgY29ubmVjdGlvbjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFjxkViMqd85
ebCvhE6rCVL4lhF3pxYiU1QHCghrqWi64JI8iNUYs2Z1Bf7hOiltFVZ1/3arY3j8
DFfd3fg6BK2jUzBRMB0GA1UdDgQWBBQPQbcVZ+iaAdxXShy5YqazKNqgsTAfBgNV
HSMEGDAWgBQPQbcVZ+iaAdxXShy5YqazKNqgsTAPBgNVHRMBAf8EBTADAQH/MAoG
CCqGSM49BAMCA0cAMEQCIDjGcNDBpySYq7jDSE4t7s1zbVZ0ArW98W1Ae5hVCKCE
AiBnrOR44to4dmxvxJWYLQi0T654imsgm8+FfI5BECNzgA==
-----END CERTIFICATE-----
`

// lazy reports whether the bundle can be applied lazily: no HTTPS proxy is
// configured (a proxy tunnel's TLS uses the transport's own TLS settings,
// which then need the pool up front).
func (b *CABundle) lazy() bool {
	if b == nil {
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
// connection pool of maxConns per host. With a CA bundle, TLS connections
// trust exactly that bundle, as the AWS CLI and SDKs do, and the bundle is
// parsed on first use.
func NewHTTPClient(maxConns int, ca *CABundle) *awshttp.BuildableClient {
	if maxConns <= 0 {
		maxConns = 64
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	lazy := ca.lazy()
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = maxConns * 2
		t.MaxIdleConnsPerHost = maxConns
		t.MaxConnsPerHost = 0
		t.IdleConnTimeout = 90 * time.Second
		t.ExpectContinueTimeout = 0
		t.DialContext = dialer.DialContext
		if lazy {
			t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				return dialTLS(ctx, dialer, ca, network, addr)
			}
		}
	})
}

func dialTLS(ctx context.Context, d *net.Dialer, ca *CABundle, network, addr string) (net.Conn, error) {
	pool, err := ca.Pool()
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
