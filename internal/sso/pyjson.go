package sso

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// pyField is one member of a JSON object, kept in order.
type pyField struct {
	Key   string
	Value any // string, json.Number, bool, nil, []any, []pyField (object), json.RawMessage
}

// pyDumps renders fields as Python's json.dumps does by default: one line,
// ", " and ": " separators, keys in the given order, non-ASCII as \uXXXX,
// '/' unescaped, no trailing newline.
func pyDumps(fields []pyField) ([]byte, error) {
	var b bytes.Buffer
	if err := pyWriteObject(&b, fields); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func pyWriteObject(b *bytes.Buffer, fields []pyField) error {
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		pyWriteString(b, f.Key)
		b.WriteString(": ")
		if err := pyWriteValue(b, f.Value); err != nil {
			return err
		}
	}
	b.WriteByte('}')
	return nil
}

func pyWriteValue(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		pyWriteString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(v.String())
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case []string:
		b.WriteByte('[')
		for i, s := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			pyWriteString(b, s)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := pyWriteValue(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []pyField:
		return pyWriteObject(b, v)
	case json.RawMessage:
		val, err := decodeOrdered(v)
		if err != nil {
			return err
		}
		return pyWriteValue(b, val)
	default:
		return fmt.Errorf("pyDumps: unsupported type %T", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func pyWriteString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r <= 0xffff):
				writeU(b, r)
			case r > 0xffff:
				r -= 0x10000
				writeU(b, 0xd800+(r>>10)&0x3ff)
				writeU(b, 0xdc00+r&0x3ff)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

func writeU(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[(r>>12)&0xf])
	b.WriteByte(hexDigits[(r>>8)&0xf])
	b.WriteByte(hexDigits[(r>>4)&0xf])
	b.WriteByte(hexDigits[r&0xf])
}

// decodeOrdered decodes JSON keeping object member order ([]pyField for
// objects) and numbers as written (json.Number).
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			fields := []pyField{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				fields = append(fields, pyField{Key: k, Value: v})
			}
			_, err := dec.Token()
			return fields, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil // string, json.Number, bool, nil
	}
}
