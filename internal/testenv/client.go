package testenv

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

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
	versions := s3.NewListObjectVersionsPaginator(client, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for versions.HasMorePages() {
		page, err := versions.NextPage(ctx)
		if err != nil {
			errs = append(errs, err)
			break
		}
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, v := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
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

// ctxTimeout returns a context for cleanup work, which runs after the test's
// own context has been cancelled.
func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}
