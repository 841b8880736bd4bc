package objstore

import (
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// FuzzParseURL checks that parsing never panics, that a malformed URL is a
// usage error, that what parses formats back to itself, and that every key
// is addressable: s3://bucket/ followed by any string names that string.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://bucket", "s3://bucket/", "s3://bucket/a/b.txt", "S3://Bucket_1/k", "s3://b", "s3:/b/k", "s3:bucket",
		"s3://bucket/x?z", "s3://bucket/x[1].txt", "s3://bucket/q?x=1&y#frag.txt", "s3://bucket//abs",
		"s3://bucket/100%25.txt", "s3://bucket/a\nb", "s3://bucket/ünï/cødé ✓.txt", "s3://bucket/logs/*.gz",
		"s3://my.bucket-1/a b/c", "s3://b@d/k", "", "s3://", "s3:///k", "s3://bucket/\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			if fault.KindOf(err) != fault.Usage {
				t.Fatalf("ParseURL(%q): error of kind %v, want usage: %v", s, fault.KindOf(err), err)
			}
		} else {
			if !IsS3(s) || ValidateBucketName(u.Bucket) != nil {
				t.Fatalf("ParseURL(%q) accepted %+v", s, u)
			}
			v, err := ParseURL(u.String())
			if err != nil || v != u {
				t.Fatalf("ParseURL(%q) = %+v, but its String %q parses to %+v, %v", s, u, u.String(), v, err)
			}
		}
		// Any string after s3://bucket/ is the key, byte for byte.
		k, err := ParseURL("s3://bucket/" + s)
		if err != nil || k.Bucket != "bucket" || k.Key != s {
			t.Fatalf("key %q not addressable: %+v, %v", s, k, err)
		}
		if (k.HasWildcard()) != strings.Contains(s, "*") {
			t.Fatalf("key %q: HasWildcard = %v", s, k.HasWildcard())
		}
		k.Literal = true
		if k.HasWildcard() {
			t.Fatalf("literal key %q counts as a wildcard", s)
		}
	})
}

// FuzzMatchKey checks MatchKey against a reference matcher and the
// promises the commands rely on: a pattern without "*" matches only
// itself, and a match always starts with the pattern's literal prefix (the
// prefix that is listed), so expansion never reaches outside it.
func FuzzMatchKey(f *testing.F) {
	for _, s := range [][2]string{
		{"logs/*.gz", "logs/2026/a.gz"}, {"logs/*.gz", "logs/a.txt"}, {"x?z", "xyz"}, {"x?z", "x?z"},
		{"x[1].txt", "x1.txt"}, {"x[1].txt", "x[1].txt"}, {"*", ""}, {"a*a", "a"}, {"**", "x"},
		{"a*b*c", "a-b-b-c"}, {"ü*✓", "ünï/cødé ✓"}, {`\*`, `\x`}, {"a\x00*", "a\x00b"}, {"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		got := MatchKey(pattern, key)
		if want := matchRef(pattern, key); got != want {
			t.Fatalf("MatchKey(%q, %q) = %v, reference says %v", pattern, key, got, want)
		}
		if !MatchKey(pattern, pattern) {
			t.Fatalf("pattern %q does not match itself", pattern)
		}
		if !HasWildcard(pattern) && got != (pattern == key) {
			t.Fatalf("MatchKey(%q, %q) = %v without a wildcard", pattern, key, got)
		}
		if got && !strings.HasPrefix(key, WildcardPrefix(pattern)) {
			t.Fatalf("MatchKey(%q, %q): a match outside the listed prefix %q", pattern, key, WildcardPrefix(pattern))
		}
	})
}

// matchRef is a plain dynamic-programming glob matcher over bytes, in which
// only "*" is special: the oracle for MatchKey.
func matchRef(pattern, key string) bool {
	// m[j]: pattern[:i] matches key[:j].
	m := make([]bool, len(key)+1)
	m[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(key)+1)
		if pattern[i] == '*' {
			seen := false
			for j := 0; j <= len(key); j++ {
				seen = seen || m[j]
				next[j] = seen
			}
		} else {
			for j := 1; j <= len(key); j++ {
				next[j] = m[j-1] && key[j-1] == pattern[i]
			}
		}
		m = next
	}
	return m[len(key)]
}
