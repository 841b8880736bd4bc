package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// SyncOptions select how sync decides what to transfer.
type SyncOptions struct {
	Delete   bool // delete destination objects that are not in the source
	Checksum bool // compare content (MD5/ETag) instead of modification time
	SizeOnly bool // compare sizes only
	Put      PutOptions
}

// SyncAction is one planned change of a sync. An action with Op "skip" is a
// local source entry that is not a regular file (Reason says what it is): it
// is to be reported as a warning, not run. Actions whose Run always fails
// ("read", "compare") are entries that could not be read or compared: each
// is one failed operation, and the sync goes on.
type SyncAction struct {
	Op     string // "upload", "download", "copy", "delete", or "skip", "read", "compare"
	Src    string
	Dst    string
	Size   int64
	Reason string // "new", "size", "newer", "content", "extra"; for "skip" why
	Run    func(ctx context.Context) error
}

// destEntry is what the destination has for a relative path.
type destEntry struct {
	rel     string // path relative to the destination base, "/"-separated
	size    int64
	modTime time.Time
	etag    string
	url     objstore.URL
	path    string
	err     error // a local directory that could not be read (rel ends in "/")
}

// Sync plans the changes that make dst match src. Source and destination
// are listed at the same time, each in byte order of the relative path (S3
// lists keys in UTF-8 binary order; local trees are walked in the same
// order, see walkSorted), and merged: memory does not grow with the number
// of objects, transfers start while both listings are still running, and
// with Delete a destination entry is deleted as soon as the merge has
// passed it without finding it in the source. A listing that goes backwards
// (which S3 does not do) stops the sync with an error, so that nothing is
// deleted on a wrong merge.
//
// Unless Checksum or SizeOnly is set, a file is transferred when it is new,
// its size differs, or the source is newer than the destination (downloads
// get the object's modification time, so a second sync transfers nothing).
func (e *Engine) Sync(ctx context.Context, src, dst Location, so SyncOptions) iter.Seq2[SyncAction, error] {
	return func(yield func(SyncAction, error) bool) {
		if src.Stdio || dst.Stdio {
			yield(SyncAction{}, fault.New(fault.Usage, "sync does not take \"-\"", ""))
			return
		}
		if src.S3 == nil && dst.S3 == nil {
			yield(SyncAction{}, fault.New(fault.Usage, "sync: one of SRC and DST must be an s3:// URL", ""))
			return
		}
		if src.S3 != nil && src.S3.HasWildcard() || dst.S3 != nil && dst.S3.HasWildcard() {
			yield(SyncAction{}, fault.New(fault.Usage, "sync takes prefixes and directories, not wildcards", "use cp with a wildcard; pass --raw for a prefix that contains *"))
			return
		}
		if src.S3 == nil {
			fi, err := os.Stat(src.Local)
			if err != nil {
				yield(SyncAction{}, fault.Wrap(fault.NotFound, fmt.Errorf("sync: read %s: %w", src.Local, unwrapPathErr(err)), ""))
				return
			}
			if !fi.IsDir() {
				yield(SyncAction{}, fault.New(fault.Usage, fmt.Sprintf("sync: %s is not a directory", src.Local), "use cp for single files"))
				return
			}
		}
		// The destination is pulled one entry at a time; the source is
		// pushed. Each holds at most one page (S3) or one directory (local).
		next, stop := iter.Pull2(e.listDest(ctx, dst))
		defer stop()
		var d destEntry
		var have bool // d is a destination entry not yet merged
		advance := func() error {
			prev := d.rel
			var err error
			d, err, have = next()
			if err != nil {
				have = false
				return err
			}
			if have && prev != "" && d.rel <= prev {
				return outOfOrder("destination", dst, prev, d.rel)
			}
			return nil
		}
		// failed yields an action that fails with err: one failed entry.
		failed := func(op, path string, err error) bool {
			return yield(SyncAction{Op: op, Src: path, Run: func(context.Context) error { return err }}, nil)
		}
		// A destination directory that could not be read hides what it
		// holds: nothing of the source under it is transferred (its files
		// could not be compared), and it is reported once, when that
		// matters (a source file under it, or --delete).
		var blocked destEntry
		blockedReported := false
		// extra is a destination entry missing in the source.
		extra := func(d destEntry) bool {
			if d.err != nil {
				blocked, blockedReported = d, so.Delete
				if so.Delete {
					return failed("read", d.path, d.err)
				}
				return true
			}
			if !so.Delete {
				return true
			}
			return yield(e.syncDelete(d, dst), nil)
		}
		if err := advance(); err != nil {
			yield(SyncAction{}, err)
			return
		}
		prevSrc := ""
		for en, err := range e.Expand(ctx, src, true) {
			if err != nil {
				yield(SyncAction{}, err)
				return
			}
			if prevSrc != "" && en.Rel <= prevSrc {
				yield(SyncAction{}, outOfOrder("source", src, prevSrc, en.Rel))
				return
			}
			prevSrc = en.Rel
			for have && d.rel < en.Rel {
				if !extra(d) {
					return
				}
				if err := advance(); err != nil {
					yield(SyncAction{}, err)
					return
				}
			}
			switch {
			case en.Err != nil:
				// An unreadable source directory: what the destination has
				// under it is neither compared nor deleted.
				for have && strings.HasPrefix(d.rel, en.Rel) {
					if err := advance(); err != nil {
						yield(SyncAction{}, err)
						return
					}
				}
				if !failed("read", en.Path, en.Err) {
					return
				}
				continue
			case blocked.err != nil && strings.HasPrefix(en.Rel, blocked.rel):
				if !blockedReported {
					blockedReported = true
					if !failed("read", blocked.path, blocked.err) {
						return
					}
				}
				continue
			case en.Skip != "":
				// Not a regular file: never opened, and the destination's
				// object of the same name is kept.
				if have && d.rel == en.Rel {
					if err := advance(); err != nil {
						yield(SyncAction{}, err)
						return
					}
				}
				if !yield(SyncAction{Op: "skip", Src: en.Path, Reason: en.Skip, Run: func(context.Context) error { return nil }}, nil) {
					return
				}
				continue
			}
			reason := "new"
			if have && d.rel == en.Rel {
				var same bool
				same, reason, err = e.same(ctx, en, d, src, so)
				if aerr := advance(); aerr != nil {
					yield(SyncAction{}, aerr)
					return
				}
				if err != nil {
					if !yield(SyncAction{Op: "compare", Src: en.Rel, Run: func(context.Context) error { return err }}, nil) {
						return
					}
					continue
				}
				if same {
					continue
				}
			}
			act, err := e.syncTransfer(en, src, dst, reason, so.Put)
			if err != nil {
				act = SyncAction{Op: "sync", Src: en.URL.String(), Run: func(context.Context) error { return err }}
			}
			if !yield(act, nil) {
				return
			}
		}
		if !so.Delete {
			return
		}
		for have {
			if !extra(d) {
				return
			}
			if err := advance(); err != nil {
				yield(SyncAction{}, err)
				return
			}
		}
	}
}

