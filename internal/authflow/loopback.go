package authflow

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
)

// DefaultCallbackTimeout is how long a browser sign-in waits for the
// redirect before giving up.
const DefaultCallbackTimeout = 10 * time.Minute

// envTestCallbackTimeout replaces DefaultCallbackTimeout (a Go duration). It
// is a test hook: the end-to-end tests use it to see a login that keeps
// waiting after a refused redirect end in seconds instead of minutes.
const envTestCallbackTimeout = "S3SSO_TEST_CALLBACK_TIMEOUT"

// Redirect describes the loopback redirect a Callback listens for.
type Redirect struct {
	// Host is the host name of the redirect URI: "127.0.0.1" (the default)
	// or "localhost". The listener is bound to 127.0.0.1 either way; Host
	// only decides which Host header is accepted besides 127.0.0.1:PORT.
	Host string
	// Port to bind; 0 picks a free port.
	Port int
	// Path of the redirect URI ("/" is added in front when missing).
	Path string
	// State is the state parameter sent to the authorization server. Only a
	// redirect carrying it ends the wait.
	State string
}

// Callback is a loopback HTTP listener that receives one authorization
// response. It is bound (to 127.0.0.1 only) when created, so the redirect URI
// is valid before the browser is opened.
//
// It answers only GET requests for its path whose Host header names the
// redirect URI's host and port (so a web page cannot reach it through DNS
// rebinding), and only a request carrying the expected state ends the sign-in.
// Anything else gets an error page and the sign-in keeps waiting for the real
// redirect: a stale tab or a forged local request cannot end or hijack it.
type Callback struct {
	ln    net.Listener
	srv   *http.Server
	host  string // host name in the redirect URI
	path  string
	state string
	hosts map[string]bool // accepted Host header values, lower-case

	result chan callbackResult // the one final response (capacity 1)

	mu         sync.Mutex
	done       *callbackResult // the final response, once received
	refused    int             // redirects refused (wrong state, no code, malformed)
	wrongState int             // of which with a wrong state

	closeOnce sync.Once
	closeErr  error
}

type callbackResult struct {
	code, state, errCode, errDesc string
}

// Listen binds 127.0.0.1:r.Port and serves the redirect r describes.
func Listen(r Redirect) (*Callback, error) {
	path := r.Path
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	host := strings.ToLower(r.Host)
	switch host {
	case "":
		host = "127.0.0.1"
	case "127.0.0.1", "localhost":
	default:
		return nil, fault.Newf(fault.Config, "the sign-in redirect must go to 127.0.0.1 or localhost, not %q", r.Host)
	}
	if r.State == "" {
		return nil, errors.New("listen for the sign-in redirect: no state to expect")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)))
	if err != nil {
		return nil, &fault.Error{Kind: fault.Local, Msg: fmt.Sprintf("listen for the sign-in redirect on 127.0.0.1:%d", r.Port), Err: err,
			Hint: "another program uses that port: pick another with --redirect-port, or use --use-device-code"}
	}
	c := &Callback{ln: ln, host: host, path: path, state: r.State, result: make(chan callbackResult, 1)}
	port := c.Port()
	c.hosts = map[string]bool{}
	for _, h := range []string{"127.0.0.1", host} {
		c.hosts[h+":"+strconv.Itoa(port)] = true
		if port == 80 {
			c.hosts[h] = true // a browser leaves the default port out
		}
	}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.handle), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Port returns the bound port.
func (c *Callback) Port() int { return c.ln.Addr().(*net.TCPAddr).Port }

// RedirectURI returns http://HOST:PORT/PATH.
func (c *Callback) RedirectURI() string {
	return fmt.Sprintf("http://%s:%d%s", c.host, c.Port(), c.path)
}

