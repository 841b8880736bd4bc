package testenv

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Client returns an S3 client for the server, signed with its root
// credentials, using path-style addressing. It is the tests' independent view
// of the server, so nothing in the environment or the shared config files
// changes it: a test may point AWS_PROFILE at a missing or broken profile
// (config.LoadDefaultConfig would fail then) and still check the bucket.
// Its HTTP client is an awshttp.BuildableClient like s3sso's.
func (m *MinIO) Client(t testing.TB) *s3.Client {
	t.Helper()
	return m.rootClient()
}

// rootClient is [MinIO.Client] for callers without a test.
func (m *MinIO) rootClient() *s3.Client {
	cfg := aws.Config{
		Region:      m.Region,
		Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
		HTTPClient:  awshttp.NewBuildableClient(),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(m.Endpoint)
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

// NewBucket creates a bucket with a unique name derived from the test's name
// and returns the name. When the test ends, the bucket's objects, versions
// and unfinished multipart uploads are deleted and then the bucket itself.
func (m *MinIO) NewBucket(t testing.TB) string {
	t.Helper()
	client := m.Client(t)
	name := bucketName(t.Name())
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := deleteBucket(client, name); err != nil {
			t.Errorf("delete bucket %s: %v", name, err)
		}
	})
	return name
}

var notBucketChars = regexp.MustCompile(`[^a-z0-9]+`)

// bucketName turns a test name into a valid, unique bucket name:
// "t-<name>-<random>", lower case, at most 63 characters.
func bucketName(testName string) string {
	s := strings.Trim(notBucketChars.ReplaceAllString(strings.ToLower(testName), "-"), "-")
	if len(s) > 44 {
		s = strings.TrimRight(s[:44], "-")
	}
	return "t-" + s + "-" + randomHex(6)
}

// deleteBucket empties the bucket (all object versions, delete markers and
// multipart uploads) and deletes it.
func deleteBucket(client *s3.Client, bucket string) error {
	ctx, cancel := ctxTimeout()
	defer cancel()
	var errs []error
	// Keys come URL-encoded: XML 1.0 cannot carry every character a key
	// may hold (control characters), and such keys must be deleted too.
	in := &s3.ListObjectVersionsInput{Bucket: &bucket, EncodingType: types.EncodingTypeUrl}
	for more := true; more; {
		page, err := client.ListObjectVersions(ctx, in)
		if err != nil {
			errs = append(errs, err)
			break
		}
		if page.EncodingType == types.EncodingTypeUrl {
			unescapeInPlace(page.NextKeyMarker)
			for i := range page.Versions {
				unescapeInPlace(page.Versions[i].Key)
			}
			for i := range page.DeleteMarkers {
				unescapeInPlace(page.DeleteMarkers[i].Key)
			}
		}
		more = aws.ToBool(page.IsTruncated)
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, v := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		// A key XML 1.0 cannot carry is deleted on its own (its key goes in
		// the URL): in a DeleteObjects body it would become another key.
		ids = slices.DeleteFunc(ids, func(id types.ObjectIdentifier) bool {
			if xmlChars(aws.ToString(id.Key)) {
				return false
			}
			if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: id.Key, VersionId: id.VersionId}); err != nil {
				errs = append(errs, err)
			}
			return true
		})
		if len(ids) == 0 {
			continue
		}
		out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range out.Errors {
			errs = append(errs, errors.New(aws.ToString(e.Key)+": "+aws.ToString(e.Message)))
		}
	}
	uploads := s3.NewListMultipartUploadsPaginator(client, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	for uploads.HasMorePages() {
		page, err := uploads.NextPage(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		for _, u := range page.Uploads {
			if _, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: &bucket, Key: u.Key, UploadId: u.UploadId,
			}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// xmlChars reports whether s is valid UTF-8 of characters XML 1.0 allows.
func xmlChars(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// unescapeInPlace decodes a URL-encoded key of a listing.
func unescapeInPlace(p *string) {
	if p == nil {
		return
	}
	if v, err := url.QueryUnescape(*p); err == nil {
		*p = v
	}
}

// ctxTimeout returns a context for cleanup work, which runs after the test's
// own context has been cancelled.
func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}
