package objstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
)

// DocError is a malformed document: where (line, and the field as a path
// such as Rules[0].Expiration.Days) and what is wrong.
type DocError struct {
	Doc   string // "lifecycle configuration", "bucket policy", ...
	Line  int    // 1-based; 0 when unknown
	Field string // "" for the document as a whole
	Msg   string
}

func (e *DocError) Error() string {
	var b strings.Builder
	b.WriteString(e.Doc)
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// docErr returns a DocError wrapped as a usage error (for fault.Classify).
func docErr(doc string, line int, field, format string, args ...any) error {
	return &fault.Error{Kind: fault.Usage, Err: &DocError{Doc: doc, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}}
}

// node is a parsed JSON value with the line it starts on, so that a check
// of the value can name the line.
type node struct {
	line int
	kind byte // '{', '[', 's', 'n', 'b', '0' (null)
	keys []string
	vals map[string]*node
	arr  []*node
	str  string
	num  json.Number
	b    bool
}

// parseNodes parses data into a tree of nodes; syntax errors name the line.
func parseNodes(doc string, data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	lineAt := func(off int64) int {
		// Skip what separates the previous token from the next one.
		for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		return 1 + bytes.Count(data[:min(off, int64(len(data)))], []byte("\n"))
	}
	var parse func() (*node, error)
	parse = func() (*node, error) {
		line := lineAt(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxErr(doc, data, dec, err)
		}
		n := &node{line: line}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				n.kind, n.vals = '{', map[string]*node{}
				for dec.More() {
					kline := lineAt(dec.InputOffset())
					kt, err := dec.Token()
					if err != nil {
						return nil, syntaxErr(doc, data, dec, err)
					}
					k := kt.(string)
					if _, dup := n.vals[k]; dup {
						return nil, docErr(doc, kline, k, "the field is given twice")
					}
					val, err := parse()
					if err != nil {
						return nil, err
					}
					n.keys = append(n.keys, k)
					n.vals[k] = val
				}
			case '[':
				n.kind = '['
				for dec.More() {
					val, err := parse()
					if err != nil {
						return nil, err
					}
					n.arr = append(n.arr, val)
				}
			default:
				return nil, docErr(doc, line, "", "unexpected %q", string(v))
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return nil, syntaxErr(doc, data, dec, err)
			}
		case string:
			n.kind, n.str = 's', v
		case json.Number:
			n.kind, n.num = 'n', v
		case bool:
			n.kind, n.b = 'b', v
		case nil:
			n.kind = '0'
		}
		return n, nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, docErr(doc, 0, "", "the document is empty")
	}
	root, err := parse()
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, docErr(doc, lineAt(dec.InputOffset()), "", "unexpected text after the end of the JSON document")
	}
	return root, nil
}

func syntaxErr(doc string, data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off = int64(len(data))
		err = errors.New("the document ends too early (a } or ] is missing)")
	}
	line := 1 + bytes.Count(data[:min(off, int64(len(data)))], []byte("\n"))
	return docErr(doc, line, "", "not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

var timeType = reflect.TypeFor[time.Time]()

// check validates n against the SDK type t: field names exactly as the AWS
// API spells them, JSON types, and enum values (an SDK enum type lists its
// values). It records the line of every path in lines.
func check(doc string, n *node, t reflect.Type, path string, lines map[string]int) error {
	lines[path] = n.line
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.kind == '0' {
		return nil // null: as if absent
	}
	field := strings.TrimPrefix(path, ".")
	want := func(what string) error {
		return docErr(doc, n.line, field, "want %s, found %s", what, kindName(n))
	}
	switch {
	case t == timeType:
		if n.kind != 's' {
			return want("a date (2026-01-31T00:00:00Z)")
		}
		if _, err := parseDocTime(n.str); err != nil {
			return docErr(doc, n.line, field, "%q is not a date: write it as 2026-01-31T00:00:00Z", n.str)
		}
		return nil
	case t.Kind() == reflect.Struct:
		if n.kind != '{' {
			return want("an object")
		}
		for _, k := range n.keys {
			f, ok := t.FieldByName(k)
			if !ok || !f.IsExported() || f.Anonymous {
				return docErr(doc, n.vals[k].line, strings.TrimPrefix(path+"."+k, "."), "unknown field %q (known: %s)", k, strings.Join(fieldNames(t), ", "))
			}
			if err := check(doc, n.vals[k], f.Type, path+"."+k, lines); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Slice:
		if n.kind != '[' {
			return want("a list")
		}
		for i, e := range n.arr {
			if err := check(doc, e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lines); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.Map:
		if n.kind != '{' {
			return want("an object")
		}
		for _, k := range n.keys {
			if err := check(doc, n.vals[k], t.Elem(), path+"."+k, lines); err != nil {
				return err
			}
		}
		return nil
	case t.Kind() == reflect.String:
		if n.kind != 's' {
			return want("a string")
		}
		if vals := enumValues(t); len(vals) > 0 && !contains(vals, n.str) {
			return docErr(doc, n.line, field, "%q is not one of %s", n.str, strings.Join(vals, ", "))
		}
		return nil
	case t.Kind() == reflect.Bool:
		if n.kind != 'b' {
			return want("true or false")
		}
		return nil
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		if n.kind != 'n' {
			return want("a whole number")
		}
		if _, err := n.num.Int64(); err != nil {
			return docErr(doc, n.line, field, "%s is not a whole number", n.num)
		}
		return nil
	}
	return docErr(doc, n.line, field, "cannot check a value of type %s", t)
}

func kindName(n *node) string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 's':
		return fmt.Sprintf("the string %q", n.str)
	case 'n':
		return "the number " + n.num.String()
	case 'b':
		return fmt.Sprint(n.b)
	}
	return "null"
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && !f.Anonymous {
			names = append(names, f.Name)
		}
	}
	return names
}

