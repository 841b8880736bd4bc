package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxy is the one fault-injecting reverse proxy of the test suite. It
// stands in front of an S3 server (MinIO) on a loopback port, forwards every
// request unchanged, and injects the faults its [FaultRule]s select: connection
// resets mid-body, 503 SlowDown with and without a body, truncated and
// bit-flipped bodies, latency and slow bodies, requests held until the test
// lets them go, and "apply then fail" (the server does the work, the client
// sees an error). It counts the requests it saw and finished by kind (see
// [RequestKind]) and every fault it injected.
//
// Rules are matched per request, in order, the first that applies wins: by
// kind, method, a predicate on the request, and the occurrence of the
// request among those the rule matches (the Nth part upload, every GET after
// the second, ...). Random choices (a rule's probability, a flipped bit's
// position) come from one seeded generator: S3SSO_TEST_FAULT_SEED sets the
// seed, otherwise it is drawn at random, and a failed test logs it so the run
// can be repeated. With parallel requests, which request is the Nth depends
// on their arrival order, as it would with a real server.
type FaultProxy struct {
	// URL is the proxy's endpoint, http://127.0.0.1:PORT.
	URL string
	// Seed seeds the proxy's random choices.
	Seed uint64

	target    *url.URL
	transport *http.Transport

	mu       sync.Mutex
	rng      *rand.Rand
	rules    []*ruleState
	started  map[string]int
	finished map[string]int
	injected map[string]int
	changed  chan struct{} // closed and replaced whenever a count changes
}

// FaultRule selects requests and the fault to inject into them.
type FaultRule struct {
	// Name labels the rule in counts and logs; empty: the fault's name.
	Name string
	// Kind is the request kind to match (see [RequestKind]); empty: any.
	Kind string
	// Method is the HTTP method to match; empty: any.
	Method string
	// Match, when set, must also accept the request (its path and query,
	// a header).
	Match func(r *http.Request) bool
	// Nth lists the occurrences (1-based, counted over the requests the
	// rule's Kind, Method and Match accept) that get the fault. Empty: the
	// occurrences from From on.
	Nth []int
	// From is the first occurrence that gets the fault when Nth is empty
	// (0 or 1: the first).
	From int
	// Times limits how many faults the rule injects; 0: no limit.
	Times int
	// Probability, when in (0, 1), injects the fault into a selected
	// request only with this probability, drawn from the seeded generator.
	Probability float64
	// Fault is what happens to a selected request.
	Fault Fault
}

// Fault is one kind of failure a [FaultProxy] can inject: [SlowDown],
// [Status], [Reset], [Truncate], [FlipBit], [Latency], [Trickle], [Hold] and
// [ApplyThenFail].
type Fault interface {
	// name is the fault's name in counts.
	name() string
	// serve handles the selected request.
	serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string)
}

// SlowDown answers 503 SlowDown without forwarding the request, with an S3
// XML error body unless NoBody is set (some servers and load balancers send
// a bare 503).
type SlowDown struct{ NoBody bool }

// Status answers with an HTTP status and an S3 error code (for example 500
// InternalError) without forwarding the request.
type Status struct {
	Code   int
	S3Code string
}

// Reset breaks the connection with a TCP reset (RST). Without Forward the
// request is reset on arrival and never reaches the server; with Forward the
// server answers, and the client receives the status line, the headers and
// AfterBytes bytes of the body before the reset (negative AfterBytes: a
// position drawn from the seed).
type Reset struct {
	Forward    bool
	AfterBytes int64
}

// Truncate forwards the request and closes the connection cleanly after
// AfterBytes bytes of the response body, although the headers announced the
// whole body (negative AfterBytes: a position drawn from the seed).
type Truncate struct{ AfterBytes int64 }

// FlipBit forwards the request and flips one bit of the response body, at
// byte At (negative: a position drawn from the seed) and bit Bit (0-7).
type FlipBit struct {
	At  int64
	Bit uint
}

// FlipObjectByte forwards the request and flips every bit of the object's
// byte at offset Off in whichever response body carries it: a whole object,
// a range or a part by number (where a body starts in the object is in its
// Content-Range). A body that does not carry the byte passes unchanged.
type FlipObjectByte struct{ Off int64 }

// Latency delays the request by Delay before forwarding it.
type Latency struct{ Delay time.Duration }

// Trickle forwards the request with its request and response bodies slowed
// to Chunk bytes every Every (default 64 KiB every 10 ms, about 6 MiB/s).
type Trickle struct {
	Chunk int
	Every time.Duration
}

// Hold keeps the request waiting until Until is closed (or the client gives
// up), then answers 503 SlowDown without forwarding it.
type Hold struct{ Until <-chan struct{} }