func outOfOrder(side string, l Location, prev, cur string) error {
	return fault.New(fault.Conflict, fmt.Sprintf("sync: the %s listing of %s is not in key order (%q after %q); stopped without deleting anything further", side, l, cur, prev),
		"the server must list keys in UTF-8 binary order, as S3 does")
}

// syncDelete is the action deleting a destination entry missing in the source.
func (e *Engine) syncDelete(d destEntry, dst Location) SyncAction {
	act := SyncAction{Op: "delete", Reason: "extra", Size: d.size}
	if dst.S3 != nil {
		u := d.url
		act.Src = u.String()
		act.Run = func(ctx context.Context) error { return e.Delete(ctx, u) }
		return act
	}
	p := d.path
	act.Src = p
	act.Run = func(context.Context) error {
		if err := os.Remove(p); err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("delete %s: %w", p, err), "")
		}
		return nil
	}
	return act
}

// listDest streams the destination's entries in byte order of their
// relative paths (what Expand does for the source).
func (e *Engine) listDest(ctx context.Context, dst Location) iter.Seq2[destEntry, error] {
	return func(yield func(destEntry, error) bool) {
		if dst.S3 != nil {
			prefix := dst.S3.Key
			if prefix != "" && !strings.HasSuffix(prefix, "/") {
				prefix += "/"
			}
			for o, err := range e.s3.List(ctx, dst.S3.Bucket, prefix, false) {
				if err != nil {
					yield(destEntry{}, err)
					return
				}
				if strings.HasSuffix(o.Key, "/") {
					continue
				}
				if !yield(destEntry{rel: strings.TrimPrefix(o.Key, prefix), size: o.Size, modTime: o.LastModified, etag: o.ETag,
					url: objstore.URL{Bucket: dst.S3.Bucket, Key: o.Key}}, nil) {
					return
				}
			}
			return
		}
		root := dst.Local
		fi, err := os.Stat(root)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err == nil && !fi.IsDir() {
			yield(destEntry{}, fault.New(fault.Usage, fmt.Sprintf("sync: %s is not a directory", root), ""))
			return
		}
		err = walkSorted(root, func(rel, p string, de fs.DirEntry, err error) error {
			if err != nil {
				if !yield(destEntry{rel: rel, path: p, err: err}, nil) {
					return errStop
				}
				return nil
			}
			if strings.HasSuffix(de.Name(), ".tmp") && strings.Contains(de.Name(), ".s3sso-") {
				return nil
			}
			info, err := de.Info()
			if err != nil {
				return nil
			}
			if t := info.Mode().Type(); t&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
				return nil // a special file is not an entry: never compared (opened) or deleted
			}
			if !yield(destEntry{rel: rel, size: info.Size(), modTime: info.ModTime(), path: p}, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(destEntry{}, err)
		}
	}
}

// same reports whether the source entry and destination entry are equal
// under the chosen comparison, and if not, why.
func (e *Engine) same(ctx context.Context, en Entry, d destEntry, src Location, so SyncOptions) (bool, string, error) {
	if en.Size != d.size {
		return false, "size", nil
	}
	if so.SizeOnly {
		return true, "", nil
	}
	if so.Checksum {
		var eq bool
		var err error
		// The ETag first (free for S3 to S3, an MD5 of the file otherwise);
		// when it differs, the stored additional checksums decide: the
		// ETag of an SSE-KMS or SSE-C object is not an MD5, so it differs
		// even for the same content.
		switch {
		case src.S3 != nil && d.url.Bucket != "": // S3 to S3
			eq = strings.Trim(en.ETag, `"`) == strings.Trim(d.etag, `"`)
			if !eq {
				eq, err = e.objectsMatchByChecksum(ctx, en.URL, d.url)
			}
		case src.S3 == nil: // local to S3
			eq, err = e.localMatchesETag(ctx, en.Path, d.url, d.etag, en.Size)
			if err == nil && !eq {
				eq, err = e.localMatchesChecksum(ctx, en.Path, d.url, en.Size)
			}
		default: // S3 to local
			eq, err = e.localMatchesETag(ctx, d.path, en.URL, en.ETag, en.Size)
			if err == nil && !eq {
				eq, err = e.localMatchesChecksum(ctx, d.path, en.URL, en.Size)
			}
		}
		if err != nil {
			return false, "", err
		}
		return eq, "content", nil
	}
	// Modification times: S3 keeps whole seconds.
	if en.ModTime.Truncate(time.Second).After(d.modTime.Truncate(time.Second)) {
		return false, "newer", nil
	}
	return true, "", nil
}

// localMatchesETag compares a local file with an object's ETag: the MD5 of a
// single-part object, or MD5 of the part MD5s for a multipart one (the part
// size is read from the object's first part).
func (e *Engine) localMatchesETag(ctx context.Context, path string, u objstore.URL, etag string, size int64) (bool, error) {
	etag = strings.Trim(etag, `"`)
	if md5hex, ok := plainMD5(etag); ok {
		sum, err := fileMD5(path, 0, size)
		if err != nil {
			return false, err
		}
		return sum == md5hex, nil
	}
	base, nparts, ok := strings.Cut(etag, "-")
	if !ok {
		return false, nil // not an MD5-based ETag (e.g. SSE-KMS): treat as different
	}
	np, err := strconv.Atoi(nparts)
	if err != nil || np <= 0 {
		return false, nil
	}
	// The parts' sizes: every part but the last has the first part's size
	// (as uploaders make them), else each part's size is asked.
	lens := make([]int64, 0, np)
	for k := 1; k <= np; k++ {
		head, err := e.s3.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), PartNumber: aws.Int32(int32(k))})
		if err != nil {
			return false, e.s3.Translate("stat", u.String(), err)
		}
		n := aws.ToInt64(head.ContentLength)
		if n <= 0 {
			return false, nil
		}
		if k == 1 && (size+n-1)/n == int64(np) {
			for off := int64(0); off < size; off += n {
				lens = append(lens, min(n, size-off))
			}
			break
		}
		lens = append(lens, n)
	}
	sum, err := fileMD5Parts(path, lens)
	if err != nil {
		return false, err
	}
	return hex.EncodeToString(sum) == strings.ToLower(base), nil
}

