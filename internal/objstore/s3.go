// Package objstore talks to S3 and S3-compatible servers. It owns the S3
// client's construction (endpoints, path style, dual-stack) and translates
// SDK errors into short messages with fault kinds at this boundary, so the
// layers above never parse SDK error strings.
package objstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3sso/s3sso/internal/fault"
)

// S3Options configure NewS3.
type S3Options struct {
	// EndpointURL overrides the endpoint from the environment and profile.
	EndpointURL string
	// PathStyle forces path-style addressing. It is implied whenever a
	// custom endpoint is in use (flag, AWS_ENDPOINT_URL_S3, services section).
	PathStyle bool
	// DualStack uses the IPv4/IPv6 dual-stack endpoints.
	DualStack bool
	Logger    *slog.Logger
	// Renew, when set, is called when the server refuses the credentials
	// (expired) mid-way; requests wait for it and are sent again after it
	// succeeds (see InBatch).
	Renew RenewFunc
	// CredentialsRefused, when set, is called when the server refuses a
	// request's credentials as unknown or expired (InvalidAccessKeyId,
	// ExpiredToken, InvalidToken), with the access key ID the request was
	// signed with; when it returns true the request is retried at once,
	// with credentials resolved anew (see sso.RoleProvider).
	CredentialsRefused func(accessKeyID string) bool
}

// S3 is an S3 client with s3sso's conventions. It is safe for concurrent use.
type S3 struct {
	client   *s3.Client
	presign  *s3.PresignClient
	cfg      aws.Config
	endpoint string // the custom endpoint in use, or ""
	logger   *slog.Logger
	regions  *regionCache // bucket regions learnt from redirects
}

// NewS3 builds the client from an aws.Config.
func NewS3(cfg aws.Config, o S3Options) (*S3, error) {
	var endpoint string
	s := &S3{cfg: cfg, regions: newRegionCache(maxRegionCache)}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.EndpointURL != "" {
			so.BaseEndpoint = aws.String(o.EndpointURL)
		}
		// BaseEndpoint is already resolved from AWS_ENDPOINT_URL_S3, the
		// services section and endpoint_url when this option runs.
		if so.BaseEndpoint != nil {
			endpoint = *so.BaseEndpoint
			so.UsePathStyle = true
		}
		if o.PathStyle {
			so.UsePathStyle = true
		}
		if o.DualStack {
			so.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}
		// Buckets in other regions: the remembered region decides the
		// endpoint and the signing region; a wrong-region answer is
		// followed once (region.go).
		so.EndpointResolverV2 = &regionResolver{next: so.EndpointResolverV2, cache: s.regions, region: cfg.Region}
		so.APIOptions = append(so.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(&regionRedirect{s: s}, middleware.Before)
		})
		// The SDK warns on stderr when it cannot validate a multipart
		// checksum; s3sso verifies downloads itself.
		so.DisableLogOutputChecksumValidationSkipped = true
		// Unless the profile sets max_attempts or retry_mode: retry
		// throttling (503 SlowDown), 5xx and connection resets more
		// patiently, with exponential backoff and full jitter, and without
		// the client-side retry quota (a transfer of many parts must not fail
		// fast after a burst of 503s).
		if cfg.RetryMaxAttempts == 0 && cfg.RetryMode == "" {
			so.Retryer = retry.NewStandard(func(ro *retry.StandardOptions) {
				ro.MaxAttempts = 10
				ro.MaxBackoff = 20 * time.Second
				ro.Backoff = jitterBackoff{base: 100 * time.Millisecond, max: ro.MaxBackoff}
				ro.RateLimiter = ratelimit.None
			})
		}
		so.Retryer = withRefusalRetry(so.Retryer, o.CredentialsRefused)
		if o.Renew != nil {
			so.APIOptions = append(so.APIOptions, addRenewGate(&renewGate{renew: o.Renew}))
		}
	})
	if endpoint != "" && !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fault.New(fault.Usage, fmt.Sprintf("endpoint URL %q must start with http:// or https://", endpoint), "")
	}
	l := o.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	s.client, s.presign, s.endpoint, s.logger = client, s3.NewPresignClient(client), endpoint, l
	return s, nil
}

// jitterBackoff is exponential backoff with full jitter: a random delay up
// to base·2^attempt, at most max.
type jitterBackoff struct{ base, max time.Duration }

