package objstore

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/fault"
)

// VersionParam returns the SDK's VersionId parameter for a version ID:
// nil (the current version) when it is empty.
func VersionParam(id string) *string {
	if id == "" {
		return nil
	}
	return aws.String(id)
}

// Version is one version of an object, or a delete marker, as
// ListObjectVersions reports it. VersionID is "null" for an object written
// while versioning was off or suspended.
type Version struct {
	Key          string    `json:"key"`
	VersionID    string    `json:"version_id"`
	IsLatest     bool      `json:"is_latest"`
	DeleteMarker bool      `json:"delete_marker"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag,omitempty"`
	LastModified time.Time `json:"last_modified"`
	StorageClass string    `json:"storage_class,omitempty"`
}

// versionsPageSize asks for smaller pages than the server's default (tests
// set it; nil asks for the default, 1000 on S3).
var versionsPageSize *int32

// ListVersions calls fn for each version and delete marker of the keys
// under prefix, in key order and, for one key, newest first (the latest
// first). It lists page by page; fn is called in the caller's goroutine and
// an error it returns stops the listing and is returned as it is.
//
// As List does, it asks for URL-encoded keys and markers and decodes them,
// so keys that XML 1.0 cannot carry are listed as they are.
func (s *S3) ListVersions(ctx context.Context, bucket, prefix string, fn func(Version) error) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix), EncodingType: types.EncodingTypeUrl,
		MaxKeys: versionsPageSize}
	target := URL{Bucket: bucket, Key: prefix}.String()
	for {
		page, err := s.client.ListObjectVersions(ctx, in)
		if err != nil {
			return s.Translate("list versions of", target, err)
		}
		if err := decodeVersionsPage(page); err != nil {
			return fmt.Errorf("list versions of %s: %w", target, err)
		}
		vs, dms := page.Versions, page.DeleteMarkers
		for len(vs) > 0 || len(dms) > 0 {
			var v Version
			if len(dms) == 0 || len(vs) > 0 && versionFirst(vs[0], dms[0]) {
				o := vs[0]
				vs = vs[1:]
				v = Version{Key: aws.ToString(o.Key), VersionID: aws.ToString(o.VersionId), IsLatest: aws.ToBool(o.IsLatest),
					Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag), LastModified: aws.ToTime(o.LastModified),
					StorageClass: string(o.StorageClass)}
			} else {
				d := dms[0]
				dms = dms[1:]
				v = Version{Key: aws.ToString(d.Key), VersionID: aws.ToString(d.VersionId), IsLatest: aws.ToBool(d.IsLatest),
					DeleteMarker: true, LastModified: aws.ToTime(d.LastModified)}
			}
			if err := fn(v); err != nil {
				return err
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			return nil
		}
		if aws.ToString(page.NextKeyMarker) == "" && aws.ToString(page.NextVersionIdMarker) == "" {
			return fmt.Errorf("list versions of %s: the server said the listing goes on but gave no marker", target)
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
}

// versionFirst reports whether version v comes before delete marker d in a
// listing: by key, then the latest first, then the newer first.
func versionFirst(v types.ObjectVersion, d types.DeleteMarkerEntry) bool {
	vk, dk := aws.ToString(v.Key), aws.ToString(d.Key)
	if vk != dk {
		return vk < dk
	}
	if aws.ToBool(v.IsLatest) != aws.ToBool(d.IsLatest) {
		return aws.ToBool(v.IsLatest)
	}
	return !aws.ToTime(v.LastModified).Before(aws.ToTime(d.LastModified))
}

// decodeVersionsPage decodes what the server URL-encoded: keys, the prefix
// and the next key marker (sent back as it is decoded, as botocore does).
func decodeVersionsPage(page *s3.ListObjectVersionsOutput) error {
	if page.EncodingType != types.EncodingTypeUrl {
		return nil
	}
	decode := decodeKeyInPlace
	for i := range page.Versions {
		if err := decode(page.Versions[i].Key); err != nil {
			return err
		}
	}
	for i := range page.DeleteMarkers {
		if err := decode(page.DeleteMarkers[i].Key); err != nil {
			return err
		}
	}
	if err := decode(page.NextKeyMarker); err != nil {
		return err
	}
	return decode(page.KeyMarker)
}

// DeleteVersion deletes one version of an object (or a delete marker,
// which brings the version below it back) for good.
func (s *S3) DeleteVersion(ctx context.Context, bucket, key, versionID string) error {
	if versionID == "" {
		return fault.New(fault.Usage, "delete version: no version ID given", "")
	}
	return s.DeleteObject(ctx, URL{Bucket: bucket, Key: key, VersionID: versionID})
}

// maxCopySize is the largest object CopyObject accepts; larger ones are
// copied in parts with UploadPartCopy. restorePartSize is the part size of
// a multipart restore (at most 10,000 parts: 5 TiB objects). Tests lower
// both.
var (
	maxCopySize     int64 = 5 << 30
	restorePartSize int64 = 512 << 20
)

// CopySource returns the CopySource parameter naming u (and its version).
func CopySource(u URL) string {
	s := url.PathEscape(u.Bucket) + "/" + (&url.URL{Path: u.Key}).EscapedPath()
	if u.VersionID != "" {
		s += "?versionId=" + url.QueryEscape(u.VersionID)
	}
	return s
}

// RestoreVersion makes an older version of an object the current one by a
// server-side copy of it on top (no bytes pass through s3sso), keeping its
// metadata and tags; objects above 5 GiB are copied in parts. It returns
// the version ID of the new current version ("" when the bucket does not
// report one). The versions in between stay as they are.
func (s *S3) RestoreVersion(ctx context.Context, bucket, key, versionID string) (string, error) {
	src := URL{Bucket: bucket, Key: key, VersionID: versionID}
	target := src.String()
	if versionID == "" {
		return "", fault.New(fault.Usage, "restore "+target+": no version ID given", "")
	}
	info, err := s.Head(ctx, src)
	if err != nil {
		if IsCode(err, "MethodNotAllowed") || IsCode(err, "405") {
			return "", fault.New(fault.Usage, fmt.Sprintf("restore %s: version %s is a delete marker; delete the marker instead (rm --version-id)", target, versionID), "")
		}
		return "", fmt.Errorf("restore %s version %s: %w", target, versionID, err)
	}
	if info.Size <= maxCopySize {
		out, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			CopySource: aws.String(CopySource(src))})
		if err != nil {
			return "", s.Translate("restore version "+versionID+" of", target, err)
		}
		return aws.ToString(out.VersionId), nil
	}
	return s.copyMultipart(ctx, src, info)
}

