package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Remote describes a source object as far as a listing or HEAD knows it.
type Remote struct {
	URL          objstore.URL
	Size         int64 // -1 if unknown
	ETag         string
	LastModified time.Time
}

// Download writes src to the local file path. It writes a temporary file in
// the same directory and renames it into place once the size (and, for
// single-part objects, the MD5 ETag) checks out; on any failure or
// interruption the temporary file is removed and an existing file at path is
// left untouched. The file's modification time is set to the object's.
func (e *Engine) Download(ctx context.Context, src Remote, path string) (err error) {
	if src.Size < 0 {
		info, herr := e.s3.Head(ctx, src.URL)
		if herr != nil {
			return herr
		}
		src.Size, src.ETag, src.LastModified = info.Size, info.ETag, info.LastModified
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("download %s: %w", src.URL, err), "")
	}
	if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		return fault.New(fault.Local, fmt.Sprintf("download %s: %s is a directory", src.URL, path),
			"give a file name, or end the destination with / to download into the directory")
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".s3sso-*.tmp")
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("download %s: %w", src.URL, err), "")
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if src.Size >= e.opts.MultipartThreshold {
		err = e.downloadRanged(ctx, src, tmp)
	} else {
		err = e.downloadSingle(ctx, src, tmp)
	}
	if err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return localErr("download", src.URL, err)
	}
	if !src.LastModified.IsZero() {
		_ = os.Chtimes(tmp.Name(), src.LastModified, src.LastModified)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return localErr("download", src.URL, err)
	}
	return nil
}

func localErr(op string, u objstore.URL, err error) error {
	return fault.Wrap(fault.Local, fmt.Errorf("%s %s: %w", op, u, err), "")
}

// plainMD5 reports whether an ETag is the MD5 of the content (single-part,
// not SSE-KMS/SSE-C encrypted objects).
func plainMD5(etag string) (string, bool) {
	etag = strings.Trim(etag, `"`)
	if len(etag) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(etag); err != nil {
		return "", false
	}
	return strings.ToLower(etag), true
}

func (e *Engine) downloadSingle(ctx context.Context, src Remote, w io.Writer) error {
	in := &s3.GetObjectInput{Bucket: aws.String(src.URL.Bucket), Key: aws.String(src.URL.Key)}
	if src.ETag != "" {
		in.IfMatch = aws.String(src.ETag)
	}
	out, err := e.s3.Client().GetObject(ctx, in)
	if err != nil {
		return e.s3.Translate("download", src.URL.String(), err)
	}
	defer out.Body.Close()
	var h hash.Hash
	want, verify := plainMD5(aws.ToString(out.ETag))
	if verify && out.SSEKMSKeyId == nil && out.SSECustomerAlgorithm == nil {
		h = md5.New()
		w = io.MultiWriter(w, h)
	}
	n, err := io.Copy(w, &progressReader{r: out.Body, stats: &e.Stats})
	if err != nil {
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return writeOrReadErr("download", src.URL, err)
	}
	if expected := aws.ToInt64(out.ContentLength); out.ContentLength != nil && n != expected {
		return fault.New(fault.Integrity, fmt.Sprintf("download %s: got %d of %d bytes", src.URL, n, expected), "run the command again")
	}
	if h != nil && hex.EncodeToString(h.Sum(nil)) != want {
		return fault.New(fault.Integrity, fmt.Sprintf("download %s: content does not match its ETag (MD5)", src.URL), "run the command again; if it persists, the stored object is damaged")
	}
	return nil
}

// writeOrReadErr classifies a copy error: a local write error (disk full) is
// fault.Local, anything else came from the network.
func writeOrReadErr(op string, u objstore.URL, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fault.Wrap(fault.Local, fmt.Errorf("%s %s: write %s: %w", op, u, pe.Path, pe.Err), "free some space or choose another destination")
	}
	return fault.Wrap(fault.Network, fmt.Errorf("%s %s: %w", op, u, err), "run the command again")
}

// downloadRanged fetches parts of the object in parallel and writes each at
// its offset. Every range is pinned to the ETag seen first (If-Match), so an
// object replaced mid-download fails instead of mixing versions.
func (e *Engine) downloadRanged(ctx context.Context, src Remote, f *os.File) error {
	if err := f.Truncate(src.Size); err != nil {
		return writeOrReadErr("download", src.URL, err)
	}
	ps := e.partSizeFor(src.Size)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.PartConcurrency)
	for off := int64(0); off < src.Size; off += ps {
		end := min(off+ps, src.Size) - 1
		start := off
		g.Go(func() error {
			in := &s3.GetObjectInput{Bucket: aws.String(src.URL.Bucket), Key: aws.String(src.URL.Key),
				Range: aws.String(fmt.Sprintf("bytes=%d-%d", start, end))}
			if src.ETag != "" {
				in.IfMatch = aws.String(src.ETag)
			}
			out, err := e.s3.Client().GetObject(gctx, in)
			if err != nil {
				return e.s3.Translate("download", src.URL.String(), err)
			}
			defer out.Body.Close()
			w := io.NewOffsetWriter(f, start)
			n, err := io.Copy(w, &progressReader{r: out.Body, stats: &e.Stats})
			if err != nil {
				if gctx.Err() != nil && ctx.Err() != nil {
					return fault.Wrap(fault.Interrupted, ctx.Err(), "")
				}
				return writeOrReadErr("download", src.URL, err)
			}
			if n != end-start+1 {
				return fault.New(fault.Integrity, fmt.Sprintf("download %s: range %d-%d returned %d bytes", src.URL, start, end, n), "run the command again")
			}
			return nil
		})
	}
	return g.Wait()
}

// Stream writes the object to w (stdout, cat) in order, without a temp file.
func (e *Engine) Stream(ctx context.Context, src objstore.URL, w io.Writer) error {
	out, err := e.s3.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key)})
	if err != nil {
		return e.s3.Translate("read", src.String(), err)
	}
	defer out.Body.Close()
	if _, err := io.Copy(w, &progressReader{r: out.Body, stats: &e.Stats}); err != nil {
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return fmt.Errorf("read %s: %w", src, err)
	}
	return nil
}
