package objstore

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Buckets in other regions, as botocore's S3RegionRedirectorv2 handles them:
// a request for a bucket that lives in another region than the client's is
// answered with 301 PermanentRedirect (x-amz-bucket-region), or with 400
// AuthorizationHeaderMalformed naming the expected region. The redirect
// middleware learns the bucket's region from that answer (or, when the answer
// does not name it, from a HeadBucket probe), remembers it in a bounded
// per-process cache and sends the request once more. The endpoint resolver
// consults the cache for every operation that names a bucket, so the region
// decides both the endpoint (s3.REGION.amazonaws.com on AWS) and the SigV4
// credential scope, and later operations on the bucket need no redirect.

// maxRegionCache bounds the number of remembered buckets.
const maxRegionCache = 4096

// regionCache maps bucket names to their regions. It is safe for concurrent
// use; when full, the oldest entry is forgotten first.
type regionCache struct {
	mu    sync.Mutex
	m     map[string]string
	order []string // insertion order, for eviction
	max   int
}

func newRegionCache(max int) *regionCache {
	return &regionCache{m: map[string]string{}, max: max}
}

func (c *regionCache) get(bucket string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[bucket]
	return r, ok
}

func (c *regionCache) set(bucket, region string) {
	if bucket == "" || region == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[bucket]; !ok {
		for len(c.m) >= c.max && len(c.order) > 0 {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, bucket)
	}
	c.m[bucket] = region
}

func (c *regionCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[bucket]; !ok {
		return
	}
	delete(c.m, bucket)
	for i, b := range c.order {
		if b == bucket {
			c.order = append(c.order[:i:i], c.order[i+1:]...)
			break
		}
	}
}

func (c *regionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// regionResolver resolves endpoints with the bucket's remembered region in
// place of the client's. The endpoint rules put that region into the
// endpoint's SigV4 signing properties too, so the request is signed for it.
type regionResolver struct {
	next   s3.EndpointResolverV2
	cache  *regionCache
	region string // the client's region
}

func (r *regionResolver) ResolveEndpoint(ctx context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	if b := aws.ToString(p.Bucket); b != "" && awsmiddleware.GetOperationName(ctx) != "CreateBucket" {
		if reg, ok := r.cache.get(b); ok {
			p.Region = aws.String(reg)
		}
	}
	return r.next.ResolveEndpoint(ctx, p)
}

// regionOf returns the region a request for bucket goes to.
func (s *S3) regionOf(bucket string) string {
	if r, ok := s.regions.get(bucket); ok {
		return r
	}
	return s.cfg.Region
}

// BucketRegion returns the region of bucket: the remembered one, or else the
// one a HeadBucket answer names (which is remembered). When the answer names
// none (an S3-compatible server without regions), it is the client's region.
// Presigned URLs use it, since they cannot follow a redirect.
func (s *S3) BucketRegion(ctx context.Context, bucket string) (string, error) {
	if r, ok := s.regions.get(bucket); ok {
		return r, nil
	}
	out, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		if r := bucketRegion(err); r != "" {
			s.regions.set(bucket, r)
			return r, nil
		}
		return s.cfg.Region, s.Translate("find the region of", "s3://"+bucket, err)
	}
	if r := aws.ToString(out.BucketRegion); r != "" {
		s.regions.set(bucket, r)
		return r, nil
	}
	return s.cfg.Region, nil
}

// RememberRegion records the region of bucket, as ListBuckets reports it.
func (s *S3) RememberRegion(bucket, region string) { s.regions.set(bucket, region) }

// regionRedirect is the Initialize-step middleware that follows a bucket to
// its region: one more attempt after a wrong-region answer.
type regionRedirect struct{ s *S3 }

func (*regionRedirect) ID() string { return "s3sso.RegionRedirect" }

// noRedirectKey marks the context of the HeadBucket probe, which must not
// itself be redirected.
type noRedirectKey struct{}

func (m *regionRedirect) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	op := awsmiddleware.GetOperationName(ctx)
	bucket := inputBucket(in.Parameters)
	if bucket == "" || op == "CreateBucket" || ctx.Value(noRedirectKey{}) != nil {
		return next.HandleInitialize(ctx, in)
	}
	used := m.s.regionOf(bucket)
	body, start, seekable := inputBody(in.Parameters)
	out, md, err := next.HandleInitialize(ctx, in)
	if err == nil || !wrongRegion(op, err) {
		return out, md, err
	}
	region := bucketRegion(err)
	if region == "" {
		region = m.probe(ctx, bucket)
	}
	if region == "" || region == used {
		return out, md, err
	}
	m.s.regions.set(bucket, region)
	if body != nil {
		if !seekable {
			return out, md, err
		}
		if _, serr := body.Seek(start, io.SeekStart); serr != nil {
			return out, md, err
		}
	}
	m.s.logger.Debug("bucket is in another region; sending the request there", "bucket", bucket, "region", region, "was", used, "operation", op)
	return next.HandleInitialize(ctx, in)
}

// probe asks HeadBucket for the bucket's region; "" when the answer names
// none.
func (m *regionRedirect) probe(ctx context.Context, bucket string) string {
	out, err := m.s.client.HeadBucket(context.WithValue(ctx, noRedirectKey{}, true), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		return bucketRegion(err)
	}
	return aws.ToString(out.BucketRegion)
}

// wrongRegion reports whether err is one of the answers botocore takes for
// "this bucket is in another region".
func wrongRegion(op string, err error) bool {
	var re *smithyhttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect:
		return true
	case http.StatusBadRequest:
		// A HEAD answer has no body, so no code: 400 to HeadObject or
		// HeadBucket may be a wrong-region signature.
		if op == "HeadObject" || op == "HeadBucket" {
			return true
		}
	}
	return isCode(err, "PermanentRedirect") || isCode(err, "AuthorizationHeaderMalformed") && bucketRegion(err) != "" ||
		isCode(err, "IllegalLocationConstraintException")
}

// expectingRegion finds the region in AuthorizationHeaderMalformed messages:
// "the region 'us-east-1' is wrong; expecting 'eu-west-1'".
var expectingRegion = regexp.MustCompile(`expecting '([a-z0-9-]+)'`)

// bucketRegion returns the region S3 names for the bucket in an error: the
// x-amz-bucket-region header, or the region an AuthorizationHeaderMalformed
// message expects; "" when neither is there.
func bucketRegion(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
			return r
		}
	}
	if isCode(err, "AuthorizationHeaderMalformed") {
		var apiErr interface{ ErrorMessage() string }
		if errors.As(err, &apiErr) {
			if m := expectingRegion.FindStringSubmatch(apiErr.ErrorMessage()); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

// inputBucket returns the Bucket field of an operation input, or "".
func inputBucket(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("Bucket")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*string)(nil)) || f.IsNil() {
		return ""
	}
	return f.Elem().String()
}

// inputBody returns the Body of an operation input (PutObject, UploadPart)
// with its current offset, so that it can be sent again; body is nil when
// the input has none.
func inputBody(params any) (body io.Seeker, start int64, seekable bool) {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, 0, false
	}
	f := v.Elem().FieldByName("Body")
	if !f.IsValid() || f.Kind() != reflect.Interface || f.IsNil() {
		return nil, 0, false
	}
	sk, ok := f.Interface().(io.Seeker)
	if !ok {
		return nopSeeker{}, 0, false
	}
	pos, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return nopSeeker{}, 0, false
	}
	return sk, pos, true
}

// nopSeeker stands for a body that cannot be rewound.
type nopSeeker struct{}

func (nopSeeker) Seek(int64, int) (int64, error) { return 0, errors.New("not seekable") }
