package testenv

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Regions is one S3 endpoint name in front of several MinIO servers, each
// configured as its own region, as AWS S3 is one service over many regions.
// Start it with [StartRegions]. Each bucket lives on the server of its
// region; a request signed for the bucket's region (the SigV4 credential
// scope) is forwarded there unchanged. A request signed for another region
// gets what S3 answers (see [RegionsOptions.Answer]). Every request is
// recorded, so tests can see where a client sent it.
//
// Path-style addressing only. ListBuckets is forwarded to the first region's
// server and the answer is completed with the other servers' buckets, each
// with its BucketRegion, as AWS does. CopyObject between buckets of two
// servers (which MinIO cannot do) is carried out by the router with the root
// credentials, after the same region check; UploadPartCopy between servers is
// refused.
type Regions struct {
	// URL is the endpoint, http://127.0.0.1:PORT.
	URL string
	// Servers holds one MinIO per region, in the order given.
	Servers []*MinIO
	// AccessKey and SecretKey are the root credentials of every server.
	AccessKey, SecretKey string

	opts    RegionsOptions
	mu      sync.Mutex
	buckets map[string]*MinIO
	reqs    []RegionRequest
}

// RegionsOptions configures [StartRegions].
type RegionsOptions struct {
	// Answer says how a request signed for the wrong region is answered:
	// "redirect" (the default) as S3's us-east-1 endpoint does, 301
	// PermanentRedirect with x-amz-bucket-region (no body for HEAD);
	// "redirect-no-header", the same without the header, except on
	// HeadBucket, so the client must ask HeadBucket; "server", forwarded
	// to the bucket's server, which answers 400 AuthorizationHeaderMalformed
	// naming its region.
	Answer string
	// KMS starts the servers with a static KMS key.
	KMS bool
}

// RegionRequest is a request the router saw.
type RegionRequest struct {
	Method string
	Path   string
	Bucket string
	// Op is a rough operation name: ListBuckets, HeadBucket, HeadObject,
	// GetObject, PutObject, CopyObject, UploadPart, CreateMultipartUpload,
	// CompleteMultipartUpload, ListObjects, DeleteObject, DeleteObjects, Other.
	Op string
	// Region is the region of the SigV4 credential scope (header or
	// presigned query).
	Region string
	// Status is the status code of the answer.
	Status int
}

func (r RegionRequest) String() string {
	return fmt.Sprintf("%s %s [%s] %s -> %d", r.Op, r.Bucket, r.Region, r.Path, r.Status)
}

// StartRegions starts one MinIO server per region with the same root
// credentials, and the router in front of them. Everything stops when the
// test ends.
func StartRegions(t testing.TB, opts RegionsOptions, regions ...string) *Regions {
	t.Helper()
	rg := &Regions{AccessKey: "s3sso-" + randomHex(4), SecretKey: randomHex(20), opts: opts, buckets: map[string]*MinIO{}}
	for _, region := range regions {
		rg.Servers = append(rg.Servers, StartMinIOWith(t, MinIOOptions{Region: region, AccessKey: rg.AccessKey, SecretKey: rg.SecretKey, KMS: opts.KMS}))
	}
	srv := httptest.NewServer(rg)
	t.Cleanup(srv.Close)
	rg.URL = srv.URL
	return rg
}

// NewBucket creates a bucket on the server of region (see
// [MinIO.NewBucket]) and returns its name.
func (rg *Regions) NewBucket(t testing.TB, region string) string {
	t.Helper()
	m := rg.server(region)
	if m == nil {
		t.Fatalf("no server for region %s", region)
	}
	b := m.NewBucket(t)
	rg.mu.Lock()
	rg.buckets[b] = m
	rg.mu.Unlock()
	return b
}

// Requests returns the requests seen so far.
func (rg *Regions) Requests() []RegionRequest {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return append([]RegionRequest(nil), rg.reqs...)
}

// Reset forgets the recorded requests.
func (rg *Regions) Reset() {
	rg.mu.Lock()
	rg.reqs = nil
	rg.mu.Unlock()
}

func (rg *Regions) server(region string) *MinIO {
	for _, m := range rg.Servers {
		if m.Region == region {
			return m
		}
	}
	return nil
}

var scopeRegion = regexp.MustCompile(`Credential=[^/,]+/\d{8}/([^/]+)/s3/aws4_request`)

// requestRegion returns the region of the request's SigV4 credential scope.
func requestRegion(r *http.Request) string {
	if m := scopeRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
		if parts := strings.Split(c, "/"); len(parts) >= 3 {
			return parts[2]
		}
	}
	return ""
}

