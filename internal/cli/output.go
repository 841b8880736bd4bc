package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/s3sso/s3sso/internal/session"
)

// Message is a result line. Every message renders as text and as JSON so
// that --json switches every command's output at once.
type Message interface {
	String() string
	JSON() any
}

// Printer is the single writer of results (stdout) and diagnostics (stderr).
// It is safe for concurrent use: each message is written whole under one
// lock, so parallel workers never interleave lines. When a live status line
// (the progress bar) is on the terminal, it is erased before a line is
// written and redrawn afterwards.
type Printer struct {
	mu     sync.Mutex
	out    io.Writer
	err    io.Writer
	json   bool
	quiet  bool
	status func() string // renders the status line; nil when none
	shown  bool          // a status line is on screen
	held   bool          // the status line is hidden (a question is open)
}

// NewPrinter returns a printer writing results to out and diagnostics to errw.
func NewPrinter(out, errw io.Writer, jsonOut, quiet bool) *Printer {
	return &Printer{out: out, err: errw, json: jsonOut, quiet: quiet}
}

// JSON reports whether results are written as JSON Lines.
func (p *Printer) JSON() bool { return p.json }

// Print writes one result.
func (p *Printer) Print(m Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	if p.json {
		b, err := json.Marshal(m.JSON())
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": err.Error()})
		}
		_, _ = p.out.Write(append(b, '\n'))
	} else {
		_, _ = io.WriteString(p.out, m.String()+"\n")
	}
	p.drawStatus()
}

// Info writes a line of progress information ("upload: a -> s3://b/a"),
// suppressed by --quiet.
func (p *Printer) Info(m Message) {
	if p.quiet {
		return
	}
	p.Print(m)
}

// Warn writes a warning to stderr (also in --json mode, as a JSON object).
func (p *Printer) Warn(format string, args ...any) {
	p.diag("warning", fmt.Sprintf(format, args...), "")
}

// Failure reports a per-object failure of a batch on stderr. In text
// output the target is shown as names are (see displayName), so a key with
// a newline cannot split the line.
func (p *Printer) Failure(op, target string, err error) {
	msg := err.Error()
	shown := target
	if !p.json {
		shown = displayName(target)
	}
	if strings.Contains(msg, target) {
		msg = strings.ReplaceAll(msg, target, shown)
	} else {
		msg = fmt.Sprintf("%s %s: %s", op, shown, msg)
	}
	p.diag("error", msg, "")
}

func (p *Printer) diag(level, msg, hint string) {
	msg = session.Scrub(msg)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	if p.json {
		obj := map[string]string{"level": level, "message": msg}
		if hint != "" {
			obj["hint"] = hint
		}
		b, _ := json.Marshal(obj)
		_, _ = p.err.Write(append(b, '\n'))
	} else {
		_, _ = fmt.Fprintf(p.err, "s3sso: %s: %s\n", level, msg)
		if hint != "" {
			_, _ = fmt.Fprintf(p.err, "hint: %s\n", hint)
		}
	}
	p.drawStatus()
}

// SetStatus installs (or with nil removes) the live status line renderer.
func (p *Printer) SetStatus(render func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	p.status = render
	p.drawStatus()
}

// RefreshStatus redraws the status line.
func (p *Printer) RefreshStatus() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawStatus()
}

func (p *Printer) clearStatus() {
	if p.shown {
		_, _ = io.WriteString(p.err, "\r\x1b[K")
		p.shown = false
	}
}

// Hold hides the status line (while a question or a sign-in is on the
// terminal) until Hold(false).
func (p *Printer) Hold(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	p.held = on
	if !on {
		p.drawStatus()
	}
}

// Text writes s to stderr as it is (a prompt), never with --json.
func (p *Printer) Text(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	_, _ = io.WriteString(p.err, s)
}

func (p *Printer) drawStatus() {
	if p.status == nil || p.held {
		return
	}
	_, _ = io.WriteString(p.err, "\r\x1b[K"+p.status())
	p.shown = true
}

// textMsg is a plain line, with a JSON form given by fields.
type textMsg struct {
	text   string
	fields any
}

func (m textMsg) String() string { return m.text }
func (m textMsg) JSON() any {
	if m.fields != nil {
		return m.fields
	}
	return map[string]string{"message": m.text}
}
