package creds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/fault"
)

// Limits of a credential_process run.
const (
	// DefaultProcessTimeout is how long a credential helper may run: the
	// Go SDK's processcreds.DefaultTimeout. S3SSO_CREDENTIAL_PROCESS_TIMEOUT
	// changes it.
	DefaultProcessTimeout = time.Minute
	// MaxProcessOutput is how much a credential helper may print on
	// standard output. Credentials are a few kilobytes; a helper printing
	// more is stopped.
	MaxProcessOutput = 1 << 20
	// ProcessTimeoutEnv names the variable that sets the time limit: a Go
	// duration such as "90s" or "5m"; "0" removes the limit (Ctrl-C still
	// stops the helper).
	ProcessTimeoutEnv = "S3SSO_CREDENTIAL_PROCESS_TIMEOUT"
	// ProcessSource is the Source of credentials from a ProcessProvider.
	ProcessSource = "s3sso:credential_process"
	// processExpiryWindow: credentials from a helper are fetched again this
	// long before they expire (or halfway through a shorter lifetime).
	processExpiryWindow = 5 * time.Minute
	// pipeGrace is how long, after the helper exited, its standard output
	// may stay open (held by a child left running) before s3sso stops
	// reading it.
	pipeGrace = time.Second
)

// ProcessTimeout returns the time limit for credential helpers:
// S3SSO_CREDENTIAL_PROCESS_TIMEOUT or DefaultProcessTimeout. 0 means none.
func ProcessTimeout() (time.Duration, error) {
	v := strings.TrimSpace(os.Getenv(ProcessTimeoutEnv))
	if v == "" {
		return DefaultProcessTimeout, nil
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, &fault.Error{Kind: fault.Config,
			Msg:  fmt.Sprintf("%s=%q is not a duration", ProcessTimeoutEnv, v),
			Hint: fmt.Sprintf("set %s to a duration such as 90s or 5m (0 for no limit), or unset it for the default of %v", ProcessTimeoutEnv, DefaultProcessTimeout)}
	}
	return d, nil
}

// ProcessProvider is an aws.CredentialsProvider that runs a profile's
// credential_process with the AWS CLI's semantics, and with limits the AWS
// CLI does not have:
//
//   - the command line is split like botocore's compat_shell_split (no
//     shell), and the program is looked up in PATH;
//   - the helper inherits standard input and standard error (so it can
//     prompt, e.g. for an MFA code); its standard output must be one JSON
//     object with Version 1, AccessKeyId, SecretAccessKey and optionally
//     SessionToken, Expiration and AccountId;
//   - it runs in a process group of its own, which is killed as a whole
//     when it exceeds Timeout, prints more than MaxProcessOutput bytes, or
//     the context given to NewProcessProvider ends (Ctrl-C);
//   - credentials that have already expired are refused;
//   - no error ever contains the helper's output: errors say what was wrong
//     (not JSON, a missing or mistyped field, the wrong Version, expired)
//     and how many bytes came.
//
// Wrap it in NewProcessCredentials to cache the credentials until shortly
// before they expire (credentials without Expiration are kept for the
// whole run, as the AWS CLI does).
type ProcessProvider struct {
	Command string        // the credential_process value
	Profile string        // the profile it comes from, for messages
	Timeout time.Duration // 0: no limit
	Stdin   *os.File      // nil: os.Stdin
	Stderr  io.Writer     // nil: os.Stderr

	base context.Context // ends the helper when it ends (Ctrl-C)
	now  func() time.Time
}

var (
	_ aws.CredentialsProvider                     = (*ProcessProvider)(nil)
	_ aws.AdjustExpiresByCredentialsCacheStrategy = (*ProcessProvider)(nil)
)

// NewProcessProvider returns a provider for the credential_process command
// of profile. ctx bounds every run of the helper: the SDK's credentials
// cache hides the caller's cancellation from providers, so ending ctx (the
// command's context, which Ctrl-C cancels) is what stops a running helper.
func NewProcessProvider(ctx context.Context, profile, command string, timeout time.Duration) *ProcessProvider {
	return &ProcessProvider{Command: command, Profile: profile, Timeout: timeout, base: ctx, now: time.Now}
}

// NewProcessCredentials wraps p in a credentials cache that fetches new
// credentials 5 minutes before they expire, or halfway through a shorter
// lifetime.
func NewProcessCredentials(p *ProcessProvider) *aws.CredentialsCache {
	return aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = processExpiryWindow })
}

