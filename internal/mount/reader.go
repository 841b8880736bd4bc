//go:build linux || darwin

package mount

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/crc64nvme"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Read-ahead: a reader that goes on where it stopped has its window doubled
// up to maxWindow, fetched as chunks of chunkSize in parallel; a reader
// that jumps fetches only what it asked for (at least minFetch) and its
// window starts again at minFetch.
const (
	minFetch   = 128 << 10
	chunkSize  = 8 << 20
	maxWindow  = 32 << 20
	cacheBytes = 64 << 20 // fetched bytes kept per file
	// seqSlack: the kernel's own read-ahead sends reads a little out of
	// order; they still count as sequential.
	seqSlack = 1 << 20
)

// extent is a fetched (or being fetched) range of an object.
type extent struct {
	start, end int64
	done       chan struct{}
	data       []byte
	err        error
	used       time.Time
	ready      bool // fetched without error (under remote.mu)
	// consumed: a read copied the extent's last byte (under remote.mu);
	// such extents are evicted first, before ones read ahead and not
	// read yet.
	consumed bool
}

// remote reads one version (ETag) of an object for every handle open on
// it: the extents fetched are shared.
type remote struct {
	client *s3.Client
	store  *objstore.S3
	url    objstore.URL
	size   int64
	etag   string
	logger *slog.Logger

	mu      sync.Mutex
	extents []*extent
	bytes   int64

	// Whole-object verification: extents are hashed in order from the
	// start as they arrive; a read that reaches the end waits for the
	// verdict.
	hashMu   sync.Mutex // held while hashing
	hash     hash.Hash  // nil: not verifiable, or given up
	want     []byte
	hashed   int64         // under mu
	verified chan struct{} // closed when the verdict is in (or given up)
	verdict  error
}

func newRemote(store *objstore.S3, info objstore.ObjectInfo, u objstore.URL, logger *slog.Logger) *remote {
	r := &remote{client: store.Client(), store: store, url: u, size: info.Size, etag: info.ETag, logger: logger,
		verified: make(chan struct{})}
	r.hash, r.want = verifier(info)
	if r.hash == nil || r.size == 0 {
		r.hash = nil
		close(r.verified)
	}
	return r
}

// advanceHash hashes the fetched extents that continue the hashed prefix.
func (r *remote) advanceHash() {
	r.hashMu.Lock()
	defer r.hashMu.Unlock()
	for {
		r.mu.Lock()
		if r.hash == nil || r.hashed >= r.size {
			r.mu.Unlock()
			return
		}
		var next *extent
		for _, e := range r.extents {
			if e.ready && e.start <= r.hashed && r.hashed < e.end {
				next = e
				break
			}
		}
		if next == nil {
			r.mu.Unlock()
			return
		}
		from := r.hashed
		r.mu.Unlock()
		part := next.data[from-next.start:]
		r.hash.Write(part)
		r.mu.Lock()
		r.hashed = from + int64(len(part))
		done := r.hashed >= r.size
		r.mu.Unlock()
		if done {
			if got := r.hash.Sum(nil); string(got) != string(r.want) {
				r.logger.Error("integrity failure: the object's content does not match its checksum", "key", r.url.Key,
					"want", hex.EncodeToString(r.want), "got", hex.EncodeToString(got))
				r.verdict = fault.Wrap(fault.Integrity, fmt.Errorf("read %s: %w", r.url, errIntegrity), "")
			}
			close(r.verified)
			return
		}
	}
}

// failed reports whether the object failed its verification.
func (r *remote) failed() bool {
	select {
	case <-r.verified:
		return r.verdict != nil
	default:
		return false
	}
}

// waitVerified waits, for a read that reached the end of a whole-object
// read in progress, until the object is verified; it returns the integrity
// error on a mismatch. Reads that did not start at the beginning are not
// verified.
func (r *remote) waitVerified(ctx context.Context) error {
	for {
		r.mu.Lock()
		started := r.hash != nil && r.hashed > 0
		from := r.hashed
		r.mu.Unlock()
		if !started {
			select {
			case <-r.verified:
				return r.verdict
			default:
				return nil
			}
		}
		// Fetch what is missing (an extent evicted before it was hashed).
		r.ensure(ctx, from, r.size, true)
		r.advanceHash()
		select {
		case <-r.verified:
			if r.verdict != nil {
				r.dropAll()
			}
			return r.verdict
		case <-ctx.Done():
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case <-time.After(time.Second):
		}
	}
}