// Errors that retrying cannot fix end the retries early: a server that
// refuses connections or a name that does not resolve gets two quick
// retries (a restarting server), an untrusted certificate or an unreadable
// CA bundle none, so the user learns in a second instead of half a minute.
func (b jitterBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	switch {
	case untrustedTLS(err), fault.KindOf(err) == fault.Config:
		return 0, err
	case unreachable(err):
		if attempt >= 3 {
			return 0, err
		}
		return time.Duration(attempt) * 100 * time.Millisecond, nil
	}
	d := b.max
	if attempt < 30 {
		d = min(b.max, b.base<<attempt)
	}
	return time.Duration(rand.Int64N(int64(d) + 1)), nil
}

// Client returns the underlying SDK client.
func (s *S3) Client() *s3.Client { return s.client }

// Config returns the AWS configuration the client was built from.
func (s *S3) Config() aws.Config { return s.cfg }

// Endpoint returns the custom endpoint in use, or "" for AWS.
func (s *S3) Endpoint() string { return s.endpoint }

// Bucket is a bucket of ListBuckets.
type Bucket struct {
	Name    string
	Created time.Time
	Region  string
}

// ListBuckets lists the caller's buckets.
func (s *S3) ListBuckets(ctx context.Context) ([]Bucket, error) {
	var out []Bucket
	p := s3.NewListBucketsPaginator(s.client, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			// Some S3-compatible servers do not paginate ListBuckets.
			if len(out) == 0 && isCode(err, "InvalidArgument") {
				return s.listBucketsUnpaged(ctx)
			}
			return nil, s.Translate("list buckets", "", err)
		}
		for _, b := range page.Buckets {
			out = append(out, Bucket{Name: aws.ToString(b.Name), Created: aws.ToTime(b.CreationDate), Region: aws.ToString(b.BucketRegion)})
			// Later operations on the bucket go straight to its region.
			s.regions.set(aws.ToString(b.Name), aws.ToString(b.BucketRegion))
		}
	}
	return out, nil
}

func (s *S3) listBucketsUnpaged(ctx context.Context) ([]Bucket, error) {
	page, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, s.Translate("list buckets", "", err)
	}
	var out []Bucket
	for _, b := range page.Buckets {
		out = append(out, Bucket{Name: aws.ToString(b.Name), Created: aws.ToTime(b.CreationDate)})
	}
	return out, nil
}

// Object is an entry of a listing: an object, or with a delimiter a common
// prefix (IsPrefix, Key ends in "/").
type Object struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
	StorageClass string
	IsPrefix     bool
}

// List streams the objects under prefix in key order, page by page, so the
// caller can start work before the listing ends and memory does not grow with
// the number of objects. With delimiter it lists one level and yields common
// prefixes too. Iteration stops at the first error, which is yielded last.
//
// Keys are asked for URL-encoded (encoding-type=url), as the AWS CLI does:
// XML 1.0 cannot carry some characters a key may hold (most control
// characters), and servers replace them, so a key like "a\x1bb" would
// otherwise be listed as another key. They are decoded when the server
// says it encoded them.
func (s *S3) List(ctx context.Context, bucket, prefix string, delimiter bool) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix), EncodingType: types.EncodingTypeUrl}
		if delimiter {
			in.Delimiter = aws.String("/")
		}
		p := s3.NewListObjectsV2Paginator(s.client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(Object{}, s.Translate("list", URL{Bucket: bucket, Key: prefix}.String(), err))
				return
			}
			if err := decodeListPage(page); err != nil {
				yield(Object{}, fmt.Errorf("list %s: %w", URL{Bucket: bucket, Key: prefix}, err))
				return
			}
			// Merge objects and prefixes in key order.
			objs, pres := page.Contents, page.CommonPrefixes
			for len(objs) > 0 || len(pres) > 0 {
				var o Object
				if len(pres) == 0 || (len(objs) > 0 && aws.ToString(objs[0].Key) < aws.ToString(pres[0].Prefix)) {
					c := objs[0]
					objs = objs[1:]
					o = Object{Key: aws.ToString(c.Key), Size: aws.ToInt64(c.Size), ETag: aws.ToString(c.ETag),
						LastModified: aws.ToTime(c.LastModified), StorageClass: string(c.StorageClass)}
				} else {
					o = Object{Key: aws.ToString(pres[0].Prefix), IsPrefix: true}
					pres = pres[1:]
				}
				if !yield(o, nil) {
					return
				}
			}
		}
	}
}

