//go:build linux || darwin

package mount

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/s3sso/s3sso/internal/atomicfile"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

// MetaMtime is the user metadata that keeps a file's modification time
// (x-amz-meta-mtime, seconds since the epoch with a fraction, as rclone
// writes it).
const MetaMtime = "mtime"

// staged is a file held in the write-back cache: its whole content, in a
// file of the cache directory. It is dirty while its generation (bumped by
// each change) is newer than the one last uploaded; a dirty file has a
// journal record, so that a killed mount's next start uploads it.
type staged struct {
	id   string // cache file and journal record name
	path string // the cache file

	mu         sync.Mutex
	key        string // the object key it is uploaded to (changes on rename)
	f          *os.File
	size       int64
	mtime      time.Time
	gen        uint64 // changes so far
	uploaded   uint64 // the generation last made durable
	journaled  uint64 // the generation whose key the journal record holds (0: none)
	open       int    // handles open on it
	writers    int    // of which open for writing
	uploading  bool
	cancel     context.CancelFunc // ends the upload in flight (under mu)
	stopped    bool               // the upload in flight was cancelled on purpose (rename): not a failure
	queued     bool
	removed    bool
	attempts   int
	lastErr    error
	triedGen   uint64        // the generation the last attempt uploaded
	attempt    chan struct{} // closed (and replaced) after each upload attempt
	lastWrite  time.Time
	journalKey string // the key the journal record names
}

func (s *staged) dirty() bool { return s.gen != s.uploaded }

// record is a journal entry: a pending upload.
type record struct {
	Key   string    `json:"key"`
	Data  string    `json:"data"` // cache file name
	Mtime time.Time `json:"mtime"`
}

// writeback is the write-back cache of one mount: staged files by key, the
// journal of the dirty ones and the uploaders.
type writeback struct {
	dir     string // the mount's cache directory: data/ and journal/
	bucket  string
	engine  *transfer.Engine
	logger  *slog.Logger
	limit   int64
	onClean func(key string, size int64, mtime time.Time)
	del     func(ctx context.Context, key string) error

	mu      sync.Mutex
	byKey   map[string]*staged
	bytes   int64         // bytes of the staged files
	freed   chan struct{} // closed (and replaced) when staged bytes shrink or uploads end
	queue   chan *staged
	nextID  atomic.Uint64
	ctx     context.Context
	uploads sync.WaitGroup
}

func newWriteback(ctx context.Context, dir, bucket string, engine *transfer.Engine, limit int64, logger *slog.Logger) (*writeback, error) {
	for _, d := range []string{dir, filepath.Join(dir, "data"), filepath.Join(dir, "journal")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fault.Wrap(fault.Local, fmt.Errorf("create the cache directory %s: %w", d, err), "")
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return nil, fault.Wrap(fault.Local, fmt.Errorf("create the cache directory %s: %w", d, err), "")
		}
	}
	w := &writeback{dir: dir, bucket: bucket, engine: engine, logger: logger, limit: limit,
		byKey: map[string]*staged{}, freed: make(chan struct{}), queue: make(chan *staged, 1<<16), ctx: ctx}
	w.nextID.Store(uint64(time.Now().UnixNano()))
	return w, nil
}

func (w *writeback) newID() string { return strconv.FormatUint(w.nextID.Add(1), 36) }

func (w *writeback) dataPath(id string) string    { return filepath.Join(w.dir, "data", id) }
func (w *writeback) journalPath(id string) string { return filepath.Join(w.dir, "journal", id+".json") }

// get returns the staged file of key, or nil.
func (w *writeback) get(key string) *staged {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byKey[key]
}