// copyMultipart copies src onto its own key (the current version) in parts,
// keeping its metadata and content headers.
func (s *S3) copyMultipart(ctx context.Context, src URL, info ObjectInfo) (string, error) {
	target := src.String()
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key), VersionId: VersionParam(src.VersionID)})
	if err != nil {
		return "", s.Translate("restore version "+src.VersionID+" of", target, err)
	}
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		Metadata: head.Metadata, ContentType: head.ContentType, CacheControl: head.CacheControl,
		ContentDisposition: head.ContentDisposition, ContentEncoding: head.ContentEncoding, ContentLanguage: head.ContentLanguage,
		StorageClass: types.StorageClass(head.StorageClass)}
	if head.ServerSideEncryption == types.ServerSideEncryptionAwsKms {
		create.ServerSideEncryption, create.SSEKMSKeyId = head.ServerSideEncryption, head.SSEKMSKeyId
	}
	if tags, err := s.ObjectTags(ctx, src.Bucket, src.Key, src.VersionID); err == nil && len(tags) > 0 {
		create.Tagging = aws.String(EncodeTags(tags))
	}
	mu, err := s.client.CreateMultipartUpload(ctx, create)
	if err != nil {
		return "", s.Translate("restore version "+src.VersionID+" of", target, err)
	}
	abort := func() {
		// The upload is abandoned either way; a context that ended must
		// not keep the abort from being sent.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key), UploadId: mu.UploadId})
	}
	var n int64 = (info.Size + restorePartSize - 1) / restorePartSize
	parts := make([]types.CompletedPart, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := int64(0); i < n; i++ {
		start, end := i*restorePartSize, min((i+1)*restorePartSize, info.Size)-1
		g.Go(func() error {
			out, err := s.client.UploadPartCopy(gctx, &s3.UploadPartCopyInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
				UploadId: mu.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(CopySource(src)),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end))})
			if err != nil {
				return s.Translate(fmt.Sprintf("restore version %s (part %d) of", src.VersionID, i+1), target, err)
			}
			parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		abort()
		return "", err
	}
	out, err := s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		UploadId: mu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		abort()
		return "", s.Translate("restore version "+src.VersionID+" of", target, err)
	}
	return aws.ToString(out.VersionId), nil
}

// PresignGet returns a presigned GET URL of u (of its version when
// u.VersionID is set) valid for expires. It is signed for the bucket's
// region (a URL cannot follow a redirect) and asks for no checksum mode, so
// plain clients (browsers, curl) can use it. The URL stops working earlier
// when the credentials that sign it expire first.
func (s *S3) PresignGet(ctx context.Context, u URL, expires time.Duration) (string, error) {
	if _, err := s.BucketRegion(ctx, u.Bucket); err != nil {
		s.logger.Debug("presign: bucket region unknown, signing for the configured region", "bucket", u.Bucket, "error", err)
	}
	req, err := s.presignClient(expires).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key),
		VersionId: VersionParam(u.VersionID)})
	if err != nil {
		return "", s.Translate("presign", u.String(), err)
	}
	return req.URL, nil
}

func (s *S3) presignClient(expires time.Duration) *s3.PresignClient {
	return s3.NewPresignClient(s.client, s3.WithPresignExpires(expires), func(po *s3.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(so *s3.Options) {
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	})
}
