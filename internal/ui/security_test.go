package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// rawGet sends a request without the test page's cookie.
func rawGet(t *testing.T, c *http.Client, u string, mod func(*http.Request)) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if mod != nil {
		mod(req)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestSecurity: the Host check (DNS rebinding), the one-time token and the
// session cookie, cross-origin protection and the headers of every answer.
func TestSecurity(t *testing.T) {
	e := startUI(t)

	t.Run("wrong Host is refused", func(t *testing.T) {
		for _, host := range []string{"evil.example:" + portOf(e), "evil.example", "127.0.0.1:1", "127.0.0.2:" + portOf(e), "localhost.evil.example:" + portOf(e)} {
			res, body := rawGet(t, e.c, e.base+"/api/accounts", func(r *http.Request) { r.Host = host })
			if res.StatusCode != http.StatusMisdirectedRequest || strings.Contains(body, "accounts") {
				t.Errorf("Host %s: %d %s", host, res.StatusCode, body)
			}
		}
		// The token exchange is behind the same check.
		res, _ := rawGet(t, noRedirects(), e.srv.Origin()+"/auth?token=x", func(r *http.Request) { r.Host = "rebind.example:" + portOf(e) })
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("/auth with a foreign Host: %d", res.StatusCode)
		}
		u, _ := url.Parse(e.base)
		cookies := e.c.Jar.Cookies(u)
		for _, host := range []string{"127.0.0.1:" + portOf(e), "localhost:" + portOf(e), "[::1]:" + portOf(e)} {
			res, _ := rawGet(t, http.DefaultClient, e.base+"/api/accounts", func(r *http.Request) {
				r.Host = host
				r.Header.Set(SessionHeader, e.secret)
				for _, c := range cookies {
					r.AddCookie(c)
				}
			})
			if res.StatusCode != 200 {
				t.Errorf("Host %s: %d", host, res.StatusCode)
			}
		}
	})

	t.Run("no cookie is refused", func(t *testing.T) {
		for _, p := range []string{"/api/accounts", "/api/events", "/api/list?acct=x&bucket=b", "/", "/a/x/"} {
			res, body := rawGet(t, http.DefaultClient, e.base+p, nil)
			if res.StatusCode != http.StatusUnauthorized || strings.Contains(body, "<script") {
				t.Errorf("%s without a cookie: %d %.80s", p, res.StatusCode, body)
			}
		}
		res, _ := rawGet(t, http.DefaultClient, e.base+"/api/accounts", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: e.srv.CookieName(), Value: strings.Repeat("0", 64)})
			r.Header.Set(SessionHeader, e.secret)
		})
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a made-up cookie: %d", res.StatusCode)
		}
	})

	t.Run("token is one-time", func(t *testing.T) {
		srv, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Listen(0); err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: srv.Handler()}
		go hs.Serve(srv.ln)
		defer hs.Close()
		first := srv.URL()
		if !strings.Contains(first, "token=") {
			t.Fatal(first)
		}
		res, body := rawGet(t, noRedirects(), first, nil)
		m := authMetaRE.FindStringSubmatch(body)
		if res.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("first use: %d %s", res.StatusCode, body)
		}
		secret := m[1]
		var cookie *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == srv.CookieName() {
				cookie = c
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || len(cookie.Value) < 32 || !strings.HasSuffix(cookie.Name, portOf(&uiEnv{base: srv.Origin()})) {
			t.Fatalf("session cookie: %+v", cookie)
		}
		if strings.Contains(body, u0(first).Query().Get("token")) || cookie.Value == secret {
			t.Errorf("the exchange's page keeps the token or the secret is the cookie: %s", body)
		}
		// Reused: refused, and no new cookie nor secret.
		res, body = rawGet(t, noRedirects(), first, nil)
		if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 || authMetaRE.MatchString(body) {
			t.Errorf("reused token: %d %v %s", res.StatusCode, res.Cookies(), body)
		}
		// Reused with the cookie (a reload): on to the app, without the
		// secret (whoever has the cookie must not get it).
		res, body = rawGet(t, noRedirects(), first, func(r *http.Request) { r.AddCookie(cookie) })
		if res.StatusCode != http.StatusSeeOther || strings.Contains(body, secret) {
			t.Errorf("reused token with the cookie: %d %s", res.StatusCode, body)
		}
		// A wrong token is refused too.
		u, _ := url.Parse(first)
		res, _ = rawGet(t, noRedirects(), srv.Origin()+"/auth?token="+strings.Repeat("a", len(u.Query().Get("token"))), nil)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("wrong token: %d", res.StatusCode)
		}
		// The cookie works with the secret.
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		jar.SetCookies(u, []*http.Cookie{cookie})
		res, _ = rawGet(t, c, srv.Origin()+"/api/accounts", func(r *http.Request) { r.Header.Set(SessionHeader, secret) })
		if res.StatusCode != 200 {
			t.Errorf("with the cookie and the secret: %d", res.StatusCode)
		}
		// An open redirect through next is not possible.
		if got := localPath("//evil.example/x"); got != "/" {
			t.Errorf("next=//evil.example: %s", got)
		}
		if got := localPath("https://evil.example/"); got != "/" {
			t.Errorf("next=https://evil.example: %s", got)
		}
	})

	t.Run("cross-origin POST is refused", func(t *testing.T) {
		body := `{"name":"x","type":"keys"}`
		cases := []struct {
			name string
			hdr  map[string]string
			want int
		}{
			{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, http.StatusForbidden},
			{"same-site other port", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
			{"foreign Origin only", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		}
		for _, c := range cases {
			for _, path := range []string{"/api/accounts", "/api/delete", "/api/accounts/x/login", "/api/uploads?acct=x&bucket=b&key=k&size=1", "/api/uploads/u1/complete"} {
				req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				for k, v := range c.hdr {
					req.Header.Set(k, v)
				}
				res, err := e.c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != c.want || !strings.Contains(string(b), "cross-origin") {
					t.Errorf("%s %s: %d %s", c.name, path, res.StatusCode, b)
				}
			}
			// The other methods of the upload-in-parts routes.
			for _, mp := range [][2]string{{"PUT", "/api/uploads/u1/parts/1"}, {"DELETE", "/api/uploads/u1"}} {
				req, _ := http.NewRequest(mp[0], e.base+mp[1], strings.NewReader("part"))
				for k, v := range c.hdr {
					req.Header.Set(k, v)
				}
				res, err := e.c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != c.want || !strings.Contains(string(b), "cross-origin") {
					t.Errorf("%s %s %s: %d %s", c.name, mp[0], mp[1], res.StatusCode, b)
				}
			}
		}
		// The page's own request passes (and fails only on its content).
		var out map[string]apiErr
		if st := e.do("POST", "/api/accounts", map[string]any{"name": "x", "type": "nope"}, &out); st != http.StatusBadRequest || out["error"].Field != "type" {
			t.Errorf("same-origin POST: %d %v", st, out)
		}
	})

	t.Run("headers", func(t *testing.T) {
		for _, p := range []string{"/", "/assets/app.js", "/api/accounts"} {
			st, _, h := e.get(p)
			if st != 200 {
				t.Errorf("%s: %d", p, st)
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.HasPrefix(csp, "default-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: CSP %q", p, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: headers %v", p, h)
			}
		}
		// Refusals carry them too.
		res, _ := rawGet(t, http.DefaultClient, e.base+"/", nil)
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Error("CSP missing on a refusal")
		}
	})
}

func portOf(e *uiEnv) string { u, _ := url.Parse(e.base); return u.Port() }

func u0(s string) *url.URL { u, _ := url.Parse(s); return u }

// TestReplayedCookieRefused: the browser sends the session cookie to every
// server on 127.0.0.1 (cookies ignore the port), so another local server
// the person browses gets it. Replayed the way curl would (right Host, no
// Origin, no Sec-Fetch-Site), it opens no API without the session's
// secret, which only the page of the UI's origin has. Downloads, which are
// navigations, need a one-time ticket instead.
func TestReplayedCookieRefused(t *testing.T) {
	e := startUI(t)
	u, _ := url.Parse(e.base)
	cookies := e.c.Jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != e.srv.CookieName() {
		t.Fatalf("cookies: %v", cookies)
	}
	replay := func(method, path, secret string) int {
		req, _ := http.NewRequest(method, e.base+path, strings.NewReader(`{"acct":"x","bucket":"b","keys":["k"]}`))
		req.AddCookie(cookies[0])
		if secret != "" {
			req.Header.Set(SessionHeader, secret)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, p := range []struct{ method, path string }{
		{"GET", "/api/accounts"}, {"GET", "/api/events"}, {"GET", "/api/buckets?acct=x"}, {"GET", "/api/download?acct=x&bucket=b&key=k"},
		{"GET", "/api/zip?acct=x&bucket=b&prefix="}, {"POST", "/api/delete"}, {"POST", "/api/ticket"}, {"POST", "/api/presign"},
	} {
		for _, secret := range []string{"", strings.Repeat("0", 64), e.secret[:63]} {
			if st := replay(p.method, p.path, secret); st != http.StatusUnauthorized {
				t.Errorf("%s %s with the cookie and secret %q: %d", p.method, p.path, secret, st)
			}
		}
	}
	if st := replay("GET", "/api/accounts", e.secret); st != 200 {
		t.Errorf("with the secret: %d", st)
	}

	// A download ticket: asked for with the secret, good once, only with
	// the cookie of its session.
	var tk map[string]string
	if st := e.do("POST", "/api/ticket", nil, &tk); st != 200 || len(tk["ticket"]) < 32 {
		t.Fatalf("ticket: %d %v", st, tk)
	}
	path := "/api/download?acct=x&bucket=b&key=k&ticket=" + tk["ticket"]
	other := e.srv.addSessionForTest()
	res, _ := rawGet(t, http.DefaultClient, e.base+path, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: e.srv.CookieName(), Value: other}) })
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("ticket with another session's cookie: %d", res.StatusCode)
	}
	if st := e.do("POST", "/api/ticket", nil, &tk); st != 200 {
		t.Fatal(st)
	}
	path = "/api/download?acct=x&bucket=b&key=k&ticket=" + tk["ticket"]
	if st := replay("GET", path, ""); st == http.StatusUnauthorized {
		t.Errorf("download with a ticket: %d", st)
	}
	if st := replay("GET", path, ""); st != http.StatusUnauthorized {
		t.Errorf("download with a used ticket: %d", st)
	}
}