// ApplyThenFail forwards the request and reads the server's whole answer,
// so the server has done the work, then answers the client with Code and
// an S3 error S3Code instead (default 503 SlowDown): a reply lost after the
// server applied the request.
type ApplyThenFail struct {
	Code   int
	S3Code string
}

type ruleState struct {
	FaultRule
	seen     int  // requests the rule matched
	hit      bool // it matches the request being dispatched
	injected int
}

// StartFaultProxy starts a [FaultProxy] in front of target (an S3 endpoint
// URL) that forwards everything until rules are added. It stops when the test
// ends, and logs what it injected (and, if the test failed, its seed).
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("fault proxy: bad target %q: %v", target, err)
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("S3SSO_TEST_FAULT_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("S3SSO_TEST_FAULT_SEED=%q: %v", s, err)
		}
	}
	p := &FaultProxy{
		Seed:      seed,
		target:    u,
		transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: time.Minute},
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), // the same seed, the same choices
		started:   map[string]int{},
		finished:  map[string]int{},
		injected:  map[string]int{},
		changed:   make(chan struct{}),
	}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		p.transport.CloseIdleConnections()
		if n := p.Injected(); n > 0 || t.Failed() {
			t.Logf("fault proxy: injected %d faults %v (seed %d; S3SSO_TEST_FAULT_SEED=%d repeats its random choices)", n, p.InjectedByName(), p.Seed, p.Seed)
		}
	})
	return p
}

// totalInjected counts the faults injected by every proxy of the process.
var totalInjected atomic.Int64

// TotalInjected returns the number of faults every [FaultProxy] of the test
// process has injected so far.
func TotalInjected() int64 { return totalInjected.Load() }

// Add appends rules; earlier rules win when several apply.
func (p *FaultProxy) Add(rules ...FaultRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rules {
		if r.Fault == nil {
			panic("testenv: FaultRule without a Fault")
		}
		p.rules = append(p.rules, &ruleState{FaultRule: r})
	}
}

// Clear removes every rule and zeroes the request counts (the count of
// injected faults is kept).
func (p *FaultProxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	p.started, p.finished = map[string]int{}, map[string]int{}
	p.notifyLocked()
}

// Started returns how many requests of kind arrived ("" counts all).
func (p *FaultProxy) Started(kind string) int { return p.count(p.started, kind) }

// Finished returns how many requests of kind were answered with a 2xx
// status and their whole response body delivered ("" counts all).
func (p *FaultProxy) Finished(kind string) int { return p.count(p.finished, kind) }

func (p *FaultProxy) count(m map[string]int, kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if kind != "" {
		return m[kind]
	}
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Injected returns how many faults the proxy has injected.
func (p *FaultProxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, v := range p.injected {
		n += v
	}
	return n
}

// InjectedBy returns how many faults the rule (or fault) name injected.
func (p *FaultProxy) InjectedBy(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[name]
}

// InjectedByName returns the injected faults by rule name, as "name=N"
// strings in name order.
func (p *FaultProxy) InjectedByName() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k, v := range p.injected {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}

// WaitFinished waits until at least n requests of kind have finished (see
// [FaultProxy.Finished]) or ctx ends.
func (p *FaultProxy) WaitFinished(ctx context.Context, kind string, n int) error {
	for {
		p.mu.Lock()
		got, ch := p.finished[kind], p.changed
		p.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fault proxy: %d of %d %s requests finished: %w", got, n, kind, ctx.Err())
		}
	}
}

func (p *FaultProxy) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// RequestKind names an S3 request (path-style addressing) for matching and
// counting: "list-buckets", "list", "create-multipart", "complete-multipart",
// "abort-multipart", "upload-part", "upload-part-copy", "list-parts",
// "list-uploads", "get-range", "get", "head", "put", "copy", "delete",
// "delete-objects", or the method for anything else.
func RequestKind(r *http.Request) string {
	q := r.URL.Query()
	path := strings.TrimPrefix(r.URL.Path, "/")
	object := strings.Contains(strings.TrimSuffix(path, "/"), "/")
	copySrc := r.Header.Get("X-Amz-Copy-Source") != ""
	switch r.Method {
	case http.MethodGet:
		switch {
		case path == "":
			return "list-buckets"
		case q.Has("uploadId"):
			return "list-parts"
		case q.Has("uploads"):
			return "list-uploads"
		case !object:
			return "list"
		case r.Header.Get("Range") != "":
			return "get-range"
		}
		return "get"
	case http.MethodHead:
		return "head"
	case http.MethodPut:
		switch {
		case q.Has("partNumber") && copySrc:
			return "upload-part-copy"
		case q.Has("partNumber"):
			return "upload-part"
		case copySrc:
			return "copy"
		case object:
			return "put"
		}
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return "create-multipart"
		case q.Has("uploadId"):
			return "complete-multipart"
		case q.Has("delete"):
			return "delete-objects"
		}
	case http.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return "abort-multipart"
		case object:
			return "delete"
		}
	}
	return r.Method
}

