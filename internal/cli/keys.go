package cli

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

// Keys and wildcards. In s3:// URLs (and local paths) only "*" is a
// wildcard; every other character, "?", "[", "]", "#", "%" included, is part
// of the key. --raw turns "*" into an ordinary character too, so that every
// key can be named exactly by every command.

// addRawFlag adds --raw to a command that takes s3:// URLs.
func addRawFlag(fs *pflag.FlagSet, raw *bool) {
	fs.BoolVar(raw, "raw", false, "take keys and paths exactly as written: * is not a wildcard (for keys that contain *)")
}

// rawHint is the hint of errors about a "*" where a single object is wanted.
const rawHint = "only * is a wildcard; to name a key that contains *, pass --raw"

// parseURL parses an s3:// argument; with raw its key is literal.
func parseURL(arg string, raw bool) (objstore.URL, error) {
	u, err := objstore.ParseURL(arg)
	u.Literal = raw
	return u, err
}

// parseLocation parses a cp, mv or sync argument; with raw its key or local
// path is literal.
func parseLocation(arg string, raw bool) (transfer.Location, error) {
	if raw {
		return transfer.ParseLiteralLocation(arg)
	}
	return transfer.ParseLocation(arg)
}

// oneObject checks that u names one object, as cat, stat and presign need.
func oneObject(verb string, u objstore.URL) error {
	switch {
	case u.HasWildcard():
		return fault.New(fault.Usage, fmt.Sprintf("%s takes one object, not the wildcard %s", verb, displayName(u.String())), rawHint)
	case u.IsPrefix():
		return usageError("%s takes one object, not the bucket or prefix %s", verb, displayName(u.String()))
	}
	return nil
}

// noWildcardTarget refuses a "*" in a destination: a destination names
// where to write, so a "*" there is either a mistake or a literal character
// (--raw).
func noWildcardTarget(verb string, dst transfer.Location) error {
	if dst.HasWildcard() {
		return fault.New(fault.Usage, fmt.Sprintf("%s: the destination %s contains *, which is a wildcard", verb, displayName(dst.String())), rawHint)
	}
	return nil
}

// displayName returns a key, URL or path as text output shows it: as it is
// when every character is printable and it does not start with a double
// quote; otherwise as a Go double-quoted string ("a\nb", "\x1b[31m",
// "nbsp\u00a0"), which strconv.Unquote turns back into the name. So a
// name never splits a line or drives the terminal, and a quoted name cannot
// be taken for a plain one (a plain name never starts with a quote).
// --json output carries names unchanged.
func displayName(s string) string {
	if needsQuoting(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsQuoting(s string) bool {
	if strings.HasPrefix(s, `"`) || !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
