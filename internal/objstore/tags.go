package objstore

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/fault"
)

// Tag is one tag of an object or a bucket. The JSON names are the AWS
// API's (a TagSet entry).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// S3's limits on tags.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// ValidateTags checks tags against S3's rules (at most 10 per object and 50
// per bucket, keys of 1 to 128 characters, values up to 256, no key twice)
// before they are sent.
func ValidateTags(tags []Tag, bucket bool) error {
	limit := maxObjectTags
	if bucket {
		limit = maxBucketTags
	}
	if len(tags) > limit {
		return fault.New(fault.Usage, fmt.Sprintf("%d tags: at most %d are allowed", len(tags), limit), "")
	}
	seen := map[string]bool{}
	for i, t := range tags {
		switch n := utf8.RuneCountInString(t.Key); {
		case n == 0:
			return fault.New(fault.Usage, fmt.Sprintf("tag %d: the key is empty", i+1), "")
		case n > maxTagKeyLen:
			return fault.New(fault.Usage, fmt.Sprintf("tag %q: the key is longer than %d characters", t.Key, maxTagKeyLen), "")
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen {
			return fault.New(fault.Usage, fmt.Sprintf("tag %q: the value is longer than %d characters", t.Key, maxTagValueLen), "")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return fault.New(fault.Usage, fmt.Sprintf("tag %q: keys starting with aws: are reserved", t.Key), "")
		}
		if seen[t.Key] {
			return fault.New(fault.Usage, fmt.Sprintf("tag %q is given twice", t.Key), "")
		}
		seen[t.Key] = true
	}
	return nil
}

// ParseTags parses tags written as a URL query, "k1=v1&k2=v2" (the form of
// the x-amz-tagging header and of the AWS CLI's --tagging).
func ParseTags(s string) ([]Tag, error) {
	var tags []Tag
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, "&") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fault.New(fault.Usage, fmt.Sprintf("tag %q: write tags as key=value, joined by &", part), "")
		}
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fault.New(fault.Usage, fmt.Sprintf("tag %q: %v", part, err), "")
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fault.New(fault.Usage, fmt.Sprintf("tag %q: %v", part, err), "")
		}
		tags = append(tags, Tag{Key: dk, Value: dv})
	}
	return tags, ValidateTags(tags, false)
}

// EncodeTags writes tags in the x-amz-tagging header's form, in order.
func EncodeTags(tags []Tag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = url.QueryEscape(t.Key) + "=" + url.QueryEscape(t.Value)
	}
	return strings.Join(parts, "&")
}

func toTags(ts []types.Tag) []Tag {
	out := make([]Tag, 0, len(ts))
	for _, t := range ts {
		out = append(out, Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	return out
}

func fromTags(ts []Tag) []types.Tag {
	out := make([]types.Tag, 0, len(ts))
	for _, t := range ts {
		out = append(out, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return out
}

// ObjectTags returns an object's tags (of versionID, or of the current
// version when it is empty), in the server's order; none is an empty list.
func (s *S3) ObjectTags(ctx context.Context, bucket, key, versionID string) ([]Tag, error) {
	out, err := s.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: VersionParam(versionID)})
	if err != nil {
		return nil, s.Translate("get tags of", URL{Bucket: bucket, Key: key}.String(), err)
	}
	return toTags(out.TagSet), nil
}

// PutObjectTags replaces an object's tags (all of them) with tags.
func (s *S3) PutObjectTags(ctx context.Context, bucket, key, versionID string, tags []Tag) error {
	if err := ValidateTags(tags, false); err != nil {
		return fmt.Errorf("set tags of %s: %w", URL{Bucket: bucket, Key: key}, err)
	}
	_, err := s.client.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: VersionParam(versionID),
		Tagging: &types.Tagging{TagSet: fromTags(tags)}})
	if err != nil {
		return s.Translate("set tags of", URL{Bucket: bucket, Key: key}.String(), err)
	}
	return nil
}

// DeleteObjectTags removes all of an object's tags.
func (s *S3) DeleteObjectTags(ctx context.Context, bucket, key, versionID string) error {
	_, err := s.client.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: VersionParam(versionID)})
	if err != nil {
		return s.Translate("delete tags of", URL{Bucket: bucket, Key: key}.String(), err)
	}
	return nil
}

// ParseTagSet reads tags from a {"TagSet": [{"Key": ..., "Value": ...}]}
// document (what aws s3api get-object-tagging prints); a malformed one
// names the line and field.
func ParseTagSet(data []byte) ([]Tag, error) {
	const doc = "tags"
	var t struct {
		TagSet    []types.Tag
		VersionId *string // in get-object-tagging's output; ignored
	}
	lines, err := decodeDoc(doc, data, &t)
	if err != nil {
		return nil, err
	}
	if _, ok := lines[".TagSet"]; !ok {
		return nil, docErr(doc, lines[""], "TagSet", "the field is missing")
	}
	tags := toTags(t.TagSet)
	if err := ValidateTags(tags, false); err != nil {
		return nil, docErr(doc, lines[".TagSet"], "TagSet", "%s", err.Error())
	}
	return tags, nil
}
