package ui

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
)

// WriteLaunchFile writes the page the browser is told to open: a private
// HTML file (0600, in a new 0700 directory under dir) that sends the
// browser on to URL(). The token then stays off the browser's command
// line, which every local user can read (/proc/PID/cmdline). The file is
// removed once the token is exchanged, or by Close. It returns the file's
// path.
func (s *Server) WriteLaunchFile(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("launch page: %w", err)
	}
	d, err := os.MkdirTemp(dir, "ui-") // 0700
	if err != nil {
		return "", fmt.Errorf("launch page: %w", err)
	}
	p := filepath.Join(d, "open.html")
	u := html.EscapeString(s.URL())
	page := `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=` + u + `"><title>s3sso</title></head>
<body><p>Opening s3sso… If nothing happens, <a href="` + u + `">open s3sso ui</a>.</p></body></html>
`
	if err := os.WriteFile(p, []byte(page), 0o600); err != nil {
		_ = os.RemoveAll(d)
		return "", fmt.Errorf("launch page: %w", err)
	}
	s.mu.Lock()
	s.launchDir = d
	s.mu.Unlock()
	return p, nil
}

// removeLaunchFile removes the launch page, if any.
func (s *Server) removeLaunchFile() {
	s.mu.Lock()
	d := s.launchDir
	s.launchDir = ""
	s.mu.Unlock()
	if d != "" {
		_ = os.RemoveAll(d)
	}
}
