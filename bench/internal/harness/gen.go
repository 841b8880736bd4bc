package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// gen is the in-process load generator: it creates and removes the data the
// clients work on (outside the timed runs) and measures the server's ceiling.
// It keeps warm connections (a pool larger than its concurrency), sends
// UNSIGNED-PAYLOAD and computes checksums only where S3 requires them, so
// that as little client CPU as possible competes with the server.
type gen struct {
	s3     *s3.Client
	bucket string
}

func newGen(srv Server, bucket string) *gen {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 256
		t.MaxConnsPerHost = 0
	})
	cfg := aws.Config{
		Region:                     srv.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		HTTPClient:                 hc,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           5,
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(srv.Endpoint)
		o.UsePathStyle = true
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	return &gen{s3: c, bucket: bucket}
}

func (g *gen) makeBucket(ctx context.Context) error {
	_, err := g.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &g.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", g.bucket, err)
	}
	return nil
}

func (g *gen) put(ctx context.Context, key string, body []byte) error {
	_, err := g.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &g.bucket,
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		// Amazon S3 stores a full-object CRC64NVME for every object
		// uploaded since December 2024; MinIO keeps what the client sends.
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme,
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// putFile uploads a local file in one PUT (MinIO takes up to 5 GiB) with a
// full-object CRC64NVME, like put.
func (g *gen) putFile(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = g.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:            &g.bucket,
		Key:               aws.String(key),
		Body:              f,
		ContentLength:     aws.Int64(st.Size()),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme,
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// putMany creates n objects named keyf(i) with body, 32 at a time.
func (g *gen) putMany(ctx context.Context, n int, keyf func(int) string, body []byte) error {
	return g.putManyWith(ctx, n, keyf, body, g.put)
}

// putManyPlain is putMany without a checksum (see putPlain).
func (g *gen) putManyPlain(ctx context.Context, n int, keyf func(int) string, body []byte) error {
	return g.putManyWith(ctx, n, keyf, body, g.putPlain)
}

func (g *gen) putManyWith(ctx context.Context, n int, keyf func(int) string, body []byte, put func(context.Context, string, []byte) error) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(32)
	for i := range n {
		eg.Go(func() error { return put(ctx, keyf(i), body) })
	}
	return eg.Wait()
}

// putPlain uploads body in one PUT without a checksum, as s5cmd, mc, rclone
// and SDKs before December 2024 do: the object's only integrity data is its
// ETag, the MD5 of the body.
func (g *gen) putPlain(ctx context.Context, key string, body []byte) error {
	_, err := g.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &g.bucket,
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// putFileMultipart uploads a local file as a multipart upload of parts of
// partSize bytes (the last one shorter) without checksums, as s5cmd (50 MiB
// parts) and the AWS CLI (8 MiB parts) write large files: the object's only
// integrity data is its ETag, the MD5 of the part MD5s ("…-N").
func (g *gen) putFileMultipart(ctx context.Context, key, path string, partSize int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	cm, err := g.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &g.bucket, Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("create multipart upload %s: %w", key, err)
	}
	n := int((st.Size() + partSize - 1) / partSize)
	parts := make([]types.CompletedPart, n)
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(4)
	for i := range n {
		eg.Go(func() error {
			off := int64(i) * partSize
			size := min(partSize, st.Size()-off)
			out, err := g.s3.UploadPart(ectx, &s3.UploadPartInput{
				Bucket: &g.bucket, Key: aws.String(key), UploadId: cm.UploadId, PartNumber: aws.Int32(int32(i + 1)),
				Body: io.NewSectionReader(f, off, size), ContentLength: aws.Int64(size),
			})
			if err != nil {
				return fmt.Errorf("upload part %d of %s: %w", i+1, key, err)
			}
			parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		_, _ = g.s3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: &g.bucket, Key: aws.String(key), UploadId: cm.UploadId})
		return err
	}
	_, err = g.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &g.bucket, Key: aws.String(key), UploadId: cm.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return fmt.Errorf("complete multipart upload %s: %w", key, err)
	}
	return nil
}

// count returns the number of objects and their total size under prefix.
func (g *gen) count(ctx context.Context, prefix string) (n int, size int64, err error) {
	p := s3.NewListObjectsV2Paginator(g.s3, &s3.ListObjectsV2Input{Bucket: &g.bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			n++
			size += aws.ToInt64(o.Size)
		}
	}
	return n, size, nil
}

