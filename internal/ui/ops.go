package ui

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/transfer"
)

// one is a job sequence of one job.
func one(j transfer.Job) iter.Seq2[transfer.Job, error] {
	return func(yield func(transfer.Job, error) bool) { yield(j, nil) }
}

// handleUpload streams the request body into the transfer engine
// (UploadStream: multipart above one part, at most a few parts in memory),
// as an item of the transfer queue. The page sends one request per file.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("acct")
	u, err := objectURL(q.Get("bucket"), q.Get("key"))
	if err == nil && strings.HasSuffix(u.Key, "/") {
		err = badRequest("an object name cannot end in /")
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
	size, _ := strconv.ParseInt(q.Get("size"), 10, 64)
	po := uploadOptions(r, sess, u.Key)
	eng := s.engine(store, transfer.Options{})
	t := &Transfer{Op: "upload", Title: u.String(), Ref: name, BytesTotal: size, ObjectsTotal: 1}
	err = s.queue.runHere(r.Context(), t, func(ctx context.Context, t *Transfer) error {
		return s.queue.runJobs(ctx, t, eng, one(transfer.Job{Op: "upload", Src: "browser", Dst: u.String(), Size: size,
			Run: func(ctx context.Context) error { return eng.UploadStream(ctx, r.Body, u, po) }}))
	})
	if err != nil {
		writeError(w, err)
		return
	}
	s.hub.send("changed", map[string]string{"acct": name, "bucket": u.Bucket, "prefix": parentPrefix(u.Key)})
	writeJSON(w, http.StatusOK, map[string]string{"key": u.Key, "transfer": t.ID})
}

func parentPrefix(key string) string {
	k := strings.TrimSuffix(key, "/")
	if i := strings.LastIndex(k, "/"); i >= 0 {
		return k[:i+1]
	}
	return ""
}

