package transfer

import (
	"context"
	"iter"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/objstore"
)

// Store is what the engine needs of an S3 store: listings, metadata,
// deletes, error translation, and the SDK client for transfers (uploads,
// downloads, multipart). *objstore.S3 implements it; a front end may pass
// any store (e.g. one shared by the sessions of a web UI or a mount).
type Store interface {
	Client() *s3.Client
	Endpoint() string
	Head(ctx context.Context, u objstore.URL) (objstore.ObjectInfo, error)
	List(ctx context.Context, bucket, prefix string, delimiter bool) iter.Seq2[objstore.Object, error]
	Uploads(ctx context.Context, bucket string) iter.Seq2[objstore.MultipartUpload, error]
	DeleteObject(ctx context.Context, u objstore.URL) error
	DeleteObjects(ctx context.Context, bucket string, keys []string) ([]objstore.DeleteResult, error)
	// Translate turns an SDK error of op on target into a short message
	// with a fault kind.
	Translate(op, target string, err error) error
}

var _ Store = (*objstore.S3)(nil)