// under returns the staged files whose keys start with prefix.
func (w *writeback) under(prefix string) []*staged {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*staged
	for k, s := range w.byKey {
		if strings.HasPrefix(k, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// stage returns key's staged file, creating it: empty when fill is nil,
// else filled by fill(path) (a verified download). The caller holds a
// handle on it (open is incremented).
func (w *writeback) stage(ctx context.Context, key string, fill func(ctx context.Context, path string) error) (*staged, error) {
	if s := w.get(key); s != nil {
		s.mu.Lock()
		if !s.removed {
			s.open++
			s.mu.Unlock()
			return s, nil
		}
		s.mu.Unlock()
	}
	id := w.newID()
	s := &staged{id: id, path: w.dataPath(id), key: key, mtime: time.Now(), attempt: make(chan struct{})}
	if fill != nil {
		if err := fill(ctx, s.path); err != nil {
			os.Remove(s.path)
			return nil, err
		}
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("stage %s: %w", key, err), "")
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fault.Wrap(fault.Local, fmt.Errorf("stage %s: %w", key, err), "")
	}
	s.f, s.size, s.open = f, fi.Size(), 1
	if fill != nil {
		s.mtime = fi.ModTime()
	}
	w.mu.Lock()
	if old := w.byKey[key]; old != nil && !old.removed {
		// Someone else staged it meanwhile: use theirs.
		w.mu.Unlock()
		f.Close()
		os.Remove(s.path)
		old.mu.Lock()
		old.open++
		old.mu.Unlock()
		return old, nil
	}
	w.byKey[key] = s
	w.bytes += s.size
	w.mu.Unlock()
	return s, nil
}

// markDirty records a change of s (under s.mu): a new generation, and a
// journal record naming its key before the change is acknowledged.
func (w *writeback) markDirtyLocked(s *staged) error {
	s.gen++
	s.lastWrite = time.Now()
	s.mtime = s.lastWrite
	if s.removed {
		// Unlinked while open: still readable and writable through its
		// handles, never uploaded, so never journaled.
		return nil
	}
	if s.journaled != 0 && s.journalKey == s.key {
		s.journaled = s.gen
		return nil
	}
	// The cache file's content reaches the disk before a journal record
	// names it: after a power loss the record must not point at an empty
	// or zeroed file that recovery would upload over a good object.
	if err := w.syncDataLocked(s); err != nil {
		return err
	}
	if err := w.writeRecord(s); err != nil {
		return err
	}
	s.journaled, s.journalKey = s.gen, s.key
	return nil
}

// syncDataLocked fsyncs s's cache file (s.mu held).
func (w *writeback) syncDataLocked(s *staged) error {
	if s.f == nil {
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("sync the cache file of %s: %w", s.key, err), "")
	}
	return nil
}

// syncData fsyncs s's cache file: before the remote copy of its content
// is deleted, the local one must be on disk.
func (w *writeback) syncData(s *staged) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return w.syncDataLocked(s)
}

func (w *writeback) writeRecord(s *staged) error {
	b, _ := json.Marshal(record{Key: s.key, Data: s.id, Mtime: s.mtime})
	if err := atomicfile.WriteFile(w.journalPath(s.id), b, 0o600); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("journal %s: %w", s.key, err), "")
	}
	return nil
}

// write writes data at off into s, or at its end when appending (the
// end read under the same lock as the write, so that concurrent appends
// do not overwrite each other).
func (w *writeback) write(s *staged, data []byte, off int64, appending bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if appending {
		off = s.size
	}
	if end := off + int64(len(data)); end > s.size {
		if err := w.reserve(s, end-s.size); err != nil {
			return 0, err
		}
	}
	if err := w.markDirtyLocked(s); err != nil {
		return 0, err
	}
	n, err := s.f.WriteAt(data, off)
	if end := off + int64(n); end > s.size {
		w.grow(end - s.size)
		s.size = end
	}
	if err != nil {
		return n, fault.Wrap(fault.Local, fmt.Errorf("write %s to the cache: %w", s.key, err), "")
	}
	return n, nil
}

// truncate sets s's size.
func (w *writeback) truncate(s *staged, size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size > s.size {
		if err := w.reserve(s, size-s.size); err != nil {
			return err
		}
	}
	if err := w.markDirtyLocked(s); err != nil {
		return err
	}
	if err := s.f.Truncate(size); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("truncate %s in the cache: %w", s.key, err), "")
	}
	w.grow(size - s.size)
	s.size = size
	return nil
}

func (w *writeback) grow(n int64) {
	w.mu.Lock()
	w.bytes += n
	if n < 0 {
		close(w.freed)
		w.freed = make(chan struct{})
	}
	w.mu.Unlock()
}

// errCacheFull is returned when the staged bytes would pass --cache-size.
var errCacheFull = fault.Wrap(fault.Local, syscall.ENOSPC, "")

// reserve waits (s.mu held, released while waiting) until n more bytes fit
// under the cache limit, while other files' uploads can free space; else
// it returns ENOSPC.
func (w *writeback) reserve(s *staged, n int64) error {
	for {
		w.mu.Lock()
		if w.bytes+n <= w.limit {
			w.mu.Unlock()
			return nil
		}
		others := false
		for _, o := range w.byKey {
			if o != s {
				others = true
				break
			}
		}
		ch := w.freed
		w.mu.Unlock()
		if !others {
			return errCacheFull
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			s.mu.Lock()
			return errCacheFull
		case <-w.ctx.Done():
			s.mu.Lock()
			return errCacheFull
		}
		s.mu.Lock()
	}
}

