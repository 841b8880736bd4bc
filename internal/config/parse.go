package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
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

	lines []string // raw lines, for the editor
}

// Section is one [header] and its keys.
type Section struct {
	Header string // the text between the brackets, trimmed
	Kind   string // KindProfile, KindSSOSession, KindServices or KindOther
	Name   string // the name after the kind (unquoted); "default" for [default]
	Keys   []*Key

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

	line    int // index of the key line
	endLine int // one past its last continuation line
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
	return "", false
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

// DefaultPath returns the config file path: AWS_CONFIG_FILE (with ~ and
// environment variables expanded) or ~/.aws/config.
func DefaultPath() string {
	if p := os.Getenv("AWS_CONFIG_FILE"); p != "" {
		return expandPath(p)
	}
	return filepath.Join(homeDir(), ".aws", "config")
}

// DefaultCredentialsPath returns the shared credentials file path:
// AWS_SHARED_CREDENTIALS_FILE (with ~ and environment variables expanded) or
// ~/.aws/credentials. It has the config file's syntax (with bare section
// names), so Load checks it too.
func DefaultCredentialsPath() string {
	if p := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); p != "" {
		return expandPath(p)
	}
	return filepath.Join(homeDir(), ".aws", "credentials")
}

func homeDir() string {
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func expandPath(p string) string {
	p = os.ExpandEnv(p)
	if p == "~" {
		return homeDir()
	}
	if strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		return filepath.Join(homeDir(), p[2:])
	}
	return p
}

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

// Parse parses config file content; path is used in errors.
func Parse(path, content string) (*File, error) {
	content = strings.TrimPrefix(content, "\ufeff")
	lines := strings.Split(content, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	f := &File{Path: path, lines: lines}
	return f, f.parse()
}

func (f *File) parse() error {
	f.Sections = nil
	seen := map[string]bool{}
	var curNames map[string]bool // the key names of cur
	var cur *Section
	var curKey *Key
	keyIndent := 0
	for i, raw := range f.lines {
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" {
			continue
		}
		if trimmed[0] == '#' || trimmed[0] == ';' {
			if cur != nil && curKey == nil {
				cur.endLine = i + 1
			}
			continue
		}
		indent := len(raw) - len(strings.TrimLeftFunc(raw, unicode.IsSpace))
		if curKey != nil && indent > keyIndent {
			// Continuation of the previous key's value: a nested block when
			// the key's own value is empty, else a multi-line value.
			if curKey.Value == "" {
				if curKey.Nested == nil {
					curKey.Nested = map[string]string{}
				}
				if k, v, ok := strings.Cut(trimmed, "="); ok {
					curKey.Nested[strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			} else {
				curKey.Value += "\n" + trimmed
			}
			curKey.endLine = i + 1
			cur.endLine = i + 1
			continue
		}
		if trimmed[0] == '[' {
			end := strings.LastIndexByte(trimmed, ']')
			if end < 2 {
				return &ParseError{Path: f.Path, Line: i + 1, Msg: "section header " + quoteLine(trimmed) + " is not closed with ]"}
			}
			header := strings.TrimSpace(trimmed[1:end])
			if seen[header] {
				return &ParseError{Path: f.Path, Line: i + 1, Msg: fmt.Sprintf("section %s appears more than once", quoteLine("["+header+"]"))}
			}
			seen[header] = true
			cur = &Section{Header: header, line: i, endLine: i + 1}
			curNames = map[string]bool{}
			cur.Kind, cur.Name = classifyHeader(header)
			f.Sections = append(f.Sections, cur)
			curKey = nil
			continue
		}
		if cur == nil {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: "key outside of any [section]"}
		}
		d := strings.IndexAny(trimmed, "=:")
		if d <= 0 {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: fmt.Sprintf("expected \"key = value\" in section %s", quoteLine("["+cur.Header+"]"))}
		}
		name := strings.ToLower(strings.TrimSpace(trimmed[:d]))
		if curNames[name] {
			return &ParseError{Path: f.Path, Line: i + 1, Msg: fmt.Sprintf("key %q appears more than once in section %s", name, quoteLine("["+cur.Header+"]"))}
		}
		curKey = &Key{Name: name, Value: strings.TrimSpace(trimmed[d+1:]), line: i, endLine: i + 1}
		keyIndent = indent
		curNames[name] = true
		cur.Keys = append(cur.Keys, curKey)
		cur.endLine = i + 1
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
// botocore's build_profile_map does.
func classifyHeader(header string) (kind, name string) {
	if header == "default" {
		return KindProfile, "default"
	}
	for _, k := range []string{KindProfile, KindSSOSession, KindServices} {
		if !strings.HasPrefix(header, k) {
			continue
		}
		parts, err := shlexSplit(header)
		if err != nil || len(parts) != 2 || parts[0] != k {
			return KindOther, header
		}
		return k, parts[1]
	}
	return KindOther, header
}

// shlexSplit splits s like Python's shlex.split (POSIX mode).
func shlexSplit(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("no closing quotation")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("no closing quotation")
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, errors.New("no escaped character")
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
