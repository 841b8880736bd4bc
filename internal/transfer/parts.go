package transfer

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// PartUpload is a multipart upload whose parts arrive from elsewhere, each
// as its own stream, in any order and several at a time: the web UI's page
// sends a file's slices as separate requests. The engine owns the rest as
// for a file: the part size, each part's CRC32C, the full-object checksum
// that CompleteMultipartUpload verifies, and the abort.
//
// A part is spooled to a temporary file while its CRC32C is computed, then
// sent from there (the SDK needs a body it can rewind for a retry): memory
// stays at a copy buffer per part, whatever the part size.
type PartUpload struct {
	m        *multipart
	size     int64
	partSize int64
	count    int32

	mu   sync.Mutex
	sent map[int32]bool
	done bool // completed or aborted
}

// StartPartUpload creates a multipart upload of size bytes at dst with the
// checksum settings and put options of any upload (header rules applied
// for dst's key), and returns it with its part size.
func (e *Engine) StartPartUpload(ctx context.Context, dst objstore.URL, size int64, po PutOptions) (*PartUpload, error) {
	if size <= 0 {
		return nil, fault.New(fault.Usage, fmt.Sprintf("upload %s: a multipart upload needs a size above 0", dst), "")
	}
	po = po.ForKey(dst.Key)
	if err := po.Validate(); err != nil {
		return nil, err
	}
	ps := e.partSizeFor(size)
	m, err := e.startMultipart(ctx, dst, po, true)
	if err != nil {
		return nil, err
	}
	return &PartUpload{m: m, size: size, partSize: ps, count: int32((size + ps - 1) / ps), sent: map[int32]bool{}}, nil
}

// PartSize is the size of every part but the last.
func (p *PartUpload) PartSize() int64 { return p.partSize }

// Parts is the number of parts.
func (p *PartUpload) Parts() int32 { return p.count }

// partLen is the length part n must have.
func (p *PartUpload) partLen(n int32) int64 {
	return min(p.partSize, p.size-int64(n-1)*p.partSize)
}

// SendPart reads part n (1-based) from r, which must hold exactly that
// part's bytes, and uploads it. Parts may be sent concurrently; sending a
// part again replaces it.
func (p *PartUpload) SendPart(ctx context.Context, n int32, r io.Reader) error {
	dst := p.m.dst.String()
	if n < 1 || n > p.count {
		return fault.New(fault.Usage, fmt.Sprintf("upload %s: no part %d (the upload has %d)", dst, n, p.count), "")
	}
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done {
		return fault.New(fault.Usage, fmt.Sprintf("upload %s: the upload is already over", dst), "")
	}
	want := p.partLen(n)
	f, err := os.CreateTemp("", "s3sso-part-*")
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("upload %s: spool part %d: %w", dst, n, err), "")
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	h := algoCRC32C.new()
	got, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, want+1))
	if ctx.Err() != nil {
		return fault.Wrap(fault.Interrupted, ctx.Err(), "")
	}
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("upload %s: read part %d: %w", dst, n, err), "")
	}
	if got != want {
		return fault.New(fault.Usage, fmt.Sprintf("upload %s: part %d has %d bytes, not %d", dst, n, got, want), "")
	}
	if err := p.m.sendPart(ctx, n, io.NewSectionReader(f, 0, want), want, b64(h.Sum(nil))); err != nil {
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return err
	}
	p.mu.Lock()
	p.sent[n] = true
	p.mu.Unlock()
	return nil
}

// Complete completes the upload once every part has been sent; the server
// checks the full-object CRC32C combined from the parts'. On failure the
// upload is aborted.
func (p *PartUpload) Complete(ctx context.Context) error {
	p.mu.Lock()
	missing := int(p.count) - len(p.sent)
	p.done = true
	p.mu.Unlock()
	if missing > 0 {
		p.m.abort()
		return fault.New(fault.Usage, fmt.Sprintf("upload %s: %d of %d parts were not sent", p.m.dst, missing, p.count), "")
	}
	// A part sent twice is recorded twice; keep the last of each.
	p.m.mu.Lock()
	last := map[int32]journalPart{}
	for _, pt := range p.m.parts {
		last[pt.N] = pt
	}
	p.m.parts = p.m.parts[:0]
	for _, pt := range last {
		p.m.parts = append(p.m.parts, pt)
	}
	p.m.mu.Unlock()
	if err := p.m.complete(ctx); err != nil {
		p.m.abort()
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return err
	}
	return nil
}

// Abort aborts the upload on the server (even when a context ended), so no
// parts are left behind.
func (p *PartUpload) Abort() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	p.m.abort()
}
