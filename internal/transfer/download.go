package transfer

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
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
	// Info, when set, is the object's HEAD answer (with its checksums),
	// asked just before: a ranged download takes the stored checksum from
	// it instead of asking again.
	Info *objstore.ObjectInfo
}

// Download writes src to the local file path. It writes a temporary file in
// the same directory and renames it into place once the content checks out
// against the checksum S3 stores (a full-object CRC, a composite checksum,
// or the MD5 ETag); on any failure or interruption the temporary file is
// removed and an existing file at path is left untouched, except that with
// Options.Resume an interrupted ranged download keeps its partial file and a
// journal of the finished ranges beside it, for the next --resume. The
// file's modification time is set to the object's.
func (e *Engine) Download(ctx context.Context, src Remote, path string) (err error) {
	if src.Size < 0 {
		info, herr := e.s3.Head(ctx, src.URL)
		if herr != nil {
			return herr
		}
		src.Size, src.ETag, src.LastModified, src.Info = info.Size, info.ETag, info.LastModified, &info
	}
	dir := filepath.Dir(path)
	if _, ok := e.dirs.Load(dir); !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("download %s: %w", src.URL, err), "")
		}
		e.dirs.Store(dir, true)
	}
	// Multipart objects go through the ranged path even when small: their
	// checksum can only be verified part by part.
	if src.Size >= e.opts.MultipartThreshold || strings.Contains(src.ETag, "-") && src.Size > 0 {
		if isDir(path) {
			return destIsDir(src, path)
		}
		return e.downloadRanged(ctx, src, path)
	}
	tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("download %s: %w", src.URL, err), "")
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	attempt := 0
	err = e.retryBody(ctx, func() error {
		if attempt++; attempt > 1 {
			if _, err := tmp.Seek(0, io.SeekStart); err != nil {
				return err
			}
			if err := tmp.Truncate(0); err != nil {
				return err
			}
		}
		return e.downloadSingle(ctx, src, tmp)
	})
	if err != nil {
		return err
	}
	return e.finishDownload(tmp, src, path)
}

// finishDownload closes a verified temporary file, sets its time and renames
// it into place.
func (e *Engine) finishDownload(tmp *os.File, src Remote, path string) error {
	if err := tmp.Close(); err != nil {
		return localErr("download", src.URL, err)
	}
	if !src.LastModified.IsZero() {
		_ = os.Chtimes(tmp.Name(), src.LastModified, src.LastModified)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if isDir(path) {
			return destIsDir(src, path)
		}
		return localErr("download", src.URL, err)
	}
	return nil
}

