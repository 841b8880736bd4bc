package creds

import (
	"errors"
	"runtime"
	"strings"
)

// splitCommand splits a credential_process value into a program and its
// arguments the way the AWS CLI (botocore's compat_shell_split) does: no
// shell is involved, so there are no pipes, redirections, variables or
// globbing. On Windows the rules of CommandLineToArgvW apply, elsewhere
// those of Python's shlex.split.
func splitCommand(s string) ([]string, error) {
	if runtime.GOOS == "windows" {
		return windowsSplit(s)
	}
	return shlexSplit(s)
}

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscapedChar  = errors.New("no escaped character after the final backslash")
)

// shlexSplit is Python's shlex.split(s) (POSIX mode, no comments):
// whitespace separates words; '...' is literal; inside "..." a backslash
// escapes only '"' and '\'; outside quotes a backslash escapes any
// character; adjacent quoted and unquoted parts join into one word, and an
// empty quoted string is an empty word.
func shlexSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errNoClosingQuote
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errNoClosingQuote
			}
		case '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, errNoEscapedChar
			}
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
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