// readState is one handle's position, for the read-ahead.
type readState struct {
	mu      sync.Mutex
	next    int64 // where a sequential read would go on
	window  int64
	started bool // a read came
}

// errIntegrity marks a whole-object read whose checksum did not match.
var errIntegrity = errors.New("checksum mismatch")

// read fills dest from off, fetching and reading ahead as rs's pattern
// says.
func (r *remote) read(ctx context.Context, rs *readState, dest []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, nil
	}
	n := int64(len(dest))
	if off+n > r.size {
		n = r.size - off
	}
	rs.mu.Lock()
	first := !rs.started
	rs.started = true
	seq := off >= rs.next-seqSlack && off <= rs.next+seqSlack && (off > 0 || rs.next == 0)
	if seq {
		rs.window = min(max(rs.window*2, chunkSize), maxWindow)
	} else {
		rs.window = minFetch
	}
	window := rs.window
	rs.next = max(rs.next, off+n)
	if !seq {
		rs.next = off + n
	}
	rs.mu.Unlock()

	// The range to have: what is asked, plus the window when sequential.
	end := off + n
	if seq {
		// The window's end is rounded up to a chunk boundary: as the
		// reader moves on, whole chunks are fetched, not one piece per
		// kernel read (128 KiB).
		end = min((off+window+chunkSize-1)/chunkSize*chunkSize, r.size)
	} else {
		end = min(max(end, off+minFetch), r.size)
	}
	if seq {
		// Whole-object verification must keep up: the extents it has not
		// hashed yet are not evicted, so a reader that runs far ahead of
		// the hash waits for it here.
		if err := r.catchUpHash(ctx, off-cacheBytes/2); err != nil {
			return 0, err
		}
	}
	if seq && r.find(off) == nil {
		// The bytes asked for come in a small GET of their own, so that
		// they do not wait for a whole chunk; on a handle's first read
		// (time to first byte) the window's chunks follow with the next
		// read, so they do not compete with it.
		r.ensure(ctx, off, min(off+max(n, minFetch), r.size), false)
		if !first {
			r.ensure(ctx, off, end, seq)
		}
	} else {
		r.ensure(ctx, off, end, seq)
	}

	got := int64(0)
	for got < n {
		e := r.find(off + got)
		if e == nil {
			// Evicted meanwhile, or a fetch failed and was dropped.
			r.ensure(ctx, off+got, min(off+n, r.size), false)
			e = r.find(off + got)
			if e == nil {
				return int(got), fault.Newf(fault.Network, "read %s: the range was not fetched", r.url)
			}
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return int(got), fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		if e.err != nil {
			r.drop(e)
			return int(got), e.err
		}
		c := copy(dest[got:n], e.data[off+got-e.start:])
		got += int64(c)
		if off+got >= e.end {
			r.mu.Lock()
			e.consumed = true
			r.mu.Unlock()
		}
	}
	if off+n == r.size {
		if err := r.waitVerified(ctx); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// verifier returns the hash and digest that verify the whole object: its
// CRC64NVME (what Amazon S3 stores for every object by default; always a
// full-object checksum), else its full-object CRC32C, else its plain MD5
// ETag; nil when there is none. MD5 is the slowest (one core hashes
// 600-700 MB/s), so it comes last.
func verifier(info objstore.ObjectInfo) (hash.Hash, []byte) {
	if v := info.Checksums["CRC64NVME"]; v != "" {
		if want, err := base64.StdEncoding.DecodeString(v); err == nil && len(want) == 8 {
			return crc64nvme.New(), want
		}
	}
	if v := info.Checksums["CRC32C"]; v != "" && info.ChecksumType != "COMPOSITE" {
		if want, err := base64.StdEncoding.DecodeString(v); err == nil {
			return crc32.New(crc32.MakeTable(crc32.Castagnoli)), want
		}
		return nil, nil
	}
	etag := strings.Trim(info.ETag, `"`)
	if len(etag) == 32 && !strings.Contains(etag, "-") && !strings.HasPrefix(info.SSE, "aws:kms") {
		if want, err := hex.DecodeString(etag); err == nil {
			return md5.New(), want
		}
	}
	return nil, nil
}

// find returns the extent holding off, or nil.
func (r *remote) find(off int64) *extent {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.extents {
		if e.start <= off && off < e.end {
			e.used = time.Now()
			return e
		}
	}
	return nil
}

// ensure starts fetches for the parts of [start, end) no extent covers,
// in chunks when reading ahead.
func (r *remote) ensure(ctx context.Context, start, end int64, ahead bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for pos := start; pos < end; {
		covered := false
		for _, e := range r.extents {
			if e.start <= pos && pos < e.end {
				pos, covered = e.end, true
				break
			}
		}
		if covered {
			continue
		}
		stop := end
		if ahead {
			stop = min(pos+chunkSize, end)
		}
		for _, e := range r.extents {
			if e.start > pos && e.start < stop {
				stop = e.start
			}
		}
		e := &extent{start: pos, end: stop, done: make(chan struct{}), used: time.Now()}
		r.extents = append(r.extents, e)
		r.bytes += stop - pos
		go r.fetch(context.WithoutCancel(ctx), e)
		pos = stop
	}
	r.evictLocked()
}

// evictLocked drops finished extents above the cap: first the least
// recently used of those every reader is done with, then of those read
// ahead. Extents the whole-object hash still needs (the run of extents
// from where it stands) stay: evicting them made the verification fetch
// them again, and evicting read-ahead before consumed extents made a
// sequential reader fetch its data again in small pieces.
func (r *remote) evictLocked() {
	if r.bytes <= cacheBytes {
		return
	}
	keep := map[*extent]bool{}
	if r.hash != nil {
		for pos := r.hashed; pos < r.size; {
			var next *extent
			for _, e := range r.extents {
				if e.start <= pos && pos < e.end {
					next = e
					break
				}
			}
			if next == nil {
				break
			}
			keep[next] = true
			pos = next.end
		}
	}
	for r.bytes > cacheBytes {
		victim := -1
		for i, e := range r.extents {
			select {
			case <-e.done:
			default:
				continue
			}
			if keep[e] {
				continue
			}
			if victim < 0 {
				victim = i
				continue
			}
			v := r.extents[victim]
			if e.consumed != v.consumed {
				if e.consumed {
					victim = i
				}
				continue
			}
			if e.used.Before(v.used) {
				victim = i
			}
		}
		if victim < 0 {
			return
		}
		e := r.extents[victim]
		r.extents = append(r.extents[:victim], r.extents[victim+1:]...)
		r.bytes -= e.end - e.start
	}
}

// catchUpHash waits until the whole-object hash has reached target, if it
// can: while the extent it needs next is being fetched, or hashed by
// another goroutine. It returns at once when nothing is being verified or
// the hash cannot go on (the next extent is not there).
func (r *remote) catchUpHash(ctx context.Context, target int64) error {
	for {
		r.mu.Lock()
		if r.hash == nil || r.hashed >= target || r.hashed >= r.size {
			r.mu.Unlock()
			return nil
		}
		var next *extent
		for _, e := range r.extents {
			if e.start <= r.hashed && r.hashed < e.end {
				next = e
				break
			}
		}
		r.mu.Unlock()
		if next == nil {
			return nil
		}
		select {
		case <-next.done:
		case <-ctx.Done():
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		if next.err != nil {
			return nil
		}
		before := r.hashedAt()
		r.advanceHash()
		if r.hashedAt() == before {
			return nil
		}
	}
}

func (r *remote) hashedAt() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hashed
}

func (r *remote) drop(x *extent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range r.extents {
		if e == x {
			r.extents = append(r.extents[:i], r.extents[i+1:]...)
			r.bytes -= e.end - e.start
			return
		}
	}
}

func (r *remote) dropAll() {
	r.mu.Lock()
	r.extents, r.bytes = nil, 0
	r.mu.Unlock()
}

// fetchTimeout bounds one ranged GET (credential waits included).
const fetchTimeout = 15 * time.Minute

func (r *remote) fetch(ctx context.Context, e *extent) {
	defer close(e.done)
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	in := &s3.GetObjectInput{Bucket: aws.String(r.url.Bucket), Key: aws.String(r.url.Key),
		Range: aws.String(fmt.Sprintf("bytes=%d-%d", e.start, e.end-1))}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	buf := make([]byte, e.end-e.start)
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var out *s3.GetObjectOutput
		out, err = r.client.GetObject(ctx, in)
		if err != nil {
			err = r.store.Translate("read", r.url.String(), err)
			break
		}
		_, err = io.ReadFull(out.Body, buf)
		out.Body.Close()
		if err == nil {
			break
		}
		err = fault.Wrap(fault.Network, fmt.Errorf("read %s: %w", r.url, err), "")
	}
	r.mu.Lock()
	e.data, e.err = buf, err
	e.ready = err == nil
	r.mu.Unlock()
	if err == nil {
		r.advanceHash()
	}
}
