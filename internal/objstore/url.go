package objstore

import (
	"fmt"
	"path"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// URL is an s3://bucket/key URL. Key may be empty (the bucket root), end in
// "/" (a prefix) or contain the wildcards *, ? and [...].
type URL struct {
	Bucket string
	Key    string
}

// IsS3 reports whether s is meant as an S3 URL (it starts with s3:, in any case).
func IsS3(s string) bool {
	return len(s) >= 3 && strings.EqualFold(s[:3], "s3:")
}

// ParseURL parses s3://bucket[/key]. Malformed URLs are fault.Usage errors
// that say what is wrong.
func ParseURL(s string) (URL, error) {
	bad := func(why string) error {
		return &fault.Error{Kind: fault.Usage, Msg: fmt.Sprintf("malformed S3 URL %q: %s", s, why),
			Hint: "write S3 locations as s3://BUCKET or s3://BUCKET/KEY"}
	}
	if !IsS3(s) {
		return URL{}, bad("it must start with s3://")
	}
	rest, ok := strings.CutPrefix(s[3:], "//")
	if !ok {
		return URL{}, bad("it must start with s3://")
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return URL{}, bad("the bucket name is missing")
	}
	if err := ValidateBucketName(bucket); err != nil {
		return URL{}, bad(err.Error())
	}
	return URL{Bucket: bucket, Key: key}, nil
}

// ValidateBucketName checks the characters and length S3 and S3-compatible
// servers accept (legacy names with upper case and _ included).
func ValidateBucketName(b string) error {
	if len(b) < 3 {
		return fmt.Errorf("bucket name %q is shorter than 3 characters", b)
	}
	if len(b) > 255 {
		return fmt.Errorf("bucket name is longer than 255 characters")
	}
	for _, r := range b {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r >= 'A' && r <= 'Z':
		default:
			return fmt.Errorf("bucket name %q contains %q; use lower-case letters, digits, '.' and '-'", b, r)
		}
	}
	return nil
}

// String returns the URL in s3://bucket/key form.
func (u URL) String() string {
	if u.Key == "" {
		return "s3://" + u.Bucket
	}
	return "s3://" + u.Bucket + "/" + u.Key
}

// Join returns the URL of key rel under u treated as a prefix.
func (u URL) Join(rel string) URL {
	k := u.Key
	if k != "" && !strings.HasSuffix(k, "/") {
		k += "/"
	}
	return URL{Bucket: u.Bucket, Key: k + rel}
}

// IsPrefix reports whether u names a "directory": the bucket root or a key
// ending in "/".
func (u URL) IsPrefix() bool { return u.Key == "" || strings.HasSuffix(u.Key, "/") }

// HasWildcard reports whether the key contains *, ? or [.
func (u URL) HasWildcard() bool { return HasWildcard(u.Key) }

// HasWildcard reports whether s contains a glob metacharacter.
func HasWildcard(s string) bool { return strings.ContainsAny(s, "*?[") }

// WildcardPrefix returns the part of a key before its first wildcard: the
// prefix to list when expanding it.
func WildcardPrefix(key string) string {
	if i := strings.IndexAny(key, "*?["); i >= 0 {
		return key[:i]
	}
	return key
}

// MatchKey reports whether key matches the pattern. Unlike path.Match, "*"
// also matches "/" (as s5cmd and the AWS CLI's --include do), so
// s3://b/logs/*.gz matches logs/2026/a.gz.
func MatchKey(pattern, key string) (bool, error) {
	// Translate "*" to match across "/" by matching segment-free: replace
	// path.Match's notion of separator with a byte that cannot occur in keys.
	const sep = "\x00"
	p := strings.ReplaceAll(pattern, "/", sep)
	k := strings.ReplaceAll(key, "/", sep)
	ok, err := path.Match(p, k)
	if err != nil {
		return false, fault.Newf(fault.Usage, "bad wildcard pattern %q: %v", pattern, err)
	}
	return ok, nil
}

// BaseName returns the last path element of a key ("a/b/c.txt" -> "c.txt").
func BaseName(key string) string {
	key = strings.TrimSuffix(key, "/")
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}
