package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/transfer"
)

// open returns the session of the page's account name. Sessions live as
// long as the server (their background refresh too).
//
// Browsing never starts a sign-in by itself: an account that needs one
// answers with the sign-in-required error (the page offers a "Sign in"
// button, which starts exactly one). A sign-in that a running job needs
// (expired credentials) goes through the core's re-login pause instead.
func (s *Server) open(ctx context.Context, name string) (*session.Session, error) {
	ref, err := parseRef(name)
	if err != nil {
		return nil, err
	}
	if err := s.logins.wait(ctx, name); err != nil {
		return nil, err
	}
	if err := s.needsSignIn(name, ref); err != nil {
		return nil, err
	}
	// A sign-in the core still starts by itself (a refresh that failed)
	// shows its panel until Open returns.
	octx, done := s.prompter.trackSignIns(withSignInRef(s.ctx, name))
	defer done()
	return s.mgr.Open(octx, ref, session.Overrides{})
}

// needsSignIn returns the sign-in-required error when the saved account
// ref has no usable sign-in (read from the caches, without a network call).
func (s *Server) needsSignIn(name string, ref session.Ref) error {
	store, f, err := s.mgr.Accounts()
	if err != nil {
		return nil // Open reports it
	}
	var acct *accounts.Account
	login := fault.LoginRef{Account: ref.Account}
	if ref.Account != "" {
		if acct, err = f.Get(ref.Account); err != nil {
			return err
		}
	} else {
		acct = &accounts.Account{Name: ref.Profile, Type: accounts.TypeProfile, Profile: &accounts.Profile{Name: ref.Profile}}
		login = fault.LoginRef{Profile: ref.Profile}
	}
	st := s.mgr.AccountStatus(store, acct)
	if st.Usable || st.Problem != nil || st.Token == nil {
		return nil
	}
	state, _ := stateOf(st)
	return fault.NeedsLogin(fault.Newf(fault.Auth, "%s: %s", name, state), login, "")
}