// enqueue schedules s's upload if it is dirty.
func (w *writeback) enqueue(s *staged) {
	s.mu.Lock()
	if s.queued || s.removed || !s.dirty() {
		s.mu.Unlock()
		return
	}
	s.queued = true
	s.mu.Unlock()
	w.queue <- s
}

// writer counts a handle on s (already held) as open for writing.
func (w *writeback) writer(s *staged) {
	s.mu.Lock()
	s.writers++
	s.mu.Unlock()
}

// release drops a handle on s (wrote: one open for writing); an unchanged
// file with no handle leaves the cache, a dirty one is uploaded once no
// handle is open for writing (a truncate before a rewrite, say, does not
// send the partial file).
func (w *writeback) release(s *staged, wrote bool) {
	s.mu.Lock()
	s.open--
	if wrote {
		s.writers--
	}
	writing := s.writers > 0
	if s.removed && s.open == 0 && s.f != nil {
		// The last handle of a file unlinked while open.
		w.closeLocked(s)
	}
	s.mu.Unlock()
	if writing {
		return
	}
	w.enqueue(s)
	w.dropIfClean(s)
}

// dropIfClean removes s from the cache when it is clean and unused.
func (w *writeback) dropIfClean(s *staged) {
	s.mu.Lock()
	if s.open > 0 || s.dirty() || s.uploading || s.queued {
		s.mu.Unlock()
		return
	}
	w.forgetLocked(s)
	s.mu.Unlock()
}

// forgetLocked removes s's cache file and journal record (s.mu held).
// While handles are open the file itself stays open (unlinked, as POSIX
// keeps an unlinked file) until the last release.
func (w *writeback) forgetLocked(s *staged) {
	os.Remove(s.path)
	if s.journaled != 0 {
		os.Remove(w.journalPath(s.id))
		s.journaled = 0
	}
	w.mu.Lock()
	if w.byKey[s.key] == s {
		delete(w.byKey, s.key)
	}
	w.mu.Unlock()
	if s.open == 0 {
		w.closeLocked(s)
	}
}

// closeLocked closes s's cache file and frees its space (s.mu held).
func (w *writeback) closeLocked(s *staged) {
	if s.f == nil {
		return
	}
	s.f.Close()
	s.f = nil
	w.mu.Lock()
	w.bytes -= s.size
	close(w.freed)
	w.freed = make(chan struct{})
	w.mu.Unlock()
}

// owned reports whether a staged file other than s holds key.
func (w *writeback) owned(key string, s *staged) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := w.byKey[key]
	return o != nil && o != s
}

// waitAttempt waits for the upload attempt whose channel is ch.
func (w *writeback) waitAttempt(s *staged, ch chan struct{}) {
	select {
	case <-ch:
	case <-time.After(2 * time.Minute):
		w.logger.Error("an upload did not stop when cancelled", "key", s.key)
	}
}

// remove drops s (the file was deleted): it is not uploaded, and an upload
// in flight is stopped (and waited for, so that its cache space is free).
func (w *writeback) remove(s *staged) {
	s.mu.Lock()
	s.removed = true
	w.forgetLocked(s)
	cancel, ch, uploading := s.cancel, s.attempt, s.uploading
	s.mu.Unlock()
	if uploading {
		// The attempt ends after deleting what it may have uploaded.
		if cancel != nil {
			cancel()
		}
		w.waitAttempt(s, ch)
	}
}

// stop cancels s's upload in flight, if any, and waits until the attempt
// is over (its clean-up, such as deleting an old name, included).
func (w *writeback) stop(s *staged) {
	s.mu.Lock()
	cancel, ch, uploading := s.cancel, s.attempt, s.uploading
	if uploading {
		s.stopped = true
	}
	s.mu.Unlock()
	if uploading {
		if cancel != nil {
			cancel()
		}
		w.waitAttempt(s, ch)
	}
}

// rename moves s to newKey (the journal record follows first). An upload
// in flight to the old key is stopped and waited for, so that it can
// neither land on nor delete a file created at the old name afterwards.
func (w *writeback) rename(s *staged, newKey string) error {
	if old := w.get(newKey); old != nil && old != s {
		w.remove(old)
	}
	s.mu.Lock()
	w.mu.Lock()
	if w.byKey[s.key] == s {
		delete(w.byKey, s.key)
	}
	s.key = newKey
	w.byKey[newKey] = s
	w.mu.Unlock()
	// A new generation: the content goes to the new key.
	err := w.markDirtyLocked(s)
	s.mu.Unlock()
	w.stop(s)
	return err
}

