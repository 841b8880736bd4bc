package ui

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// CSP is the Content-Security-Policy of every response: the page loads
// only its own scripts, styles and images, runs no inline script and may
// not be framed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// allowedHost reports whether host (a Host header) names this server on a
// loopback name: 127.0.0.1, localhost or [::1] with the server's port.
// Anything else may be a DNS rebinding attack (a hostile name resolving to
// 127.0.0.1).
func (s *Server) allowedHost(host string) bool {
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != strconv.Itoa(s.port) {
		return false
	}
	switch strings.ToLower(h) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// secure wraps the application's handler with the checks every request
// passes, in this order: the Host header, the headers every response
// carries, cross-origin protection for state-changing methods, then the
// session cookie (except for the token exchange) and, for the API, the
// session's secret in the SessionHeader (or, for a download, a one-time
// ticket): the browser sends the cookie to every server on 127.0.0.1, whose
// owner could replay it, but the secret only this origin's page has.
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrorMsg(w, http.StatusForbidden, "cross-origin request refused", "")
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !s.allowedHost(r.Host) {
			writeErrorMsg(w, http.StatusMisdirectedRequest, "unknown host name: open the address s3sso ui printed", "")
			return
		}
		if err := cop.Check(r); err != nil {
			writeErrorMsg(w, http.StatusForbidden, "cross-origin request refused", "")
			return
		}
		if r.URL.Path == "/auth" {
			s.handleAuth(w, r)
			return
		}
		c, err := r.Cookie(s.CookieName())
		if err != nil || !s.validSession(c.Value) {
			if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
				writeErrorMsg(w, http.StatusUnauthorized, "not signed in to this s3sso ui: open the address s3sso ui printed", "")
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("This s3sso ui needs the address it printed (with its one-time token), or a new `s3sso ui`.\n"))
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") && !s.validSecret(c.Value, r.Header.Get(SessionHeader)) &&
			!(r.Method == http.MethodGet && (r.URL.Path == "/api/download" || r.URL.Path == "/api/zip") &&
				s.useTicket(c.Value, r.URL.Query().Get("ticket"))) {
			writeErrorMsg(w, http.StatusUnauthorized, "this page is not signed in to this s3sso ui (no session secret): open the address s3sso ui printed", "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleAuth exchanges the one-time token for the session cookie and the
// session's secret. The answer is a page that hands the secret to the app
// (auth.js keeps it in the origin's localStorage, separate per port, and
// replaces this address in the history with next, a local path): the
// secret is in no URL and no cookie.
func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet {
		writeErrorMsg(w, http.StatusMethodNotAllowed, "method not allowed", "")
		return
	}
	next := localPath(r.URL.Query().Get("next"))
	id, secret, ok := s.exchange(r.URL.Query().Get("token"))
	if !ok {
		// A used token may still come with a valid cookie (a reload of
		// the first address): then go on to the app, whose page has the
		// secret already. The secret is not handed out again.
		if c, err := r.Cookie(s.CookieName()); err == nil && s.validSession(c.Value) {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("This address was already used or is wrong. Run `s3sso ui` again for a new one.\n"))
		return
	}
	s.removeLaunchFile()
	http.SetCookie(w, &http.Cookie{Name: s.CookieName(), Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>s3sso</title>
<meta name="s3sso-session" content="%s" data-next="%s">
<script src="/assets/auth.js"></script>
</head><body>Signing in…</body></html>
`, html.EscapeString(secret), html.EscapeString(next))
}

// handleTicket gives the page a one-time ticket for one download.
func (s *Server) handleTicket(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(s.CookieName())
	if err != nil {
		writeErrorMsg(w, http.StatusUnauthorized, "not signed in", "")
		return
	}
	t, err := s.newTicket(c.Value)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"ticket": t})
}

// localPath returns p when it is a path on this server, else "/".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	return p
}