func (s *Server) store(ctx context.Context, name string) (*objstore.S3, *session.Session, error) {
	sess, err := s.open(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	st, err := sess.Store()
	return st, sess, err
}

// engine returns a new transfer engine on store: one per queue item, so
// each has its own counters.
func (s *Server) engine(store transfer.Store, o transfer.Options) *transfer.Engine {
	if o.Concurrency == 0 {
		o.Concurrency = s.opts.Concurrency
	}
	o.Logger = s.log
	return transfer.New(store, o)
}

type bucketView struct {
	Name       string                  `json:"name"`
	Created    string                  `json:"created,omitempty"`
	Region     string                  `json:"region,omitempty"`
	External   bool                    `json:"external,omitempty"`
	Path       string                  `json:"path,omitempty"`
	CloudFront []objstore.Distribution `json:"cloudfront,omitempty"`
}

type problemView struct {
	Kind    string `json:"kind"`
	Message string `json:"message,omitempty"`
}

func (s *Server) handleBuckets(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("acct")
	store, sess, err := s.store(r.Context(), name)
	if err != nil {
		writeError(w, err)
		return
	}
	out := struct {
		Buckets  []bucketView  `json:"buckets"`
		Problems []problemView `json:"problems"`
	}{Buckets: []bucketView{}, Problems: []problemView{}}
	if sess.Account != nil {
		l, err := sess.Buckets(r.Context())
		if err != nil {
			writeError(w, err)
			return
		}
		for _, b := range l.Buckets {
			v := bucketView{Name: b.Name, Region: b.Region, External: b.External, Path: b.Path, CloudFront: b.CloudFront}
			if !b.Created.IsZero() {
				v.Created = b.Created.UTC().Format(time.RFC3339)
			}
			out.Buckets = append(out.Buckets, v)
		}
		for _, p := range l.Problems {
			pv := problemView{Kind: p.Kind}
			if p.Err != nil {
				pv.Message = session.Scrub(p.Err.Error())
			}
			out.Problems = append(out.Problems, pv)
		}
	} else {
		bs, err := store.ListBuckets(r.Context())
		if err != nil {
			writeError(w, err)
			return
		}
		for _, b := range bs {
			v := bucketView{Name: b.Name, Region: b.Region}
			if !b.Created.IsZero() {
				v.Created = b.Created.UTC().Format(time.RFC3339)
			}
			out.Buckets = append(out.Buckets, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// A listing is streamed as NDJSON: {"rows":[[name,size,mtime,class,etag],...]}
// lines as pages arrive, then {"end":true,"count":N} or {"error":{...}}. name
// is relative to the prefix and ends in "/" for folders; mtime is Unix
// seconds. Rows are arrays, not objects, to keep both sides' memory small
// for 100,000-object prefixes.
type listChunk struct {
	Rows      [][]any `json:"rows,omitempty"`
	End       bool    `json:"end,omitempty"`
	Count     int     `json:"count,omitempty"`
	Truncated bool    `json:"truncated,omitempty"`
	Error     *apiErr `json:"error,omitempty"`
}

const rowsPerChunk = 1000

// streamList writes the objects of seq (relative to prefix) as NDJSON,
// keeping those keep accepts, and stops after limit rows (0: no limit).
func streamList(w http.ResponseWriter, ctx context.Context, seq func(yield func(objstore.Object, error) bool), prefix string, keep func(rel string) bool, limit int) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	fl, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	rows := make([][]any, 0, rowsPerChunk)
	last := time.Now()
	count := 0
	flush := func() bool {
		if len(rows) == 0 {
			return true
		}
		if err := enc.Encode(listChunk{Rows: rows}); err != nil {
			return false
		}
		rows = rows[:0]
		if fl != nil {
			fl.Flush()
		}
		last = time.Now()
		return true
	}
	for o, err := range seq {
		if err != nil {
			if !flush() || ctx.Err() != nil {
				return
			}
			e := errorBody(err)
			_ = enc.Encode(listChunk{Error: &e})
			return
		}
		rel := strings.TrimPrefix(o.Key, prefix)
		if rel == "" || (keep != nil && !keep(rel)) {
			continue // the folder's own marker object
		}
		var mt int64
		if !o.LastModified.IsZero() {
			mt = o.LastModified.Unix()
		}
		if o.IsPrefix {
			rows = append(rows, []any{rel, -1, 0, "", ""})
		} else {
			rows = append(rows, []any{rel, o.Size, mt, o.StorageClass, strings.Trim(o.ETag, `"`)})
		}
		count++
		if len(rows) == cap(rows) || time.Since(last) > 250*time.Millisecond {
			if !flush() {
				return
			}
		}
		if limit > 0 && count >= limit {
			flush()
			_ = enc.Encode(listChunk{End: true, Count: count, Truncated: true})
			return
		}
	}
	if flush() {
		_ = enc.Encode(listChunk{End: true, Count: count})
	}
}

// handleList streams one level of a prefix (folders and objects).
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	store, _, err := s.store(r.Context(), q.Get("acct"))
	if err != nil {
		writeError(w, err)
		return
	}
	bucket, prefix := q.Get("bucket"), q.Get("prefix")
	if err := objstore.ValidateBucketName(bucket); err != nil {
		writeError(w, err)
		return
	}
	streamList(w, r.Context(), store.List(r.Context(), bucket, prefix, true), prefix, nil, 0)
}

// maxSearchResults bounds a search's results.
const maxSearchResults = 100000

// handleSearch streams the objects under a prefix (all levels) whose path
// below the prefix contains q, case-insensitively. Closing the request
// cancels it.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	store, _, err := s.store(r.Context(), q.Get("acct"))
	if err != nil {
		writeError(w, err)
		return
	}
	bucket, prefix, needle := q.Get("bucket"), q.Get("prefix"), strings.ToLower(q.Get("q"))
	if err := objstore.ValidateBucketName(bucket); err != nil {
		writeError(w, err)
		return
	}
	if needle == "" {
		writeError(w, badRequest("search for what? type part of a name"))
		return
	}
	keep := func(rel string) bool { return strings.Contains(strings.ToLower(rel), needle) }
	streamList(w, r.Context(), store.List(r.Context(), bucket, prefix, false), prefix, keep, maxSearchResults)
}

// handleObject returns an object's properties (HEAD).
func (s *Server) handleObject(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	store, _, err := s.store(r.Context(), q.Get("acct"))
	if err != nil {
		writeError(w, err)
		return
	}
	u, err := objectURL(q.Get("bucket"), q.Get("key"))
	if err != nil {
		writeError(w, err)
		return
	}
	info, err := store.Head(r.Context(), u)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// objectURL checks a bucket and key from the page. Keys are literal: "*"
// is an ordinary character here.
func objectURL(bucket, key string) (objstore.URL, error) {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return objstore.URL{}, err
	}
	if key == "" {
		return objstore.URL{}, badRequest("no key named")
	}
	return objstore.URL{Bucket: bucket, Key: key, Literal: true}, nil
}
