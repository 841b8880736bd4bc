package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// model is what a parsed file means: its sections and their keys, without
// line positions.
type modelSection struct {
	Header, Kind, Name string
	Keys               []modelKey
}

type modelKey struct {
	Name, Value string
	Nested      map[string]string
}

func model(f *File) []modelSection {
	var out []modelSection
	for _, s := range f.Sections {
		ms := modelSection{Header: s.Header, Kind: s.Kind, Name: s.Name}
		for _, k := range s.Keys {
			mk := modelKey{Name: k.Name, Value: k.Value}
			if len(k.Nested) > 0 {
				mk.Nested = k.Nested
			}
			ms.Keys = append(ms.Keys, mk)
		}
		out = append(out, ms)
	}
	return out
}

// comments returns the comment lines of content, trimmed, in order.
func comments(lines []string) []string {
	var out []string
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && (t[0] == '#' || t[0] == ';') {
			out = append(out, t)
		}
	}
	return out
}

var fuzzKinds = []string{KindProfile, KindSSOSession, KindServices}

// FuzzParseEdit checks the parser and the editor together: parse errors
// name a line of the file and repeat no value; a parsed file written back
// unchanged parses to the same model; after Set (an existing or a new
// section, an existing or a new key) the written file parses to exactly the
// model with that one change, and keeps every comment.
func FuzzParseEdit(f *testing.F) {
	f.Add(fixture, uint8(0), "dev", "sso_role_name", "Admin")
	f.Add(fixture, uint8(0), "dev", "output", "json")
	f.Add(fixture, uint8(2), "local", "s3", "x")
	f.Add(fixture, uint8(1), "new one", "sso_region", "eu-west-1")
	f.Add(fixture, uint8(0), "default", "region", " spaced value ")
	f.Add("", uint8(0), "p", "region", "x")
	f.Add("[default]\r\nregion = a\r\n# c\r\n", uint8(0), "default", "REGION", "b")
	f.Add("\ufeff[profile a]\n  x = 1\n  y = 2\n", uint8(0), "a", "x", "3")
	f.Add("[services s]\ns3 =\n  # the endpoint\n  endpoint_url = http://x\n", uint8(2), "s", "s3", "")
	f.Add("[profile a]\nk = v\n  continued\n; trailing\n", uint8(0), "a", "k", "w")
	f.Add("[profile a]\nx=1\n[profile a]\n", uint8(0), "a", "x", "2")
	f.Add("[profile 'it''s']\nk: v\n", uint8(0), "it's", "k", "v;#w")
	f.Add("[default\naws_secret_access_key = s\n", uint8(0), "default", "k", "v")
	f.Fuzz(func(t *testing.T, content string, kindSel uint8, name, key, value string) {
		// Errors never repeat a value: with every value replaced by a
		// marker, no error shows the marker.
		if _, err := Parse("config", withMarkedValues(content)); err != nil && strings.Contains(err.Error(), valueMarker) {
			t.Fatalf("the error repeats a value: %v", err)
		}

		file, err := Parse("config", content)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *ParseError: %v", err)
			}
			if n := max(1, len(splitLines(content))); pe.Line < 1 || pe.Line > n {
				t.Fatalf("line %d outside the file's %d lines: %v", pe.Line, n, err)
			}
			return
		}
		before := model(file)
		lines := append([]string(nil), file.lines...)

		again, err := Parse("config", string(file.Bytes()))
		if err != nil {
			t.Fatalf("the file written back unchanged does not parse: %v\n%q", err, file.Bytes())
		}
		if !reflect.DeepEqual(model(again), before) {
			t.Fatalf("written back unchanged, the model changed:\n%#v\n%#v", model(again), before)
		}

		kind := fuzzKinds[int(kindSel)%len(fuzzKinds)]
		if err := file.Set(kind, name, KV{key, value}); err != nil {
			if !slices.Equal(file.lines, lines) {
				t.Fatalf("a refused Set changed the file: %v", err)
			}
			return
		}
		out := string(file.Bytes())
		edited, err := Parse("config", out)
		if err != nil {
			t.Fatalf("the edited file does not parse: %v\n%q", err, out)
		}
		want := expectSet(before, kind, name, key, value)
		if got := model(edited); !reflect.DeepEqual(got, want) {
			t.Fatalf("after Set(%q, %q, %q=%q):\ngot  %#v\nwant %#v\nfile %q", kind, name, key, value, got, want, out)
		}
		if got, want := comments(edited.lines), comments(lines); !reflect.DeepEqual(got, want) {
			t.Fatalf("comments changed:\ngot  %q\nwant %q", got, want)
		}
		if s := edited.section(kind, name); s == nil || s.Value(key) != pyStrip(value) {
			t.Fatalf("Set value not readable: %v", s)
		}
	})
}

// expectSet applies Set's documented effect to a model.
func expectSet(m []modelSection, kind, name, key, value string) []modelSection {
	out := make([]modelSection, len(m))
	for i, s := range m {
		out[i] = s
		out[i].Keys = append([]modelKey(nil), s.Keys...)
	}
	k := modelKey{Name: strings.ToLower(key), Value: pyStrip(value)}
	for i := len(out) - 1; i >= 0; i-- {
		s := &out[i]
		if s.Kind != kind || s.Name != name {
			continue
		}
		for j := range s.Keys {
			if s.Keys[j].Name == k.Name {
				s.Keys[j] = k
				return out
			}
		}
		s.Keys = append(s.Keys, k)
		return out
	}
	return append(out, modelSection{Header: SectionHeader(kind, name), Kind: kind, Name: name, Keys: []modelKey{k}})
}

// valueMarker stands for every value in withMarkedValues; the fuzzer never
// sees it, so it cannot appear in a key name or header by chance.
const valueMarker = "Zq9MARKEDVALUEq9Z"

// withMarkedValues replaces the text after the first delimiter of every line
// that is not a comment (section headers included: a header line missing its
// "]" may be a "key = value" line) by valueMarker.
func withMarkedValues(content string) string {
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if d := strings.IndexAny(l, "=:"); d >= 0 {
			lines[i] = l[:d+1] + " " + valueMarker
		}
	}
	return strings.Join(lines, "\n")
}
