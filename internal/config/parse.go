package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Section kinds.
const (
	KindProfile    = "profile"     // [default] or [profile NAME]
	KindSSOSession = "sso-session" // [sso-session NAME]
	KindServices   = "services"    // [services NAME]
	KindOther      = ""            // any other section (ignored by the CLI)
)

// File is a parsed AWS shared config file. Its sections and keys are in file
// order; Lookup functions apply botocore's precedence rules.
type File struct {
	// Path is where the file was read from (and where Save writes).
	Path string
	// Sections in file order.
	Sections []*Section
	// Exists reports whether the file existed when it was read.
	Exists bool

	lines    []string // raw lines, for the editor
	defaults *Section // the [DEFAULT] section, whose keys every section inherits
}

// Section is one [header] and its keys.
type Section struct {
	Header string // the text between the brackets, trimmed
	Kind   string // KindProfile, KindSSOSession, KindServices or KindOther
	Name   string // the name after the kind (unquoted); "default" for [default]
	Keys   []*Key

	defaults *Section // the file's [DEFAULT] section, if any

	line    int // index of the header line
	endLine int // index one past the section's last key or comment line
}

// Key is one "key = value" entry. Value is literal: no quotes are removed,
// nothing after '#' or ';' is cut.
type Key struct {
	Name  string // lower-cased
	Value string // trimmed; multi-line values joined by "\n"
	// Nested holds the "k = v" lines of a nested block (a key with an empty
	// value followed by indented lines), as in [services] sections.
	Nested map[string]string

	line      int   // index of the key line
	endLine   int   // one past its last continuation line
	contLines []int // 1-based numbers of its continuation lines
}

// Get returns the value of key (case-insensitive) and whether it is set.
func (s *Section) Get(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	key = strings.ToLower(key)
	for _, k := range s.Keys {
		if k.Name == key {
			return k.Value, true
		}
	}
	if s.defaults != nil {
		return s.defaults.Get(key)
	}
	return "", false
}

// view returns the section's keys with the [DEFAULT] section's keys it
// does not set itself, as configparser's options() and get() see them.
func (s *Section) view() map[string]*Key {
	out := map[string]*Key{}
	if s.defaults != nil {
		for _, k := range s.defaults.Keys {
			out[k.Name] = k
		}
	}
	for _, k := range s.Keys {
		out[k.Name] = k
	}
	return out
}

// Value returns the value of key, or "" when it is not set.
func (s *Section) Value(key string) string {
	v, _ := s.Get(key)
	return v
}

// key returns the *Key named key.
func (s *Section) key(key string) *Key {
	key = strings.ToLower(key)
	for _, k := range s.Keys {
		if k.Name == key {
			return k
		}
	}
	return nil
}

// ParseError is a syntax error in the config file. botocore refuses such a
// file as a whole, and so does s3sso.
type ParseError struct {
	Path string
	Line int // 1-based
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("parse %s line %d: %s", e.Path, e.Line, e.Msg)
}

// DefaultPath returns the config file path: AWS_CONFIG_FILE (with
// environment variables and ~ expanded like Python's expandvars and
// expanduser) or ~/.aws/config.
func DefaultPath() string { return ConfigPath(nil) }

// DefaultCredentialsPath returns the shared credentials file path:
// AWS_SHARED_CREDENTIALS_FILE (expanded like DefaultPath) or
// ~/.aws/credentials. It has the config file's syntax (with bare section
// names), so Load checks it too.
func DefaultCredentialsPath() string { return CredentialsPath(nil) }

// Load reads the config file at path. A missing file is an empty File (with
// Exists false), as it is for the AWS CLI.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	f, err := Parse(path, string(b))
	if err != nil {
		return nil, err
	}
	f.Exists = true
	return f, nil
}

// Parse parses config file content; path is used in errors. The rules are
// those of Python's configparser.RawConfigParser as botocore uses it (strict,
// no inline comments, empty lines kept inside values), so that a file is
// read the same way or refused the same way as by the AWS CLI.
func Parse(path, content string) (*File, error) {
	lines := splitLines(content)
	f := &File{Path: path, lines: lines}
	if strings.HasPrefix(content, "\ufeff") {
		// Python decodes the file as UTF-8 and keeps the mark as a character
		// in front of the first header, which then is no header: the AWS CLI
		// refuses the file.
		return f, &ParseError{Path: path, Line: 1, Msg: "the file starts with a byte order mark (BOM), which the AWS CLI rejects; save it as UTF-8 without BOM"}
	}
	return f, f.parse()
}