// createTemp creates .BASE.s3sso-RANDOM.tmp in dir with the mode a new
// file gets (0666 less the umask), as the downloaded file should have:
// os.CreateTemp would make it 0600.
func createTemp(dir, base string) (*os.File, error) {
	for {
		name := filepath.Join(dir, fmt.Sprintf(".%s.s3sso-%08x.tmp", base, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func destIsDir(src Remote, path string) error {
	return fault.New(fault.Local, fmt.Sprintf("download %s: %s is a directory", src.URL, path),
		"give a file name, or end the destination with / to download into the directory")
}

// bodyError is a failure while reading a response body: the request
// succeeded, so the SDK did not retry it.
type bodyError struct{ err error }

func (b *bodyError) Error() string { return b.err.Error() }
func (b *bodyError) Unwrap() error { return b.err }

// bodyRetries is how often a download (or one range of it) is tried when the
// connection breaks while the body streams.
const bodyRetries = 4

// retryBody runs fn again, with a short backoff, when it failed while
// reading a response body (connection reset mid-stream).
func (e *Engine) retryBody(ctx context.Context, fn func() error) error {
	var err error
	for attempt := range bodyRetries {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fault.Wrap(fault.Interrupted, ctx.Err(), "")
			case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
			}
		}
		err = fn()
		var be *bodyError
		if err == nil || !errors.As(err, &be) || ctx.Err() != nil {
			break
		}
		e.opts.Logger.Debug("retrying after a broken response body", "err", err, "attempt", attempt+1)
	}
	var be *bodyError
	if errors.As(err, &be) {
		return be.err
	}
	return err
}

// integrityErr reports content that does not match the stored checksum.
func integrityErr(u objstore.URL, st stored, got []byte) error {
	gs := b64(got)
	if st.algo == algoMD5 {
		gs = hex.EncodeToString(got)
	}
	return fault.New(fault.Integrity, fmt.Sprintf("download %s: content does not match the stored checksum (%s, got %s); the file was not kept", u, st, gs),
		"run the command again; if it persists, the stored object is damaged")
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

func (e *Engine) getObject(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	in.ChecksumMode = types.ChecksumModeEnabled
	return e.s3.Client().GetObject(ctx, in, noSDKValidation)
}

// downloadSingle GETs the whole object into w, verifying it against its
// full-object checksum or MD5 ETag.
func (e *Engine) downloadSingle(ctx context.Context, src Remote, w io.Writer) error {
	in := &s3.GetObjectInput{Bucket: aws.String(src.URL.Bucket), Key: aws.String(src.URL.Key), VersionId: objstore.VersionParam(src.URL.VersionID)}
	if src.ETag != "" {
		in.IfMatch = aws.String(src.ETag)
	}
	out, err := e.getObject(ctx, in)
	if err != nil {
		return e.s3.Translate("download", src.URL.String(), err)
	}
	defer out.Body.Close()
	st := storedOfGet(out)
	var h hash.Hash
	if st.full() {
		h = st.algo.new()
		w = io.MultiWriter(w, h)
	} else {
		e.opts.Logger.Debug("download not verified: no full-object checksum or MD5 ETag", "url", src.URL.String(), "checksum", st.String())
	}
	pr := &progressReader{r: out.Body, stats: &e.Stats}
	n, err := copyPooled(w, pr)
	if err != nil {
		e.Stats.BytesDone.Add(-pr.n)
		if ctx.Err() != nil {
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		werr := writeOrReadErr("download", src.URL, err)
		if fault.KindOf(werr) == fault.Network {
			return &bodyError{werr}
		}
		return werr
	}
	if expected := aws.ToInt64(out.ContentLength); out.ContentLength != nil && n != expected {
		return fault.New(fault.Integrity, fmt.Sprintf("download %s: got %d of %d bytes", src.URL, n, expected), "run the command again")
	}
	if h != nil {
		if got := h.Sum(nil); !bytes.Equal(got, st.value) {
			return integrityErr(src.URL, st, got)
		}
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

// downloadRanged fetches pieces of the object in parallel and writes each at
// its offset. Every piece is pinned to the ETag seen first (If-Match), so an
// object replaced mid-download fails instead of mixing versions. How the
// object is checked decides how it is cut:
//
//   - a full-object CRC: ranges of the part size, each hashed as it
//     streams; the range CRCs are combined into the object's CRC;
//   - a sum per part (a multipart ETag, MD5 of the part MD5s, or a composite
//     checksum): one GET per part, by number (?partNumber=N), so that each
//     piece is exactly one part whatever the part sizes (the response's
//     Content-Range says where it goes); each part is hashed while it lands,
//     the MD5s of the parts 16 at a time in SIMD lanes (laneHasher);
//   - a full checksum that does not combine (the MD5 ETag of a single-part
//     object, SHA): ranges, hashed in file order by a follower goroutine
//     that reads back what the writers have written, right behind them.
func (e *Engine) downloadRanged(ctx context.Context, src Remote, path string) (err error) {
	var size int64
	var etag string
	var st stored
	var modified time.Time
	if in := src.Info; in != nil && (src.ETag == "" || in.ETag == src.ETag) {
		// The object was looked up by name just before (cp of one object):
		// its HEAD answer has the checksums. The GETs below still ask for
		// this ETag (If-Match), so a change since is still caught.
		size, etag, st, modified = in.Size, in.ETag, storedOfInfo(in), in.LastModified
	} else {
		hin := &s3.HeadObjectInput{Bucket: aws.String(src.URL.Bucket), Key: aws.String(src.URL.Key), VersionId: objstore.VersionParam(src.URL.VersionID), ChecksumMode: types.ChecksumModeEnabled}
		if src.ETag != "" {
			hin.IfMatch = aws.String(src.ETag)
		}
		head, err := e.s3.Client().HeadObject(ctx, hin)
		if err != nil {
			return e.s3.Translate("download", src.URL.String(), err)
		}
		size, etag, st, modified = aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), storedOfHead(head), aws.ToTime(head.LastModified)
	}
	if src.LastModified.IsZero() {
		src.LastModified = modified
	}
	rs := e.rangeSizeFor(size)
	n := int((size + rs - 1) / rs)
	// byPart: the pieces are the object's parts, fetched by number.
	// placed: where each piece goes is known before it is fetched (always
	// for ranges; for parts when every part but the last has the first
	// part's size, as every common uploader makes them).
	byPart, placed := false, true
	if st.parts > 0 {
		p1, err := e.s3.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.URL.Bucket), Key: aws.String(src.URL.Key), VersionId: objstore.VersionParam(src.URL.VersionID),
			PartNumber: aws.Int32(1), IfMatch: aws.String(etag)})
		if err != nil {
			return e.s3.Translate("download", src.URL.String(), err)
		}
		ps := aws.ToInt64(p1.ContentLength)
		if ps <= 0 || st.parts > 1 && ps >= size || p1.PartsCount != nil && int(*p1.PartsCount) != st.parts {
			e.opts.Logger.Debug("download not verified: the server does not serve the object's parts by number", "url", src.URL.String(), "checksum", st.String())
			st = stored{}
		} else {
			byPart, n, rs = true, st.parts, ps
			if (size+ps-1)/ps != int64(st.parts) {
				placed = false
				e.opts.Logger.Debug("parts of unequal size: each is placed where the server says", "url", src.URL.String(), "parts", st.parts)
			}
		}
	}
	rangeAlgo := algo("")
	if st.parts > 0 || st.algo.combinable() {
		rangeAlgo = st.algo
	}
	// pieceAlgo: what each piece is hashed with as it streams. With
	// AVX-512, the MD5s of parts are computed by a laneHasher instead.
	pieceAlgo := rangeAlgo
	if byPart && st.algo == algoMD5 && haveMD5x16 {
		pieceAlgo = ""
	}
	// span: parts per piece. Parts smaller than the part size, or than
	// 32 MiB (the AWS CLI's are 8 MiB), are fetched several at a time by
	// range when the lane hasher computes their MD5s from the file: one GET
	// per 8 MiB part was about a third slower than 16 MiB ranges, and with
	// more parts in progress the lanes fill better (32 MiB pieces took less
	// CPU than 16 MiB ones). That assumes the parts have equal sizes, which
	// a mismatch then checks (verifyLayout).
	span := 1
	if minPiece := max(e.opts.PartSize, laneSpan); byPart && placed && pieceAlgo == "" && rs < minPiece {
		span = int((minPiece + rs - 1) / rs)
	}
	prs := rs * int64(span) // bytes per piece (but the last)

	dir, base := filepath.Dir(path), filepath.Base(path)
	var f *os.File
	var rj *rangeJournal
	jpath := ""
	done := map[int64]bool{}
	if e.opts.Resume && !placed {
		e.opts.Logger.Debug("download cannot be resumed: parts of unequal size", "url", src.URL.String())
	}
	if e.opts.Resume && placed {
		name := filepath.Join(dir, "."+base+".s3sso-partial.tmp")
		jpath = filepath.Join(dir, "."+base+".s3sso-ranges.tmp")
		var old rangeJournal
		ok, _ := readJSON(jpath, &old)
		if _, serr := os.Stat(name); ok && serr == nil && old.ETag == etag && old.Size == size && old.RangeSize == prs {
			rj = &old
			for _, o := range old.Done {
				done[o] = true
			}
			e.opts.Logger.Info("resuming download", "url", src.URL.String(), "ranges_done", len(done))
		} else {
			os.Remove(name)
			rj = &rangeJournal{Version: 1, URL: src.URL.String(), ETag: etag, Size: size, RangeSize: prs}
		}
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	} else {
		f, err = createTemp(dir, base)
	}
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("download %s: %w", src.URL, err), "")
	}
	keep := false
	defer func() {
		if err != nil {
			f.Close()
			if !keep {
				os.Remove(f.Name())
				if jpath != "" {
					os.Remove(jpath)
				}
			}
		}
	}()
	if err = f.Truncate(size); err != nil {
		return writeOrReadErr("download", src.URL, err)
	}
	// With --resume the ranges that fit are kept for later, so the file
	// is not preallocated (that would fail before the first one).
	if rj == nil {
		if err = preallocate(f, size); err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("download %s: reserve %d bytes for %s: %w", src.URL, size, path, err),
				"free some space or choose another destination")
		}
	}
	// The kernel serializes buffered writes to one file on Linux (see
	// serialFile); elsewhere the writers write as they come.
	var sf io.WriterAt = f
	if runtime.GOOS == "linux" {
		sf = &serialFile{f: f}
	}
	sums := make([][]byte, n)
	lens := make([]int64, n)
	for i := range n {
		if placed {
			lens[i] = min(rs, size-int64(i)*rs)
		}
	}
	var jmu sync.Mutex
	// saved is how many bytes of finished ranges the journal on disk
	// records: what a later --resume can use of the partial file.
	var saved int64
	if rj != nil {
		for _, o := range rj.Done {
			saved += min(rs, size-o)
		}
	}
	// A full checksum that does not combine (MD5 ETag, SHA) is computed in
	// file order by a follower that reads back what the writers wrote.
	var follow *follower
	if st.algo != "" && rangeAlgo == "" {
		follow = newFollower(f, lens, rs, st.algo)
		defer follow.stop()
		for i := range n {
			if done[int64(i)*rs] {
				follow.wrote(i, lens[i])
			}
		}
	}
	var lanes *laneHasher
	if rangeAlgo != "" && pieceAlgo == "" {
		lanes = newLaneHasher(f, size, n)
		defer lanes.stop()
		for i := range n {
			if done[int64(i/span)*prs] {
				lanes.done(i, int64(i)*rs, lens[i])
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.DownloadPartConcurrency)
	for i := 0; i < n; i += span {
		last := min(i+span, n) // the piece holds parts i..last-1
		p := piece{start: -1, end: -1}
		if placed {
			p.start = int64(i) * rs
			p.end = min(int64(last)*rs, size) - 1
		}
		if byPart && span == 1 {
			p.part = int32(i + 1)
		}
		if placed && done[p.start] {
			e.Stats.BytesDone.Add(p.end - p.start + 1)
			continue
		}
		g.Go(func() error {
			release, err := e.partSlot(gctx)
			if err != nil {
				return fault.Wrap(fault.Interrupted, err, "")
			}
			defer release()
			var onWrite func(start, n int64)
			switch {
			case follow != nil:
				onWrite = func(_, w int64) { follow.wrote(i, w) }
			case lanes != nil && span == 1:
				onWrite = func(start, w int64) { lanes.wrote(i, start, w) }
			case lanes != nil:
				onWrite = func(start, w int64) {
					for k := i; k < last && w > int64(k-i)*rs; k++ {
						off := int64(k-i) * rs
						lanes.wrote(k, start+off, min(w-off, lens[k]))
					}
				}
			}
			sum, got, err := e.getPiece(gctx, src.URL, etag, size, sf, p, pieceAlgo, n == 1, onWrite)
			if err != nil {
				if ctx.Err() != nil {
					return fault.Wrap(fault.Interrupted, ctx.Err(), "")
				}
				return err
			}
			sums[i] = sum
			switch {
			case lanes != nil && span == 1:
				lanes.done(i, got.start, got.end-got.start+1)
			case lanes != nil:
				for k := i; k < last; k++ {
					lanes.done(k, got.start+int64(k-i)*rs, lens[k])
				}
			}
			jmu.Lock()
			defer jmu.Unlock()
			if rj == nil {
				return nil
			}
			if got.start != p.start || got.end != p.end {
				// Parts of unequal size after all (the same count as equal
				// ones would give): the piece went where the server said,
				// but the journal's layout is wrong.
				e.opts.Logger.Debug("parts of unequal size: download cannot be resumed", "url", src.URL.String())
				rj = nil
				os.Remove(jpath)
				jpath = ""
				return nil
			}
			rj.Done = append(rj.Done, p.start)
			if werr := writeJournal(jpath, rj, false, false); werr != nil {
				e.opts.Logger.Warn("update download journal", "url", src.URL.String(), "err", werr)
				return nil
			}
			saved = 0
			for _, o := range rj.Done {
				saved += min(rs, size-o)
			}
			return nil
		})
	}
	if err = g.Wait(); err != nil {
		jmu.Lock()
		kept := saved
		jmu.Unlock()
		switch {
		case rj == nil || fault.KindOf(err) == fault.Integrity:
		case kept == 0:
			// No finished range is recorded: the partial file (sparse, of
			// the object's full size) holds nothing a resume could use,
			// and on a full disk it is what fills it. It is removed.
			if ctx.Err() != nil {
				err = fault.Wrap(fault.Interrupted, ctx.Err(), "")
			}
		case ctx.Err() != nil:
			keep = true
			err = fault.Wrap(fault.Interrupted, ctx.Err(), ResumeHint)
		default:
			keep = true
			hint := ResumeHint
			if fault.KindOf(err) == fault.Local {
				hint = "free some space, then " + ResumeHint
			}
			err = fault.WithHint(fmt.Errorf("%w (kept %s, %d of %d bytes, for --resume; to discard it: rm '%s' '%s')",
				err, f.Name(), kept, size, f.Name(), jpath), hint)
		}
		return err
	}
	if st.algo == "" {
		e.opts.Logger.Debug("download not verified: no checksum or MD5 ETag", "url", src.URL.String())
	} else if rangeAlgo != "" {
		if lanes != nil {
			waited := time.Now()
			if sums, err = lanes.sums(); err != nil {
				return localErr("download", src.URL, err)
			}
			ls := lanes.stats
			e.opts.Logger.Debug("part MD5s hashed in lanes", "url", src.URL.String(), "parts", n, "rounds", ls.rounds, "lanes", ls.lanes,
				"left_after_last_byte", ls.atLast, "wait", time.Since(waited).Round(time.Microsecond))
		}
		// Pieces written by an earlier run are hashed from the disk.
		for i := range n {
			if sums[i] == nil {
				if sums[i], err = hashSection(f, int64(i)*rs, lens[i], rangeAlgo); err != nil {
					return localErr("download", src.URL, err)
				}
			}
		}
		got, werr := st.wholeSum(sums, lens)
		if werr == nil && !bytes.Equal(got, st.value) && span > 1 {
			got, werr = e.verifyLayout(ctx, src.URL, etag, f.Name(), lens, size, got)
		}
		if werr != nil || !bytes.Equal(got, st.value) {
			if fault.KindOf(werr) != fault.Unknown {
				return werr
			}
			return integrityErr(src.URL, st, got)
		}
	} else {
		got, herr := follow.sum()
		if herr != nil {
			return localErr("download", src.URL, herr)
		}
		if !bytes.Equal(got, st.value) {
			return integrityErr(src.URL, st, got)
		}
	}
	if err = e.finishDownload(f, src, path); err != nil {
		return err
	}
	if jpath != "" {
		os.Remove(jpath)
	}
	return nil
}

// laneSpan is the smallest piece of a download whose part MD5s the lane
// hasher computes (a variable for tests).
var laneSpan int64 = 32 << 20

// verifyLayout is asked when a multipart ETag computed with parts assumed of
// equal size does not match: it asks the size of each part (HEAD
// ?partNumber=N) and, if they differ from lens, returns the ETag's MD5
// computed from the file with the real sizes; else it returns got.
func (e *Engine) verifyLayout(ctx context.Context, u objstore.URL, etag, path string, lens []int64, size int64, got []byte) ([]byte, error) {
	sizes := make([]int64, len(lens))
	var off int64
	same := true
	for k := range sizes {
		head, err := e.s3.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), VersionId: objstore.VersionParam(u.VersionID),
			PartNumber: aws.Int32(int32(k + 1)), IfMatch: aws.String(etag)})
		if err != nil {
			return nil, e.s3.Translate("download", u.String(), err)
		}
		sizes[k] = aws.ToInt64(head.ContentLength)
		if !partAt(aws.ToString(head.ContentRange), off, sizes[k], size) {
			return got, nil // no better answer: the mismatch stands
		}
		off += sizes[k]
		same = same && sizes[k] == lens[k]
	}
	if same || off != size {
		return got, nil
	}
	e.opts.Logger.Debug("parts of unequal size: hashed again with their sizes", "url", u.String())
	return fileMD5Parts(path, sizes)
}