// decodeListPage decodes the keys and prefixes of a listing page that the
// server URL-encoded (it says so in EncodingType; a server that ignores the
// request sends them as they are).
func decodeListPage(page *s3.ListObjectsV2Output) error {
	if page.EncodingType != types.EncodingTypeUrl {
		return nil
	}
	decode := decodeKeyInPlace
	for i := range page.Contents {
		if err := decode(page.Contents[i].Key); err != nil {
			return err
		}
	}
	for i := range page.CommonPrefixes {
		if err := decode(page.CommonPrefixes[i].Prefix); err != nil {
			return err
		}
	}
	return nil
}

// decodeKeyInPlace replaces *p, a key (or marker) the server URL-encoded
// (encoding-type=url), with its decoded form; nil is left alone.
func decodeKeyInPlace(p *string) error {
	if p == nil {
		return nil
	}
	v, err := url.QueryUnescape(*p)
	if err != nil {
		return fmt.Errorf("decode the URL-encoded key %q: %w", *p, err)
	}
	*p = v
	return nil
}

// ObjectInfo is what HeadObject reports.
type ObjectInfo struct {
	Bucket       string    `json:"bucket"`
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
	ContentType  string    `json:"content_type,omitempty"`
	StorageClass string    `json:"storage_class"`
	VersionID    string    `json:"version_id,omitempty"`
	SSE          string    `json:"sse,omitempty"`
	SSEKMSKeyID  string    `json:"sse_kms_key_id,omitempty"`
	// SSECustomerAlgorithm is set for an object encrypted with a key of
	// the client's (SSE-C).
	SSECustomerAlgorithm string            `json:"sse_customer_algorithm,omitempty"`
	Metadata             map[string]string `json:"metadata,omitempty"`
	Checksums            map[string]string `json:"checksums,omitempty"`
	ChecksumType         string            `json:"checksum_type,omitempty"`
	PartsCount           int32             `json:"parts_count,omitempty"`
	CacheControl         string            `json:"cache_control,omitempty"`
	ContentEncode        string            `json:"content_encoding,omitempty"`
}

// Head returns an object's metadata, with its checksums.
func (s *S3) Head(ctx context.Context, u URL) (ObjectInfo, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), ChecksumMode: types.ChecksumModeEnabled,
		VersionId: VersionParam(u.VersionID),
	})
	if err != nil {
		return ObjectInfo{}, s.Translate("stat", u.String(), err)
	}
	info := ObjectInfo{
		Bucket: u.Bucket, Key: u.Key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		LastModified: aws.ToTime(out.LastModified), ContentType: aws.ToString(out.ContentType),
		StorageClass: string(out.StorageClass), VersionID: aws.ToString(out.VersionId),
		SSE: string(out.ServerSideEncryption), SSEKMSKeyID: aws.ToString(out.SSEKMSKeyId), SSECustomerAlgorithm: aws.ToString(out.SSECustomerAlgorithm),
		Metadata: out.Metadata, ChecksumType: string(out.ChecksumType), PartsCount: aws.ToInt32(out.PartsCount),
		CacheControl: aws.ToString(out.CacheControl), ContentEncode: aws.ToString(out.ContentEncoding),
	}
	if info.StorageClass == "" {
		info.StorageClass = "STANDARD"
	}
	cs := map[string]string{}
	for name, v := range map[string]*string{
		"CRC32": out.ChecksumCRC32, "CRC32C": out.ChecksumCRC32C, "CRC64NVME": out.ChecksumCRC64NVME,
		"SHA1": out.ChecksumSHA1, "SHA256": out.ChecksumSHA256,
	} {
		if v != nil && *v != "" {
			cs[name] = *v
		}
	}
	if len(cs) > 0 {
		info.Checksums = cs
	}
	return info, nil
}

// MakeBucket creates a bucket in the client's region.
func (s *S3) MakeBucket(ctx context.Context, bucket string) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if r := s.cfg.Region; r != "" && r != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
	}
	if _, err := s.client.CreateBucket(ctx, in); err != nil {
		return s.Translate("make bucket", "s3://"+bucket, err)
	}
	return nil
}

// RemoveBucket deletes an empty bucket.
func (s *S3) RemoveBucket(ctx context.Context, bucket string) error {
	if _, err := s.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return s.Translate("remove bucket", "s3://"+bucket, err)
	}
	s.regions.forget(bucket)
	return nil
}

// DeleteResult is the outcome for one key of DeleteObjects.
type DeleteResult struct {
	Key string
	Err error
}

