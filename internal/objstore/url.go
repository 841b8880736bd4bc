package objstore

import (
	"fmt"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// URL is an s3://bucket/key URL. Key may be empty (the bucket root), end in
// "/" (a prefix) or contain the wildcard "*", which matches any run of
// characters, "/" included. No other character is special: "?", "[", "]",
// "#", "%" and the rest are part of the key. A key that contains a literal
// "*" is addressed with Literal set (the --raw flag).
type URL struct {
	Bucket string
	Key    string
	// Literal turns wildcard expansion off: "*" is an ordinary character.
	Literal bool
	// VersionID names one version of the object (reads, copies, deletes);
	// empty means the current one. It is not part of String's form.
	VersionID string
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

// Wildcard is the one wildcard character of s3:// URLs and local paths.
const Wildcard = "*"

// HasWildcard reports whether the key is a pattern to expand: it contains
// "*" and the URL is not Literal.
func (u URL) HasWildcard() bool { return !u.Literal && HasWildcard(u.Key) }

// Same reports whether u and v name the same bucket and key.
func (u URL) Same(v URL) bool { return u.Bucket == v.Bucket && u.Key == v.Key }

// HasWildcard reports whether s contains the wildcard "*".
func HasWildcard(s string) bool { return strings.Contains(s, Wildcard) }

// WildcardPrefix returns the part of a key before its first "*": the prefix
// to list when expanding it. Every key MatchKey accepts starts with it.
func WildcardPrefix(key string) string {
	if i := strings.Index(key, Wildcard); i >= 0 {
		return key[:i]
	}
	return key
}

// MatchKey reports whether key matches pattern, in which "*" matches any
// run of bytes, "/" included (as s5cmd and the AWS CLI's --include do, so
// s3://b/logs/*.gz matches logs/2026/a.gz), and every other byte matches
// only itself. A pattern without "*" matches exactly the key equal to it.
func MatchKey(pattern, key string) bool {
	chunks := strings.Split(pattern, Wildcard)
	if len(chunks) == 1 {
		return pattern == key
	}
	first, last := chunks[0], chunks[len(chunks)-1]
	if !strings.HasPrefix(key, first) {
		return false
	}
	rest := key[len(first):]
	// Each middle chunk at its leftmost place leaves the most room for the
	// ones after it, so a greedy scan decides the match.
	for _, c := range chunks[1 : len(chunks)-1] {
		i := strings.Index(rest, c)
		if i < 0 {
			return false
		}
		rest = rest[i+len(c):]
	}
	return strings.HasSuffix(rest, last)
}

// BaseName returns the last path element of a key ("a/b/c.txt" -> "c.txt").
func BaseName(key string) string {
	key = strings.TrimSuffix(key, "/")
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}
