package transfer

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/objstore"
)

// maxCopyObject is the largest object CopyObject accepts; larger ones are
// copied with UploadPartCopy.
const maxCopyObject = 5 << 30

// Copy copies src to dst on the server (no bytes pass through s3sso). With
// empty PutOptions the object's metadata is kept; otherwise it is replaced.
func (e *Engine) Copy(ctx context.Context, src Remote, dst objstore.URL, po PutOptions) error {
	if src.Size < 0 {
		info, err := e.s3.Head(ctx, src.URL)
		if err != nil {
			return err
		}
		src.Size, src.ETag = info.Size, info.ETag
	}
	source := copySource(src.URL)
	if src.Size > maxCopyObject {
		return e.copyMultipart(ctx, src, dst, po)
	}
	// The same settings as an upload's; metadata is replaced only when the
	// user set some, otherwise the source's is kept.
	put := e.putInput(dst, po)
	in := &s3.CopyObjectInput{Bucket: put.Bucket, Key: put.Key, CopySource: aws.String(source),
		ChecksumAlgorithm: checksumAlgo, StorageClass: put.StorageClass,
		ServerSideEncryption: put.ServerSideEncryption, SSEKMSKeyId: put.SSEKMSKeyId}
	if po.ContentType != "" || po.Metadata != nil || po.CacheControl != "" || po.ContentDisposition != "" ||
		po.ContentEncoding != "" || po.ContentLanguage != "" || po.Expires != "" {
		in.MetadataDirective = types.MetadataDirectiveReplace
		in.Metadata, in.ContentType, in.CacheControl = put.Metadata, put.ContentType, put.CacheControl
		in.ContentDisposition, in.ContentEncoding, in.ContentLanguage, in.Expires = put.ContentDisposition, put.ContentEncoding, put.ContentLanguage, put.Expires
	}
	in.ACL = put.ACL
	if put.Tagging != nil {
		in.TaggingDirective, in.Tagging = types.TaggingDirectiveReplace, put.Tagging
	}
	if _, err := e.s3.Client().CopyObject(ctx, in); err != nil {
		return e.s3.Translate("copy "+src.URL.String()+" to", dst.String(), err)
	}
	e.Stats.BytesDone.Add(src.Size)
	return nil
}

func copySource(u objstore.URL) string { return objstore.CopySource(u) }

func (e *Engine) copyMultipart(ctx context.Context, src Remote, dst objstore.URL, po PutOptions) error {
	mu, err := e.startMultipart(ctx, dst, po, false)
	if err != nil {
		return err
	}
	ps := max(e.partSizeFor(src.Size), 512<<20)
	for src.Size/ps >= maxParts {
		ps *= 2
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.PartConcurrency)
	for off, n := int64(0), int32(1); off < src.Size; off, n = off+ps, n+1 {
		start, end, pn := off, min(off+ps, src.Size)-1, n
		g.Go(func() error {
			out, err := e.s3.Client().UploadPartCopy(gctx, &s3.UploadPartCopyInput{
				Bucket: aws.String(dst.Bucket), Key: aws.String(dst.Key), UploadId: aws.String(mu.id), PartNumber: aws.Int32(pn),
				CopySource: aws.String(copySource(src.URL)), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end)),
			})
			if err != nil {
				return e.s3.Translate(fmt.Sprintf("copy part %d to", pn), dst.String(), err)
			}
			mu.addPart(journalPart{N: pn, Size: end - start + 1, ETag: aws.ToString(out.CopyPartResult.ETag),
				CRC32C: aws.ToString(out.CopyPartResult.ChecksumCRC32C)})
			e.Stats.BytesDone.Add(end - start + 1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		mu.abort()
		return err
	}
	if err := mu.complete(ctx); err != nil {
		mu.abort()
		return err
	}
	return nil
}
