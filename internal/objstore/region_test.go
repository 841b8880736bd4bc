package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

func TestRegionCacheBoundedAndConcurrent(t *testing.T) {
	c := newRegionCache(8)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				b := fmt.Sprintf("b%d", i%20)
				c.set(b, fmt.Sprintf("r%d", g))
				c.get(b)
				if i%7 == 0 {
					c.forget(b)
				}
			}
		}()
	}
	wg.Wait()
	if n := c.len(); n > 8 {
		t.Fatalf("cache holds %d buckets, bound is 8", n)
	}
	c.set("x", "eu-west-1")
	if r, ok := c.get("x"); !ok || r != "eu-west-1" {
		t.Fatalf("get x = %q %v", r, ok)
	}
	for i := range 8 {
		c.set(fmt.Sprintf("y%d", i), "us-east-1")
	}
	if _, ok := c.get("x"); ok {
		t.Fatal("the oldest bucket was not forgotten")
	}
}

// regionStore is an S3 for the router, configured for us-east-1.
func regionStore(t *testing.T, rg *testenv.Regions) *S3 {
	t.Helper()
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(rg.AccessKey, rg.SecretKey, ""),
		HTTPClient:  awshttp.NewBuildableClient(),
	}
	s, err := NewS3(cfg, S3Options{EndpointURL: rg.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requestsFor returns the recorded requests naming bucket.
func requestsFor(rg *testenv.Regions, bucket string) []testenv.RegionRequest {
	var out []testenv.RegionRequest
	for _, r := range rg.Requests() {
		if r.Bucket == bucket {
			out = append(out, r)
		}
	}
	return out
}

// TestBucketInOtherRegion: a client configured for us-east-1 works on a
// bucket in eu-west-1 behind the same endpoint name: the first request is
// answered 301 PermanentRedirect with x-amz-bucket-region, as S3 does, the
// request is sent again signed for eu-west-1, and every later operation on
// that bucket (of every kind, presigned URLs included) goes straight there.
func TestBucketInOtherRegion(t *testing.T) {
	rg := testenv.StartRegions(t, testenv.RegionsOptions{}, "us-east-1", "eu-west-1")
	us := rg.NewBucket(t, "us-east-1")
	eu := rg.NewBucket(t, "eu-west-1")
	s := regionStore(t, rg)
	ctx := context.Background()
	c := s.Client()

	// PutObject first: its body must be sent twice.
	body := bytes.Repeat([]byte("region "), 1000)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(eu), Key: aws.String("a.txt"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put to the eu-west-1 bucket: %v", err)
	}
	reqs := requestsFor(rg, eu)
	if len(reqs) != 2 || reqs[0].Status != 301 || reqs[0].Region != "us-east-1" || reqs[1].Status != 200 || reqs[1].Region != "eu-west-1" {
		t.Fatalf("first put: want a 301 for us-east-1, then 200 for eu-west-1; requests: %v", reqs)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(us), Key: aws.String("src.txt"), Body: strings.NewReader("from us")}); err != nil {
		t.Fatal(err)
	}

	// Every other kind of operation.
	info, err := s.Head(ctx, URL{Bucket: eu, Key: "a.txt"})
	if err != nil || info.Size != int64(len(body)) {
		t.Fatalf("head: %v %+v", err, info)
	}
	var keys []string
	for o, err := range s.List(ctx, eu, "", false) {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		keys = append(keys, o.Key)
	}
	if len(keys) != 1 {
		t.Fatalf("listed %v", keys)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(eu), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if !bytes.Equal(got, body) {
		t.Fatal("get: wrong content")
	}
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(eu), Key: aws.String("mpu")})
	if err != nil {
		t.Fatalf("create multipart upload: %v", err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(eu), Key: aws.String("mpu"), UploadId: mpu.UploadId,
		PartNumber: aws.Int32(1), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("upload part: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(eu), Key: aws.String("mpu"), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
		t.Fatalf("complete multipart upload: %v", err)
	}
	// A copy from the us-east-1 bucket goes to the destination's region.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(eu), Key: aws.String("copied"), CopySource: aws.String(us + "/src.txt")}); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if err := s.BucketExists(ctx, eu); err != nil {
		t.Fatalf("head bucket: %v", err)
	}
	if r, err := s.BucketRegion(ctx, eu); err != nil || r != "eu-west-1" {
		t.Fatalf("bucket region = %q, %v", r, err)
	}
	ps, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(eu), Key: aws.String("copied")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "from us" {
		t.Fatalf("presigned GET: %d %s", resp.StatusCode, got)
	}
	if err := s.DeleteObject(ctx, URL{Bucket: eu, Key: "copied"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	res, err := s.DeleteObjects(ctx, eu, []string{"a.txt", "mpu"})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("delete objects: %v %v", err, res)
	}

	// Only the very first request was redirected, and each request was
	// signed for its bucket's region.
	for i, r := range requestsFor(rg, eu) {
		if i == 0 {
			continue
		}
		if r.Status == 301 || r.Region != "eu-west-1" {
			t.Errorf("request %d for the eu-west-1 bucket: %v", i, r)
		}
	}
	ops := map[string]bool{}
	for _, r := range requestsFor(rg, eu) {
		ops[r.Op] = true
	}
	for _, op := range []string{"PutObject", "HeadObject", "ListObjects", "GetObject", "CreateMultipartUpload", "UploadPart",
		"CompleteMultipartUpload", "CopyObject", "HeadBucket", "DeleteObject", "DeleteObjects"} {
		if !ops[op] {
			t.Errorf("no %s request seen for the eu-west-1 bucket: %v", op, requestsFor(rg, eu))
		}
	}
	for _, r := range requestsFor(rg, us) {
		if r.Region != "us-east-1" || r.Status == 301 {
			t.Errorf("request for the us-east-1 bucket: %v", r)
		}
	}
}

// TestBucketRegionFromOtherAnswers: the region also comes from MinIO's own
// 400 AuthorizationHeaderMalformed ("expecting 'eu-west-1'"), from a HEAD
// answer's header, and, when a 301 does not name it, from a HeadBucket probe.
func TestBucketRegionFromOtherAnswers(t *testing.T) {
	for _, answer := range []string{"server", "redirect-no-header"} {
		t.Run(answer, func(t *testing.T) {
			rg := testenv.StartRegions(t, testenv.RegionsOptions{Answer: answer}, "us-east-1", "eu-west-1")
			eu := rg.NewBucket(t, "eu-west-1")
			ctx := context.Background()
			if _, err := rg.Servers[1].Client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(eu), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
				t.Fatal(err)
			}
			// A list (error with a body) and, on a fresh client, a HEAD
			// (no body).
			s := regionStore(t, rg)
			for o, err := range s.List(ctx, eu, "", false) {
				if err != nil || o.Key != "k" {
					t.Fatalf("list: %v %v", o, err)
				}
			}
			s = regionStore(t, rg)
			if _, err := s.Head(ctx, URL{Bucket: eu, Key: "k"}); err != nil {
				t.Fatalf("head: %v; requests %v", err, rg.Requests())
			}
			if _, err := s.Head(ctx, URL{Bucket: eu, Key: "k"}); err != nil {
				t.Fatal(err)
			}
			reqs := requestsFor(rg, eu)
			last := reqs[len(reqs)-1]
			if last.Op != "HeadObject" || last.Region != "eu-west-1" || last.Status != 200 {
				t.Fatalf("second head: %v", last)
			}
			if prev := reqs[len(reqs)-2]; prev.Region != "eu-west-1" || prev.Status != 200 {
				t.Fatalf("first head was not sent again signed for eu-west-1: %v", reqs)
			}
			t.Logf("requests: %v", reqs)
		})
	}
}