// sync waits until s's content as of now is durable in S3: it returns nil
// then, or the error of the upload attempt that failed.
func (w *writeback) sync(ctx context.Context, s *staged) error {
	s.mu.Lock()
	g := s.gen
	s.mu.Unlock()
	for {
		s.mu.Lock()
		if s.removed || s.uploaded >= g {
			s.mu.Unlock()
			return nil
		}
		if s.triedGen >= g && s.lastErr != nil && !s.uploading && !s.queued {
			err := s.lastErr
			s.mu.Unlock()
			// Retry in the background all the same.
			return err
		}
		ch := s.attempt
		s.mu.Unlock()
		w.enqueue(s)
		select {
		case <-ch:
		case <-ctx.Done():
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
	}
}

// run uploads queued files with n workers until ctx ends.
func (w *writeback) run(ctx context.Context, n int, dst func(key string) objstore.URL) {
	for range n {
		w.uploads.Add(1)
		go func() {
			defer w.uploads.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case s := <-w.queue:
					w.upload(ctx, s, dst)
				}
			}
		}()
	}
}

func (w *writeback) upload(ctx context.Context, s *staged, dst func(key string) objstore.URL) {
	s.mu.Lock()
	s.queued = false
	if s.removed || !s.dirty() || s.uploading {
		s.mu.Unlock()
		return
	}
	s.uploading = true
	uctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	g, key, mtime := s.gen, s.key, s.mtime
	s.mu.Unlock()

	po := transfer.PutOptions{Metadata: map[string]string{MetaMtime: formatMtime(mtime)}}
	err := w.engine.UploadFile(uctx, s.path, dst(key), po)
	cancel()
	if afterUploadHook != nil {
		afterUploadHook(key)
	}

	s.mu.Lock()
	if s.removed {
		// Deleted while uploading: the upload must not bring it back. The
		// delete is sent before the attempt is signalled, so that remove
		// returns only once it is done.
		s.mu.Unlock()
		if err == nil && !w.owned(key, s) {
			if derr := w.del(ctx, key); derr != nil {
				w.logger.Error("delete a file removed while it was uploaded", "key", key, "error", derr)
			}
		}
		s.mu.Lock()
		s.uploading, s.cancel, s.stopped = false, nil, false
		close(s.attempt)
		s.attempt = make(chan struct{})
		s.mu.Unlock()
		return
	}
	if err == nil && s.key != key {
		// Renamed while uploading: the old name goes (unless another
		// file holds it now), the new one gets the content next time
		// round. rename waits for this.
		s.mu.Unlock()
		if !w.owned(key, s) {
			if derr := w.del(ctx, key); derr != nil {
				w.logger.Warn("delete the old name of a renamed file", "key", key, "error", derr)
			}
		}
		s.mu.Lock()
	}
	s.uploading, s.cancel = false, nil
	if err != nil && s.stopped {
		// Cancelled by rename, which queues the file again.
		s.stopped = false
		close(s.attempt)
		s.attempt = make(chan struct{})
		s.mu.Unlock()
		return
	}
	s.stopped = false
	s.attempts++
	s.triedGen = g
	if err != nil {
		s.lastErr = err
		attempts := s.attempts
		close(s.attempt)
		s.attempt = make(chan struct{})
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		delay := min(time.Second<<min(attempts-1, 5), 30*time.Second)
		w.logger.Error("upload failed; retrying", "key", key, "attempt", attempts, "retry_in", delay.String(), "error", err)
		time.AfterFunc(delay, func() { w.enqueue(s) })
		return
	}
	if s.key == key {
		s.uploaded = g
		s.lastErr = nil
		s.attempts = 0
	}
	clean := !s.dirty()
	if clean && s.journaled != 0 {
		os.Remove(w.journalPath(s.id))
		s.journaled = 0
	}
	size := s.size
	close(s.attempt)
	s.attempt = make(chan struct{})
	s.mu.Unlock()
	w.logger.Info("uploaded", "key", key, "size", size)
	if w.onClean != nil && clean {
		w.onClean(key, size, mtime)
	}
	w.mu.Lock()
	close(w.freed)
	w.freed = make(chan struct{})
	w.mu.Unlock()
	if !clean {
		w.enqueue(s)
	}
	w.dropIfClean(s)
}