// fileMD5Parts returns the MD5 of the MD5s of the file's consecutive parts
// of the given lengths, hashing 16 parts at once in the AVX-512 lanes of
// one core (a laneHasher over the whole file, every part on disk from the
// start), or without AVX-512 up to 16 parts at once in md5-simd's lanes
// (md5Lanes).
func fileMD5Parts(path string, lens []int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("read %s: %w", path, err), "")
	}
	defer f.Close()
	var sums [][]byte
	if haveMD5x16 {
		sums, err = fileLaneSums(f, lens)
	} else {
		sums, err = fileSums(f, lens)
	}
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("read %s: %w", path, err), "")
	}
	h := md5.New()
	for _, s := range sums {
		h.Write(s)
	}
	return h.Sum(nil), nil
}

// fileLaneSums returns the MD5 of each of f's consecutive parts of the
// given lengths, hashed by a laneHasher.
func fileLaneSums(f *os.File, lens []int64) ([][]byte, error) {
	var size int64
	for _, n := range lens {
		size += n
	}
	lh := newLaneHasher(f, size, len(lens))
	defer lh.stop()
	var off int64
	for i, n := range lens {
		lh.done(i, off, n)
		off += n
	}
	return lh.sums()
}

// fileSums returns the MD5 of each of f's consecutive parts of the given
// lengths, 16 parts at a time through md5Lanes.
func fileSums(f *os.File, lens []int64) ([][]byte, error) {
	sums := make([][]byte, len(lens))
	var g errgroup.Group
	g.SetLimit(16) // md5-simd's lanes (AVX-512)
	var off int64
	for i, n := range lens {
		start := off
		g.Go(func() error {
			h := algoMD5.newPart()
			defer closeHash(h)
			if _, err := copyPooled(h, io.NewSectionReader(f, start, n)); err != nil {
				return err
			}
			sums[i] = h.Sum(nil)
			return nil
		})
		off += n
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return sums, nil
}

// fullChecksum returns the object's stored full-object additional checksum
// (CRC64NVME, CRC32C, CRC32, SHA256, SHA1), or none (algo "") when it has
// only a composite one or an ETag.
func (e *Engine) fullChecksum(ctx context.Context, u objstore.URL) (stored, error) {
	head, err := e.s3.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return stored{}, e.s3.Translate("stat", u.String(), err)
	}
	st := storedOfHead(head)
	if !st.full() || st.algo == algoMD5 {
		return stored{}, nil
	}
	return st, nil
}