// follower hashes a file in order while its ranges are written out of
// order and in parallel, each from its start: wrote(i, n) reports the first
// n bytes of range i on disk. It reads back (from the page cache) what is
// on disk right behind the writers: the first unfinished range as its bytes
// arrive, then the ranges after it, which are complete or partly written
// by then. Hashing is never on the writers' path: a download costs more
// wall time than an unverified one only where one core hashes slower than
// the network delivers (docs/transfer.md).
type follower struct {
	written []atomic.Int64 // per range: bytes on disk from its start
	at      atomic.Int64   // the range being hashed
	kick    chan struct{}
	result  chan followResult
	quit    chan struct{}
	once    sync.Once
}

type followResult struct {
	sum []byte
	err error
}

func newFollower(f *os.File, lens []int64, rs int64, a algo) *follower {
	n := len(lens)
	fl := &follower{written: make([]atomic.Int64, n), kick: make(chan struct{}, 1),
		result: make(chan followResult, 1), quit: make(chan struct{})}
	go func() {
		h := a.new()
		bp := copyBufs.Get().(*[]byte)
		defer copyBufs.Put(bp)
		buf := *bp
		var hashed int64 // bytes of range next hashed
		for next := 0; next < n; {
			if w := fl.written[next].Load(); w > hashed {
				for hashed < w {
					m := min(int64(len(buf)), w-hashed)
					k, err := f.ReadAt(buf[:m], int64(next)*rs+hashed)
					if int64(k) < m {
						if err == nil {
							err = io.ErrUnexpectedEOF
						}
						fl.result <- followResult{err: err}
						return
					}
					h.Write(buf[:k])
					hashed += int64(k)
				}
				continue
			}
			if hashed == lens[next] {
				next++
				hashed = 0
				fl.at.Store(int64(next))
				continue
			}
			select {
			case <-fl.kick:
			case <-fl.quit:
				return
			}
		}
		fl.result <- followResult{sum: h.Sum(nil)}
	}()
	return fl
}

