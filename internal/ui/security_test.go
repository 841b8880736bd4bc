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
			r.AddCookie(&http.Cookie{Name: CookieName, Value: strings.Repeat("0", 64)})
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
		res, _ := rawGet(t, noRedirects(), first, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: %d", res.StatusCode)
		}
		var cookie *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == CookieName {
				cookie = c
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || len(cookie.Value) < 32 {
			t.Fatalf("session cookie: %+v", cookie)
		}
		if strings.Contains(res.Header.Get("Location"), "token") {
			t.Errorf("the redirect keeps the token: %s", res.Header.Get("Location"))
		}
		// Reused: refused, and no new cookie.
		res, body := rawGet(t, noRedirects(), first, nil)
		if res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
			t.Errorf("reused token: %d %v %s", res.StatusCode, res.Cookies(), body)
		}
		// A wrong token is refused too.
		u, _ := url.Parse(first)
		res, _ = rawGet(t, noRedirects(), srv.Origin()+"/auth?token="+strings.Repeat("a", len(u.Query().Get("token"))), nil)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("wrong token: %d", res.StatusCode)
		}
		// The cookie works.
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		jar.SetCookies(u, []*http.Cookie{cookie})
		res, _ = rawGet(t, c, srv.Origin()+"/api/accounts", nil)
		if res.StatusCode != 200 {
			t.Errorf("with the cookie: %d", res.StatusCode)
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
