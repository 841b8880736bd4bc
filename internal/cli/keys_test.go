package cli

import (
	"strconv"
	"strings"
	"testing"
)

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"plain/key.txt":     "plain/key.txt",
		"sp ace ü ✓ x?z[1]": "sp ace ü ✓ x?z[1]",
		`back\slash`:        `back\slash`,
		`a"b`:               `a"b`,
		"a\nb":              `"a\nb"`,
		"tab\there":         `"tab\there"`,
		"esc\x1b[31m":       `"esc\x1b[31m"`,
		"nbsp\u00a0":        `"nbsp\u00a0"`,
		"rtl\u202e":         `"rtl\u202e"`,
		"bad\xff":           `"bad\xff"`,
		`"quoted`:           `"\"quoted"`,
		`"a\nb"`:            `"\"a\\nb\""`,
		"":                  "",
	} {
		got := displayName(in)
		if got != want {
			t.Errorf("displayName(%q) = %s, want %s", in, got, want)
		}
		// Unambiguous: a quoted form unquotes to the name; a plain one is
		// the name and never starts with a quote.
		if strings.HasPrefix(got, `"`) {
			if back, err := strconv.Unquote(got); err != nil || back != in {
				t.Errorf("displayName(%q) = %s does not unquote to it: %q, %v", in, got, back, err)
			}
		} else if got != in {
			t.Errorf("displayName(%q) = %s changed a plain name", in, got)
		}
		if strings.ContainsAny(got, "\n\r\t\x1b") {
			t.Errorf("displayName(%q) = %q holds a control character", in, got)
		}
	}
}