// ServeHTTP forwards r, injecting the fault of the first rule that selects it.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := RequestKind(r)
	p.mu.Lock()
	p.started[kind]++
	p.notifyLocked()
	var fault Fault
	// Every rule counts the requests it matches, also those an earlier
	// rule takes.
	for _, rs := range p.rules {
		if rs.matches(r, kind) {
			rs.seen++
			rs.hit = true
		}
	}
	for _, rs := range p.rules {
		hit := rs.hit
		rs.hit = false
		if fault != nil || !hit || !rs.selects(rs.seen) || rs.Probability > 0 && rs.Probability < 1 && p.rng.Float64() >= rs.Probability {
			continue
		}
		rs.injected++
		name := rs.Name
		if name == "" {
			name = rs.Fault.name()
		}
		p.injected[name]++
		totalInjected.Add(1)
		fault = rs.Fault
	}
	p.mu.Unlock()
	if fault == nil {
		p.forward(w, r, kind, nil, nil)
		return
	}
	fault.serve(p, w, r, kind)
}

func (rs *ruleState) matches(r *http.Request, kind string) bool {
	return (rs.Kind == "" || rs.Kind == kind) && (rs.Method == "" || rs.Method == r.Method) &&
		(rs.Match == nil || rs.Match(r))
}

func (rs *ruleState) selects(n int) bool {
	if rs.Times > 0 && rs.injected >= rs.Times {
		return false
	}
	if len(rs.Nth) > 0 {
		return slices.Contains(rs.Nth, n)
	}
	return n >= rs.From
}

// bodyFilter wraps a response body on its way to the client; n is its
// announced length (-1 if unknown).
type bodyFilter func(body io.Reader, n int64) io.Reader

// forward sends r to the server, its body through reqBody when set, and the
// answer to the client, its body through filter when set. It counts the
// request finished when a 2xx response has been delivered whole.
func (p *FaultProxy) forward(w http.ResponseWriter, r *http.Request, kind string, reqBody func(io.Reader) io.Reader, filter bodyFilter) {
	var rf func(*http.Response, io.Reader) io.Reader
	if filter != nil {
		rf = func(resp *http.Response, body io.Reader) io.Reader { return filter(body, resp.ContentLength) }
	}
	p.forwardResp(w, r, kind, reqBody, rf)
}

// forwardResp is forward with a filter that also sees the response.
func (p *FaultProxy) forwardResp(w http.ResponseWriter, r *http.Request, kind string, reqBody func(io.Reader) io.Reader, filter func(*http.Response, io.Reader) io.Reader) {
	resp, err := p.roundTrip(r, reqBody)
	if err != nil {
		if r.Context().Err() == nil {
			http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		}
		return
	}
	defer resp.Body.Close()
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	var body io.Reader = resp.Body
	if filter != nil {
		body = filter(resp, body)
	}
	if _, err := io.Copy(w, body); err != nil {
		var cut *cutError
		if errors.As(err, &cut) {
			cut.finish(w)
		}
		return
	}
	if resp.StatusCode/100 == 2 {
		p.mu.Lock()
		p.finished[kind]++
		p.notifyLocked()
		p.mu.Unlock()
	}
}

