package creds

import (
	"errors"
	"runtime"
	"strings"

	awsconfig "github.com/s3sso/s3sso/internal/config"
)

var errNoClosingQuote = errors.New("no closing quotation")

// splitCommand splits a credential_process value into a program and its
// arguments the way the AWS CLI (botocore's compat_shell_split) does: no
// shell is involved, so there are no pipes, redirections, variables or
// globbing. On Windows the rules of CommandLineToArgvW apply, elsewhere
// those of Python's shlex.split.
func splitCommand(s string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return windowsSplit(s)
	}
	return awsconfig.ShlexSplit(s)
}

// windowsSplit is botocore's _windows_shell_split: spaces and tabs outside
// double quotes separate words; 2n backslashes before a '"' are n
// backslashes and the quote toggles quoting, 2n+1 are n backslashes and a
// literal '"'; other backslashes are literal.
func windowsSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	backslashes := 0
	flush := func() {
		cur.WriteString(strings.Repeat(`\`, backslashes))
		backslashes = 0
	}
	for _, c := range s {
		switch {
		case c == '\\':
			backslashes++
		case c == '"':
			cur.WriteString(strings.Repeat(`\`, backslashes/2))
			odd := backslashes%2 == 1
			backslashes = 0
			inWord = true
			if odd {
				cur.WriteByte('"')
				continue
			}
			quoted = !quoted
		case (c == ' ' || c == '\t') && !quoted:
			flush()
			if inWord || cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			flush()
			inWord = true
			cur.WriteRune(c)
		}
	}
	if quoted {
		return nil, errNoClosingQuote
	}
	flush()
	if inWord || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}
