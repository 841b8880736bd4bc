package cli

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// Exit codes. They are part of the interface: scripts rely on them, and
// `s3sso help exit-codes` lists them.
const (
	ExitOK           = 0
	ExitError        = 1   // any error not covered below
	ExitUsage        = 2   // bad flag, argument or s3:// URL
	ExitPartial      = 3   // a batch finished, but some objects failed
	ExitNotFound     = 4   // bucket, key, profile, account or local path not found
	ExitAccessDenied = 5   // signed in, but not allowed
	ExitAuth         = 6   // no credentials, or they expired: sign in again
	ExitNetwork      = 7   // endpoint unreachable, connection refused, timeout
	ExitLocal        = 8   // local file system: disk full, directory expected, permission
	ExitIntegrity    = 9   // checksum or size mismatch
	ExitConfig       = 10  // invalid configuration
	ExitConflict     = 11  // target exists or is not empty
	ExitInterrupted  = 130 // interrupted (Ctrl-C, SIGINT)
	ExitTerminated   = 143 // terminated (SIGTERM); set by main, which sees the signal
)

const exitCodesHelp = `Exit codes:
  0    success
  1    error not covered below
  2    usage: bad flag, argument or s3:// URL
  3    partial failure: a batch finished but some objects failed (each is reported)
  4    not found: bucket, key, profile, account or local path
  5    access denied: the credentials work but lack permission
  6    sign-in required: no credentials, or the token or credentials expired
  7    network: endpoint unreachable, connection refused, timeout
  8    local file system: disk full, a directory where a file is expected, permission
  9    integrity: checksum or size mismatch
  10   configuration: invalid config file or setting
  11   conflict: the target already exists or is not empty
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)
`

var exitCodeOfKind = map[fault.Kind]int{
	fault.Unknown:      ExitError,
	fault.Usage:        ExitUsage,
	fault.Partial:      ExitPartial,
	fault.NotFound:     ExitNotFound,
	fault.AccessDenied: ExitAccessDenied,
	fault.Auth:         ExitAuth,
	fault.Network:      ExitNetwork,
	fault.Local:        ExitLocal,
	fault.Integrity:    ExitIntegrity,
	fault.Config:       ExitConfig,
	fault.Conflict:     ExitConflict,
	fault.Interrupted:  ExitInterrupted,
}

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	return exitCodeOfKind[fault.Classify(err)]
}

// loginCommand is the command that signs in to ref.
func loginCommand(ref fault.LoginRef, deviceCode bool) string {
	cmd := "s3sso login"
	switch {
	case ref.Account != "":
		cmd += " --account " + quoteArg(ref.Account)
	case ref.SSOSession != "":
		cmd += " --sso-session " + quoteArg(ref.SSOSession)
	case ref.Profile != "" && ref.Profile != "default":
		cmd += " --profile " + quoteArg(ref.Profile)
	}
	if deviceCode {
		cmd += " --use-device-code"
	}
	return cmd
}

// dataHint renders the advice for errors that carry data instead of a
// command line: what to sign in to, which setting to save.
func dataHint(err error) (string, bool) {
	var choice *session.ChoiceError
	var noRole *session.RoleARNRequiredError
	var notSSO *session.NotSSOProfileError
	var role *session.RoleError
	var listAll *session.ListAllDeniedError
	var exists *session.AccountExistsError
	switch {
	case errors.As(err, &exists):
		n := exists.Account
		return "choose another name, change it with `s3sso account edit " + n + "`, remove it with `s3sso account rm " + n + "`, or pass --force", true
	case errors.As(err, &listAll):
		n := listAll.Account
		return fmt.Sprintf("account %s may not list all buckets: turn that off with "+
			"`s3sso account edit %s --list-all-buckets=false` and add the buckets it can use with "+
			"`s3sso account edit %s --external-bucket BUCKET[/PATH]`", n, n, n), true
	case errors.As(err, &choice):
		name, flag := choice.Choice.Ref.Account, "--"+choice.Choice.Setting
		return fmt.Sprintf("save it with `s3sso account edit %s %s VALUE`, or sign in on a terminal to pick it", name, flag), true
	case errors.As(err, &noRole):
		return fmt.Sprintf("save one with `s3sso account add %s ... --role-arn arn:aws:iam::ACCOUNT:role/NAME --force`", noRole.Account), true
	case errors.As(err, &notSSO):
		return "set it up with `s3sso configure sso --profile " + notSSO.Profile + "`, or pick another profile with --profile", true
	case errors.As(err, &role):
		return "check the account's --account-id and --role-name (`s3sso account edit " + role.Account + "`)", true
	}
	if le, hint, ok := fault.LoginHint(err); ok && !le.Ref.IsZero() {
		run := "run `" + loginCommand(le.Ref, le.DeviceCode) + "`"
		if fault.KindOf(err) != fault.Auth && hint != "" {
			// The sign-in itself was refused: say why first.
			return hint + ": " + run + " again and allow the request", true
		}
		if le.DeviceCode {
			run += " again"
		}
		return fault.JoinHints(run, hint), true
	}
	return "", false
}

// defaultHint returns advice for an error that carries no hint of its own.
func defaultHint(err error, kind fault.Kind) string {
	if h, ok := dataHint(err); ok {
		return h
	}
	if h := fault.HintOf(err); h != "" {
		return h
	}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch kind {
	case fault.NotFound:
		switch code {
		case "NoSuchBucket":
			return "check the bucket name with `s3sso ls`"
		case "NoSuchKey", "NotFound":
			return "check the key with `s3sso ls s3://BUCKET/PREFIX`"
		}
	case fault.AccessDenied:
		return "the identity in use lacks permission for this operation; check it with `s3sso whoami`"
	case fault.Auth:
		return "sign in with `s3sso login`, choose a profile with --profile, or check the access keys"
	case fault.Network:
		return "check --endpoint-url (or AWS_ENDPOINT_URL_S3 / the profile's services section) and that the server is running"
	case fault.Interrupted:
		return "nothing was left half-written; run the command again to continue"
	case fault.Usage:
		return "see `s3sso help` for the command's usage"
	}
	return ""
}