// TestSecondUIKeepsFirstSession: a second s3sso ui (another port) does not
// overwrite the first one's cookie in the browser, which keeps one cookie
// jar for all ports of 127.0.0.1: both pages stay signed in.
func TestSecondUIKeepsFirstSession(t *testing.T) {
	first := startUI(t)
	srv := serveUI(t)
	second := &uiEnv{t: t, srv: srv, base: srv.Origin(), c: &http.Client{Jar: first.c.Jar}} // one browser
	second.secret, _ = exchangeToken(t, second.c, srv.URL())
	second.c.Transport = sessionTransport{second.secret}
	var out accountList
	if st := first.do("GET", "/api/accounts", nil, &out); st != 200 {
		t.Errorf("the first page after a second s3sso ui signed in: %d", st)
	}
	if st := second.do("GET", "/api/accounts", nil, &out); st != 200 {
		t.Errorf("the second page: %d", st)
	}
}

// TestAssetsInsertNoHTML: the page's scripts build the DOM from text only
// (textContent, createTextNode, attributes), never from HTML strings, and
// run no inline script (CSP script-src 'self'), so keys, metadata and error
// messages cannot inject markup.
func TestAssetsInsertNoHTML(t *testing.T) {
	sinks := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|createContextualFragment|srcdoc`)
	n := 0
	err := fs.WalkDir(staticFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(staticFS(), p)
		if strings.HasSuffix(p, ".js") {
			n++
			for i, line := range strings.Split(string(b), "\n") {
				if sinks.MatchString(line) {
					t.Errorf("%s:%d inserts HTML: %s", p, i+1, strings.TrimSpace(line))
				}
			}
		}
		if strings.HasSuffix(p, ".html") && regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).Match(b) {
			t.Errorf("%s has an inline script", p)
		}
		return nil
	})
	if err != nil || n < 3 {
		t.Fatalf("walk: %v, %d scripts", err, n)
	}
}

// TestURLEscapesAccount: an account (profile) named with "&", "#", "?" or
// "/" stays one name in the address s3sso ui prints and in the page it
// leads to.
func TestURLEscapesAccount(t *testing.T) {
	testenv.Home(t)
	for _, name := range []string{"profile:a&b#c", "x?y=1", "p/q", "plain"} {
		srv, err := New(Options{Account: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Listen(0); err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: srv.Handler()}
		go hs.Serve(srv.ln)
		u, err := url.Parse(srv.URL())
		if err != nil || u.Fragment != "" || len(u.Query()["next"]) != 1 || len(u.Query()["token"]) != 1 {
			t.Errorf("%q: URL %s (%v)", name, srv.URL(), err)
		}
		_, next := exchangeToken(t, http.DefaultClient, srv.URL())
		loc, _ := url.Parse(next)
		seg, ok := strings.CutPrefix(loc.EscapedPath(), "/a/")
		seg, _ = strings.CutSuffix(seg, "/")
		got, _ := url.PathUnescape(seg)
		if !ok || got != name {
			t.Errorf("%q: page %s (account %q)", name, next, got)
		}
		hs.Close()
		srv.Close()
	}
}

// addSessionForTest adds a session as a token exchange would and returns
// its cookie's value.
func (s *Server) addSessionForTest() string {
	id, _ := randomHex(32)
	sec, _ := randomHex(32)
	s.mu.Lock()
	s.sessions[id] = sec
	s.mu.Unlock()
	return id
}