// AdjustExpiresBy implements aws.AdjustExpiresByCredentialsCacheStrategy:
// the cache's window is applied, but never more than half of the remaining
// lifetime, so that short-lived credentials are not fetched again for every
// request.
func (p *ProcessProvider) AdjustExpiresBy(c aws.Credentials, d time.Duration) (aws.Credentials, error) {
	if !c.CanExpire {
		return c, nil
	}
	now := p.clock()
	half := c.Expires.Sub(now) / 2
	if d < 0 && -d > half {
		d = -half
	}
	c.Expires = c.Expires.Add(d)
	return c, nil
}

func (p *ProcessProvider) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

func (p *ProcessProvider) what() string {
	if p.Profile == "" {
		return "credential_process"
	}
	return fmt.Sprintf("credential_process of profile %s", p.Profile)
}

// Retrieve implements aws.CredentialsProvider: it runs the helper once.
func (p *ProcessProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	args, err := splitCommand(p.Command)
	if err != nil {
		return aws.Credentials{}, &fault.Error{Kind: fault.Config, Msg: fmt.Sprintf("%s cannot be parsed: %v", p.what(), err),
			Hint: "credential_process is split like a shell command line (quotes and backslashes) but run without a shell"}
	}
	if len(args) == 0 {
		return aws.Credentials{}, &fault.Error{Kind: fault.Config, Msg: p.what() + " is empty",
			Hint: "set credential_process to the command that prints the credentials, or remove it"}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return aws.Credentials{}, &fault.Error{Kind: fault.Config, Msg: fmt.Sprintf("%s: cannot run %q", p.what(), args[0]), Err: unwrapExecError(err),
			Hint: "check the program name in credential_process (it is run without a shell: give its path, or make sure it is in PATH)"}
	}
	out, err := p.run(ctx, path, args)
	if err != nil {
		return aws.Credentials{}, err
	}
	return p.parse(out)
}

func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// errOutputTooLarge and errProcessTimeout are the causes with which a run
// is stopped.
var (
	errOutputTooLarge = errors.New("output too large")
	errProcessTimeout = errors.New("credential_process timed out")
	errInterrupted    = errors.New("credential_process interrupted")
)

