package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// termPrompter is the CLI's session.Prompter: it writes to stderr and
// reads answers from stdin. Every question honours ctx: stdin is read by
// one goroutine, so Ctrl-C ends a question at once (exit 130) and nothing
// is saved.
type termPrompter struct {
	a *app
	// NoBrowser prints sign-in URLs instead of opening a browser.
	NoBrowser bool
	open      authflow.Opener

	ask      sync.Mutex // one question at a time
	readOnce sync.Once
	lines    chan lineResult
	paused   bool // a job is paused for a sign-in (progress bar held)
}

var _ session.Prompter = (*termPrompter)(nil)

type lineResult struct {
	line string
	err  error
}

func newTermPrompter(a *app) *termPrompter {
	return &termPrompter{a: a, open: authflow.OpenBrowser}
}

// readLine returns the next line of stdin (without the newline), or ctx's
// error as soon as ctx ends.
func (p *termPrompter) readLine(ctx context.Context) (string, error) {
	p.readOnce.Do(func() {
		p.lines = make(chan lineResult)
		go func() {
			r := bufio.NewReader(p.a.stdio.In)
			for {
				line, err := r.ReadString('\n')
				p.lines <- lineResult{strings.TrimRight(line, "\r\n"), err}
				if err != nil {
					close(p.lines)
					return
				}
			}
		}()
	})
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r, ok := <-p.lines:
		if !ok {
			return "", io.EOF
		}
		if r.err != nil && (r.line == "" || !errors.Is(r.err, io.EOF)) {
			return r.line, r.err
		}
		return r.line, nil
	}
}

// say writes s to stderr, above any progress bar.
func (p *termPrompter) say(format string, args ...any) {
	p.a.printer().Text(fmt.Sprintf(format, args...))
}

// Interactive: a person at a terminal (stdin and stderr).
func (p *termPrompter) Interactive() bool {
	in, ok := p.a.stdio.In.(*os.File)
	return ok && term.IsTerminal(int(in.Fd())) && p.a.isTerminal(p.a.stdio.Err)
}

// CanSignIn: someone sees the terminal, or $BROWSER (a script) completes
// browser sign-ins.
func (p *termPrompter) CanSignIn() bool {
	return p.a.isTerminal(p.a.stdio.Err) || os.Getenv("BROWSER") != ""
}

func (p *termPrompter) Warn(msg string) { p.a.printer().Warn("%s", msg) }

// Info writes msg on a line of its own to stderr.
func (p *termPrompter) Info(msg string) { p.say("%s\n", msg) }

// SignIn prints the sign-in's URL (and code) and opens the browser unless
// --no-browser was given or the page belongs on another device.
func (p *termPrompter) SignIn(ctx context.Context, s session.SignIn) error {
	openHere := s.OpenHere && !p.NoBrowser
	switch {
	case s.Flow == session.FlowPKCE && p.NoBrowser:
		p.say("Open this URL in a browser on this machine to sign in:\n\n  %s\n\n(The page redirects to 127.0.0.1 on this machine; from another device use --use-device-code.)\n", s.URL)
	case s.Flow == session.FlowPKCE:
		p.say("Opening the sign-in page in your browser. If it does not open, visit:\n\n  %s\n\n(To sign in on another device, use --use-device-code.)\n", s.URL)
	case s.OpenHere && p.NoBrowser:
		p.say("Open this URL on any device to sign in:\n\n  %s\n\nand confirm this code:\n\n%s\n\n", s.URL, s.UserCode)
	case s.OpenHere:
		p.say("Opening the sign-in page in your browser. If it does not open, visit:\n\n  %s\n\nand confirm this code:\n\n%s\n\n", s.VerificationURL, s.UserCode)
	case s.CodeInURL:
		p.say("To sign in, open this URL on any device:\n\n  %s\n\nand check that it shows this code:\n\n  %s\n\n", s.URL, s.UserCode)
	default:
		p.say("To sign in, open this URL on any device:\n\n  %s\n\nand enter this code:\n\n  %s\n\n", s.URL, s.UserCode)
	}
	if openHere {
		if err := p.open(ctx, s.URL); err != nil {
			p.say("Could not open a browser (%v); open the URL above yourself.\n", err)
		}
	}
	return nil
}

// Choose lists the choices and reads a number.
func (p *termPrompter) Choose(ctx context.Context, c session.Choice) (int, error) {
	p.ask.Lock()
	defer p.ask.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "There are %d choices of %s:\n", len(c.IDs), c.What)
	for i, l := range c.Labels {
		fmt.Fprintf(&b, "  %d) %s\n", i+1, l)
	}
	p.say("%s", b.String())
	for {
		p.say("Choose 1-%d: ", len(c.IDs))
		line, err := p.readLine(ctx)
		if n, convErr := strconv.Atoi(strings.TrimSpace(line)); convErr == nil && n >= 1 && n <= len(c.IDs) {
			return n - 1, nil
		}
		if err != nil {
			return -1, err
		}
	}
}

// Ask reads one line.
func (p *termPrompter) Ask(ctx context.Context, q session.Question) (string, error) {
	p.ask.Lock()
	defer p.ask.Unlock()
	if q.Example != "" {
		p.say("%s (%s): ", q.What, q.Example)
	} else {
		p.say("%s: ", q.What)
	}
	return p.readLine(ctx)
}

// Confirm asks whether to sign in now; Enter means yes.
func (p *termPrompter) Confirm(ctx context.Context, _ session.Ref, cause error) (bool, error) {
	p.ask.Lock()
	defer p.ask.Unlock()
	p.say("%v\nSign in now? [Y/n] ", cause)
	line, err := p.readLine(ctx)
	if err != nil && ctx.Err() != nil {
		return false, err
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "" || ans == "y" || ans == "yes", nil
}

// Notify tells the person about a paused job or a chosen role.
func (p *termPrompter) Notify(_ context.Context, n session.Notice) {
	switch n.Kind {
	case session.NoticeSignInExpired:
		why := n.Cause
		if le, ok := fault.LoginRequired(why); ok && le.Err != nil {
			why = le.Err // without the SDK's wrapping
		}
		p.a.printer().Hold(true)
		p.paused = true
		p.say("\nThe sign-in of %s has expired and could not be renewed (%s).\n"+
			"The transfer is paused: nothing has failed, and after you sign in again it continues where it stopped.\n",
			n.Ref, firstLine(session.Scrub(why.Error())))
	case session.NoticeJobResumed:
		p.say("Signed in again; the transfer continues.\n")
		if p.paused {
			p.paused = false
			p.a.printer().Hold(false)
		}
	case session.NoticeRoleChosen:
		name := n.Ref.Account
		p.a.printer().Warn("account %s now uses role %s in AWS account %s (change it with `s3sso account edit %s --account-id ID --role-name ROLE`)",
			name, n.RoleName, n.AccountID, name)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