// DeleteObjects deletes up to 1000 keys in one request and reports each key.
// A key that XML 1.0 cannot carry (most control characters: the request
// body would hold another key in its place, and the server would report
// that one deleted) is deleted on its own with DeleteObject, whose key
// travels in the URL.
func (s *S3) DeleteObjects(ctx context.Context, bucket string, keys []string) ([]DeleteResult, error) {
	if len(keys) > 1000 {
		return nil, fmt.Errorf("delete objects: %d keys exceed the limit of 1000 per request", len(keys))
	}
	failed := map[string]error{}
	ids := make([]types.ObjectIdentifier, 0, len(keys))
	for _, k := range keys {
		if !xmlSafe(k) {
			if err := s.DeleteObject(ctx, URL{Bucket: bucket, Key: k}); err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				failed[k] = err
			}
			continue
		}
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
	}
	if len(ids) > 0 {
		out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return nil, s.Translate("delete objects in", "s3://"+bucket, err)
		}
		for _, e := range out.Errors {
			apiErr := &smithy.GenericAPIError{Code: aws.ToString(e.Code), Message: aws.ToString(e.Message)}
			failed[aws.ToString(e.Key)] = s.Translate("delete", URL{Bucket: bucket, Key: aws.ToString(e.Key)}.String(), apiErr)
		}
	}
	res := make([]DeleteResult, len(keys))
	for i, k := range keys {
		res[i] = DeleteResult{Key: k, Err: failed[k]}
	}
	return res, nil
}

// xmlSafe reports whether an XML 1.0 document can carry s unchanged: valid
// UTF-8 of characters in XML's Char production.
func xmlSafe(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\t', r == '\n', r == '\r':
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

// DeleteObject deletes one key (with u.VersionID, that version of it for
// good; without, on a versioned bucket, a delete marker hides it).
func (s *S3) DeleteObject(ctx context.Context, u URL) error {
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key),
		VersionId: VersionParam(u.VersionID)}); err != nil {
		return s.Translate("delete", u.String(), err)
	}
	return nil
}

// BucketExists checks a bucket with HeadBucket.
func (s *S3) BucketExists(ctx context.Context, bucket string) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return s.Translate("open bucket", "s3://"+bucket, err)
	}
	return nil
}

// APIError is an S3 error in one readable line. It unwraps to the SDK
// error, so errors.As with smithy.APIError still works.
type APIError struct {
	Code    string
	Message string
	Status  int
	Err     error
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = describeCode(e.Code, e.Status)
	}
	if e.Code != "" && !strings.Contains(msg, e.Code) {
		return fmt.Sprintf("%s (%s)", msg, e.Code)
	}
	return msg
}

func (e *APIError) Unwrap() error { return e.Err }

// ErrorCode returns the S3 error code, so *APIError is a smithy.APIError too.
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage returns the server's message.
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault is part of smithy.APIError.
func (e *APIError) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

var _ smithy.APIError = (*APIError)(nil)

func describeCode(code string, status int) string {
	switch code {
	case "NotFound":
		return "does not exist"
	case "Forbidden":
		return "access denied"
	case "BadRequest":
		return "bad request"
	case "MovedPermanently", "PermanentRedirect", "301":
		return "the bucket is in another region; pass --region"
	}
	if status != 0 {
		return fmt.Sprintf("HTTP %d", status)
	}
	return "request failed"
}