// run runs the helper and returns its standard output.
func (p *ProcessProvider) run(ctx context.Context, path string, args []string) ([]byte, error) {
	base := p.base
	if base == nil {
		base = context.Background()
	}
	// ctx comes through the SDK's credentials cache, which strips its
	// cancellation; base is the command's context. Either ends the run.
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBase := context.AfterFunc(base, func() { cancel(context.Cause(base)) })
	defer stopBase()
	if p.Timeout > 0 {
		t := time.AfterFunc(p.Timeout, func() { cancel(errProcessTimeout) })
		defer t.Stop()
	}

	r, w, err := os.Pipe()
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("run %s: %w", p.what(), err), "")
	}
	defer r.Close()
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	if p.Stdin != nil {
		cmd.Stdin = p.Stdin
	}
	if p.Stderr != nil {
		cmd.Stderr = p.Stderr
	}
	cmd.Stdout = w
	// Only a Stderr that is not an *os.File is copied by a goroutine; do
	// not wait for it forever when a child of the helper keeps it open.
	cmd.WaitDelay = pipeGrace
	tty := prepareGroup(cmd)
	err = startHelper(cmd, tty)
	w.Close()
	if err != nil {
		return nil, &fault.Error{Kind: fault.Config, Msg: fmt.Sprintf("%s: cannot run %q", p.what(), args[0]), Err: unwrapExecError(err),
			Hint: "check the program in credential_process and that it is executable"}
	}
	defer untrack(cmd, tty)

	type readResult struct {
		b   []byte
		err error
	}
	readc := make(chan readResult, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, MaxProcessOutput+1))
		readc <- readResult{b, err}
	}()
	waitc := make(chan error, 1)
	go func() { waitc <- cmd.Wait() }()

	var (
		out            []byte
		waitErr        error
		gotOut, exited bool
		stopped        error // why s3sso stopped the helper
		grace          <-chan time.Time
	)
	for !gotOut || !exited {
		select {
		case res := <-readc:
			gotOut, out = true, res.b
			if len(out) > MaxProcessOutput && stopped == nil {
				stopped = errOutputTooLarge
				killGroup(cmd)
			}
		case waitErr = <-waitc:
			exited = true
			if errors.Is(waitErr, exec.ErrWaitDelay) {
				// It exited 0; a child of it still held its standard error.
				waitErr = nil
			}
			if interruptedBySignal(waitErr) && stopped == nil {
				// Ctrl-C on the terminal the helper had: end what it
				// started too (a shell's background jobs ignore SIGINT).
				stopped = errInterrupted
				killGroup(cmd)
				_ = r.SetReadDeadline(time.Now())
			}
			if !gotOut {
				grace = time.After(pipeGrace)
			}
		case <-grace:
			// A child of the helper holds standard output open; what the
			// helper printed before it exited has been read.
			_ = r.SetReadDeadline(time.Now())
			grace = nil
		case <-runCtx.Done():
			if stopped == nil {
				stopped = context.Cause(runCtx)
				killGroup(cmd)
				_ = r.SetReadDeadline(time.Now())
			}
			runCtx = context.Background() // fire once
		}
	}

	switch {
	case errors.Is(stopped, errOutputTooLarge):
		return nil, &fault.Error{Kind: fault.Auth,
			Msg:  fmt.Sprintf("%s printed more than %d bytes (1 MiB) on standard output; it was stopped", p.what(), MaxProcessOutput),
			Hint: "a credential helper prints one small JSON object; check the command in credential_process"}
	case errors.Is(stopped, errProcessTimeout):
		return nil, &fault.Error{Kind: fault.Auth,
			Msg:  fmt.Sprintf("%s did not finish within %v; it was stopped with its child processes (%d bytes had come on standard output)", p.what(), p.Timeout, len(out)),
			Hint: fmt.Sprintf("run the helper in a shell to see where it hangs; if it legitimately needs longer (e.g. it waits for you), set %s (e.g. 5m)", ProcessTimeoutEnv)}
	case errors.Is(stopped, errInterrupted):
		// The terminal's Ctrl-C went to the helper's process group only;
		// pass it on to s3sso, which stops as if it had been pressed
		// while s3sso had the terminal.
		if tty.given() {
			interruptSelf()
		}
		return nil, fault.Wrap(fault.Interrupted, fmt.Errorf("%s: %w", p.what(), context.Canceled), "")
	case stopped != nil:
		return nil, fault.Wrap(fault.Interrupted, fmt.Errorf("%s: %w", p.what(), context.Canceled), "")
	}
	if waitErr != nil {
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			return nil, &fault.Error{Kind: fault.Auth,
				Msg:  fmt.Sprintf("%s failed: %v (%d bytes on standard output, not shown; its error output, if any, is above)", p.what(), ee.ProcessState, len(out)),
				Hint: "run the command in credential_process in a shell to see what it needs"}
		}
		return nil, fault.Wrap(fault.Local, fmt.Errorf("run %s: %w", p.what(), waitErr), "")
	}
	return out, nil
}

// parse checks the helper's output and returns the credentials. Errors
// describe the output but never quote it: it may hold secrets.
func (p *ProcessProvider) parse(out []byte) (aws.Credentials, error) {
	bad := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		return &fault.Error{Kind: fault.Auth,
			Msg:  fmt.Sprintf("%s returned unusable output: %s (%d bytes on standard output, not shown)", p.what(), msg, len(out)),
			Hint: outputHint(out)}
	}
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 {
		return aws.Credentials{}, bad("it printed nothing")
	}
	if !json.Valid(trimmed) {
		return aws.Credentials{}, bad("it is not JSON")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return aws.Credentials{}, bad("it is %s, not a JSON object", article(jsonType(trimmed)))
	}

	// Version must be 1 (botocore compares with ==, so 1.0 passes too).
	if raw, ok := m["Version"]; !ok {
		return aws.Credentials{}, bad("Version is missing (it must be 1)")
	} else {
		var v float64
		if jsonType(raw) != "number" || json.Unmarshal(raw, &v) != nil {
			return aws.Credentials{}, bad("Version is %s, it must be the number 1", article(jsonType(raw)))
		}
		if v != 1 {
			return aws.Credentials{}, bad("Version is %s, only 1 is supported", versionText(raw, v))
		}
	}
	str := func(name string, required bool) (string, error) {
		raw, ok := m[name]
		if !ok || jsonType(raw) == "null" {
			if required {
				return "", bad("%s is missing", name)
			}
			return "", nil
		}
		var s string
		if jsonType(raw) != "string" || json.Unmarshal(raw, &s) != nil {
			return "", bad("%s is %s, it must be a string", name, article(jsonType(raw)))
		}
		if required && s == "" {
			return "", bad("%s is empty", name)
		}
		return s, nil
	}
	c := aws.Credentials{Source: ProcessSource}
	var err error
	if c.AccessKeyID, err = str("AccessKeyId", true); err != nil {
		return aws.Credentials{}, err
	}
	if c.SecretAccessKey, err = str("SecretAccessKey", true); err != nil {
		return aws.Credentials{}, err
	}
	if c.SessionToken, err = str("SessionToken", false); err != nil {
		return aws.Credentials{}, err
	}
	if c.AccountID, err = str("AccountId", false); err != nil {
		return aws.Credentials{}, err
	}
	exp, err := str("Expiration", false)
	if err != nil {
		return aws.Credentials{}, err
	}
	if exp != "" {
		t, ok := parseExpiration(exp)
		if !ok {
			return aws.Credentials{}, bad("Expiration is not an RFC 3339 time such as 2026-07-23T19:04:05Z")
		}
		now := p.clock()
		if !t.After(now) {
			return aws.Credentials{}, &fault.Error{Kind: fault.Auth,
				Msg:  fmt.Sprintf("%s returned credentials that expired at %s (%s ago)", p.what(), t.UTC().Format(time.RFC3339), ago(now.Sub(t))),
				Hint: "the helper must return fresh credentials; sign in again with the tool behind it, then retry"}
		}
		c.CanExpire, c.Expires = true, t
	}
	return c, nil
}

