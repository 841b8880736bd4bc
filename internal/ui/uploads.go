package ui

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/transfer"
)

// uploadOptions are the put options of an upload from the page: the
// account's upload header rules, and the browser's content type unless a
// rule sets one (as a rule wins over detection in the CLI).
func uploadOptions(r *http.Request, sess *session.Session, key string) transfer.PutOptions {
	po := transfer.PutOptions{}
	if sess.Account != nil {
		po.HeaderRules = sess.Account.HeaderRules
	}
	_, ruled := objstore.RuleDefaults(po.HeaderRules, key)["Content-Type"]
	switch ct := r.Header.Get("Content-Type"); {
	case ruled:
	case ct != "" && ct != "application/octet-stream":
		po.ContentType = ct
	default:
		po.ContentType = mime.TypeByExtension(path.Ext(key))
	}
	return po
}

// A large file is uploaded from the page in parts: POST /api/uploads
// creates the multipart upload (transfer.Engine.StartPartUpload) and its
// transfer item, the page PUTs the file's slices to
// /api/uploads/{id}/parts/{n} several at a time, each streamed into
// UploadPart, then POSTs /api/uploads/{id}/complete; DELETE aborts. The
// transfer item's job lives from the creation to the completion (or the
// first failed part, a cancel, or a page gone quiet), so progress, cancel
// and the re-login pause work as for any transfer.

// partIdle is how long an upload may go without a part request before it is
// aborted (the page was closed).
const partIdle = 10 * time.Minute

type partUploads struct {
	mu  sync.Mutex
	seq int64
	m   map[string]*partUpload
}

type partUpload struct {
	pu       *transfer.PartUpload
	ctx      context.Context // the transfer's job
	complete chan struct{}   // closed by the complete request
	fail     chan error      // the first failed part
	ended    chan struct{}   // closed when the transfer is over
	err      error           // its result, set before ended is closed
	t        *Transfer
	dst      objstore.URL
	inflight atomic.Int64
	last     atomic.Int64 // unix nanoseconds of the last part request's end
	once     sync.Once
}

func (s *Server) partUpload(id string) (*partUpload, error) {
	s.parts.mu.Lock()
	defer s.parts.mu.Unlock()
	if up := s.parts.m[id]; up != nil {
		return up, nil
	}
	return nil, fault.New(fault.NotFound, "no such upload (it ended or was cancelled)", "")
}

// handleUploadStart creates a multipart upload for a file of size bytes:
// → {id, part_size, parts, transfer}.
func (s *Server) handleUploadStart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("acct")
	u, err := objectURL(q.Get("bucket"), q.Get("key"))
	if err == nil && strings.HasSuffix(u.Key, "/") {
		err = badRequest("an object name cannot end in /")
	}
	size, perr := strconv.ParseInt(q.Get("size"), 10, 64)
	if err == nil && (perr != nil || size <= 0) {
		err = badRequest("size must be a number above 0")
	}
	var store *objstore.S3
	var sess *session.Session
	if err == nil {
		store, sess, err = s.store(r.Context(), name)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	po := uploadOptions(r, sess, u.Key)
	eng := s.engine(store, transfer.Options{})
	up := &partUpload{complete: make(chan struct{}), fail: make(chan error, 1), ended: make(chan struct{})}
	up.last.Store(time.Now().UnixNano())
	up.dst = u
	up.t = &Transfer{Op: "upload", Title: u.String(), Ref: name, BytesTotal: size, ObjectsTotal: 1}
	started := make(chan error, 1)
	go func() {
		up.err = s.queue.runHere(s.ctx, up.t, func(ctx context.Context, t *Transfer) error {
			return s.queue.runJobs(ctx, t, eng, one(transfer.Job{Op: "upload", Src: "browser", Dst: u.String(), Size: size,
				Run: func(ctx context.Context) error {
					pu, err := eng.StartPartUpload(ctx, u, size, po)
					up.pu, up.ctx = pu, ctx
					started <- err
					if err != nil {
						return err
					}
					return up.wait(ctx)
				}}))
		})
		select {
		case started <- fault.Wrap(fault.Interrupted, fmt.Errorf("upload %s: ended before it started: %w", u, up.err), ""): // the job never ran
		default:
		}
		close(up.ended)
	}()
	if err := <-started; err != nil {
		<-up.ended
		writeError(w, err)
		return
	}
	s.parts.mu.Lock()
	if s.parts.m == nil {
		s.parts.m = map[string]*partUpload{}
	}
	s.parts.seq++
	id := "u" + itoa(s.parts.seq)
	s.parts.m[id] = up
	s.parts.mu.Unlock()
	go func() {
		<-up.ended
		s.parts.mu.Lock()
		delete(s.parts.m, id)
		s.parts.mu.Unlock()
	}()
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "part_size": up.pu.PartSize(), "parts": up.pu.Parts(), "transfer": up.t.ID})
}

