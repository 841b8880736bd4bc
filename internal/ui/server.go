// Package ui is s3sso's web front end: a local web app served on 127.0.0.1
// (`s3sso ui`). It is a front end over internal/session (sign-in, accounts,
// sessions), internal/transfer (the transfer engine) and internal/objstore,
// like the CLI: it parses requests, renders results as JSON and talks to the
// person through the page (its session.Prompter). Every S3 and sign-in call
// is made by this process; credentials and tokens never reach the browser.
//
// Security model (docs/ui.md): the server listens on 127.0.0.1 only; the
// Host header must be a loopback name with the server's port (DNS
// rebinding); the URL printed and opened carries a one-time token that is
// exchanged for an HttpOnly, SameSite=Strict session cookie and is then
// useless; state-changing requests pass http.CrossOriginProtection; every
// response carries a strict Content-Security-Policy.
package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/s3sso/s3sso/internal/session"
)

//go:embed web
var webFS embed.FS

// CookieName is the session cookie's name.
const CookieName = "s3sso_ui"

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// Account is the account (or "profile:NAME") the page opens first.
	Account string
	// Transfer tunes the engines of the page's transfers (zero: defaults).
	Concurrency int
	// NewManager builds the session manager with the page's prompter
	// (tests may wrap it); nil: session.New.
	NewManager func(session.Options) *session.Manager
}

// Server is the web UI's HTTP server. Create it with New, start it with
// Listen and Serve.
type Server struct {
	log      *slog.Logger
	opts     Options
	mgr      *session.Manager
	prompter *Prompter
	hub      *hub
	queue    *queue
	parts    partUploads // uploads the page sends in parts

	ln   net.Listener
	port int

	mu       sync.Mutex
	token    string // the one-time token; "" once exchanged
	logins   logins
	sessions map[string]bool

	handler http.Handler
	// ctx lives as long as the server: sessions and background work use it.
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a Server; call Listen before Serve.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: o.Logger, opts: o, sessions: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hub = newHub()
	s.prompter = newPrompter(s.hub)
	newMgr := o.NewManager
	if newMgr == nil {
		newMgr = session.New
	}
	s.mgr = newMgr(session.Options{Logger: o.Logger, Prompter: s.prompter})
	s.queue = newQueue(s.hub)
	s.prompter.onNotice = func(n session.Notice) {
		switch n.Kind {
		case session.NoticeSignInExpired:
			s.queue.setPaused(refName(n.Ref), true)
		case session.NoticeJobResumed:
			s.queue.setPaused(refName(n.Ref), false)
		}
	}
	tok, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	s.token = tok
	s.handler = s.routes()
	return s, nil
}

// Manager is the server's session manager.
func (s *Server) Manager() *session.Manager { return s.mgr }

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Listen binds 127.0.0.1:port (0: a random free port).
func (s *Server) Listen(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%d: %w", port, err)
	}
	s.ln = ln
	s.port = ln.Addr().(*net.TCPAddr).Port
	return nil
}

// Port is the port listened on.
func (s *Server) Port() int { return s.port }

// Origin is http://127.0.0.1:PORT.
func (s *Server) Origin() string { return fmt.Sprintf("http://127.0.0.1:%d", s.port) }

// URL is the address to open: it carries the one-time token.
func (s *Server) URL() string {
	u := s.Origin() + "/auth?token=" + s.token
	if s.opts.Account != "" {
		u += "&next=" + "/a/" + s.opts.Account + "/"
	}
	return u
}

// Handler is the server's HTTP handler (tests serve it themselves).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves until ctx ends, then shuts down: transfers are cancelled.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		return errors.New("ui: Serve before Listen")
	}
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		s.Close()
		return fmt.Errorf("serve the web UI: %w", err)
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	_ = hs.Close()
	return nil
}

// Close cancels the server's background work (transfers, sign-ins).
func (s *Server) Close() {
	s.cancel()
	s.hub.close()
}

// exchange trades the one-time token for a new session id; ok is false when
// the token is wrong or was used already.
func (s *Server) exchange(tok string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == "" || tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
		return "", false
	}
	s.token = ""
	id, err := randomHex(32)
	if err != nil {
		return "", false
	}
	s.sessions[id] = true
	return id, true
}

func (s *Server) validSession(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return id != "" && s.sessions[id]
}

// NewSessionCookie is for tests of this package's users: it returns a
// valid session cookie value, as the token exchange would.
func (s *Server) NewSessionCookie() string {
	id, _ := randomHex(32)
	s.mu.Lock()
	s.sessions[id] = true
	s.mu.Unlock()
	return id
}

func staticFS() fs.FS {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err)
	}
	return sub
}
