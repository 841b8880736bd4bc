package ui

import (
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
// session cookie (except for the token exchange and the static assets the
// sign-in page needs).
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
		c, err := r.Cookie(CookieName)
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
		next.ServeHTTP(w, r)
	})
}

// handleAuth exchanges the one-time token for the session cookie and
// redirects to the app (next, a local path).
func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet {
		writeErrorMsg(w, http.StatusMethodNotAllowed, "method not allowed", "")
		return
	}
	id, ok := s.exchange(r.URL.Query().Get("token"))
	if !ok {
		// A used token may still come with a valid cookie (a reload of
		// the first address): then go on to the app.
		if c, err := r.Cookie(CookieName); err == nil && s.validSession(c.Value) {
			http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("This address was already used or is wrong. Run `s3sso ui` again for a new one.\n"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localPath returns p when it is a path on this server, else "/".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return "/"
	}
	return p
}
