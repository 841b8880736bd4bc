package transfer

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Upload is an unfinished multipart upload on the server.
type Upload struct {
	URL          objstore.URL
	UploadID     string
	Initiated    time.Time
	StorageClass string
	// Source is the local file a journal of this machine records for the
	// upload (it can be continued with cp --resume); empty if none.
	Source string
}

// ListUploads streams the unfinished multipart uploads in bucket under
// prefix, in key order.
func (e *Engine) ListUploads(ctx context.Context, bucket, prefix string) iter.Seq2[Upload, error] {
	return func(yield func(Upload, error) bool) {
		sources := e.journalSources()
		// The prefix is applied here: MinIO takes a prefix as an exact key.
		for u, err := range e.s3.Uploads(ctx, bucket) {
			if err != nil {
				yield(Upload{}, err)
				return
			}
			if !strings.HasPrefix(u.Key, prefix) {
				continue
			}
			up := Upload{URL: objstore.URL{Bucket: bucket, Key: u.Key}, UploadID: u.UploadID,
				Initiated: u.Initiated, StorageClass: u.StorageClass}
			up.Source = sources[up.UploadID]
			if !yield(up, nil) {
				return
			}
		}
	}
}

// AbortUpload aborts one multipart upload and removes a journal of it.
func (e *Engine) AbortUpload(ctx context.Context, u objstore.URL, id string) error {
	_, err := e.s3.Client().AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), UploadId: aws.String(id)})
	if err != nil {
		return e.s3.Translate("abort multipart upload "+id+" of", u.String(), err)
	}
	e.removeJournalsOf(id)
	return nil
}

// CheckUpload returns a fault.NotFound error when the upload does not exist
// (some servers accept aborting an unknown upload).
func (e *Engine) CheckUpload(ctx context.Context, u objstore.URL, id string) error {
	_, err := e.s3.Client().ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key),
		UploadId: aws.String(id), MaxParts: aws.Int32(1)})
	if objstore.IsNotFound(err) {
		return fault.New(fault.NotFound, fmt.Sprintf("no multipart upload %s of %s", id, u), "list them with `s3sso mpu ls`")
	}
	if err != nil {
		return e.s3.Translate("find multipart upload "+id+" of", u.String(), err)
	}
	return nil
}

// journalSources maps upload IDs to the local files their journals record.
func (e *Engine) journalSources() map[string]string {
	out := map[string]string{}
	e.eachJournal(func(path string, j uploadJournal) {
		out[j.UploadID] = j.Source
	})
	return out
}

func (e *Engine) removeJournalsOf(id string) {
	e.eachJournal(func(path string, j uploadJournal) {
		if j.UploadID == id {
			os.Remove(path)
		}
	})
}

func (e *Engine) eachJournal(fn func(path string, j uploadJournal)) {
	if e.journalDir == "" {
		return
	}
	entries, err := os.ReadDir(e.journalDir)
	if err != nil {
		return
	}
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), "upload-") || !strings.HasSuffix(en.Name(), ".json") {
			continue
		}
		p := filepath.Join(e.journalDir, en.Name())
		var j uploadJournal
		if ok, _ := readJSON(p, &j); ok {
			fn(p, j)
		}
	}
}
