package transfer

import (
	"context"
	"iter"

	"github.com/s3sso/s3sso/internal/objstore"
)

// deleteBatch is the number of keys per DeleteObjects request (S3's maximum).
const deleteBatch = 1000

// Delete deletes one object.
func (e *Engine) Delete(ctx context.Context, u objstore.URL) error {
	return e.s3.DeleteObject(ctx, u)
}

// DeleteJobs turns a stream of objects of one bucket into jobs that delete
// them in batches of up to 1000 keys with DeleteObjects, while the listing
// goes on. report is called once per key (from the job's goroutine), with
// the key's own error when the server refused it or the request's error when
// the whole request failed; the jobs themselves then succeed, so per-key
// accounting stays with the caller.
func (e *Engine) DeleteJobs(ctx context.Context, bucket string, keys iter.Seq2[objstore.Object, error], report func(key string, size int64, err error)) iter.Seq2[Job, error] {
	return func(yield func(Job, error) bool) {
		var batch []objstore.Object
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			b := batch
			batch = nil
			var size int64
			for _, o := range b {
				size += o.Size
			}
			return yield(Job{Op: "delete", Src: "s3://" + bucket, Run: func(ctx context.Context) error {
				ks := make([]string, len(b))
				for i, o := range b {
					ks[i] = o.Key
				}
				res, err := e.s3.DeleteObjects(ctx, bucket, ks)
				if err != nil {
					if ctx.Err() != nil {
						return err
					}
					for _, o := range b {
						report(o.Key, o.Size, err)
					}
					return nil
				}
				for i, r := range res {
					report(r.Key, b[i].Size, r.Err)
				}
				e.Stats.ObjectsDone.Add(int64(len(b) - 1))
				return nil
			}}, nil)
		}
		for o, err := range keys {
			if err != nil {
				yield(Job{}, err)
				return
			}
			if o.IsPrefix {
				continue
			}
			batch = append(batch, o)
			if len(batch) == deleteBatch {
				if !flush() {
					return
				}
			}
		}
		flush()
	}
}
