package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// newProxy starts the suite's fault-injecting proxy in front of MinIO
// (testenv.FaultProxy); it forwards everything until rules are added.
func newProxy(t *testing.T, target string) *testenv.FaultProxy {
	t.Helper()
	return testenv.StartFaultProxy(t, target)
}

// tamper makes p flip one bit of the GET bodies (whole and ranged) of key.
func tamper(p *testenv.FaultProxy, key string) {
	p.Add(testenv.FaultRule{Method: http.MethodGet, Match: func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/"+key)
	}, Fault: testenv.FlipBit{At: -1, Bit: 7}})
}

// tamperAt makes p flip the byte at offset off of key in whichever GET body
// carries it (whole, ranged or by part number), instead of any fault before.
func tamperAt(p *testenv.FaultProxy, key string, off int64) {
	p.Clear()
	p.Add(testenv.FaultRule{Method: http.MethodGet, Match: func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/"+key)
	}, Fault: testenv.FlipObjectByte{Off: off}})
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
func cancelAfter(p *testenv.FaultProxy, ctx context.Context, kind string, n int, cancel context.CancelFunc) {
	cancelWhen(p, ctx, kind, n, cancel, nil)
}

// cancelWhen is cancelAfter that, once the proxy has sent n responses,
// waits until settled reports that the engine has recorded them (a
// journal), instead of a fixed moment that a loaded machine can outlast.
// A nil settled waits 200 ms. It gives up waiting after 30 s and cancels.
func cancelWhen(p *testenv.FaultProxy, ctx context.Context, kind string, n int, cancel context.CancelFunc, settled func() bool) {
	p.Add(testenv.FaultRule{Kind: kind, From: n + 1, Fault: testenv.Hold{Until: ctx.Done()}})
	go func() {
		if p.WaitFinished(ctx, kind, n) != nil {
			return
		}
		if settled == nil {
			// A moment after the proxy sent the whole response, so the
			// client has it.
			time.AfterFunc(200*time.Millisecond, cancel)
			return
		}
		for deadline := time.Now().Add(30 * time.Second); !settled() && time.Now().Before(deadline) && ctx.Err() == nil; {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
}

// rangesDone returns how many pieces the range journal of a download to
// dir/name records as done (0 when there is none yet).
func rangesDone(dir, name string) int {
	var j rangeJournal
	if ok, _ := readJSON(filepath.Join(dir, "."+name+".s3sso-ranges.tmp"), &j); !ok {
		return 0
	}
	return len(j.Done)
}
