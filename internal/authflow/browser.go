package authflow

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Opener opens a URL for the user. Tests replace it to drive the flow.
type Opener func(ctx context.Context, url string) error

// OpenBrowser opens url in the user's browser. It follows the $BROWSER
// convention first (a colon-separated list of commands; "%s" in a command is
// replaced by the URL, otherwise the URL is appended), then the platform
// opener (xdg-open, open, rundll32). It does not wait for the browser to
// exit; a command that fails to start moves on to the next candidate.
func OpenBrowser(ctx context.Context, url string) error {
	var cands [][]string
	if b := os.Getenv("BROWSER"); b != "" {
		for _, c := range strings.Split(b, string(os.PathListSeparator)) {
			if c = strings.TrimSpace(c); c == "" {
				continue
			}
			fields := strings.Fields(c)
			replaced := false
			for i, f := range fields {
				if strings.Contains(f, "%s") {
					fields[i] = strings.ReplaceAll(f, "%s", url)
					replaced = true
				}
			}
			if !replaced {
				fields = append(fields, url)
			}
			cands = append(cands, fields)
		}
	}
	switch runtime.GOOS {
	case "darwin":
		cands = append(cands, []string{"open", url})
	case "windows":
		cands = append(cands, []string{"rundll32", "url.dll,FileProtocolHandler", url})
	default:
		cands = append(cands, []string{"xdg-open", url}, []string{"sensible-browser", url})
	}
	var lastErr error
	for _, c := range cands {
		cmd := exec.Command(c[0], c[1:]...) //nolint:gosec // the user's chosen browser
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			lastErr = err
			continue
		}
		go func() { _ = cmd.Wait() }()
		return nil
	}
	return fmt.Errorf("open browser: %w", lastErr)
}
