package testenv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// upstream is a fake server: GET /b/k returns body, anything else 200 OK
// with no body; it counts the requests it received.
func upstream(t *testing.T, body []byte) (string, *atomic.Int32) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodGet && r.URL.Path == "/b/k" {
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &got
}

func fetch(t *testing.T, client *http.Client, method, url string) (int, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestFaultProxy checks each fault against a fake server: what the client
// sees, whether the server saw the request, and the counts.
func TestFaultProxy(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	target, got := upstream(t, body)
	p := StartFaultProxy(t, target)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	obj := p.URL + "/b/k"

	// Nothing injected: forwarded unchanged and counted.
	if code, b, err := fetch(t, client, "GET", obj); err != nil || code != 200 || !bytes.Equal(b, body) {
		t.Fatalf("plain GET: %d %v", code, err)
	}
	if p.Started("get") != 1 || p.Finished("get") != 1 || got.Load() != 1 {
		t.Fatalf("counts: started %d finished %d upstream %d", p.Started("get"), p.Finished("get"), got.Load())
	}

	// The second and third GETs get a 503 SlowDown, with and without a body.
	p.Clear()
	p.Add(FaultRule{Kind: "get", Nth: []int{2}, Fault: SlowDown{}}, FaultRule{Name: "bare", Kind: "get", Nth: []int{3}, Fault: SlowDown{NoBody: true}})
	var codes []int
	var bodies []string
	for range 4 {
		code, b, err := fetch(t, client, "GET", obj)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, code)
		bodies = append(bodies, string(b[:min(len(b), 60)]))
	}
	if codes[0] != 200 || codes[1] != 503 || codes[2] != 503 || codes[3] != 200 {
		t.Fatalf("codes %v", codes)
	}
	if !strings.Contains(bodies[1], "<?xml") || bodies[2] != "" {
		t.Fatalf("503 bodies %q", bodies[1:3])
	}
	if p.InjectedBy("slowdown") != 1 || p.InjectedBy("bare") != 1 {
		t.Fatalf("injected %v", p.InjectedByName())
	}

	// Reset mid-body: the client gets part of the body, then ECONNRESET.
	p.Clear()
	p.Add(FaultRule{Kind: "get", Times: 1, Fault: Reset{Forward: true, AfterBytes: 1000}})
	_, b, err := fetch(t, client, "GET", obj)
	if !errors.Is(err, syscall.ECONNRESET) || len(b) != 1000 {
		t.Fatalf("reset mid-body: %d bytes, %v", len(b), err)
	}
	// Reset on arrival: the server never sees the request.
	before := got.Load()
	p.Add(FaultRule{Method: "PUT", Times: 1, Fault: Reset{}})
	req, _ := http.NewRequest("PUT", obj, strings.NewReader("x"))
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("reset on arrival: no error")
	}
	if got.Load() != before {
		t.Fatal("a request reset on arrival reached the server")
	}

	// Truncated: a clean close before the announced length.
	p.Clear()
	p.Add(FaultRule{Kind: "get", Times: 1, Fault: Truncate{AfterBytes: 5000}})
	if _, b, err := fetch(t, client, "GET", obj); !errors.Is(err, io.ErrUnexpectedEOF) || len(b) != 5000 {
		t.Fatalf("truncated: %d bytes, %v", len(b), err)
	}
	if p.Finished("get") != 0 {
		t.Fatal("a truncated response counted as finished")
	}

	// One bit flipped at a position drawn from the seed; the same seed
	// flips the same bit.
	flipAt := func(seed uint64) int {
		t.Setenv("S3SSO_TEST_FAULT_SEED", strconv.FormatUint(seed, 10))
		q := StartFaultProxy(t, target)
		q.Add(FaultRule{Kind: "get", Fault: FlipBit{At: -1, Bit: 3}})
		_, b, err := fetch(t, client, "GET", q.URL+"/b/k")
		if err != nil || len(b) != len(body) {
			t.Fatalf("flip: %v", err)
		}
		diff := -1
		for i := range b {
			if b[i] != body[i] {
				if diff >= 0 || b[i]^body[i] != 1<<3 {
					t.Fatalf("flip changed more than bit 3 of one byte")
				}
				diff = i
			}
		}
		return diff
	}
	if a, b := flipAt(42), flipAt(42); a < 0 || a != b {
		t.Fatalf("flip positions with the same seed: %d, %d", a, b)
	}

	// Apply then fail: the server saw the request, the client got a 503.
	p.Clear()
	before = got.Load()
	p.Add(FaultRule{Method: "POST", Fault: ApplyThenFail{}})
	if code, b, err := fetch(t, client, "POST", obj+"?uploadId=1"); err != nil || code != 503 || !strings.Contains(string(b), "SlowDown") {
		t.Fatalf("apply then fail: %d %s %v", code, b, err)
	}
	if got.Load() != before+1 || p.Started("complete-multipart") != 1 {
		t.Fatal("apply then fail did not reach the server")
	}

	// Latency delays, Hold waits for its channel.
	p.Clear()
	p.Add(FaultRule{Kind: "head", Fault: Latency{Delay: 200 * time.Millisecond}})
	start := time.Now()
	if code, _, _ := fetch(t, client, "HEAD", obj); code != 200 || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("latency: %d after %v", code, time.Since(start))
	}
	release := make(chan struct{})
	p.Add(FaultRule{Kind: "get", Fault: Hold{Until: release}})
	done := make(chan int)
	go func() { code, _, _ := fetch(t, client, "GET", obj); done <- code }()
	select {
	case <-done:
		t.Fatal("a held request was answered")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if code := <-done; code != 503 {
		t.Fatalf("released request: %d", code)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.Clear()
	go func() { _, _, _ = fetch(t, client, "GET", obj) }()
	if err := p.WaitFinished(ctx, "get", 1); err != nil {
		t.Fatal(err)
	}
	if p.Injected() < 8 {
		t.Fatalf("injected %d, want at least 8: %v", p.Injected(), p.InjectedByName())
	}
}

func TestRequestKind(t *testing.T) {
	cases := []struct{ method, target, hdr, want string }{
		{"GET", "/", "", "list-buckets"},
		{"GET", "/b?list-type=2", "", "list"},
		{"GET", "/b/k", "", "get"},
		{"GET", "/b/k", "Range", "get-range"},
		{"GET", "/b/k?uploadId=u", "", "list-parts"},
		{"GET", "/b?uploads", "", "list-uploads"},
		{"HEAD", "/b/k", "", "head"},
		{"PUT", "/b/k", "", "put"},
		{"PUT", "/b", "", "PUT"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", "upload-part"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "X-Amz-Copy-Source", "upload-part-copy"},
		{"PUT", "/b/k", "X-Amz-Copy-Source", "copy"},
		{"POST", "/b/k?uploads", "", "create-multipart"},
		{"POST", "/b/k?uploadId=u", "", "complete-multipart"},
		{"POST", "/b?delete", "", "delete-objects"},
		{"DELETE", "/b/k?uploadId=u", "", "abort-multipart"},
		{"DELETE", "/b/k", "", "delete"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		if c.hdr != "" {
			r.Header.Set(c.hdr, "x")
		}
		if got := RequestKind(r); got != c.want {
			t.Errorf("%s %s (%s): %q, want %q", c.method, c.target, c.hdr, got, c.want)
		}
	}
}
