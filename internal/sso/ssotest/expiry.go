package ssotest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Deadlines makes role credentials short-lived for expiry tests. MinIO's
// STS credentials last at least 15 minutes, so Wrap reports an earlier
// expiration to the client and records it per access key; an
// [ExpiryProxy] in front of the S3 server then enforces it, as AWS does.
// The zero value is ready to use and safe for concurrent use.
type Deadlines struct {
	mu  sync.Mutex
	m   map[string]time.Time
	ids []string // in the order they were handed out
}

// Wrap returns a CredentialsFunc that mints credentials with f and reports
// them as expiring lifetime from now (truncated to the millisecond, the
// precision of GetRoleCredentials' expiration), recording that deadline.
func (d *Deadlines) Wrap(f CredentialsFunc, lifetime time.Duration) CredentialsFunc {
	return func(ctx context.Context, account, role string) (RoleCredentials, error) {
		rc, err := f(ctx, account, role)
		if err != nil {
			return rc, err
		}
		rc.Expiration = time.UnixMilli(time.Now().Add(lifetime).UnixMilli())
		d.mu.Lock()
		if d.m == nil {
			d.m = map[string]time.Time{}
		}
		d.m[rc.AccessKeyID] = rc.Expiration
		d.ids = append(d.ids, rc.AccessKeyID)
		d.mu.Unlock()
		return rc, nil
	}
}

// Deadline returns the reported expiration of an access key handed out by
// Wrap.
func (d *Deadlines) Deadline(accessKeyID string) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.m[accessKeyID]
	return t, ok
}

// Issued returns the access keys handed out so far, oldest first.
func (d *Deadlines) Issued() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}

// ExpiryProxy is a reverse proxy in front of an S3 server that answers 400
// ExpiredToken (an S3 XML error, as AWS does) to any request signed with an
// access key whose deadline in Deadlines has passed when the request
// arrives, and optionally throttles the bytes it carries (request and
// response bodies, all connections together) so that a transfer lasts long
// enough to outlive its credentials. Requests signed with keys unknown to
// Deadlines (e.g. root keys) are forwarded and counted as unknown.
type ExpiryProxy struct {
	Deadlines *Deadlines
	// BytesPerSecond, when positive, limits the body bytes carried per
	// second, over all requests together.
	BytesPerSecond int

	proxy *httputil.ReverseProxy
	pace  pacer

	mu       sync.Mutex
	accepted map[string]int // access key -> requests forwarded
	first    map[string]time.Time
	last     map[string]time.Time
	rejected []string // "METHOD path (key expired for ...)"
	unknown  int
	stored   map[string]int // path -> PUTs the server accepted
}

// NewExpiryProxy returns a proxy to target (an S3 endpoint URL).
func NewExpiryProxy(target string, d *Deadlines, bytesPerSecond int) (*ExpiryProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parse the S3 endpoint %q: %w", target, err)
	}
	p := &ExpiryProxy{Deadlines: d, BytesPerSecond: bytesPerSecond, proxy: httputil.NewSingleHostReverseProxy(u),
		accepted: map[string]int{}, first: map[string]time.Time{}, last: map[string]time.Time{}, stored: map[string]int{}}
	p.pace.rate = float64(bytesPerSecond)
	p.proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodPut && resp.StatusCode < 300 {
			p.mu.Lock()
			p.stored[resp.Request.URL.Path]++
			p.mu.Unlock()
		}
		if p.BytesPerSecond > 0 {
			resp.Body = &pacedBody{r: resp.Body, p: &p.pace, ctx: resp.Request.Context()}
		}
		return nil
	}
	return p, nil
}

// SigV4AccessKey returns the access key ID a request is signed with (the
// Credential of a SigV4 Authorization header or X-Amz-Credential of a
// presigned URL), or "" for an unsigned request.
func SigV4AccessKey(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		_, params, _ := strings.Cut(h, " ")
		for _, part := range strings.Split(params, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
			}
		}
	}
	akid, _, _ := strings.Cut(cred, "/")
	return akid
}

// ServeHTTP implements http.Handler.
func (p *ExpiryProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	akid := SigV4AccessKey(r)
	deadline, known := p.Deadlines.Deadline(akid)
	p.mu.Lock()
	switch {
	case !known:
		p.unknown++
	case !now.Before(deadline):
		p.rejected = append(p.rejected, fmt.Sprintf("%s %s (key expired %v before)", r.Method, r.URL.Path, now.Sub(deadline).Round(time.Millisecond)))
	default:
		p.accepted[akid]++
		if _, ok := p.first[akid]; !ok {
			p.first[akid] = now
		}
		p.last[akid] = now
	}
	p.mu.Unlock()
	if known && !now.Before(deadline) {
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("X-Amz-Request-Id", "EXPIRYPROXY")
		w.WriteHeader(http.StatusBadRequest)
		if r.Method != http.MethodHead {
			_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
				`<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Resource>%s</Resource><RequestId>EXPIRYPROXY</RequestId></Error>`,
				xmlEscape(r.URL.Path))
		}
		return
	}
	if p.BytesPerSecond > 0 && r.Body != nil && r.Body != http.NoBody {
		r.Body = &pacedBody{r: r.Body, p: &p.pace, ctx: r.Context()}
	}
	p.proxy.ServeHTTP(w, r)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Stored returns, per path, how many PUT requests the server accepted
// (an object stored twice was sent again).
func (p *ExpiryProxy) Stored() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.stored))
	for k, v := range p.stored {
		out[k] = v
	}
	return out
}

// Rejected returns the requests answered with ExpiredToken.
func (p *ExpiryProxy) Rejected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.rejected...)
}

// Accepted returns how many requests each access key signed that were
// forwarded.
func (p *ExpiryProxy) Accepted() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.accepted))
	for k, v := range p.accepted {
		out[k] = v
	}
	return out
}

// LastUse returns when the proxy last forwarded a request signed with
// accessKeyID.
func (p *ExpiryProxy) LastUse(accessKeyID string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.last[accessKeyID]
	return t, ok
}

// Unknown returns how many requests were signed with keys Deadlines does
// not know (or were unsigned).
func (p *ExpiryProxy) Unknown() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unknown
}

// pacer spaces byte reservations so that all readers together move at most
// rate bytes a second.
type pacer struct {
	mu   sync.Mutex
	next time.Time
	rate float64
}

func (p *pacer) wait(ctx context.Context, n int) {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	d := p.next.Sub(now)
	p.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// pacedBody reads at most 16 KiB at a time, each after its turn at the
// pacer.
type pacedBody struct {
	r   io.ReadCloser
	p   *pacer
	ctx context.Context
}

func (b *pacedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p[:min(len(p), 16<<10)])
	if n > 0 {
		b.p.wait(b.ctx, n)
	}
	return n, err
}

func (b *pacedBody) Close() error { return b.r.Close() }