// splitLines splits like Python's universal newlines: "\r\n", "\r" or "\n".
func splitLines(content string) []string {
	var lines []string
	for len(content) > 0 {
		i := strings.IndexAny(content, "\r\n")
		if i < 0 {
			lines = append(lines, content)
			break
		}
		lines = append(lines, content[:i])
		if content[i] == '\r' && i+1 < len(content) && content[i+1] == '\n' {
			i++
		}
		content = content[i+1:]
	}
	return lines
}

// pyIsSpace is Python's str.isspace for one character: Unicode white space
// plus the information separators U+001C..U+001F.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// defaultSection is configparser's DEFAULT section: its keys are defaults of
// every other section of the same file.
const defaultSection = "DEFAULT"

func (f *File) parse() error {
	f.Sections = nil
	f.defaults = nil
	seen := map[string]bool{}    // section headers
	seenKey := map[string]bool{} // header + "\x00" + key
	var cur *Section
	var curKey *Key
	keyIndent := 0
	blanks := 0 // empty lines since the current key's last line
	for i, raw := range f.lines {
		if !utf8.ValidString(raw) {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: "the line is not valid UTF-8, which the AWS CLI rejects; save the file as UTF-8"}
		}
		trimmed := pyStrip(raw)
		if trimmed == "" {
			if curKey != nil {
				blanks++
			}
			continue
		}
		if trimmed[0] == '#' || trimmed[0] == ';' {
			if cur != nil && curKey == nil {
				cur.endLine = i + 1
			}
			continue
		}
		indent := utf8.RuneCountInString(raw) - utf8.RuneCountInString(strings.TrimLeftFunc(raw, pyIsSpace))
		if curKey != nil && indent > keyIndent {
			// Continuation of the previous key's value (empty lines in
			// between are part of it); a value that starts empty is a
			// nested block (botocore's sub-sections).
			curKey.Value += strings.Repeat("\n", blanks+1) + trimmed
			curKey.contLines = append(curKey.contLines, i+1)
			blanks = 0
			curKey.endLine = i + 1
			cur.endLine = i + 1
			continue
		}
		blanks = 0
		if trimmed[0] == '[' {
			if end := strings.LastIndexByte(trimmed, ']'); end >= 2 {
				header := trimmed[1:end] // not trimmed: "[ default ]" is no [default]
				if seen[header] && header != defaultSection {
					return &ParseError{Path: f.Path, Line: i + 1, Msg: fmt.Sprintf("section %s appears more than once", quoteLine("["+header+"]"))}
				}
				seen[header] = true
				cur = &Section{Header: header, line: i, endLine: i + 1}
				cur.Kind, cur.Name = classifyHeader(header)
				f.Sections = append(f.Sections, cur)
				curKey = nil
				keyIndent = indent
				continue
			}
		}
		if cur == nil {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: "a line before the first [section]"}
		}
		d := strings.IndexAny(trimmed, "=:")
		name := ""
		if d >= 0 {
			name = strings.ToLower(strings.TrimRightFunc(trimmed[:d], pyIsSpace))
		}
		if name == "" {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: fmt.Sprintf("expected \"key = value\" in section %s", quoteLine("["+cur.Header+"]"))}
		}
		if seenKey[cur.Header+"\x00"+name] {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: fmt.Sprintf("key %q appears more than once in section %s", name, quoteLine("["+cur.Header+"]"))}
		}
		seenKey[cur.Header+"\x00"+name] = true
		curKey = &Key{Name: name, Value: pyStrip(trimmed[d+1:]), line: i, endLine: i + 1}
		keyIndent = indent
		cur.Keys = append(cur.Keys, curKey)
		cur.endLine = i + 1
	}
	return f.finish()
}