// handle answers one request. Only a GET of the callback path with an
// accepted Host header and the expected state is a sign-in response; a
// response with that state ends the wait (with a code, or with an error= the
// authorization server sent). Everything else is refused with a 4xx page.
func (c *Callback) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !c.hosts[strings.ToLower(r.Host)] {
		// DNS rebinding: a page of another site reaching 127.0.0.1.
		page(w, http.StatusForbidden, "Wrong address", "This address is not the one s3sso's sign-in redirect uses.")
		return
	}
	if r.URL.Path != c.path {
		page(w, http.StatusNotFound, "Not found", "")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		page(w, http.StatusMethodNotAllowed, "Method not allowed", "The sign-in redirect is a GET request.")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	for _, k := range []string{"code", "state", "error", "error_description"} {
		if len(q[k]) > 1 {
			err = fmt.Errorf("%s appears more than once", k)
		}
	}
	if err != nil {
		c.refuse(false)
		page(w, http.StatusBadRequest, "Not a valid sign-in response", "s3sso is still waiting for the sign-in to finish.")
		return
	}
	res := callbackResult{code: q.Get("code"), state: q.Get("state"), errCode: q.Get("error"), errDesc: q.Get("error_description")}
	if subtle.ConstantTimeCompare([]byte(res.state), []byte(c.state)) != 1 {
		c.refuse(true)
		page(w, http.StatusBadRequest, "This sign-in response is not the one s3sso is waiting for",
			"It carries another state parameter: it comes from an older sign-in tab or another program. "+
				"s3sso is still waiting; finish the sign-in in the tab the current login opened.")
		return
	}
	if res.code == "" && res.errCode == "" {
		c.refuse(false)
		page(w, http.StatusBadRequest, "Sign-in response without a code", "s3sso is still waiting for the sign-in to finish.")
		return
	}

	c.mu.Lock()
	first := c.done == nil
	if first {
		c.done = &res
	}
	final := *c.done
	c.mu.Unlock()
	if first {
		c.result <- res // capacity 1, sent once
	} else if final != res {
		page(w, http.StatusConflict, "This sign-in has already ended", "You can close this window.")
		return
	}
	// The first final response, or the browser reloading it.
	if res.errCode != "" {
		page(w, http.StatusBadRequest, "Sign-in failed",
			html.EscapeString(res.errCode+": "+res.errDesc)+"</p><p>You can close this window and return to the terminal.")
		return
	}
	page(w, http.StatusOK, "Signed in", "You can close this window and return to the terminal.")
}

// refuse records a refused redirect for the timeout message.
func (c *Callback) refuse(wrongState bool) {
	c.mu.Lock()
	c.refused++
	if wrongState {
		c.wrongState++
	}
	c.mu.Unlock()
}

// page writes a small HTML page; body is HTML.
func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>s3sso</title><h1>%s</h1>", html.EscapeString(title))
	if body != "" {
		fmt.Fprintf(w, "<p>%s</p>", body)
	}
}

// ErrStateMismatch means redirects arrived, but none with the state that was
// sent (a stale tab or a forged request), before the wait ended. Their codes
// are not used.
var ErrStateMismatch = errors.New("the sign-in redirect carried an unexpected state parameter")

// AuthError is an error= response from the authorization server.
type AuthError struct {
	Code        string
	Description string
}

func (e *AuthError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("authorization failed: %s: %s", e.Code, e.Description)
	}
	return "authorization failed: " + e.Code
}

// Wait blocks until the redirect with the expected state arrives, ctx ends or
// timeout passes (0: DefaultCallbackTimeout), and returns the authorization
// code. Redirects with another state, without a code or that are not GET
// requests of the callback URL do not end the wait; when the time runs out
// after such redirects, the error wraps ErrStateMismatch and says how many
// were refused.
func (c *Callback) Wait(ctx context.Context, timeout time.Duration) (string, error) {
	if timeout <= 0 {
		timeout = DefaultCallbackTimeout
		if d, err := time.ParseDuration(os.Getenv(envTestCallbackTimeout)); err == nil && d > 0 {
			timeout = d
		}
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return "", fault.Wrap(fault.Interrupted, ctx.Err(), "")
	case <-t.C:
		c.mu.Lock()
		refused, wrongState := c.refused, c.wrongState
		c.mu.Unlock()
		msg := fmt.Sprintf("no sign-in response within %s", timeout)
		if wrongState > 0 {
			return "", &fault.Error{Kind: fault.Auth, Err: ErrStateMismatch,
				Msg:  fmt.Sprintf("%s after refusing %d redirect(s) of another sign-in (a stale browser tab or another program)", msg, wrongState),
				Hint: "run the login again and finish it in the browser tab it opens"}
		}
		if refused > 0 {
			msg = fmt.Sprintf("%s after refusing %d malformed redirect(s)", msg, refused)
		}
		return "", fault.New(fault.Auth, msg, "run the login again; on a machine without a browser use --use-device-code or --no-browser")
	case res := <-c.result:
		if res.errCode != "" {
			if res.errCode == "access_denied" {
				return "", &fault.Error{Kind: fault.AccessDenied, Err: &AuthError{Code: res.errCode, Description: res.errDesc},
					Hint: "the sign-in was denied or cancelled in the browser; run the login again and approve it"}
			}
			return "", fault.Wrap(fault.Auth, &AuthError{Code: res.errCode, Description: res.errDesc}, "")
		}
		return res.code, nil
	}
}

// Close stops the listener.
func (c *Callback) Close() error {
	c.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c.closeErr = c.srv.Shutdown(ctx)
	})
	return c.closeErr
}
