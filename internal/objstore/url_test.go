package objstore

import (
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

func TestParseURL(t *testing.T) {
	good := []struct {
		in           string
		bucket, key  string
		prefix, wild bool
	}{
		{"s3://bucket", "bucket", "", true, false},
		{"s3://bucket/", "bucket", "", true, false},
		{"s3://bucket/a/b.txt", "bucket", "a/b.txt", false, false},
		{"s3://bucket/dir/", "bucket", "dir/", true, false},
		{"S3://bucket/k", "bucket", "k", false, false},
		{"s3://bucket/logs/*.gz", "bucket", "logs/*.gz", false, true},
		{"s3://my.bucket-1/a b/c", "my.bucket-1", "a b/c", false, false},
		{"s3://bucket/x?z", "bucket", "x?z", false, false},
		{"s3://bucket/x[1].txt", "bucket", "x[1].txt", false, false},
		{"s3://bucket/q?x=1&y#frag.txt", "bucket", "q?x=1&y#frag.txt", false, false},
		{"s3://bucket//abs", "bucket", "/abs", false, false},
	}
	for _, tc := range good {
		u, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if u.Bucket != tc.bucket || u.Key != tc.key || u.IsPrefix() != tc.prefix || u.HasWildcard() != tc.wild {
			t.Errorf("ParseURL(%q) = %+v prefix=%v wild=%v", tc.in, u, u.IsPrefix(), u.HasWildcard())
		}
	}
	for _, in := range []string{"", "bucket/key", "s3:/bucket", "s3:bucket", "s3://", "s3:///key", "s3://ab", "s3://b@d/k", "s3://sp ace/k"} {
		_, err := ParseURL(in)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted a malformed URL", in)
			continue
		}
		if fault.KindOf(err) != fault.Usage {
			t.Errorf("ParseURL(%q): kind %v, want usage", in, fault.KindOf(err))
		}
	}
}

func TestURLStringAndJoin(t *testing.T) {
	u := URL{Bucket: "b", Key: "dir"}
	if got := u.Join("x/y").String(); got != "s3://b/dir/x/y" {
		t.Errorf("Join = %s", got)
	}
	if got := (URL{Bucket: "b"}).Join("k").String(); got != "s3://b/k" {
		t.Errorf("Join at root = %s", got)
	}
	if got := (URL{Bucket: "b", Key: "p/"}).Join("k").String(); got != "s3://b/p/k" {
		t.Errorf("Join under prefix = %s", got)
	}
}

func TestMatchKey(t *testing.T) {
	cases := []struct {
		pattern, key string
		want         bool
	}{
		{"logs/*.gz", "logs/a.gz", true},
		{"logs/*.gz", "logs/2026/a.gz", true}, // * crosses "/"
		{"logs/*.gz", "logs/a.txt", false},
		{"logs/*.gz", "logs/.gz", true},
		{"logs/*.gz", "logs.gz", false},
		{"*", "any/thing", true},
		{"*", "", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "a-b-b-c", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false}, // the suffix may not reuse the prefix
		{"a*a", "aa", true},
		{"**", "x", true},
		// Only * is a wildcard: ?, [ and ] are the characters themselves.
		{"x?z", "x?z", true},
		{"x?z", "xyz", false},
		{"x[1].txt", "x[1].txt", true},
		{"x[1].txt", "x1.txt", false},
		{"logs/[ab].gz", "logs/b.gz", false},
		{"logs/[", "logs/[", true},
		{`back\*slash`, `back\slash`, true}, // no escapes either
		{"q?x=1&y#frag.txt", "q?x=1&y#frag.txt", true},
		{"ü*✓", "ünï/cødé ✓", true},
	}
	for _, tc := range cases {
		if got := MatchKey(tc.pattern, tc.key); got != tc.want {
			t.Errorf("MatchKey(%q, %q) = %v; want %v", tc.pattern, tc.key, got, tc.want)
		}
	}
	for key, want := range map[string]string{"logs/2026/*.gz": "logs/2026/", "x?z*": "x?z", "a[1]": "a[1]", "*": ""} {
		if got := WildcardPrefix(key); got != want {
			t.Errorf("WildcardPrefix(%q) = %q, want %q", key, got, want)
		}
	}
	if got := BaseName("a/b/c.txt"); got != "c.txt" {
		t.Errorf("BaseName = %q", got)
	}
}

func TestOnlyStarIsAWildcard(t *testing.T) {
	for _, k := range []string{"x?z", "x[1].txt", "a]b", "q?x=1&y#frag.txt", "100%.txt", "sp ace"} {
		if (URL{Bucket: "b", Key: k}).HasWildcard() {
			t.Errorf("%q counts as a wildcard", k)
		}
	}
	if !(URL{Bucket: "b", Key: "a*b"}).HasWildcard() {
		t.Error("a*b is not a wildcard")
	}
	if (URL{Bucket: "b", Key: "a*b", Literal: true}).HasWildcard() {
		t.Error("a literal (--raw) URL counts as a wildcard")
	}
}