// finish joins multi-line values like configparser (trailing white space
// removed) and parses nested blocks like botocore: a value that starts with
// a line break holds "k = v" lines, each of which needs a '='.
func (f *File) finish() error {
	for _, s := range f.Sections {
		if s.Header != defaultSection {
			continue
		}
		// Every [DEFAULT] section of the file adds to the same defaults.
		if f.defaults == nil {
			f.defaults = &Section{Header: defaultSection}
		}
		f.defaults.Keys = append(f.defaults.Keys, s.Keys...)
	}
	for _, s := range f.Sections {
		if s.Header != defaultSection {
			s.defaults = f.defaults
		}
		for _, k := range s.Keys {
			k.Value = strings.TrimRightFunc(k.Value, pyIsSpace)
			k.Nested = nil
			if !strings.HasPrefix(k.Value, "\n") {
				continue
			}
			k.Nested = map[string]string{}
			n := 0
			for _, l := range strings.Split(k.Value, "\n") {
				l = pyStrip(l)
				if l == "" {
					continue
				}
				line := k.line + 1
				if n < len(k.contLines) {
					line = k.contLines[n]
				}
				n++
				nk, nv, ok := strings.Cut(l, "=")
				if !ok {
					return &ParseError{Path: f.Path, Line: line, Msg: fmt.Sprintf("expected \"key = value\" in the block under %q in section %s", k.Name, quoteLine("["+s.Header+"]"))}
				}
				k.Nested[pyStrip(nk)] = pyStrip(nv)
			}
		}
	}
	return nil
}

// quoteLine returns text from the file for an error message, unless it may
// hold a value (it has a delimiter, or is long): a line meant as
// "aws_secret_access_key = ..." must not end up on a terminal or in a log.
func quoteLine(s string) string {
	if strings.ContainsAny(s, "=:") || len(s) > 80 {
		return "(not shown: it looks like it holds a value)"
	}
	return strconv.Quote(s)
}

// classifyHeader returns the kind and name of a section header the way
// botocore's build_profile_map does: "default" exactly, else a header that
// starts with "profile", "sso-session" or "services" and splits (shlex) into
// exactly two words names the second word; the first word is not checked
// ("[profiles x]" is profile x). Anything else is ignored.
func classifyHeader(header string) (kind, name string) {
	for _, k := range []string{KindProfile, KindSSOSession, KindServices} {
		if !strings.HasPrefix(header, k) {
			continue
		}
		parts, err := ShlexSplit(header)
		if err != nil || len(parts) != 2 {
			return KindOther, header
		}
		return k, parts[1]
	}
	if header == "default" {
		return KindProfile, "default"
	}
	return KindOther, header
}

var (
	errNoClosingQuote = errors.New("no closing quotation")
	errNoEscapedChar  = errors.New("no escaped character after the final backslash")
)

// ShlexSplit is Python's shlex.split(s) (POSIX mode, no comments):
// whitespace separates words; '...' is literal; inside "..." a backslash
// escapes only '"' and '\'; outside quotes a backslash escapes any
// character; adjacent quoted and unquoted parts join into one word, and an
// empty quoted string is an empty word.
func ShlexSplit(s string) ([]string, error) {
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

// shlexQuote quotes s like Python's shlex.quote.
func shlexQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("@%+=:,./-_", r))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// section returns the last section of kind with name (botocore: a later
// section replaces an earlier one of the same name, e.g. [default] and
// [profile default]).
func (f *File) section(kind, name string) *Section {
	var found *Section
	for _, s := range f.Sections {
		if s.Kind == kind && s.Name == name {
			found = s
		}
	}
	return found
}

// Profile returns the profile section named name, or nil.
func (f *File) Profile(name string) *Section { return f.section(KindProfile, name) }

// SSOSession returns the [sso-session name] section, or nil.
func (f *File) SSOSession(name string) *Section { return f.section(KindSSOSession, name) }

// Services returns the [services name] section, or nil.
func (f *File) Services(name string) *Section { return f.section(KindServices, name) }

// Names returns the names of the sections of kind, in file order, without
// duplicates.
func (f *File) Names(kind string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range f.Sections {
		if s.Kind == kind && !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s.Name)
		}
	}
	return out
}
