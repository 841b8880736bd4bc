package objstore

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// MultipartUpload is one unfinished multipart upload.
type MultipartUpload struct {
	Key          string
	UploadID     string
	Initiated    time.Time
	StorageClass string
}

// Uploads streams the unfinished multipart uploads in bucket, in key order.
// Iteration stops at the first error, which is yielded last.
//
// Keys are asked for URL-encoded, as List does: XML cannot carry most
// control characters, so a server replaces them and the upload would be
// listed (and then aborted) under another key. The markers of the next page
// come back encoded too, so pages are followed here rather than by the
// SDK's paginator, which would send the encoded marker back as it is.
func (s *S3) Uploads(ctx context.Context, bucket string) iter.Seq2[MultipartUpload, error] {
	return func(yield func(MultipartUpload, error) bool) {
		in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl}
		for {
			page, err := s.client.ListMultipartUploads(ctx, in)
			if err != nil {
				yield(MultipartUpload{}, s.Translate("list multipart uploads in", "s3://"+bucket, err))
				return
			}
			if page.EncodingType == types.EncodingTypeUrl {
				err := decodeKeyInPlace(page.NextKeyMarker)
				for i := 0; err == nil && i < len(page.Uploads); i++ {
					err = decodeKeyInPlace(page.Uploads[i].Key)
				}
				if err != nil {
					yield(MultipartUpload{}, fmt.Errorf("list multipart uploads in s3://%s: %w", bucket, err))
					return
				}
			}
			for _, u := range page.Uploads {
				up := MultipartUpload{Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated),
					StorageClass: string(u.StorageClass)}
				if !yield(up, nil) {
					return
				}
			}
			if !aws.ToBool(page.IsTruncated) {
				return
			}
			next := aws.ToString(page.NextKeyMarker)
			if next == aws.ToString(in.KeyMarker) && aws.ToString(page.NextUploadIdMarker) == aws.ToString(in.UploadIdMarker) {
				yield(MultipartUpload{}, fmt.Errorf("list multipart uploads in s3://%s: the server sent the same page marker twice", bucket))
				return
			}
			in.KeyMarker, in.UploadIdMarker = aws.String(next), page.NextUploadIdMarker
		}
	}
}