// Translate turns an SDK error into "OP TARGET: readable cause" with a fault
// kind where one applies. It is exported for the transfer package.
func (s *S3) Translate(op, target string, err error) error {
	if err == nil {
		return nil
	}
	prefix := op
	if target != "" {
		prefix += " " + target
	}
	if errors.Is(err, context.Canceled) {
		return fault.Wrap(fault.Interrupted, fmt.Errorf("%s: %w", prefix, context.Canceled), "")
	}
	// A credential provider's own error (SSO login required, OIDC refresh
	// failed) already says what to do: keep its kind and hint.
	var fe *fault.Error
	if errors.As(err, &fe) && fault.KindOf(err) != fault.Unknown {
		// Drop the SDK's "operation error ... get identity" wrapping.
		return fmt.Errorf("%s: %w", prefix, fe)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status := 0
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		code := apiErr.ErrorCode()
		e := &APIError{Code: code, Message: apiErr.ErrorMessage(), Status: status, Err: err}
		switch kindOfCode(code) {
		case fault.Usage:
			return &fault.Error{Kind: fault.Usage, Msg: prefix, Err: e}
		case fault.Auth:
			return &fault.Error{Kind: fault.Auth, Msg: prefix, Err: e,
				Hint: "the server refused the credentials: sign in again with `s3sso login` (with --profile or --account as before), or check the access keys"}
		}
		if code == "NotFound" && status == 404 {
			e.Message = "does not exist"
		}
		if code == "Forbidden" || status == 403 && e.Message == "" {
			e.Message = "access denied"
		}
		if status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" && bucketRegion(err) != "" {
			hint := "the bucket is in another region: pass --region (the bucket's region) or set it in the profile"
			if r := bucketRegion(err); r != "" {
				hint = fmt.Sprintf("the bucket is in %s: pass --region %s or set region = %s in the profile", r, r, r)
			}
			return &fault.Error{Kind: fault.Usage, Msg: prefix, Err: e, Hint: hint}
		}
		return fmt.Errorf("%s: %w", prefix, e)
	}
	if untrustedTLS(err) {
		cause := "certificate not trusted"
		var ve *tls.CertificateVerificationError
		if errors.As(err, &ve) && ve.Err != nil {
			cause += " (" + ve.Err.Error() + ")"
		}
		where := s.endpoint
		if where == "" {
			where = "the S3 endpoint"
		}
		return &fault.Error{Kind: fault.Network, Msg: fmt.Sprintf("%s: %s: %s", prefix, where, cause),
			Hint: "if you trust this server, add its CA certificate to the PEM file named by AWS_CA_BUNDLE (or the profile's ca_bundle)"}
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		why := "cannot connect"
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			why = "connection refused"
		case errors.Is(err, syscall.ECONNRESET):
			why = "connection reset"
		case opErr.Timeout():
			why = "timed out"
		}
		where := s.endpoint
		var urlErr *url.Error
		switch {
		case where != "":
		case opErr.Addr != nil:
			where = opErr.Addr.String()
		case errors.As(err, &urlErr):
			if u, perr := url.Parse(urlErr.URL); perr == nil && u.Host != "" {
				where = u.Scheme + "://" + u.Host
			}
		}
		if where == "" {
			where = "the S3 endpoint"
		}
		// The message says it all; the cause's text would repeat it.
		return &fault.Error{Kind: fault.Network, Msg: fmt.Sprintf("%s: %s: %s", prefix, where, why)}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &fault.Error{Kind: fault.Network, Msg: fmt.Sprintf("%s: cannot resolve %s", prefix, dnsErr.Name)}
	}
	if msg := err.Error(); strings.Contains(msg, "get identity: get credentials") || strings.Contains(msg, "failed to refresh cached credentials") {
		cause := msg
		if i := strings.Index(msg, "get credentials: "); i >= 0 {
			cause = msg[i+len("get credentials: "):]
		}
		return &fault.Error{Kind: fault.Auth, Msg: fmt.Sprintf("%s: no usable credentials: %s", prefix, cause), Err: err,
			Hint: "sign in with `s3sso login`, pick a profile with --profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

func isCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// IsNotFound reports whether err means the bucket, key or upload is missing.
func IsNotFound(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchUpload":
		return true
	}
	return false
}

// IsCode reports whether err carries the S3 error code.
func IsCode(err error, code string) bool { return isCode(err, code) }

// AbortUploads aborts every unfinished multipart upload in the bucket, so
// that it can be removed.
func (s *S3) AbortUploads(ctx context.Context, bucket string) error {
	for up, err := range s.Uploads(ctx, bucket) {
		if err != nil {
			return err
		}
		_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(up.Key), UploadId: aws.String(up.UploadID)})
		if err != nil && !IsNotFound(err) {
			return s.Translate("abort multipart upload of", URL{Bucket: bucket, Key: up.Key}.String(), err)
		}
	}
	return nil
}

// kindOfCode classifies S3 error codes that exitcode.go does not know
// (server-specific ones).
func kindOfCode(code string) fault.Kind {
	switch code {
	case "XMinioInvalidObjectName", "XMinioInvalidResourceName", "InvalidObjectName":
		return fault.Usage
	case "ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired", "InvalidAccessKeyId",
		"SignatureDoesNotMatch", "InvalidClientTokenId":
		return fault.Auth
	}
	return fault.Unknown
}

// unreachable reports whether err means nothing answers at the address.
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.As(err, &dnsErr)
}

// untrustedTLS reports whether err is a certificate verification failure.
func untrustedTLS(err error) bool {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) || errors.As(err, &verify)
}