// ago renders an age: seconds precision up to two days, then days.
func ago(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return d.Round(time.Second).String()
}

// outputHint says what a helper must print, with a pointed remark when the
// output looks like shell variable assignments (a helper printing
// `s3sso credentials --format env` instead of `--format process`).
func outputHint(out []byte) string {
	const want = `credential_process must print one JSON object: {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ..., "SessionToken": ..., "Expiration": ...}`
	if bytes.Contains(out, []byte("AWS_ACCESS_KEY_ID=")) || bytes.Contains(out, []byte("AWS_SECRET_ACCESS_KEY=")) {
		return "the output looks like shell variable assignments; " + want + " (with s3sso: `s3sso credentials --format process`, not `--format env`)"
	}
	return want + "; run the command in a shell to see what it prints"
}

// jsonType names the JSON type of a valid JSON value.
func jsonType(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// article puts "a" or "an" before a JSON type name ("null" stays bare).
func article(typ string) string {
	switch typ {
	case "null":
		return "null"
	case "array", "object":
		return "an " + typ
	}
	return "a " + typ
}

// versionText shows a numeric Version; a huge or odd number is shown
// approximately (numbers cannot hold a secret of any length, but keep it
// short).
func versionText(raw []byte, v float64) string {
	if s := string(bytes.TrimSpace(raw)); len(s) <= 12 {
		return s
	}
	return fmt.Sprintf("%.6g", v)
}

// parseExpiration reads an Expiration: RFC 3339 (what the AWS CLI and
// SDKs write), leniently also without an offset, with a space for the T,
// or with the old "UTC" suffix.
func parseExpiration(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutSuffix(s, "UTC"); ok {
		s = strings.TrimSpace(rest) + "Z"
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Running helpers, so that StopHelpers can end them before s3sso exits.
var helpers struct {
	mu   sync.Mutex
	cmds map[*exec.Cmd]struct{}
	wg   sync.WaitGroup
}

func track(cmd *exec.Cmd) {
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	if helpers.cmds == nil {
		helpers.cmds = map[*exec.Cmd]struct{}{}
	}
	helpers.cmds[cmd] = struct{}{}
	helpers.wg.Add(1)
}

func untrack(cmd *exec.Cmd, tty *ttyState) {
	tty.restore()
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	if _, ok := helpers.cmds[cmd]; ok {
		delete(helpers.cmds, cmd)
		helpers.wg.Done()
	}
}

// startHelper starts cmd and records it as running.
func startHelper(cmd *exec.Cmd, tty *ttyState) error {
	tty.prepare()
	if err := cmd.Start(); err != nil {
		tty.restore()
		return err
	}
	track(cmd)
	return nil
}

// StopHelpers kills the process group of every credential helper still
// running and waits (briefly) until their runs have ended. The CLI calls
// it before the process exits, so that an interrupted command leaves no
// helper behind.
func StopHelpers() {
	helpers.mu.Lock()
	for cmd := range helpers.cmds {
		killGroup(cmd)
	}
	helpers.mu.Unlock()
	done := make(chan struct{})
	go func() { helpers.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * pipeGrace):
	}
}
