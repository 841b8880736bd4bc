package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// maxStreamRanges bounds the ranges a Stream holds in flight (each one
// PartSize of memory).
const maxStreamRanges = 4

// streamRanges reports how many ranges of e's part size a Stream of size
// bytes reads in parallel (0: one GET).
func (e *Engine) streamRanges(size int64) int {
	if size < 3*e.opts.PartSize {
		return 0
	}
	return min(e.opts.PartConcurrency, maxStreamRanges)
}

// rangeReader delivers an object in order while its later ranges are read
// in parallel: the first PartSize bytes come from the GET that Stream
// opened (and which told the checksums), each further range is a GET with
// If-Match on the first answer's ETag, into one of a few buffers. Close
// stops the reads and waits for them.
type rangeReader struct {
	first   io.ReadCloser
	left    int64 // bytes still to read from first
	results chan chan rangeResult
	free    chan []byte // the buffers; a taken one is a range in flight
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	cur []byte // the range being delivered
	buf []byte // its buffer, back to free once delivered
	err error
}

type rangeResult struct {
	buf []byte
	n   int
	err error
}

func (e *Engine) newRangeReader(ctx context.Context, u objstore.URL, etag string, first io.ReadCloser, size int64, inflight int) *rangeReader {
	ctx, cancel := context.WithCancel(ctx)
	chunk := e.opts.PartSize
	r := &rangeReader{first: first, left: chunk, cancel: cancel,
		results: make(chan chan rangeResult, inflight), free: make(chan []byte, inflight)}
	for range inflight {
		r.free <- nil // allocated on first use
	}
	r.wg.Go(func() {
		defer close(r.results)
		for start := chunk; start < size; start += chunk {
			var buf []byte
			select {
			case buf = <-r.free:
			case <-ctx.Done():
				return
			}
			end := min(start+chunk, size) - 1
			if buf == nil {
				buf = make([]byte, chunk)
			}
			ch := make(chan rangeResult, 1)
			select {
			case r.results <- ch:
			case <-ctx.Done():
				return
			}
			r.wg.Go(func() {
				n, err := e.getRange(ctx, u, etag, start, end, buf[:end-start+1])
				ch <- rangeResult{buf: buf, n: n, err: err}
			})
		}
	})
	return r
}

// getRange reads bytes start..end of u into b, retrying a broken body.
func (e *Engine) getRange(ctx context.Context, u objstore.URL, etag string, start, end int64, b []byte) (int, error) {
	var n int
	err := e.retryBody(ctx, func() error {
		in := &s3.GetObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), VersionId: objstore.VersionParam(u.VersionID),
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", start+int64(n), end))}
		if etag != "" {
			in.IfMatch = aws.String(etag)
		}
		out, err := e.getObject(ctx, in)
		if err != nil {
			return e.s3.Translate("read", u.String(), err)
		}
		defer out.Body.Close()
		m, err := io.ReadFull(out.Body, b[n:])
		n += m
		switch {
		case err == nil:
			// The range must end there.
			var one [1]byte
			if k, _ := out.Body.Read(one[:]); k > 0 {
				return fault.New(fault.Integrity, fmt.Sprintf("read %s: the server sent more than the %d bytes of range %d-%d", u, end-start+1, start, end), "run the command again")
			}
			return nil
		case ctx.Err() != nil:
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return &bodyError{fault.New(fault.Integrity, fmt.Sprintf("read %s: range %d-%d returned %d bytes", u, start, end, n), "run the command again")}
		}
		werr := fmt.Errorf("read %s: %w", u, err)
		if fault.Classify(werr) == fault.Network {
			return &bodyError{werr}
		}
		return werr
	})
	return n, err
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.left > 0 {
		n, err := r.first.Read(p[:min(int64(len(p)), r.left)])
		r.left -= int64(n)
		if r.left == 0 || err != nil {
			r.first.Close()
			if r.left > 0 {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				r.err = err
				return n, err
			}
		}
		return n, nil
	}
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf
			r.buf = nil
		}
		ch, ok := <-r.results
		if !ok {
			r.err = io.EOF
			return 0, io.EOF
		}
		res := <-ch
		if res.err != nil {
			r.err = res.err
			return 0, res.err
		}
		r.buf, r.cur = res.buf, res.buf[:res.n]
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// Close stops the range reads and waits for them.
func (r *rangeReader) Close() error {
	r.cancel()
	r.first.Close()
	// Unblock a sender waiting on results: drain until it is closed.
	go func() {
		for range r.results {
		}
	}()
	r.wg.Wait()
	return nil
}