// attachment is a Content-Disposition for a download named name.
func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// handleDownload streams one object to the browser, verified against its
// stored checksum (transfer.Engine.Stream) as it goes; when the check fails
// at the end, the connection is cut so the browser marks the download
// failed instead of keeping damaged bytes.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("acct")
	u, err := objectURL(q.Get("bucket"), q.Get("key"))
	u.VersionID = q.Get("version") // "" : the current version
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), name)
	}
	var info objstore.ObjectInfo
	if err == nil {
		info, err = store.Head(r.Context(), u)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Disposition", attachment(objstore.BaseName(u.Key)))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Cache-Control", "no-store")
	eng := s.engine(store, transfer.Options{})
	t := &Transfer{Op: "download", Title: u.String(), Ref: name, BytesTotal: info.Size, ObjectsTotal: 1}
	started := false
	err = s.queue.runHere(r.Context(), t, func(ctx context.Context, t *Transfer) error {
		return s.queue.runJobs(ctx, t, eng, one(transfer.Job{Op: "download", Src: u.String(), Dst: "browser", Size: info.Size,
			Run: func(ctx context.Context) error {
				return eng.Stream(ctx, u, writerFunc(func(b []byte) (int, error) {
					started = true
					return w.Write(b)
				}))
			}}))
	})
	if err != nil {
		if !started {
			h.Del("Content-Disposition")
			h.Del("Content-Length")
			writeError(w, err)
			return
		}
		panic(http.ErrAbortHandler) // the browser sees a failed download
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// handleZip streams a folder (or a selection) as a zip file: each object
// is read verified (Stream) and stored uncompressed, one after the other,
// so nothing is held in memory or on disk.
func (s *Server) handleZip(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("acct")
	bucket, prefix := q.Get("bucket"), q.Get("prefix")
	keys := q["key"] // a selection: keys and folders (ending in /) under prefix
	store, _, err := s.store(r.Context(), name)
	if err == nil {
		err = objstore.ValidateBucketName(bucket)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	base := strings.TrimSuffix(objstore.BaseName(strings.TrimSuffix(prefix, "/")), "/")
	if base == "" {
		base = bucket
	}
	if len(keys) == 1 && strings.HasSuffix(keys[0], "/") {
		base = objstore.BaseName(strings.TrimSuffix(keys[0], "/"))
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", attachment(base+".zip"))
	w.Header().Set("Cache-Control", "no-store")
	eng := s.engine(store, transfer.Options{Concurrency: 1})
	zw := zip.NewWriter(w)
	objects := func(yield func(objstore.Object, error) bool) {
		sources := keys
		if len(sources) == 0 {
			sources = []string{prefix}
		}
		for _, k := range sources {
			if !strings.HasSuffix(k, "/") && k != "" {
				info, err := store.Head(r.Context(), objstore.URL{Bucket: bucket, Key: k, Literal: true})
				if !yield(objstore.Object{Key: k, Size: info.Size, LastModified: info.LastModified}, err) {
					return
				}
				continue
			}
			for o, err := range store.List(r.Context(), bucket, k, false) {
				if !yield(o, err) {
					return
				}
			}
		}
	}
	jobs := func(yield func(transfer.Job, error) bool) {
		for o, err := range objects {
			if err != nil {
				yield(transfer.Job{}, err)
				return
			}
			if strings.HasSuffix(o.Key, "/") {
				continue // folder markers
			}
			rel := strings.TrimPrefix(o.Key, prefix)
			o := o
			if !yield(transfer.Job{Op: "download", Src: "s3://" + bucket + "/" + o.Key, Size: o.Size, Run: func(ctx context.Context) error {
				fw, err := zw.CreateHeader(&zip.FileHeader{Name: zipName(rel), Method: zip.Store, Modified: o.LastModified})
				if err != nil {
					return fmt.Errorf("zip %s: %w", rel, err)
				}
				return eng.Stream(ctx, objstore.URL{Bucket: bucket, Key: o.Key, Literal: true}, fw)
			}}, nil) {
				return
			}
		}
	}
	t := &Transfer{Op: "download", Title: "s3://" + bucket + "/" + prefix + " (zip)", Ref: name}
	err = s.queue.runHere(r.Context(), t, func(ctx context.Context, t *Transfer) error {
		return s.queue.runJobs(ctx, t, eng, jobs)
	})
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if err := zw.Close(); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// zipName makes a key safe as a zip entry name: no leading "/", no ".."
// segments (unzip tools refuse or, worse, follow them).
func zipName(rel string) string {
	parts := strings.Split(rel, "/")
	out := parts[:0]
	for _, p := range parts {
		switch p {
		case "", ".", "..":
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return "_"
	}
	return strings.Join(out, "/")
}

// selection names objects and folders of one bucket.
type selection struct {
	Acct   string   `json:"acct"`
	Bucket string   `json:"bucket"`
	Keys   []string `json:"keys"` // objects, and folders ending in "/"
}

func (sel selection) check() error {
	if err := objstore.ValidateBucketName(sel.Bucket); err != nil {
		return err
	}
	if len(sel.Keys) == 0 {
		return badRequest("nothing selected")
	}
	for _, k := range sel.Keys {
		if k == "" {
			return badRequest("an empty key")
		}
	}
	return nil
}

// handleDelete deletes objects and folders (everything under them) in
// batches of 1,000 (DeleteObjects), as a queue item.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	var sel selection
	err := decodeBody(r, &sel)
	if err == nil {
		err = sel.check()
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), sel.Acct)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	eng := s.engine(store, transfer.Options{})
	title := fmt.Sprintf("s3://%s/%s", sel.Bucket, sel.Keys[0])
	if len(sel.Keys) > 1 {
		title = fmt.Sprintf("%d items in s3://%s/%s", len(sel.Keys), sel.Bucket, parentPrefix(sel.Keys[0]))
	}
	t := &Transfer{Op: "delete", Title: title, Ref: sel.Acct}
	s.queue.start(s.ctx, t, true, func(ctx context.Context, t *Transfer) error {
		var failed []string
		objects := func(yield func(objstore.Object, error) bool) {
			for _, k := range sel.Keys {
				if strings.HasSuffix(k, "/") {
					for o, err := range store.List(ctx, sel.Bucket, k, false) {
						if !yield(o, err) {
							return
						}
					}
					// The folder's marker, if any (deleting a missing key is no error).
					if !yield(objstore.Object{Key: k}, nil) {
						return
					}
					continue
				}
				if !yield(objstore.Object{Key: k}, nil) {
					return
				}
			}
		}
		seen := map[string]bool{}
		dedup := func(yield func(objstore.Object, error) bool) {
			for o, err := range objects {
				if err == nil && strings.HasSuffix(o.Key, "/") {
					if seen[o.Key] {
						continue
					}
					seen[o.Key] = true
				}
				if !yield(o, err) {
					return
				}
			}
		}
		report := func(key string, size int64, err error) {
			if err != nil {
				s.queue.update(t, func(t *Transfer) {
					if len(t.Errors) < 20 {
						t.Errors = append(t.Errors, key+": "+err.Error())
					}
					t.Failed++
				})
				failed = append(failed, key)
			}
		}
		err := s.queue.runJobs(ctx, t, eng, eng.DeleteJobs(ctx, sel.Bucket, dedup, report))
		s.hub.send("changed", map[string]string{"acct": sel.Acct, "bucket": sel.Bucket})
		if err == nil && len(failed) > 0 {
			return fault.Newf(fault.Partial, "%d objects could not be deleted", len(failed))
		}
		return err
	})
	writeJSON(w, http.StatusAccepted, map[string]string{"transfer": t.ID})
}

// handleMkdir creates a folder: an empty object whose key ends in "/".
func (s *Server) handleMkdir(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Acct   string `json:"acct"`
		Bucket string `json:"bucket"`
		Prefix string `json:"prefix"`
		Name   string `json:"name"`
	}
	err := decodeBody(r, &in)
	name := strings.Trim(in.Name, "/")
	if err == nil && (name == "" || name == "." || name == ".." || strings.Contains(name, "//")) {
		err = withField(badRequest("%q is not a folder name", in.Name), "name")
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	var u objstore.URL
	if err == nil {
		u, err = objectURL(in.Bucket, in.Prefix+name+"/")
	}
	if err == nil {
		_, err = store.Client().PutObject(r.Context(), &s3.PutObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key),
			Body: strings.NewReader(""), ContentLength: aws.Int64(0)})
		if err != nil {
			err = store.Translate("create folder", u.String(), err)
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"key": u.Key})
}

// moveRequest copies or moves a selection to a folder, possibly of another
// bucket or account, or renames one item (To).
type moveRequest struct {
	selection
	Move      bool   `json:"move"`
	DstAcct   string `json:"dst_acct"`
	DstBucket string `json:"dst_bucket"`
	DstPrefix string `json:"dst_prefix"` // the folder to copy into
	// To renames: the selection's one item gets this full key (a folder's
	// ends in "/").
	To string `json:"to"`
}

// handleCopy copies or moves (rename, move to a folder) objects and
// folders: server-side copies then deletes within an account; across
// accounts each object is streamed from one into the other (verified as
// it is read).
func (s *Server) handleCopy(w http.ResponseWriter, r *http.Request) {
	var in moveRequest
	err := decodeBody(r, &in)
	if err == nil {
		err = in.check()
	}
	if in.DstAcct == "" {
		in.DstAcct = in.Acct
	}
	if in.DstBucket == "" {
		in.DstBucket = in.Bucket
	}
	if err == nil {
		err = objstore.ValidateBucketName(in.DstBucket)
	}
	if err == nil && in.To != "" && len(in.Keys) != 1 {
		err = badRequest("rename one item at a time")
	}
	if err == nil && in.To != "" && strings.HasSuffix(in.Keys[0], "/") != strings.HasSuffix(in.To, "/") {
		in.To = strings.TrimSuffix(in.To, "/")
		if strings.HasSuffix(in.Keys[0], "/") {
			in.To += "/"
		}
	}
	var src, dst *objstore.S3
	if err == nil {
		src, _, err = s.store(r.Context(), in.Acct)
	}
	if err == nil {
		dst, _, err = s.store(r.Context(), in.DstAcct)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	// Each item's destination.
	var pairs []keyPair
	for _, k := range in.Keys {
		to := in.To
		if to == "" {
			base := objstore.BaseName(strings.TrimSuffix(k, "/"))
			to = in.DstPrefix + base
			if strings.HasSuffix(k, "/") {
				to += "/"
			}
		}
		if in.DstAcct == in.Acct && in.DstBucket == in.Bucket && (to == k || (strings.HasSuffix(k, "/") && strings.HasPrefix(to, k))) {
			writeError(w, withField(badRequest("cannot copy or move %s into itself", k), "to"))
			return
		}
		pairs = append(pairs, keyPair{k, to})
	}
	op := "copy"
	if in.Move {
		op = "move"
	}
	title := fmt.Sprintf("s3://%s/%s → s3://%s/%s", in.Bucket, pairs[0].from, in.DstBucket, pairs[0].to)
	if len(pairs) > 1 {
		title = fmt.Sprintf("%d items → s3://%s/%s", len(pairs), in.DstBucket, in.DstPrefix)
	}
	if in.To != "" {
		op = "rename"
	}
	sameAccount := in.DstAcct == in.Acct
	t := &Transfer{Op: op, Title: title, Ref: in.Acct}
	s.queue.start(s.ctx, t, true, func(ctx context.Context, t *Transfer) error {
		defer s.hub.send("changed", map[string]string{"acct": in.DstAcct, "bucket": in.DstBucket})
		if sameAccount {
			eng := s.engine(src, transfer.Options{})
			jobs := func(yield func(transfer.Job, error) bool) {
				for _, p := range pairs {
					from := objstore.URL{Bucket: in.Bucket, Key: p.from, Literal: true}
					to := objstore.URL{Bucket: in.DstBucket, Key: p.to, Literal: true}
					plan := transfer.CopyPlan{Src: transfer.Location{S3: &from, Literal: true}, Dst: transfer.Location{S3: &to, Literal: true},
						Recursive: strings.HasSuffix(p.from, "/"), Move: in.Move}
					for j, err := range eng.CopyJobs(ctx, plan) {
						if !yield(j, err) {
							return
						}
					}
					if strings.HasSuffix(p.from, "/") {
						// Folder markers (keys ending in "/", which the
						// planner skips) are made at the destination too.
						for o, err := range src.List(ctx, in.Bucket, p.from, false) {
							if err != nil {
								yield(transfer.Job{}, err)
								return
							}
							if strings.HasSuffix(o.Key, "/") &&
								!yield(markerJob(src, in.Bucket, o.Key, in.DstBucket, p.to+strings.TrimPrefix(o.Key, p.from), in.Move), nil) {
								return
							}
						}
					}
				}
			}
			return s.queue.runJobs(ctx, t, eng, jobs)
		}
		return s.crossAccountCopy(ctx, t, src, dst, in.Bucket, in.DstBucket, pairs, in.Move)
	})
	writeJSON(w, http.StatusAccepted, map[string]string{"transfer": t.ID})
}

type keyPair struct{ from, to string }

// markerJob copies (or moves) a folder's marker object, an empty object
// whose key ends in "/".
func markerJob(st *objstore.S3, bucket, from, dstBucket, to string, move bool) transfer.Job {
	return transfer.Job{Op: "copy", Src: "s3://" + bucket + "/" + from, Dst: "s3://" + dstBucket + "/" + to, Run: func(ctx context.Context) error {
		_, err := st.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(dstBucket), Key: aws.String(to),
			Body: strings.NewReader(""), ContentLength: aws.Int64(0)})
		if err != nil {
			return st.Translate("create folder", "s3://"+dstBucket+"/"+to, err)
		}
		if move {
			return st.DeleteObject(ctx, objstore.URL{Bucket: bucket, Key: from, Literal: true})
		}
		return nil
	}}
}