// wait is the transfer's job once the upload exists: it ends with the
// completion, the first failed part, the job's end (a cancel) or the
// page's silence, aborting the upload on all but the first.
func (up *partUpload) wait(ctx context.Context) error {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-up.complete:
			return up.pu.Complete(ctx)
		case err := <-up.fail:
			up.pu.Abort()
			return err
		case <-ctx.Done():
			up.pu.Abort()
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case <-tick.C:
			if up.inflight.Load() == 0 && time.Since(time.Unix(0, up.last.Load())) > partIdle {
				up.pu.Abort()
				return fault.New(fault.Interrupted, fmt.Sprintf("upload %s: the page sent nothing for %s", up.t.Title, partIdle), "")
			}
		}
	}
}

// handleUploadPart streams one part of the request body into UploadPart.
// A failed part fails (and aborts) the whole upload.
func (s *Server) handleUploadPart(w http.ResponseWriter, r *http.Request) {
	up, err := s.partUpload(r.PathValue("id"))
	n, perr := strconv.ParseInt(r.PathValue("n"), 10, 32)
	if err == nil && perr != nil {
		err = badRequest("a part number is a number")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	up.inflight.Add(1)
	defer func() {
		up.last.Store(time.Now().UnixNano())
		up.inflight.Add(-1)
	}()
	// The part ends with its request or with the transfer (a cancel); the
	// re-login pause knows the account it waits for.
	ctx, cancel := context.WithCancel(withSignInRef(r.Context(), up.t.Ref))
	defer cancel()
	stop := context.AfterFunc(up.ctx, cancel)
	defer stop()
	if err := up.pu.SendPart(ctx, int32(n), r.Body); err != nil {
		if up.ctx.Err() == nil {
			select {
			case up.fail <- err:
			default:
			}
		}
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"part": n})
}

// handleUploadComplete completes the upload once the page has sent every
// part, and answers when the transfer is over.
func (s *Server) handleUploadComplete(w http.ResponseWriter, r *http.Request) {
	up, err := s.partUpload(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	up.once.Do(func() { close(up.complete) })
	select {
	case <-up.ended:
	case <-r.Context().Done():
		return
	}
	if up.err != nil {
		writeError(w, up.err)
		return
	}
	u := up.dst
	s.hub.send("changed", map[string]string{"acct": up.t.Ref, "bucket": u.Bucket, "prefix": parentPrefix(u.Key)})
	writeJSON(w, http.StatusOK, map[string]string{"key": u.Key, "transfer": up.t.ID})
}

// handleUploadAbort cancels the upload (its transfer), which aborts it on
// the server.
func (s *Server) handleUploadAbort(w http.ResponseWriter, r *http.Request) {
	up, err := s.partUpload(r.PathValue("id"))
	if err == nil {
		err = s.queue.cancelTransfer(up.t.ID)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	<-up.ended
	writeJSON(w, http.StatusOK, map[string]bool{"aborted": true})
}