// idle uploads files left open and unchanged for d.
func (w *writeback) idle(ctx context.Context, d time.Duration) {
	t := time.NewTicker(min(d, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, s := range w.under("") {
			s.mu.Lock()
			due := s.dirty() && !s.uploading && !s.queued && s.attempts == 0 && time.Since(s.lastWrite) >= d
			s.mu.Unlock()
			if due {
				w.enqueue(s)
			}
		}
	}
}

// pending lists the dirty files in key order, and the bytes in the cache.
func (w *writeback) pending() ([]Pending, int64) {
	var out []Pending
	w.mu.Lock()
	bytes := w.bytes
	w.mu.Unlock()
	for _, s := range w.under("") {
		s.mu.Lock()
		if s.dirty() && !s.removed {
			p := Pending{Key: s.key, Size: s.size, Uploading: s.uploading, Attempts: s.attempts, Since: s.mtime}
			if s.lastErr != nil {
				p.LastError = s.lastErr.Error()
			}
			out = append(out, p)
		}
		s.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, bytes
}

// flush uploads every dirty file and waits for them, calling progress
// after each change; it returns when nothing is pending or ctx ends.
func (w *writeback) flush(ctx context.Context, progress func([]Pending)) []Pending {
	for {
		p, _ := w.pending()
		if progress != nil {
			progress(p)
		}
		if len(p) == 0 {
			return nil
		}
		for _, s := range w.under("") {
			w.enqueue(s)
		}
		select {
		case <-ctx.Done():
			p, _ := w.pending()
			return p
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// recover loads the journal a previous mount left: each record becomes a
// dirty staged file, queued for upload.
func (w *writeback) recover() (int, error) {
	ents, err := os.ReadDir(filepath.Join(w.dir, "journal"))
	if err != nil {
		return 0, fault.Wrap(fault.Local, fmt.Errorf("read the journal: %w", err), "")
	}
	var recs []record
	ids := map[string]string{}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue // a temporary file of an interrupted write
		}
		b, err := os.ReadFile(filepath.Join(w.dir, "journal", name))
		var r record
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil || r.Key == "" || r.Data != strings.TrimSuffix(name, ".json") {
			w.logger.Error("unreadable journal record kept aside", "record", name, "error", err)
			_ = os.Rename(filepath.Join(w.dir, "journal", name), filepath.Join(w.dir, "journal", name+".bad"))
			continue
		}
		recs = append(recs, r)
		ids[r.Data] = r.Key
	}
	// The newest record of a key wins (ids grow with time).
	sort.Slice(recs, func(i, j int) bool { return idLess(recs[i].Data, recs[j].Data) })
	n := 0
	for _, r := range recs {
		path := w.dataPath(r.Data)
		f, err := os.OpenFile(path, os.O_RDWR, 0o600)
		if err != nil {
			w.logger.Error("the cache file of a pending upload is missing", "key", r.Key, "error", err)
			continue
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			continue
		}
		s := &staged{id: r.Data, path: path, key: r.Key, f: f, size: fi.Size(), mtime: r.Mtime, gen: 1,
			journaled: 1, journalKey: r.Key, attempt: make(chan struct{}), lastWrite: time.Now()}
		w.mu.Lock()
		if old := w.byKey[r.Key]; old != nil {
			// An older version of the same file: superseded.
			old.removed = true
			old.f.Close()
			os.Remove(old.path)
			os.Remove(w.journalPath(old.id))
			w.bytes -= old.size
			n--
		}
		w.byKey[r.Key] = s
		w.bytes += s.size
		w.mu.Unlock()
		n++
	}
	// Cache files without a record are leftovers of clean files.
	if ents, err := os.ReadDir(filepath.Join(w.dir, "data")); err == nil {
		for _, e := range ents {
			if _, ok := ids[e.Name()]; !ok {
				os.Remove(filepath.Join(w.dir, "data", e.Name()))
			}
		}
	}
	return n, nil
}

func idLess(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 36, 64)
	y, err2 := strconv.ParseUint(b, 36, 64)
	if err1 != nil || err2 != nil {
		return a < b
	}
	return x < y
}

// afterUploadHook, when set (by tests, before mounting), runs after each
// upload's PUT, before its outcome is recorded.
var afterUploadHook func(key string)

func formatMtime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 9, 64)
}

func parseMtime(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}