// roundTrip sends r to the server, with its body read through reqBody
// when set.
func (p *FaultProxy) roundTrip(r *http.Request, reqBody func(io.Reader) io.Reader) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	// The Host header stays the proxy's: it is what the client signed.
	if r.ContentLength == 0 {
		out.Body = nil
	} else if reqBody != nil {
		out.Body = io.NopCloser(reqBody(r.Body))
	}
	for _, h := range []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Upgrade", "Expect"} {
		out.Header.Del(h)
	}
	return p.transport.RoundTrip(out)
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		switch k {
		case "Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// s3Error answers with an S3 XML error (or no body).
func s3Error(w http.ResponseWriter, r *http.Request, status int, code string, noBody bool) {
	if noBody || r.Method == http.MethodHead {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>%s</Code><Message>injected by the test fault proxy</Message><Resource>%s</Resource><RequestId>faultproxy</RequestId></Error>`,
		code, r.URL.Path)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// drain reads what is left of the client's request body, so the client is
// not cut off while still sending it.
func drain(r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }

func (SlowDown) name() string { return "slowdown" }
func (f SlowDown) serve(_ *FaultProxy, w http.ResponseWriter, r *http.Request, _ string) {
	drain(r)
	s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", f.NoBody)
}

func (f Status) name() string { return "status-" + strconv.Itoa(f.Code) }
func (f Status) serve(_ *FaultProxy, w http.ResponseWriter, r *http.Request, _ string) {
	drain(r)
	s3Error(w, r, f.Code, f.S3Code, false)
}

func (Reset) name() string { return "reset" }
func (f Reset) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string) {
	if !f.Forward {
		resetConn(w)
		return
	}
	p.forward(w, r, kind, nil, func(body io.Reader, n int64) io.Reader {
		return &cutter{r: body, at: p.position(f.AfterBytes, n), reset: true}
	})
}

func (Truncate) name() string { return "truncate" }
func (f Truncate) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string) {
	p.forward(w, r, kind, nil, func(body io.Reader, n int64) io.Reader {
		return &cutter{r: body, at: p.position(f.AfterBytes, n)}
	})
}

func (FlipBit) name() string { return "flip-bit" }
func (f FlipBit) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string) {
	p.forward(w, r, kind, nil, func(body io.Reader, n int64) io.Reader {
		return &flipper{r: body, at: p.position(f.At, n), mask: 1 << (f.Bit % 8)}
	})
}

func (FlipObjectByte) name() string { return "flip-object-byte" }
func (f FlipObjectByte) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string) {
	p.forwardResp(w, r, kind, nil, func(resp *http.Response, body io.Reader) io.Reader {
		if resp.StatusCode/100 != 2 {
			return body
		}
		start, end := int64(0), resp.ContentLength-1
		if cr := resp.Header.Get("Content-Range"); cr != "" {
			var total int64
			if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil {
				return body
			}
		}
		if f.Off < start || f.Off > end {
			return body
		}
		return &flipper{r: body, at: f.Off - start, mask: 0xff}
	})
}

func (Latency) name() string { return "latency" }
func (f Latency) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string) {
	select {
	case <-time.After(f.Delay):
	case <-r.Context().Done():
		return
	}
	p.forward(w, r, kind, nil, nil)
}

func (Trickle) name() string { return "trickle" }
func (f Trickle) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, kind string) {
	if f.Chunk <= 0 {
		f.Chunk = 64 << 10
	}
	if f.Every <= 0 {
		f.Every = 10 * time.Millisecond
	}
	slow := func(body io.Reader) io.Reader { return &trickler{r: body, chunk: f.Chunk, every: f.Every} }
	p.forward(w, r, kind, slow, func(body io.Reader, _ int64) io.Reader { return slow(body) })
}

func (Hold) name() string { return "hold" }
func (f Hold) serve(_ *FaultProxy, w http.ResponseWriter, r *http.Request, _ string) {
	select {
	case <-f.Until:
	case <-r.Context().Done():
		return
	}
	drain(r)
	s3Error(w, r, http.StatusServiceUnavailable, "SlowDown", false)
}

func (ApplyThenFail) name() string { return "apply-then-fail" }
func (f ApplyThenFail) serve(p *FaultProxy, w http.ResponseWriter, r *http.Request, _ string) {
	if f.Code == 0 {
		f.Code, f.S3Code = http.StatusServiceUnavailable, "SlowDown"
	}
	resp, err := p.roundTrip(r, nil)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body) // the server finishes its work
		resp.Body.Close()
	}
	s3Error(w, r, f.Code, f.S3Code, false)
}

// position returns at, or for a negative at a position in [0, n) drawn
// from the seed (0 when n is unknown or empty).
func (p *FaultProxy) position(at, n int64) int64 {
	if at >= 0 {
		return at
	}
	if n <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.Int64N(n)
}

// cutError ends a response body early; finish breaks the connection.
type cutError struct{ reset bool }

func (c *cutError) Error() string { return "fault proxy: body cut" }

func (c *cutError) finish(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	conn, buf, err := rc.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok && c.reset {
		_ = tc.SetLinger(0) // close with RST
	}
	conn.Close()
}

// cutter passes at bytes of r, then fails with a *cutError.
type cutter struct {
	r     io.Reader
	at    int64
	pos   int64
	reset bool
}

func (c *cutter) Read(b []byte) (int, error) {
	if c.pos >= c.at {
		return 0, &cutError{reset: c.reset}
	}
	if rest := c.at - c.pos; int64(len(b)) > rest {
		b = b[:rest]
	}
	n, err := c.r.Read(b)
	c.pos += int64(n)
	if err == io.EOF && c.pos < c.at {
		return n, err // shorter than the cut: nothing to cut
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// flipper flips mask in byte at of r.
type flipper struct {
	r    io.Reader
	at   int64
	pos  int64
	mask byte
}

func (f *flipper) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if f.at >= f.pos && f.at < f.pos+int64(n) {
		b[f.at-f.pos] ^= f.mask
	}
	f.pos += int64(n)
	return n, err
}

// trickler passes chunk bytes every every.
type trickler struct {
	r     io.Reader
	chunk int
	every time.Duration
}

func (s *trickler) Read(b []byte) (int, error) {
	time.Sleep(s.every)
	return s.r.Read(b[:min(len(b), s.chunk)])
}

// resetConn resets the client's connection without an answer.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}
