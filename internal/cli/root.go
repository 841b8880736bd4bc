// Package cli is s3sso's command-line interface: the cobra command tree, the
// text and JSON printers, and the one place (exitcode.go, report) that turns
// errors into messages, hints and exit codes.
//
// Each command lives in cmd_<verb>.go as newXCommand(*app) *cobra.Command, an
// xOptions struct and a runX function. Nothing registers itself in init().
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/s3sso/s3sso/internal/buildinfo"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/transfer"
)

// Stdio is the process's standard streams.
type Stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// globalOptions are the flags every command takes.
type globalOptions struct {
	Profile     string
	Account     string
	Region      string
	EndpointURL string
	PathStyle   bool
	JSON        bool
	Output      string // --output json|text, an alias of --json
	Version     bool   // --version on the root command
	Quiet       bool
	NoProgress  bool
	Debug       bool
	LogFormat   string
}

// app holds what commands share: streams, global flags, the logger, the
// printer and the lazily built AWS configuration.
type app struct {
	stdio  Stdio
	opts   globalOptions
	logger *slog.Logger
	out    *Printer
	ran    bool // a command's RunE started (errors before that are usage errors)
	// stopped: the command ends normally when interrupted (s3sso ui).
	stopped bool

	// sessions resolves identities and signs in; prompter is its terminal
	// side. Both are set up before a command runs.
	sessions *session.Manager
	prompter *termPrompter
	acct     *session.AccountSettings // the --account in use, once resolved
	cur      *session.Session         // the session of the global flags, once resolved

	// isTerminal reports whether w is an interactive terminal; tests replace it.
	isTerminal func(w io.Writer) bool
}

// Run executes s3sso with args and returns the process exit code.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	return run(ctx, args, stdio, isTerminal)
}

// run is Run with the terminal check injected (tests drive the progress bar
// without a terminal).
func run(ctx context.Context, args []string, stdio Stdio, isTerm func(io.Writer) bool) int {
	a := &app{stdio: stdio, isTerminal: isTerm}
	root := a.newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	// An interrupted command may leave a credential helper running (the
	// SDK's credentials cache returns without waiting for it).
	session.StopCredentialHelpers()
	if err != nil && !a.ran && fault.KindOf(err) == fault.Unknown && ctx.Err() == nil {
		err = fault.Wrap(fault.Usage, err, fmt.Sprintf("see `%s --help`", strings.TrimSpace("s3sso "+commandPath(root, args))))
	}
	if err == nil && ctx.Err() != nil && a.ran && !a.stopped {
		err = fault.Wrap(fault.Interrupted, ctx.Err(), "")
	}
	return a.report(err)
}

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil || c == root {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
}

// report prints err as one line (plus a hint) and returns its exit code.
func (a *app) report(err error) int {
	if err == nil {
		return ExitOK
	}
	kind := fault.Classify(err)
	code := exitCodeOfKind[kind]
	var partial *transfer.BatchError
	if errors.As(err, &partial) {
		// Each failure was already reported as it happened.
		msg := fmt.Sprintf("%d of %d operations failed", partial.Failed, partial.Total)
		a.printer().diag("error", msg, "see the errors above; run the command again to retry the failed ones")
		return code
	}
	msg := err.Error()
	if kind == fault.Interrupted {
		msg = "interrupted"
	}
	hint := defaultHint(err, kind)
	a.printer().diag("error", withoutRepeatedHint(msg, hint), hint)
	return code
}

// withoutRepeatedHint drops a trailing "; run `CMD`" from an error message
// when the hint names the same command: sign-in errors carry it in their
// text (to survive wrapping) and it should be said once.
func withoutRepeatedHint(msg, hint string) string {
	i := strings.LastIndex(msg, "; run `")
	if i < 0 || !strings.HasSuffix(msg, "`") {
		return msg
	}
	if cmd := msg[i+len("; run "):]; strings.Contains(hint, cmd) {
		return msg[:i]
	}
	return msg
}

func (a *app) printer() *Printer {
	if a.out == nil {
		a.out = NewPrinter(a.stdio.Out, a.stdio.Err, a.opts.JSON, a.opts.Quiet)
	}
	return a.out
}

