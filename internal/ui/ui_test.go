package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// The package's one TestMain (testenv.Main) is in main_browser_test.go
// (package ui_test): a test binary has one, for both test packages.

// uiEnv is a running server with a signed-in page (cookie jar) and, once
// watch is called, the page's event stream.
type uiEnv struct {
	t      *testing.T
	srv    *Server
	base   string
	c      *http.Client
	events chan event
}

func startUI(t *testing.T) *uiEnv {
	t.Helper()
	testenv.Home(t)
	t.Setenv("S3SSO_KEYRING", "off")
	srv, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	jar, _ := cookiejar.New(nil)
	e := &uiEnv{t: t, srv: srv, base: srv.Origin(), c: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
	res, err := e.c.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/" {
		t.Fatalf("token exchange: %d at %s", res.StatusCode, res.Request.URL)
	}
	return e
}

// do sends a same-origin request (as the page's fetch does) and decodes
// the JSON answer into out (when not nil); it returns the status.
func (e *uiEnv) do(method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", e.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := e.c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

func (e *uiEnv) get(path string) (int, []byte, http.Header) {
	e.t.Helper()
	res, err := e.c.Get(e.base + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// watch connects the page's event stream (a person is then there:
// Interactive).
func (e *uiEnv) watch() {
	e.t.Helper()
	e.events = make(chan event, 1024)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.base+"/api/events", nil)
	res, err := e.c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cancel(); res.Body.Close() })
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal([]byte(line), &ev) == nil {
				e.events <- event{Type: ev.Type, Data: ev.Data}
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.hub.count() == 0 {
		if time.Now().After(deadline) {
			e.t.Fatal("event stream did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitEvent returns the data of the next event of type typ that match
// accepts.
func (e *uiEnv) waitEvent(typ string, match func(json.RawMessage) bool) json.RawMessage {
	e.t.Helper()
	timeout := time.After(90 * time.Second)
	for {
		select {
		case ev := <-e.events:
			d, _ := ev.Data.(json.RawMessage)
			if ev.Type == typ && (match == nil || match(d)) {
				return d
			}
		case <-timeout:
			e.t.Fatalf("no %s event", typ)
		}
	}
}

// waitTransfer waits for transfer id to end and returns it.
func (e *uiEnv) waitTransfer(id string) Transfer {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var ts []Transfer
		e.do("GET", "/api/transfers", nil, &ts)
		for _, tr := range ts {
			if tr.ID == id && tr.State != StateRunning {
				return tr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("transfer %s did not end", id)
	return Transfer{}
}

// addKeysAccount saves a keys account for the MinIO server through the
// Add Account API.
func (e *uiEnv) addKeysAccount(name string, m *testenv.MinIO) {
	e.t.Helper()
	var out map[string]any
	st := e.do("POST", "/api/accounts", map[string]any{"name": name, "type": "keys", "settings": map[string]any{
		"access-key-id": m.AccessKey, "secret-access-key": m.SecretKey, "endpoint-url": m.Endpoint, "region": m.Region,
		"path-style": true, "list-all-buckets": true}}, &out)
	if st != http.StatusCreated {
		e.t.Fatalf("add account: %d %v", st, out)
	}
}

// list reads a streamed listing and returns its rows' names and the end
// marker.
func (e *uiEnv) list(path string) ([]string, listChunk) {
	e.t.Helper()
	st, b, h := e.get(path)
	if st != 200 || h.Get("Content-Type") != "application/x-ndjson" {
		e.t.Fatalf("%s: %d %s", path, st, b)
	}
	var names []string
	var end listChunk
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c listChunk
		if err := json.Unmarshal(line, &c); err != nil {
			e.t.Fatalf("%s: line %q: %v", path, line, err)
		}
		for _, r := range c.Rows {
			names = append(names, r[0].(string))
		}
		if c.End || c.Error != nil {
			end = c
		}
	}
	return names, end
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