// wrote reports the first n bytes of range i written. The follower is
// woken only when it waits for that range; it looks at a range's count when
// it gets there (the atomics order the two: either this sees the follower
// at i, or the follower sees n).
func (fl *follower) wrote(i int, n int64) {
	fl.written[i].Store(n)
	if fl.at.Load() == int64(i) {
		select {
		case fl.kick <- struct{}{}:
		default:
		}
	}
}

// sum returns the hash once every range was written.
func (fl *follower) sum() ([]byte, error) {
	r := <-fl.result
	return r.sum, r.err
}

// stop ends the follower early (the download failed).
func (fl *follower) stop() { fl.once.Do(func() { close(fl.quit) }) }

func hashSection(f *os.File, off, n int64, a algo) ([]byte, error) {
	h := a.new()
	if _, err := io.Copy(h, io.NewSectionReader(f, off, n)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// piece is one GET of a ranged download: bytes start..end, or with part > 0
// the object's part of that number (start..end is then where the part is
// expected, -1 when unknown; the response's Content-Range decides).
type piece struct {
	start, end int64
	part       int32
}

// getPiece downloads one piece into f at its place and returns the sum of its
// bytes under a (nil when a is empty) and where it went. whole: the object
// has one piece (a server may answer ?partNumber=1 of it without a
// Content-Range). A connection that breaks mid-body is retried for the rest
// of the piece: the bytes already written, and hashed, are kept.
func (e *Engine) getPiece(ctx context.Context, u objstore.URL, etag string, size int64, f io.WriterAt, p piece, a algo, whole bool, onWrite func(start, n int64)) ([]byte, piece, error) {
	var h hash.Hash
	if a != "" {
		h = a.newPart()
		defer closeHash(h)
	}
	pw := &pieceWriter{f: f, h: h, onWrite: onWrite}
	byNumber := p.part > 0
	err := e.retryBody(ctx, func() error {
		in := &s3.GetObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), VersionId: objstore.VersionParam(u.VersionID)}
		if etag != "" {
			in.IfMatch = aws.String(etag)
		}
		if byNumber {
			in.PartNumber = aws.Int32(p.part)
		} else {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", p.start+pw.n, p.end))
		}
		out, err := e.getObject(ctx, in)
		if err != nil {
			return e.s3.Translate("download", u.String(), err)
		}
		defer out.Body.Close()
		if byNumber {
			start, end, ok := partRange(out, size, whole)
			if !ok {
				return fault.New(fault.Integrity, fmt.Sprintf("download %s: the server answered part %d with the range %q of an object of %d bytes",
					u, p.part, aws.ToString(out.ContentRange), size), "run the command again")
			}
			// A retry asks for the rest of the part by range.
			p.start, p.end, byNumber = start, end, false
		}
		pw.off, pw.end = p.start+pw.n, p.end
		if _, err := copyPooled(pw, &progressReader{r: out.Body, stats: &e.Stats}); err != nil {
			if ctx.Err() != nil {
				return fault.Wrap(fault.Interrupted, ctx.Err(), "")
			}
			if errors.Is(err, errLongBody) {
				return fault.New(fault.Integrity, fmt.Sprintf("download %s: the server sent more than the %d bytes of range %d-%d", u, p.end-p.start+1, p.start, p.end), "run the command again")
			}
			werr := writeOrReadErr("download", u, err)
			if fault.KindOf(werr) == fault.Network {
				return &bodyError{werr}
			}
			return werr
		}
		if want := p.end - p.start + 1; pw.n != want {
			return &bodyError{fault.New(fault.Integrity, fmt.Sprintf("download %s: range %d-%d returned %d bytes", u, p.start, p.end, pw.n), "run the command again")}
		}
		return nil
	})
	if err != nil {
		return nil, p, err
	}
	if h != nil {
		return h.Sum(nil), p, nil
	}
	return nil, p, nil
}