func operation(r *http.Request, bucket, key string) string {
	q := r.URL.Query()
	switch {
	case bucket == "":
		return "ListBuckets"
	case key == "" && r.Method == http.MethodHead:
		return "HeadBucket"
	case key == "" && r.Method == http.MethodGet && (q.Has("list-type") || len(q) == 0 || q.Has("prefix")):
		return "ListObjects"
	case key == "" && r.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObjects"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodGet && !q.Has("uploadId"):
		return "GetObject"
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" && q.Has("uploadId"):
		return "UploadPartCopy"
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	case r.Method == http.MethodPut && q.Has("uploadId"):
		return "UploadPart"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return "Other"
}

// statusRecorder remembers the status code written.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (rg *Regions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	rec := RegionRequest{Method: r.Method, Path: r.URL.Path, Bucket: bucket, Op: operation(r, bucket, key), Region: requestRegion(r)}
	sw := &statusRecorder{ResponseWriter: w}
	defer func() {
		rec.Status = sw.status
		rg.mu.Lock()
		rg.reqs = append(rg.reqs, rec)
		rg.mu.Unlock()
	}()
	if bucket == "" {
		rg.listBuckets(sw, r)
		return
	}
	rg.mu.Lock()
	m := rg.buckets[bucket]
	rg.mu.Unlock()
	if m == nil {
		m = rg.Servers[0] // unknown buckets: the first region answers
	}
	if rec.Region != m.Region && rg.opts.Answer != "server" {
		rg.redirect(sw, r, rec.Op, bucket, m.Region)
		return
	}
	if rec.Op == "CopyObject" || rec.Op == "UploadPartCopy" {
		if src := rg.copySourceServer(r); src != nil && src != m {
			rg.copyAcross(sw, r, rec.Op, src, m, bucket, key)
			return
		}
	}
	rg.forward(sw, r, m)
}

// forward sends the request unchanged (Host included, so the signature
// stays valid) to m.
func (rg *Regions) forward(w http.ResponseWriter, r *http.Request, m *MinIO) {
	target, _ := url.Parse(m.Endpoint)
	p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host
	}}
	p.ServeHTTP(w, r)
}

// redirect answers as S3 does a request signed for another region than the
// bucket's.
func (rg *Regions) redirect(w http.ResponseWriter, r *http.Request, op, bucket, region string) {
	if rg.opts.Answer != "redirect-no-header" || op == "HeadBucket" {
		w.Header().Set("X-Amz-Bucket-Region", region)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusMovedPermanently)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>%s.s3.%s.amazonaws.com</Endpoint><Bucket>%s</Bucket><RequestId>S3SSOTEST</RequestId><HostId>s3sso-test</HostId></Error>`,
		bucket, region, bucket)
}

type listAllMyBuckets struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Owner   struct {
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	} `xml:"Owner"`
	Buckets []listedBucket `xml:"Buckets>Bucket"`
}

type listedBucket struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

// listBuckets forwards ListBuckets to the first server (which checks the
// signature) and adds the other servers' buckets.
func (rg *Regions) listBuckets(w http.ResponseWriter, r *http.Request) {
	first := rg.Servers[0]
	rec := httptest.NewRecorder()
	rg.forward(rec, r, first)
	if rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var res listAllMyBuckets
	if err := xml.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for i := range res.Buckets {
		res.Buckets[i].BucketRegion = first.Region
	}
	for _, m := range rg.Servers[1:] {
		out, err := m.rootClient().ListBuckets(r.Context(), &s3.ListBucketsInput{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for _, b := range out.Buckets {
			res.Buckets = append(res.Buckets, listedBucket{Name: aws.ToString(b.Name),
				CreationDate: aws.ToTime(b.CreationDate).UTC().Format(time.RFC3339), BucketRegion: m.Region})
		}
	}
	body, _ := xml.Marshal(res)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

func (rg *Regions) copySourceServer(r *http.Request) *MinIO {
	src, err := url.PathUnescape(strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/"))
	if err != nil {
		return nil
	}
	b, _, _ := strings.Cut(src, "/")
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return rg.buckets[b]
}

// copyAcross carries out a CopyObject between two servers with the root
// credentials.
func (rg *Regions) copyAcross(w http.ResponseWriter, r *http.Request, op string, src, dst *MinIO, bucket, key string) {
	if op != "CopyObject" {
		http.Error(w, "UploadPartCopy between regions is not emulated", http.StatusNotImplemented)
		return
	}
	source, _ := url.PathUnescape(strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/"))
	sb, sk, _ := strings.Cut(source, "/")
	sk, _, _ = strings.Cut(sk, "?versionId=")
	key, _ = url.PathUnescape(key)
	get, err := src.rootClient().GetObject(r.Context(), &s3.GetObjectInput{Bucket: aws.String(sb), Key: aws.String(sk)})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	data, err := io.ReadAll(get.Body)
	get.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentType: get.ContentType, Metadata: get.Metadata}
	if r.Header.Get("X-Amz-Metadata-Directive") == "REPLACE" {
		in.ContentType = aws.String(r.Header.Get("Content-Type"))
	}
	put, err := dst.rootClient().PutObject(r.Context(), in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<CopyObjectResult><LastModified>%s</LastModified><ETag>%s</ETag></CopyObjectResult>`,
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), xmlEscape(aws.ToString(put.ETag)))
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
