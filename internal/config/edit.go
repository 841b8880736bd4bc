package config

import (
	"fmt"
	"strings"

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
// in place (a nested block under a replaced key is removed); new keys are
// added after the section's last key. Every other line (comments, blank
// lines, other sections and keys) is kept as it is.
func (f *File) Set(kind, name string, kvs ...KV) error {
	s := f.section(kind, name)
	if s == nil {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1]) != "" {
			f.lines = append(f.lines, "")
		}
		f.lines = append(f.lines, "["+SectionHeader(kind, name)+"]")
		for _, kv := range kvs {
			f.lines = append(f.lines, kv.Key+" = "+kv.Value)
		}
		return f.parse()
	}
	for _, kv := range kvs {
		if strings.ContainsAny(kv.Value, "\n\r") || strings.ContainsAny(kv.Key, "\n\r=:[]") {
			return fmt.Errorf("set %s in [%s]: value or key contains a line break or delimiter", kv.Key, s.Header)
		}
		line := strings.ToLower(kv.Key) + " = " + kv.Value
		if k := s.key(kv.Key); k != nil {
			rest := append([]string{line}, f.lines[k.endLine:]...)
			f.lines = append(f.lines[:k.line], rest...)
		} else {
			at := s.endLine
			rest := append([]string{line}, f.lines[at:]...)
			f.lines = append(f.lines[:at], rest...)
		}
		if err := f.parse(); err != nil {
			return err
		}
		s = f.section(kind, name)
	}
	return nil
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