// partRange returns where the part in a ?partNumber= response lies in the
// object, from its Content-Range ("bytes 0-99/1000").
func partRange(out *s3.GetObjectOutput, size int64, whole bool) (start, end int64, ok bool) {
	cr := aws.ToString(out.ContentRange)
	if cr == "" {
		return 0, size - 1, whole && aws.ToInt64(out.ContentLength) == size
	}
	var total int64
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil {
		return 0, 0, false
	}
	return start, end, total == size && 0 <= start && start <= end && end < size
}

// serialFile writes to a file from several goroutines one write at a
// time. Linux takes a file's lock for every buffered write anyway (ext4,
// XFS, btrfs, tmpfs); eight writers waiting for it there spun on the CPU (9% of a
// 1 GiB download's client CPU in rwsem_spin_on_owner), where a writer
// waiting here sleeps and its CPU reads the network.
type serialFile struct {
	mu sync.Mutex
	f  *os.File
}

func (s *serialFile) WriteAt(b []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.WriteAt(b, off)
}

// errLongBody: a response carried more bytes than its range.
var errLongBody = errors.New("response longer than its range")

// pieceWriter writes the bytes of one piece at their place in the file
// (never beyond the piece), hashes what was written and reports the count.
type pieceWriter struct {
	f       io.WriterAt
	off     int64 // file offset of the next byte
	end     int64 // last file offset of the piece
	n       int64 // bytes of the piece written so far
	h       hash.Hash
	onWrite func(start, n int64)
}