// localMatchesChecksum compares a local file with the object's stored
// full-object checksum; false when the object has none.
func (e *Engine) localMatchesChecksum(ctx context.Context, path string, u objstore.URL, size int64) (bool, error) {
	st, err := e.fullChecksum(ctx, u)
	if err != nil || st.algo == "" {
		return false, err
	}
	f, _, err := openRegular("read", path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := st.algo.new()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return false, fault.Wrap(fault.Local, fmt.Errorf("read %s: %w", path, err), "")
	}
	return bytes.Equal(h.Sum(nil), st.value), nil
}

// objectsMatchByChecksum compares two objects' stored full-object checksums
// of the same algorithm; false when they have none in common.
func (e *Engine) objectsMatchByChecksum(ctx context.Context, a, b objstore.URL) (bool, error) {
	sa, err := e.fullChecksum(ctx, a)
	if err != nil || sa.algo == "" {
		return false, err
	}
	sb, err := e.fullChecksum(ctx, b)
	if err != nil {
		return false, err
	}
	return sa.algo == sb.algo && bytes.Equal(sa.value, sb.value), nil
}

func fileMD5(path string, off, n int64) (string, error) {
	b, err := fileMD5Raw(path, off, n)
	return hex.EncodeToString(b), err
}

func fileMD5Raw(path string, off, n int64) ([]byte, error) {
	f, _, err := openRegular("read", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := md5.New()
	if _, err := copyPooled(h, io.NewSectionReader(f, off, n)); err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("read %s: %w", path, err), "")
	}
	return h.Sum(nil), nil
}

func (e *Engine) syncTransfer(en Entry, src, dst Location, reason string, po PutOptions) (SyncAction, error) {
	act := SyncAction{Reason: reason, Size: en.Size}
	switch {
	case src.S3 == nil:
		d := dst.S3.Join(en.Rel)
		act.Op, act.Src, act.Dst = "upload", en.Path, d.String()
		path := en.Path
		act.Run = func(ctx context.Context) error { return e.UploadFile(ctx, path, d, po) }
	case dst.S3 == nil:
		target, err := LocalTarget(dst.Local, en.Rel, en.URL.Key)
		if err != nil {
			return act, err
		}
		act.Op, act.Src, act.Dst = "download", en.URL.String(), target
		r := en.Remote()
		act.Run = func(ctx context.Context) error { return e.Download(ctx, r, target) }
	default:
		d := dst.S3.Join(en.Rel)
		act.Op, act.Src, act.Dst = "copy", en.URL.String(), d.String()
		r := en.Remote()
		act.Run = func(ctx context.Context) error { return e.Copy(ctx, r, d, po) }
	}
	return act, nil
}