// deletePrefix removes every object under prefix in batches of 1000.
func (g *gen) deletePrefix(ctx context.Context, prefix string) error {
	p := s3.NewListObjectsV2Paginator(g.s3, &s3.ListObjectsV2Input{Bucket: &g.bucket, Prefix: aws.String(prefix)})
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(4)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			_ = eg.Wait()
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		eg.Go(func() error {
			out, err := g.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: &g.bucket,
				Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
			})
			if err != nil {
				return fmt.Errorf("delete under %s: %w", prefix, err)
			}
			if len(out.Errors) > 0 {
				return fmt.Errorf("delete %s: %s", aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
			}
			return nil
		})
	}
	return eg.Wait()
}

// Ceiling is what the server serves to a warm in-process client.
type Ceiling struct {
	Name        string // e.g. "PUT 64 KiB ×32"
	Concurrency int
	Size        int64
	Duration    time.Duration
	Ops         int64
}

// OpsPerSec is the object rate.
func (c Ceiling) OpsPerSec() float64 { return float64(c.Ops) / c.Duration.Seconds() }

// MBPerSec is the byte rate in MB/s (10^6 bytes).
func (c Ceiling) MBPerSec() float64 {
	return float64(c.Ops) * float64(c.Size) / c.Duration.Seconds() / 1e6
}

// ceiling measures PUT then GET of objects of size with conc workers for d
// each, like warp put/get, and removes its objects afterwards.
func (g *gen) ceiling(ctx context.Context, size int64, conc int, d time.Duration, prefix string) (put, get Ceiling, err error) {
	body := make([]byte, size)
	fillRandom(body, 7)
	var next atomic.Int64
	name := fmt.Sprintf("%s ×%d", humanSize(size), conc)
	put = Ceiling{Name: "PUT " + name, Concurrency: conc, Size: size}
	get = Ceiling{Name: "GET " + name, Concurrency: conc, Size: size}
	defer func() {
		if derr := g.deletePrefix(context.WithoutCancel(ctx), prefix); derr != nil && err == nil {
			err = derr
		}
	}()

	// PUT phase: every worker writes new objects until the deadline.
	put.Ops, put.Duration, err = runFor(ctx, conc, d, func(ctx context.Context) error {
		i := next.Add(1)
		_, err := g.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        &g.bucket,
			Key:           aws.String(fmt.Sprintf("%s%08d", prefix, i)),
			Body:          bytes.NewReader(body),
			ContentLength: aws.Int64(size),
		})
		return err
	})
	if err != nil {
		return put, get, fmt.Errorf("ceiling %s: %w", put.Name, err)
	}
	written := next.Load()
	if written == 0 {
		return put, get, fmt.Errorf("ceiling %s: no object written", put.Name)
	}
	// GET phase: read the objects just written, round robin.
	var rd atomic.Int64
	get.Ops, get.Duration, err = runFor(ctx, conc, d, func(ctx context.Context) error {
		i := rd.Add(1)%written + 1
		out, err := g.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &g.bucket, Key: aws.String(fmt.Sprintf("%s%08d", prefix, i))})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		n, err := io.Copy(io.Discard, out.Body)
		if err == nil && n != size {
			err = fmt.Errorf("short read: %d of %d bytes", n, size)
		}
		return err
	})
	if err != nil {
		return put, get, fmt.Errorf("ceiling %s: %w", get.Name, err)
	}
	return put, get, nil
}

// runFor runs op in conc workers until d has passed and returns how many
// operations completed and the time they took (up to the last completion).
func runFor(ctx context.Context, conc int, d time.Duration, op func(context.Context) error) (int64, time.Duration, error) {
	var ops atomic.Int64
	var firstErr error
	var once sync.Once
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := op(ctx); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	return ops.Load(), time.Since(start), firstErr
}

// fillRandom fills b with cheap incompressible bytes (xorshift).
func fillRandom(b []byte, seed uint64) {
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := 0; i+8 <= len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		for j := range 8 {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	for i := len(b) &^ 7; i < len(b); i++ {
		b[i] = byte(i)
	}
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