func (w *pieceWriter) Write(b []byte) (int, error) {
	long := false
	if room := w.end + 1 - w.off; int64(len(b)) > room {
		b, long = b[:max(room, 0)], true
	}
	n, err := w.f.WriteAt(b, w.off)
	if n > 0 {
		if w.h != nil {
			w.h.Write(b[:n])
		}
		w.off += int64(n)
		w.n += int64(n)
		if w.onWrite != nil {
			w.onWrite(w.off-w.n, w.n)
		}
	}
	if err == nil && long {
		err = errLongBody
	}
	return n, err
}

// copyBufs are copyPooled's buffers: reads and writes of up to 256 KiB
// instead of io.Copy's 32 KiB took about a fifth less CPU for a 1 GiB
// download (fewer system calls), while the parts in flight hold at most a
// few MiB.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyPooled(w io.Writer, r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(w, r, *bp)
}

// Stream writes the object to w (stdout, cat) in order, in one GET, without
// a temp file. Its checksum is verified at the end: the bytes are already
// written then, but the command fails. The hash runs in its own goroutine
// beside the writes (it costs wall time only where one core hashes slower
// than the object arrives). A multipart ETag or composite checksum is
// checked part by part; the parts' sizes come from HEAD ?partNumber=N,
// asked while the object streams.
func (e *Engine) Stream(ctx context.Context, src objstore.URL, w io.Writer) error {
	out, err := e.getObject(ctx, &s3.GetObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key), VersionId: objstore.VersionParam(src.VersionID)})
	if err != nil {
		return e.s3.Translate("read", src.String(), err)
	}
	defer out.Body.Close()
	st := storedOfGet(out)
	size := aws.ToInt64(out.ContentLength)
	var sh *streamHasher
	switch {
	case st.full():
		sh = newStreamHasher(st, nil)
	case st.parts > 0 && out.ContentLength != nil && size > 0:
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sh = newStreamHasher(st, e.partSizes(hctx, src, aws.ToString(out.ETag), st.parts, size))
	default:
		e.opts.Logger.Debug("read not verified: no checksum or MD5 ETag", "url", src.String(), "checksum", st.String())
	}
	if sh != nil {
		defer sh.stop()
	}
	var body io.Reader = out.Body
	if k := e.streamRanges(size); k > 0 && out.ContentLength != nil && out.ContentRange == nil {
		// Later ranges read in parallel, delivered in order: the hash
		// sees the bytes as before.
		rr := e.newRangeReader(ctx, src, aws.ToString(out.ETag), out.Body, size, k)
		defer rr.Close()
		body = rr
	}
	pr := &progressReader{r: body, stats: &e.Stats}
	for {
		bp := copyBufs.Get().(*[]byte)
		n, rerr := pr.Read(*bp)
		if n > 0 {
			if _, werr := w.Write((*bp)[:n]); werr != nil {
				copyBufs.Put(bp)
				return fmt.Errorf("read %s: %w", src, werr)
			}
		}
		if sh != nil && n > 0 {
			sh.add(bp, n) // returned to the pool once hashed
		} else {
			copyBufs.Put(bp)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return fault.Wrap(fault.Interrupted, ctx.Err(), "")
			}
			return fmt.Errorf("read %s: %w", src, rerr)
		}
	}
	if sh == nil {
		return nil
	}
	got, skip := sh.sum()
	switch {
	case skip != "":
		e.opts.Logger.Debug("read not verified: "+skip, "url", src.String(), "checksum", st.String())
	case !bytes.Equal(got, st.value):
		return fault.New(fault.Integrity, fmt.Sprintf("read %s: content does not match the stored checksum (%s)", src, st), "run the command again")
	}
	return nil
}

