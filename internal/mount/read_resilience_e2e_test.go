//go:build linux

package mount

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/testenv"
)

// resChunkOf fills b with the content of MiB number i of the test object.
func resChunkOf(b []byte, i int) {
	_, _ = rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 7}).Read(b)
}

// TestResilienceSequentialReadFetchesOnce: a sequential read, in 1 MiB
// reads as `dd bs=1M` does, of an object larger than what a file keeps in
// memory (cacheBytes) fetches each byte about once and returns the right
// bytes. The mount once evicted extents read ahead but not read yet before
// extents already read (and before the whole-object hash had used them),
// so that such a read fetched much of the object again, and its read-ahead
// window, moved on by each kernel read, fetched one GET of 128 KiB per
// read: the benchmark's 1 GiB read took 10 times as long as `s3sso cp`
// and 550 MiB of memory.
func TestResilienceSequentialReadFetchesOnce(t *testing.T) {
	requireFUSE(t)
	testenv.Home(t)
	mi := testenv.SharedMinIO(t)
	proxy := testenv.StartFaultProxy(t, mi.Endpoint)
	bucket := mi.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", mi.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", mi.SecretKey)
	t.Setenv("AWS_REGION", mi.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", proxy.URL)
	e := &env{t: t, bucket: bucket, client: mi.Client(t)}
	e.opts = Options{Source: objstore.URL{Bucket: bucket}, Mountpoint: t.TempDir(), CacheDir: t.TempDir(), DirCacheTTL: time.Second}
	e.mount(nil)

	// cacheBytes plus half the largest read-ahead window: the reader's
	// window runs past the cap during the second half.
	const mib = 1 << 20
	chunks := (cacheBytes + maxWindow/2) / mib
	size := int64(chunks) * mib
	src := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, mib)
	for i := range chunks {
		resChunkOf(buf, i)
		if _, err := f.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big.bin"), Body: f}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// Count the bytes the mount asks for (ranged GETs of big.bin).
	var mu sync.Mutex
	var fetched int64
	var gets int
	proxy.Add(testenv.FaultRule{Method: "GET", Match: func(r *http.Request) bool {
		var a, b int64
		if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-%d", &a, &b); err == nil && filepath.Base(r.URL.Path) == "big.bin" {
			mu.Lock()
			fetched += b - a + 1
			gets++
			mu.Unlock()
		}
		return false
	}, Fault: testenv.Reset{}})

	in, err := os.Open(e.path("big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	want := make([]byte, mib)
	for i := range chunks {
		if _, err := io.ReadFull(in, buf); err != nil {
			t.Fatalf("read MiB %d: %v", i, err)
		}
		resChunkOf(want, i)
		if !bytes.Equal(buf, want) {
			t.Fatalf("MiB %d of the object read through the mount differs", i)
		}
	}
	if n, err := in.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read past the end: %d bytes, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if limit := size + size/16; fetched > limit {
		t.Errorf("reading %d MiB fetched %d MiB in %d GETs, want at most %d MiB", size/mib, fetched/mib, gets, limit/mib)
	}
	// Whole chunks, not a GET per kernel read (128 KiB): the first chunks
	// of the growing window may be cut short.
	if limit := int(size/chunkSize) + 8; gets > limit {
		t.Errorf("reading %d MiB took %d GETs, want at most %d (chunks of %d MiB)", size/mib, gets, limit, chunkSize/mib)
	}
	t.Logf("read %d MiB: %d GETs fetched %d MiB", size/mib, gets, fetched/mib)
}