// crossAccountCopy streams each object from src (one account) into dst
// (another): read verified by the source engine's Stream, written by the
// destination engine's UploadStream.
func (s *Server) crossAccountCopy(ctx context.Context, t *Transfer, src, dst *objstore.S3, srcBucket, dstBucket string, pairs []keyPair, move bool) error {
	seng := s.engine(src, transfer.Options{})
	deng := s.engine(dst, transfer.Options{PartConcurrency: 4})
	eng := s.engine(src, transfer.Options{})
	jobs := func(yield func(transfer.Job, error) bool) {
		for _, p := range pairs {
			var objects iter.Seq2[objstore.Object, error]
			if strings.HasSuffix(p.from, "/") {
				objects = src.List(ctx, srcBucket, p.from, false)
			} else {
				objects = func(yield func(objstore.Object, error) bool) {
					info, err := src.Head(ctx, objstore.URL{Bucket: srcBucket, Key: p.from, Literal: true})
					yield(objstore.Object{Key: p.from, Size: info.Size}, err)
				}
			}
			for o, err := range objects {
				if err != nil {
					yield(transfer.Job{}, err)
					return
				}
				from := objstore.URL{Bucket: srcBucket, Key: o.Key, Literal: true}
				to := objstore.URL{Bucket: dstBucket, Key: p.to + strings.TrimPrefix(o.Key, p.from), Literal: true}
				if !strings.HasSuffix(p.from, "/") {
					to.Key = p.to
				}
				size := o.Size
				if !yield(transfer.Job{Op: "copy", Src: from.String(), Dst: to.String(), Size: size, Run: func(ctx context.Context) error {
					ctx, cancel := context.WithCancel(ctx)
					defer cancel()
					pr, pw := io.Pipe()
					go func() { pw.CloseWithError(seng.Stream(ctx, from, pw)) }()
					err := deng.UploadStream(ctx, pr, to, transfer.PutOptions{})
					pr.CloseWithError(err)
					if err != nil {
						return err
					}
					eng.Stats.BytesDone.Add(size)
					if move {
						return src.DeleteObject(ctx, from)
					}
					return nil
				}}, nil) {
					return
				}
			}
		}
	}
	return s.queue.runJobs(ctx, t, eng, jobs)
}
