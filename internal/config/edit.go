package config

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/s3sso/s3sso/internal/atomicfile"
)

// KV is a key and value to write.
type KV struct{ Key, Value string }

// SectionHeader returns the header text for a section of kind named name,
// quoting the name like `aws configure` (shlex.quote) when it needs it.
func SectionHeader(kind, name string) string {
	if kind == KindProfile && name == "default" {
		return "default"
	}
	return kind + " " + shlexQuote(name)
}

// Set writes keys into the section of kind named name, creating the section
// at the end of the file when it does not exist. Existing keys are replaced
// in place, at their indentation (a nested block or continuation lines under
// a replaced key are removed, comments among them are kept); new keys are
// added after the section's last key. Every other line (comments, blank
// lines, other sections and keys) is kept as it is. A key must be non-empty
// without surrounding space, line breaks, delimiters, brackets or a leading
// comment character, and values and names must be one line; otherwise Set
// changes nothing and returns an error.
func (f *File) Set(kind, name string, kvs ...KV) error {
	if strings.ContainsAny(name, "\n\r") {
		return fmt.Errorf("set [%s]: the name contains a line break", SectionHeader(kind, name))
	}
	for _, kv := range kvs {
		if err := checkKV(kv); err != nil {
			return fmt.Errorf("set %q in [%s]: %w", kv.Key, SectionHeader(kind, name), err)
		}
	}
	s := f.section(kind, name)
	if s == nil {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
			f.lines = append(f.lines, "")
		}
		f.lines = append(f.lines, "["+SectionHeader(kind, name)+"]")
		for _, kv := range kvs {
			f.lines = append(f.lines, strings.ToLower(kv.Key)+" = "+kv.Value)
		}
		return f.parse()
	}
	for _, kv := range kvs {
		line := strings.ToLower(kv.Key) + " = " + kv.Value
		if k := s.key(kv.Key); k != nil {
			// Keep the key's indentation, and the comments and blank lines
			// among its continuation lines.
			repl := []string{indentOf(f.lines[k.line]) + line}
			for _, l := range f.lines[k.line+1 : k.endLine] {
				if t := strings.TrimSpace(l); t == "" || t[0] == '#' || t[0] == ';' {
					repl = append(repl, l)
				}
			}
			f.lines = append(f.lines[:k.line], append(repl, f.lines[k.endLine:]...)...)
		} else {
			// Indented like the section's last key, so that it does not
			// continue that key and the next line does not continue it;
			// in a section without keys, like the next line.
			at := s.endLine
			indent := ""
			if len(s.Keys) > 0 {
				indent = indentOf(f.lines[s.Keys[len(s.Keys)-1].line])
			} else {
				for _, l := range f.lines[at:] {
					if t := strings.TrimSpace(l); t != "" && t[0] != '#' && t[0] != ';' {
						indent = indentOf(l)
						break
					}
				}
			}
			f.lines = append(f.lines[:at], append([]string{indent + line}, f.lines[at:]...)...)
		}
		if err := f.parse(); err != nil {
			return err
		}
		s = f.section(kind, name)
	}
	return nil
}

// checkKV reports whether kv can be written as one "key = value" line that
// parses back to the same key and (trimmed) value.
func checkKV(kv KV) error {
	switch {
	case kv.Key == "" || strings.TrimSpace(kv.Key) != kv.Key:
		return errors.New("the key is empty or has surrounding space")
	case strings.ContainsAny(kv.Key, "\n\r=:[]"):
		return errors.New("the key contains a line break, a delimiter or a bracket")
	case kv.Key[0] == '#' || kv.Key[0] == ';':
		return errors.New("the key starts with a comment character")
	case strings.ContainsAny(kv.Value, "\n\r"):
		return errors.New("the value contains a line break")
	}
	return nil
}

// indentOf returns the leading white space of line.
func indentOf(line string) string {
	return line[:len(line)-len(strings.TrimLeftFunc(line, unicode.IsSpace))]
}

// Bytes returns the file content.
func (f *File) Bytes() []byte {
	if len(f.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(f.lines, "\n") + "\n")
}

// Save writes the file atomically (a temporary file in the same directory,
// fsync, rename), keeping the existing file's mode, or 0600 for a new file
// in a directory created 0700.
func (f *File) Save() error {
	if err := atomicfile.WriteFile(f.Path, f.Bytes(), atomicfile.ExistingMode(f.Path, 0o600)); err != nil {
		return fmt.Errorf("save AWS config: %w", err)
	}
	f.Exists = true
	return nil
}
