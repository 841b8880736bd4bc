package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

// maxPresign is S3's longest presigned URL lifetime.
const maxPresign = 7 * 24 * time.Hour

type presignResult struct {
	URL     string `json:"url"`
	Method  string `json:"method"`
	Expires string `json:"expires"`
	// CredentialsExpire is set when the temporary credentials that sign
	// the URL expire before Expires: the URL stops working then.
	CredentialsExpire string `json:"credentials_expire,omitempty"`
	Effective         string `json:"effective_expiry"`
}

// handlePresign makes a presigned GET or PUT URL. Its signature is made
// here; the URL carries the access key ID and, for temporary credentials,
// the session token (S3 needs it to check the signature), never the secret
// key. It is what the person asked to share.
func (s *Server) handlePresign(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Acct    string `json:"acct"`
		Bucket  string `json:"bucket"`
		Key     string `json:"key"`
		Method  string `json:"method"`
		Seconds int64  `json:"expires_seconds"`
	}
	err := decodeBody(r, &in)
	var u objstore.URL
	if err == nil {
		u, err = objectURL(in.Bucket, in.Key)
	}
	exp := time.Duration(in.Seconds) * time.Second
	if err == nil && (exp <= 0 || exp > maxPresign) {
		err = withField(badRequest("the link's lifetime must be between 1 second and 7 days"), "expires")
	}
	method := strings.ToUpper(in.Method)
	if err == nil && method != "GET" && method != "PUT" {
		err = withField(badRequest("method must be GET or PUT"), "method")
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := presign(r.Context(), store, u, method, exp)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func presign(ctx context.Context, store *objstore.S3, u objstore.URL, method string, exp time.Duration) (presignResult, error) {
	cfg := store.Config()
	if cfg.Credentials == nil {
		return presignResult{}, fault.New(fault.Auth, "this account has no credentials to sign a link with", "")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return presignResult{}, store.Translate("presign", u.String(), fmt.Errorf("get credentials: %w", err))
	}
	now := time.Now()
	res := presignResult{Method: method, Expires: now.Add(exp).UTC().Format(time.RFC3339)}
	res.Effective = res.Expires
	if c.CanExpire && c.Expires.Before(now.Add(exp)) {
		res.CredentialsExpire = c.Expires.UTC().Format(time.RFC3339)
		res.Effective = res.CredentialsExpire
	}
	_, _ = store.BucketRegion(ctx, u.Bucket)
	ps := s3.NewPresignClient(store.Client(), s3.WithPresignExpires(exp), func(po *s3.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(so *s3.Options) {
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	})
	if method == "GET" {
		req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key)})
		if err != nil {
			return res, store.Translate("presign", u.String(), err)
		}
		res.URL = req.URL
		return res, nil
	}
	req, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key)})
	if err != nil {
		return res, store.Translate("presign", u.String(), err)
	}
	res.URL = req.URL
	return res, nil
}

// handleMetadata changes an object's content type, cache control and user
// metadata with an in-place copy (the object's bytes stay on the server).
func (s *Server) handleMetadata(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Acct         string            `json:"acct"`
		Bucket       string            `json:"bucket"`
		Key          string            `json:"key"`
		ContentType  string            `json:"content_type"`
		CacheControl string            `json:"cache_control"`
		Metadata     map[string]string `json:"metadata"`
	}
	err := decodeBody(r, &in)
	var u objstore.URL
	if err == nil {
		u, err = objectURL(in.Bucket, in.Key)
	}
	for k := range in.Metadata {
		if err == nil && (k == "" || strings.ContainsAny(k, " :\r\n\t") || !isASCII(k)) {
			err = withField(badRequest("metadata name %q: use letters, digits and '-'", k), "metadata")
		}
	}
	var store *objstore.S3
	if err == nil {
		store, _, err = s.store(r.Context(), in.Acct)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	if in.Metadata == nil {
		in.Metadata = map[string]string{}
	}
	ct := in.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	eng := s.engine(store, transfer.Options{})
	err = eng.Copy(r.Context(), transfer.Remote{URL: u, Size: -1}, u,
		transfer.PutOptions{ContentType: ct, CacheControl: in.CacheControl, Metadata: in.Metadata})
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// logins tracks the sign-ins started from the page, so that one can be
// cancelled.
type logins struct {
	mu  sync.Mutex
	seq int64
	m   map[string]loginEntry
}

type loginEntry struct {
	id     int64
	cancel context.CancelFunc
	done   chan struct{}
}

// start records a sign-in of name, cancelling a running one, and returns
// its id for end.
func (l *logins) start(name string, cancel context.CancelFunc) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]loginEntry{}
	}
	if old, ok := l.m[name]; ok {
		old.cancel()
		close(old.done)
	}
	l.seq++
	l.m[name] = loginEntry{l.seq, cancel, make(chan struct{})}
	return l.seq
}

func (l *logins) end(name string, id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.m[name]; ok && e.id == id {
		close(e.done)
		delete(l.m, name)
	}
}

// wait returns once no sign-in of name runs (or ctx ends), so that a
// request does not ask the same questions (a role) beside it.
func (l *logins) wait(ctx context.Context, name string) error {
	for {
		l.mu.Lock()
		e, ok := l.m[name]
		l.mu.Unlock()
		if !ok {
			return nil
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
	}
}

func (l *logins) cancel(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.m[name]; ok {
		e.cancel()
	}
}