// enumValues returns the values an SDK enum type lists (its Values method).
func enumValues(t reflect.Type) []string {
	m, ok := t.MethodByName("Values")
	if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.Slice {
		return nil
	}
	out := m.Func.Call([]reflect.Value{reflect.Zero(t)})[0]
	vals := make([]string, out.Len())
	for i := range vals {
		vals[i] = out.Index(i).String()
	}
	return vals
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func parseDocTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}

// decodeDoc parses data, checks it against v's type and decodes it into v
// (a pointer to an SDK type). It returns the lines of the paths it saw, for
// later checks that name a line.
func decodeDoc(doc string, data []byte, v any) (map[string]int, error) {
	n, err := parseNodes(doc, data)
	if err != nil {
		return nil, err
	}
	lines := map[string]int{}
	if err := check(doc, n, reflect.TypeOf(v), "", lines); err != nil {
		return nil, err
	}
	normalizeDates(n, reflect.TypeOf(v))
	if err := json.Unmarshal(n.marshal(), v); err != nil {
		return nil, docErr(doc, 0, "", "%v", err)
	}
	return lines, nil
}

// normalizeDates rewrites dates the JSON decoder does not read (a date
// without a time) as RFC 3339.
func normalizeDates(n *node, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType && n.kind == 's':
		if d, err := parseDocTime(n.str); err == nil {
			n.str = d.Format(time.RFC3339)
		}
	case t.Kind() == reflect.Struct && n.kind == '{':
		for _, k := range n.keys {
			if f, ok := t.FieldByName(k); ok {
				normalizeDates(n.vals[k], f.Type)
			}
		}
	case t.Kind() == reflect.Slice && n.kind == '[':
		for _, e := range n.arr {
			normalizeDates(e, t.Elem())
		}
	}
}

// marshal writes the node back as JSON.
func (n *node) marshal() []byte {
	var b bytes.Buffer
	n.write(&b)
	return b.Bytes()
}

func (n *node) write(b *bytes.Buffer) {
	switch n.kind {
	case '{':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			n.vals[k].write(b)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, e := range n.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			e.write(b)
		}
		b.WriteByte(']')
	case 's':
		sb, _ := json.Marshal(n.str)
		b.Write(sb)
	case 'n':
		b.WriteString(n.num.String())
	case 'b':
		fmt.Fprint(b, n.b)
	default:
		b.WriteString("null")
	}
}

// encodeDoc writes an SDK value as the AWS API's JSON: the members the
// value has (nil and empty strings left out), two-space indented, keys in
// order, ending in a newline.
func encodeDoc(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(prune(tree), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil || e == "" {
				delete(x, k)
				continue
			}
			x[k] = prune(e)
		}
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
	}
	return v
}

// Diff returns a line diff of a and b: lines only in a start with "-",
// lines only in b with "+", common ones with " ". Documents of settings are
// short, so a plain longest-common-subsequence table does.
func Diff(a, b string) string {
	al, bl := splitLines(a), splitLines(b)
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			out.WriteString("  " + al[i] + "\n")
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + bl[j] + "\n")
			j++
		default:
			out.WriteString("- " + al[i] + "\n")
			i++
		}
	}
	return out.String()
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