// streamHasher hashes a stream in its own goroutine: add hands it a buffer
// (which it returns to copyBufs), sum waits for the result. With part sizes,
// it hashes each part and then the part sums (multipart ETag, composite
// checksum).
type streamHasher struct {
	in   chan streamChunk
	res  chan streamSum
	once sync.Once
}

type streamChunk struct {
	bp *[]byte
	n  int
}

type streamSum struct {
	sum  []byte
	skip string // why it could not be computed
}

// partSize is the size of one part, or why it is not known.
type partSize struct {
	n    int64
	skip string
}

// streamQueue is how many buffers the hasher may lag behind the writes
// (4 MiB of 256 KiB buffers).
const streamQueue = 16

func newStreamHasher(st stored, parts <-chan partSize) *streamHasher {
	sh := &streamHasher{in: make(chan streamChunk, streamQueue), res: make(chan streamSum, 1)}
	go func() {
		h := st.algo.new()
		var sums [][]byte
		var lens []int64
		left := int64(0) // bytes left in the current part
		skip := ""
		extra := false // more bytes than the parts hold
		for c := range sh.in {
			b := (*c.bp)[:c.n]
			if parts == nil {
				h.Write(b)
			}
			for parts != nil && len(b) > 0 && skip == "" && !extra {
				if left == 0 {
					p, ok := <-parts
					if !ok {
						extra = true
						break
					}
					if p.skip != "" {
						skip = p.skip
						break
					}
					left = p.n
					lens = append(lens, p.n)
				}
				k := min(left, int64(len(b)))
				h.Write(b[:k])
				b, left = b[k:], left-k
				if left == 0 {
					sums = append(sums, h.Sum(nil))
					h.Reset()
				}
			}
			copyBufs.Put(c.bp)
		}
		switch {
		case skip != "":
			sh.res <- streamSum{skip: skip}
		case parts == nil:
			sh.res <- streamSum{sum: h.Sum(nil)}
		case extra || left > 0:
			sh.res <- streamSum{} // the stream does not fit the parts
		default:
			got, err := st.wholeSum(sums, lens)
			if err != nil {
				got = nil
			}
			sh.res <- streamSum{sum: got}
		}
	}()
	return sh
}

