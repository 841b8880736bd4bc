package objstore

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// minioStore returns a store on the shared MinIO and a fresh bucket.
func minioStore(t *testing.T) (*S3, *testenv.MinIO, string) {
	t.Helper()
	m := testenv.SharedMinIO(t)
	cfg := aws.Config{Region: m.Region, Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
		HTTPClient: awshttp.NewBuildableClient()}
	s, err := NewS3(cfg, S3Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return s, m, m.NewBucket(t)
}

// versionedBucket is minioStore with versioning turned on.
func versionedBucket(t *testing.T) (*S3, *testenv.MinIO, string) {
	t.Helper()
	s, m, b := minioStore(t)
	_, err := m.Client(t).PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	return s, m, b
}

func putBody(t *testing.T, c *s3.Client, bucket, key, body string) string {
	t.Helper()
	out, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VersionId)
}

func getBody(t *testing.T, c *s3.Client, bucket, key, version string) string {
	t.Helper()
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: VersionParam(version)})
	if err != nil {
		t.Fatalf("get %s@%s: %v", key, version, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

func listAll(t *testing.T, s *S3, bucket, prefix string) []Version {
	t.Helper()
	var vs []Version
	if err := s.ListVersions(t.Context(), bucket, prefix, func(v Version) error { vs = append(vs, v); return nil }); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestVersionsRestoreDelete writes three versions and a delete marker,
// lists them (newest first, the marker included, a key XML cannot carry
// too), restores the first on top, and deletes versions for good.
func TestVersionsRestoreDelete(t *testing.T) {
	s, m, b := versionedBucket(t)
	c := m.Client(t)
	ctx := t.Context()
	v1 := putBody(t, c, b, "doc.txt", "one")
	v2 := putBody(t, c, b, "doc.txt", "two!")
	putBody(t, c, b, "other\x01key", "x")
	if v1 == "" || v1 == v2 {
		t.Fatalf("versioning is not on: version ids %q %q", v1, v2)
	}
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("doc.txt")})
	if err != nil {
		t.Fatal(err)
	}
	marker := aws.ToString(del.VersionId)

	vs := listAll(t, s, b, "")
	if len(vs) != 4 {
		t.Fatalf("versions = %+v, want 4", vs)
	}
	want := []struct {
		id     string
		latest bool
		marker bool
		size   int64
	}{{marker, true, true, 0}, {v2, false, false, 4}, {v1, false, false, 3}}
	for i, w := range want {
		v := vs[i]
		if v.Key != "doc.txt" || v.VersionID != w.id || v.IsLatest != w.latest || v.DeleteMarker != w.marker || v.Size != w.size {
			t.Errorf("version %d = %+v, want %+v", i, v, w)
		}
	}
	if vs[3].Key != "other\x01key" || !vs[3].IsLatest {
		t.Errorf("last version = %+v, want the key with a control character", vs[3])
	}
	if got := listAll(t, s, b, "other"); len(got) != 1 {
		t.Errorf("prefix other: %+v", got)
	}

	// Old versions read through the store's head and the SDK's get.
	info, err := s.Head(ctx, URL{Bucket: b, Key: "doc.txt", VersionID: v1})
	if err != nil || info.Size != 3 || info.VersionID != v1 {
		t.Fatalf("head v1 = %+v, %v", info, err)
	}
	if _, err := s.Head(ctx, URL{Bucket: b, Key: "doc.txt"}); err == nil {
		t.Fatal("head of a deleted key succeeded")
	}

	// Restoring a delete marker is refused with a usage error.
	if _, err := s.RestoreVersion(ctx, b, "doc.txt", marker); fault.KindOf(err) != fault.Usage || !strings.Contains(err.Error(), "delete marker") {
		t.Fatalf("restore of a delete marker: %v", err)
	}
	if _, err := s.RestoreVersion(ctx, b, "doc.txt", ""); fault.KindOf(err) != fault.Usage {
		t.Fatalf("restore without a version: %v", err)
	}
	nv, err := s.RestoreVersion(ctx, b, "doc.txt", v1)
	if err != nil {
		t.Fatal(err)
	}
	if nv == "" || nv == v1 {
		t.Fatalf("restore returned version %q", nv)
	}
	if got := getBody(t, c, b, "doc.txt", ""); got != "one" {
		t.Fatalf("after restore the object is %q, want one", got)
	}
	vs = listAll(t, s, b, "doc")
	if len(vs) != 4 || vs[0].VersionID != nv || !vs[0].IsLatest || vs[1].VersionID != marker {
		t.Fatalf("after restore: %+v", vs)
	}

	// Deleting versions for good: the marker, then v2.
	if err := s.DeleteVersion(ctx, b, "doc.txt", marker); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVersion(ctx, b, "doc.txt", v2); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteVersion(ctx, b, "doc.txt", ""); fault.KindOf(err) != fault.Usage {
		t.Fatalf("delete without a version: %v", err)
	}
	vs = listAll(t, s, b, "doc")
	if len(vs) != 2 || vs[0].VersionID != nv || vs[1].VersionID != v1 {
		t.Fatalf("after deletes: %+v", vs)
	}
}

// TestListVersionsPages lists more versions than fit in one page, so the
// key and version markers are followed (with a key that needs encoding on
// a page boundary).
func TestListVersionsPages(t *testing.T) {
	s, m, b := versionedBucket(t)
	c := m.Client(t)
	versionsPageSize = aws.Int32(7)
	t.Cleanup(func() { versionsPageSize = nil })
	keys := []string{"a b", "a+b", "a%b", "a\x02b", "c"}
	for _, k := range keys {
		for range 10 {
			putBody(t, c, b, k, "v")
		}
	}
	n := map[string]int{}
	var prev Version
	err := s.ListVersions(t.Context(), b, "", func(v Version) error {
		n[v.Key]++
		if prev.Key == v.Key && v.LastModified.After(prev.LastModified) {
			t.Errorf("%s: version %s is newer than the one before it", v.Key, v.VersionID)
		}
		prev = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if n[k] != 10 {
			t.Errorf("key %q: %d versions listed, want 10", k, n[k])
		}
	}
	if len(n) != len(keys) {
		t.Errorf("keys listed: %v", n)
	}
	// An error from fn stops the listing and comes back as it is.
	stop := io.ErrClosedPipe
	calls := 0
	if err := s.ListVersions(t.Context(), b, "", func(Version) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("fn error: %v after %d calls", err, calls)
	}
}

// TestObjectTags sets, reads and deletes tags of the current and of an
// older version.
func TestObjectTags(t *testing.T) {
	s, m, b := versionedBucket(t)
	c := m.Client(t)
	ctx := t.Context()
	v1 := putBody(t, c, b, "k", "1")
	putBody(t, c, b, "k", "2")
	tags := []Tag{{"project", "blue sky"}, {"owner", "a+b=c @x.y"}}
	if err := s.PutObjectTags(ctx, b, "k", v1, tags); err != nil {
		t.Fatal(err)
	}
	got, err := s.ObjectTags(ctx, b, "k", v1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !hasTag(got, tags[0]) || !hasTag(got, tags[1]) {
		t.Fatalf("tags of v1 = %+v", got)
	}
	if cur, err := s.ObjectTags(ctx, b, "k", ""); err != nil || len(cur) != 0 {
		t.Fatalf("tags of the current version = %+v, %v", cur, err)
	}
	if err := s.PutObjectTags(ctx, b, "k", "", []Tag{{"aws:x", "1"}}); fault.KindOf(err) != fault.Usage {
		t.Fatalf("reserved key: %v", err)
	}
	if err := s.DeleteObjectTags(ctx, b, "k", v1); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ObjectTags(ctx, b, "k", v1); err != nil || len(got) != 0 {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	if _, err := s.ObjectTags(ctx, b, "missing", ""); !IsNotFound(err) {
		t.Fatalf("tags of a missing key: %v", err)
	}
}

func hasTag(tags []Tag, t Tag) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

func TestParseTags(t *testing.T) {
	tags, err := ParseTags("a=1&b%20c=x%26y&empty=")
	if err != nil {
		t.Fatal(err)
	}
	want := []Tag{{"a", "1"}, {"b c", "x&y"}, {"empty", ""}}
	if len(tags) != len(want) {
		t.Fatalf("%+v", tags)
	}
	for i := range want {
		if tags[i] != want[i] {
			t.Fatalf("tag %d = %+v, want %+v", i, tags[i], want[i])
		}
	}
	if back, _ := ParseTags(EncodeTags(tags)); len(back) != 3 || back[1] != want[1] {
		t.Fatalf("round trip: %+v", back)
	}
	for _, bad := range []string{"novalue", "a=1&a=2", "=x", strings.Repeat("k", 129) + "=v", "a=%zz"} {
		if _, err := ParseTags(bad); fault.KindOf(err) != fault.Usage {
			t.Errorf("ParseTags(%q) = %v, want a usage error", bad, err)
		}
	}
	many := strings.TrimSuffix(strings.Repeat("k=v&", 11), "&")
	if _, err := ParseTags(many); err == nil {
		t.Error("11 tags accepted")
	}
}

// TestRestoreVersionMultipart restores a version through the multipart
// path (the size threshold lowered for the test), keeping metadata and
// tags.
func TestRestoreVersionMultipart(t *testing.T) {
	s, m, b := versionedBucket(t)
	c := m.Client(t)
	ctx := t.Context()
	body := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16)
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("big"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/x-test"), Metadata: map[string]string{"owner": "ann"}, Tagging: aws.String("t=1")})
	if err != nil {
		t.Fatal(err)
	}
	v1 := aws.ToString(out.VersionId)
	putBody(t, c, b, "big", "small now")
	restore := func(max, part int64) {
		oldMax, oldPart := maxCopySize, restorePartSize
		maxCopySize, restorePartSize = max, part
		defer func() { maxCopySize, restorePartSize = oldMax, oldPart }()
		if _, err := s.RestoreVersion(ctx, b, "big", v1); err != nil {
			t.Fatal(err)
		}
	}
	restore(5<<20, 5<<20)
	if got := getBody(t, c, b, "big", ""); got != string(body) {
		t.Fatalf("restored body differs (%d bytes)", len(got))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.Trim(aws.ToString(head.ETag), `"`), "-3") {
		t.Errorf("ETag %s: want a 3-part copy", aws.ToString(head.ETag))
	}
	if aws.ToString(head.ContentType) != "application/x-test" || head.Metadata["owner"] != "ann" {
		t.Errorf("metadata not kept: %q %v", aws.ToString(head.ContentType), head.Metadata)
	}
	if tags, err := s.ObjectTags(ctx, b, "big", ""); err != nil || len(tags) != 1 || tags[0] != (Tag{"t", "1"}) {
		t.Errorf("tags not kept: %+v %v", tags, err)
	}
}

// TestVersionedPresign presigns a GET of an older version; a plain HTTP
// client reads that version's bytes.
func TestVersionedPresign(t *testing.T) {
	s, m, b := versionedBucket(t)
	c := m.Client(t)
	v1 := putBody(t, c, b, "p", "old")
	putBody(t, c, b, "p", "new")
	u, err := s.PresignGet(t.Context(), URL{Bucket: b, Key: "p", VersionID: v1}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(got) != "old" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, got)
	}
}
