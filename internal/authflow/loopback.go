package authflow

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
)

// DefaultCallbackTimeout is how long a browser sign-in waits for the
// redirect before giving up.
const DefaultCallbackTimeout = 10 * time.Minute

// Callback is a loopback HTTP listener that receives one authorization
// response. It is bound (to 127.0.0.1 only) when created, so the redirect URI
// is valid before the browser is opened.
type Callback struct {
	ln     net.Listener
	srv    *http.Server
	path   string
	result chan callbackResult
}

type callbackResult struct {
	code, state, errCode, errDesc string
}

// Listen binds 127.0.0.1:port (0 picks a free port) and serves path.
func Listen(port int, path string) (*Callback, error) {
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, &fault.Error{Kind: fault.Local, Msg: fmt.Sprintf("listen for the sign-in redirect on 127.0.0.1:%d", port), Err: err,
			Hint: "another program uses that port: pick another with --redirect-port, or use --use-device-code"}
	}
	c := &Callback{ln: ln, path: path, result: make(chan callbackResult, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc(path, c.handle)
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Port returns the bound port.
func (c *Callback) Port() int { return c.ln.Addr().(*net.TCPAddr).Port }

// RedirectURI returns http://127.0.0.1:PORT/PATH.
func (c *Callback) RedirectURI() string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", c.Port(), c.path)
}

func (c *Callback) handle(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res := callbackResult{code: q.Get("code"), state: q.Get("state"), errCode: q.Get("error"), errDesc: q.Get("error_description")}
	if res.code == "" && res.errCode == "" {
		http.Error(w, "missing code", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if res.errCode != "" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "<!doctype html><title>s3sso</title><h1>Sign-in failed</h1><p>%s</p><p>You can close this window and return to the terminal.</p>",
			html.EscapeString(res.errCode+": "+res.errDesc))
	} else {
		fmt.Fprint(w, "<!doctype html><title>s3sso</title><h1>Signed in</h1><p>You can close this window and return to the terminal.</p>")
	}
	select {
	case c.result <- res:
	default: // a second request: the first one counts
	}
}

// ErrStateMismatch means the redirect carried another state than the one
// sent: a stale tab or a forged request. The code is not used.
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

// Wait blocks until the redirect arrives, ctx ends or timeout passes, and
// returns the authorization code after checking state.
func (c *Callback) Wait(ctx context.Context, state string, timeout time.Duration) (string, error) {
	if timeout <= 0 {
		timeout = DefaultCallbackTimeout
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return "", fault.Wrap(fault.Interrupted, ctx.Err(), "")
	case <-t.C:
		return "", fault.New(fault.Auth, fmt.Sprintf("no sign-in response within %s", timeout),
			"run the login again; on a machine without a browser use --use-device-code or --no-browser")
	case res := <-c.result:
		if res.errCode != "" {
			k := fault.Auth
			if res.errCode == "access_denied" {
				k = fault.AccessDenied
			}
			return "", fault.Wrap(k, &AuthError{Code: res.errCode, Description: res.errDesc}, "")
		}
		if res.state != state {
			return "", fault.Wrap(fault.Auth, ErrStateMismatch, "run the login again and finish it in the browser tab it opens")
		}
		return res.code, nil
	}
}

// Close stops the listener.
func (c *Callback) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.srv.Shutdown(ctx)
}