func (a *app) newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "s3sso",
		Short: "Work with Amazon S3 and S3-compatible storage without long-term access keys",
		Long: `s3sso works with Amazon S3 and S3-compatible storage (MinIO, Ceph, ...) using the
credentials of your AWS configuration: profiles, IAM Identity Center (SSO),
web identity, credential_process, assume-role chains or static keys.

` + exitCodesHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.ran = true
			// --output json|text, the AWS CLI's habit, is --json or not.
			if cmd.Flags().Changed("output") {
				switch a.opts.Output {
				case "json":
					a.opts.JSON = true
				case "text":
					a.opts.JSON = false
				default:
					return usageError("--output must be json or text, not %q", a.opts.Output)
				}
			}
			if err := a.setup(); err != nil {
				return err
			}
			a.applyDefaultAccount(cmd)
			return nil
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.opts.Profile, "profile", "", "AWS config profile to use (default: $AWS_PROFILE or default)")
	f.StringVar(&a.opts.Account, "account", "", "saved s3sso account to use (see: s3sso account --help)")
	f.StringVar(&a.opts.Region, "region", "", "AWS region (default: $AWS_REGION or the profile's region)")
	f.StringVar(&a.opts.EndpointURL, "endpoint-url", "", "S3 endpoint URL for S3-compatible storage (default: $AWS_ENDPOINT_URL_S3 or the profile's services section)")
	f.BoolVar(&a.opts.PathStyle, "path-style", false, "use path-style addressing (always on with a custom endpoint)")
	f.BoolVar(&a.opts.JSON, "json", false, "write results as JSON Lines, one object per line")
	f.StringVar(&a.opts.Output, "output", "", "json (the same as --json) or text")
	root.Flags().BoolVar(&a.opts.Version, "version", false, "print the version (as `s3sso version` does)")
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if a.opts.Version {
			a.printer().Print(versionMsg{buildinfo.Get()})
			return nil
		}
		if len(args) > 0 {
			return usageError("unknown command %q", args[0])
		}
		return cmd.Help()
	}
	f.BoolVarP(&a.opts.Quiet, "quiet", "q", false, "print only errors")
	f.BoolVar(&a.opts.NoProgress, "no-progress", false, "never show a progress bar")
	f.BoolVar(&a.opts.Debug, "debug", false, "log diagnostics, including SDK requests, to stderr")
	f.StringVar(&a.opts.LogFormat, "log-format", "text", "diagnostic log format: text or json")

	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fault.Wrap(fault.Usage, err, "see `"+c.CommandPath()+" --help`")
	})
	root.AddCommand(
		a.newLsCommand(),
		a.newCpCommand(),
		a.newMvCommand(),
		a.newRmCommand(),
		a.newSyncCommand(),
		a.newMpuCommand(),
		a.newCatCommand(),
		a.newStatCommand(),
		a.newPresignCommand(),
		a.newMbCommand(),
		a.newRbCommand(),
		a.newBucketCommand(),
		a.newACLCommand(),
		a.newTagCommand(),
		a.newRestoreVersionCommand(),
		a.newVersionCommand(),
		a.newAccountCommand(),
		a.newLoginCommand(),
		a.newLogoutCommand(),
		a.newWhoamiCommand(),
		a.newConfigureCommand(),
		a.newCredentialsCommand(),
		a.newDebugCommand(),
		a.newMountCommand(),
		a.newUnmountCommand(),
		a.newUICommand(),
		newCompletionCommand(),
		&cobra.Command{Use: "exit-codes", Short: "The exit codes s3sso returns", Long: exitCodesHelp},
	)
	return root
}

func (a *app) setup() error {
	level := slog.LevelWarn
	if a.opts.Debug {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	switch a.opts.LogFormat {
	case "text":
		a.logger = slog.New(slog.NewTextHandler(a.stdio.Err, hopts))
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(a.stdio.Err, hopts))
	default:
		return fault.Newf(fault.Usage, "--log-format must be text or json, not %q", a.opts.LogFormat)
	}
	a.out = NewPrinter(a.stdio.Out, a.stdio.Err, a.opts.JSON, a.opts.Quiet)
	a.prompter = newTermPrompter(a)
	a.sessions = session.New(session.Options{Logger: a.logger, Debug: a.opts.Debug, Prompter: a.prompter})
	return nil
}

// redactAttr keeps secrets out of logs whatever a caller passes: attributes
// named like secrets are replaced, and every string (the message included)
// is scrubbed of tokens and keys.
func redactAttr(_ []string, attr slog.Attr) slog.Attr {
	k := strings.ToLower(attr.Key)
	for _, s := range []string{"secret", "token", "password", "authorization", "credential", "verifier"} {
		if strings.Contains(k, s) {
			return slog.String(attr.Key, "REDACTED")
		}
	}
	if attr.Value.Kind() == slog.KindString {
		attr.Value = slog.StringValue(session.Scrub(attr.Value.String()))
	}
	return attr
}

// ref is the identity the global flags name.
func (a *app) ref() session.Ref {
	return session.Ref{Profile: a.opts.Profile, Account: a.opts.Account}
}

// session resolves the identity of the global flags (a saved account with
// --account, else the AWS config profile), with --region, --endpoint-url
// and --path-style as overrides.
func (a *app) session(ctx context.Context) (*session.Session, error) {
	s, err := a.sessions.Open(ctx, a.ref(), session.Overrides{Region: a.opts.Region, EndpointURL: a.opts.EndpointURL, PathStyle: a.opts.PathStyle})
	if err == nil {
		a.acct, a.cur = s.Account, s
	}
	return s, err
}

// awsConfig is the session's AWS configuration.
func (a *app) awsConfig(ctx context.Context) (aws.Config, error) {
	s, err := a.session(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	return s.Config, nil
}

// store returns the session's S3 store.
func (a *app) store(ctx context.Context) (*objstore.S3, error) {
	s, err := a.session(ctx)
	if err != nil {
		return nil, err
	}
	return s.Store()
}

// showProgress reports whether a live progress bar belongs on this terminal.
func (a *app) showProgress() bool {
	return !a.opts.JSON && !a.opts.Quiet && !a.opts.NoProgress && a.isTerminal(a.stdio.Out) && a.isTerminal(a.stdio.Err)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// usageError returns a fault.Usage error for bad arguments.
func usageError(format string, args ...any) error {
	return fault.Newf(fault.Usage, format, args...)
}

// argsRange is cobra.RangeArgs with a usage-kind error.
func argsRange(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			if lo == hi {
				return usageError("%s takes %d argument(s), got %d", cmd.Name(), lo, len(args))
			}
			return usageError("%s takes %d to %d arguments, got %d", cmd.Name(), lo, hi, len(args))
		}
		return nil
	}
}
