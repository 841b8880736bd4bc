package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// world is one test's MinIO bucket and journal directory.
type world struct {
	t       *testing.T
	m       *testenv.MinIO
	client  *s3.Client
	bucket  string
	journal string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	m := testenv.SharedMinIO(t)
	return &world{t: t, m: m, client: m.Client(t), bucket: m.NewBucket(t), journal: t.TempDir()}
}

// store returns an objstore.S3 talking to endpoint (MinIO or a proxy in
// front of it).
func (w *world) store(endpoint string) *objstore.S3 {
	w.t.Helper()
	cfg := aws.Config{
		Region:      w.m.Region,
		Credentials: credentials.NewStaticCredentialsProvider(w.m.AccessKey, w.m.SecretKey, ""),
		HTTPClient:  awshttp.NewBuildableClient(),
	}
	s, err := objstore.NewS3(cfg, objstore.S3Options{EndpointURL: endpoint})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// engine returns an engine with 5 MiB parts (multipart from 5 MiB on).
func (w *world) engine(endpoint string, resume bool) *Engine {
	return New(w.store(endpoint), Options{PartSize: 5 << 20, MultipartThreshold: 5 << 20, PartConcurrency: 2,
		Resume: resume, JournalDir: w.journal})
}

func (w *world) url(key string) objstore.URL { return objstore.URL{Bucket: w.bucket, Key: key} }

func (w *world) get(key string) []byte {
	w.t.Helper()
	out, err := w.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key)})
	if err != nil {
		w.t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

func (w *world) put(key string, body []byte) {
	w.t.Helper()
	_, err := w.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) uploads() int {
	w.t.Helper()
	out, err := w.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(w.bucket)})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(out.Uploads)
}

func (w *world) journals() []string {
	entries, _ := os.ReadDir(w.journal)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func randomData(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// proxy is a reverse proxy in front of MinIO whose hooks see every request
// and may answer it themselves or rewrite the response.
type proxy struct {
	URL string
	mu  sync.Mutex
	// before may answer a request itself (returning true).
	before func(w http.ResponseWriter, r *http.Request) bool
	// after may replace a response body.
	after func(r *http.Request, resp *http.Response)
	// requests counts requests by kind ("upload-part", "get-range", ...).
	requests map[string]int
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, _ := url.Parse(target)
	p := &proxy{requests: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		p.mu.Lock()
		after := p.after
		p.mu.Unlock()
		if after != nil {
			after(resp.Request, resp)
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[requestKind(r)]++
		before := p.before
		p.mu.Unlock()
		if before != nil && before(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *proxy) setBefore(f func(w http.ResponseWriter, r *http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = f
}

// reset removes the hooks and zeroes the counters.
func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before, p.after = nil, nil
	p.requests = map[string]int{}
}

func (p *proxy) count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[kind]
}

func requestKind(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "upload-part"
	case r.Method == http.MethodGet && r.Header.Get("Range") != "":
		return "get-range"
	case r.Method == http.MethodGet && q.Has("uploadId"):
		return "list-parts"
	case r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/") && !q.Has("list-type") && !q.Has("uploads"):
		return "get"
	}
	return r.Method
}

// flipper corrupts one byte in the middle of every GET response body.
type flipper struct {
	r    io.ReadCloser
	at   int64
	pos  int64
	done bool
}

func (f *flipper) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	if !f.done && f.at >= f.pos && f.at < f.pos+int64(n) {
		b[f.at-f.pos] ^= 0xff
		f.done = true
	}
	f.pos += int64(n)
	return n, err
}

func (f *flipper) Close() error { return f.r.Close() }

// tamper makes p corrupt GET bodies (whole and ranged) of key.
func (p *proxy) tamper(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.after = func(r *http.Request, resp *http.Response) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+key) && resp.StatusCode/100 == 2 && resp.ContentLength > 0 {
			resp.Body = &flipper{r: resp.Body, at: resp.ContentLength / 2}
		}
	}
}

// tamperAt makes p flip the byte at offset off of key in whichever GET body
// carries it (whole, ranged or by part number; where a body starts is in
// its Content-Range).
func (p *proxy) tamperAt(key string, off int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.after = func(r *http.Request, resp *http.Response) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/"+key) || resp.StatusCode/100 != 2 {
			return
		}
		start, end := int64(0), resp.ContentLength-1
		if cr := resp.Header.Get("Content-Range"); cr != "" {
			var total int64
			if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err != nil {
				return
			}
		}
		if start <= off && off <= end {
			resp.Body = &flipper{r: resp.Body, at: off - start}
		}
	}
}

// plainClient is an S3 client that sends no checksum, as s5cmd, mc, rclone
// and older SDKs upload: the objects it writes carry only an MD5 ETag.
func (w *world) plainClient() *s3.Client {
	return s3.NewFromConfig(aws.Config{Region: w.m.Region, Credentials: w.store(w.m.Endpoint).Config().Credentials}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(w.m.Endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
}

// putParts stores data with c as a multipart upload of parts of the given
// sizes (the last takes the rest), without checksums.
func (w *world) putParts(c *s3.Client, key string, data []byte, sizes ...int) {
	w.t.Helper()
	ctx := context.Background()
	cm, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String(key)})
	if err != nil {
		w.t.Fatal(err)
	}
	var parts []types.CompletedPart
	off := 0
	for i, n := range sizes {
		if i == len(sizes)-1 {
			n = len(data) - off
		}
		o, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(w.bucket), Key: aws.String(key), UploadId: cm.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data[off : off+n])})
		if err != nil {
			w.t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: o.ETag})
		off += n
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String(key),
		UploadId: cm.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		w.t.Fatal(err)
	}
}

// cancelAfter cancels ctx shortly after n requests of kind have completed;
// later requests of that kind are held until then, so exactly n complete.
func (p *proxy) cancelAfter(ctx context.Context, kind string, n int32, cancel context.CancelFunc) {
	var started, done atomic.Int32
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = func(w http.ResponseWriter, r *http.Request) bool {
		if requestKind(r) != kind || started.Add(1) <= n {
			return false
		}
		<-ctx.Done()
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	p.after = func(r *http.Request, resp *http.Response) {
		if requestKind(r) == kind && resp.StatusCode/100 == 2 {
			if done.Add(1) == n {
				resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			}
		}
	}
}

// cancelOnClose cancels a moment after the proxy has sent the whole
// response, so the client has it.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	time.AfterFunc(200*time.Millisecond, c.cancel)
	return err
}
