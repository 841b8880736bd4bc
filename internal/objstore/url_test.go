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
		{"logs/?.gz", "logs/a.gz", true},
		{"logs/?.gz", "logs/ab.gz", false},
		{"logs/[ab].gz", "logs/b.gz", true},
		{"logs/[ab].gz", "logs/c.gz", false},
		{"*", "any/thing", true},
	}
	for _, tc := range cases {
		got, err := MatchKey(tc.pattern, tc.key)
		if err != nil || got != tc.want {
			t.Errorf("MatchKey(%q, %q) = %v, %v; want %v", tc.pattern, tc.key, got, err, tc.want)
		}
	}
	if _, err := MatchKey("logs/[", "logs/x"); fault.KindOf(err) != fault.Usage {
		t.Errorf("bad pattern: %v", err)
	}
	if got := WildcardPrefix("logs/2026/*.gz"); got != "logs/2026/" {
		t.Errorf("WildcardPrefix = %q", got)
	}
	if got := BaseName("a/b/c.txt"); got != "c.txt" {
		t.Errorf("BaseName = %q", got)
	}
}