func (sh *streamHasher) add(bp *[]byte, n int) { sh.in <- streamChunk{bp, n} }

// stop ends the input (the hasher finishes what it was given).
func (sh *streamHasher) stop() { sh.once.Do(func() { close(sh.in) }) }

// sum returns the hash of everything added, or why there is none.
func (sh *streamHasher) sum() ([]byte, string) {
	sh.stop()
	r := <-sh.res
	return r.sum, r.skip
}

// partSizes asks the size of each of the object's parts (HEAD ?partNumber=N,
// pinned to the ETag), a few parts ahead of the reader, which must read
// until the channel closes or cancel ctx. A server that cannot tell (or a
// failed request) ends the sizes with a reason.
func (e *Engine) partSizes(ctx context.Context, u objstore.URL, etag string, parts int, size int64) <-chan partSize {
	ch := make(chan partSize, streamQueue)
	go func() {
		defer close(ch)
		var off int64
		for k := 1; k <= parts; k++ {
			p := partSize{}
			head, err := e.s3.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), VersionId: objstore.VersionParam(u.VersionID),
				PartNumber: aws.Int32(int32(k)), IfMatch: aws.String(etag)})
			if err != nil {
				p.skip = fmt.Sprintf("the size of part %d is not known: %v", k, err)
			} else {
				p.n = aws.ToInt64(head.ContentLength)
				if !partAt(aws.ToString(head.ContentRange), off, p.n, size) {
					p.skip = "the server does not serve the object's parts by number"
				}
			}
			select {
			case ch <- p:
			case <-ctx.Done():
				return
			}
			if p.skip != "" {
				return
			}
			off += p.n
		}
	}()
	return ch
}

// partAt reports whether a part of n bytes at offset off of an object of
// size bytes is consistent with the part's Content-Range (when the server
// sends one).
func partAt(contentRange string, off, n, size int64) bool {
	if n <= 0 || off+n > size {
		return false
	}
	if contentRange == "" {
		return true
	}
	var start, end, total int64
	_, err := fmt.Sscanf(contentRange, "bytes %d-%d/%d", &start, &end, &total)
	return err == nil && start == off && end == off+n-1 && total == size
}
