package ssotest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSigV4AccessKey(t *testing.T) {
	for _, c := range []struct{ auth, query, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "", "AKIDEXAMPLE"},
		{"AWS4-HMAC-SHA256 SignedHeaders=host,Credential=ASIA1/20250101/us-east-1/s3/aws4_request,Signature=abc", "", "ASIA1"},
		{"", "X-Amz-Credential=ASIA2%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x", "ASIA2"},
		{"", "", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "/b/k?"+c.query, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got := SigV4AccessKey(r); got != c.want {
			t.Errorf("SigV4AccessKey(%q, %q) = %q, want %q", c.auth, c.query, got, c.want)
		}
	}
}

// TestExpiryProxy: keys before their deadline pass, keys after it get an
// S3 ExpiredToken error, unknown keys pass and are counted.
func TestExpiryProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 64<<10))
	}))
	defer backend.Close()
	var d Deadlines
	mint := d.Wrap(func(context.Context, string, string) (RoleCredentials, error) {
		return RoleCredentials{AccessKeyID: "ASIAFRESH", Expiration: time.Now().Add(time.Hour)}, nil
	}, 300*time.Millisecond)
	rc, err := mint(t.Context(), "111122223333", "ReadOnly")
	if err != nil || time.Until(rc.Expiration) > 300*time.Millisecond {
		t.Fatalf("Wrap: %v, expires in %v", err, time.Until(rc.Expiration))
	}
	if _, err := d.Wrap(func(context.Context, string, string) (RoleCredentials, error) {
		return RoleCredentials{}, errors.New("boom")
	}, time.Second)(t.Context(), "a", "r"); err == nil || len(d.Issued()) != 1 {
		t.Fatalf("a failed mint must not be recorded: %v %v", err, d.Issued())
	}
	p, err := NewExpiryProxy(backend.URL, &d, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	get := func(akid string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bucket/key", nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("ASIAFRESH"); code != 200 || len(body) != 64<<10 {
		t.Errorf("valid key: %d, %d bytes", code, len(body))
	}
	if code, _ := get("ROOTKEY"); code != 200 || p.Unknown() != 1 {
		t.Errorf("unknown key: %d, unknown %d", code, p.Unknown())
	}
	time.Sleep(time.Until(rc.Expiration) + 10*time.Millisecond)
	code, body := get("ASIAFRESH")
	if code != 400 || !strings.Contains(body, "<Code>ExpiredToken</Code>") || !strings.Contains(body, "<Resource>/bucket/key</Resource>") {
		t.Errorf("expired key: %d %s", code, body)
	}
	if len(p.Rejected()) != 1 || p.Accepted()["ASIAFRESH"] != 1 {
		t.Errorf("rejected %v, accepted %v", p.Rejected(), p.Accepted())
	}
}

// TestPacer: readers together move at most rate bytes a second.
func TestPacer(t *testing.T) {
	p := &pacer{rate: 1 << 20}
	start := time.Now()
	for range 8 {
		p.wait(t.Context(), 32<<10) // 256 KiB in all: at least 1/4 s
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("256 KiB at 1 MiB/s took %v", d)
	}
}
