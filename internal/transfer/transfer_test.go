package transfer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/testenv"
)

func TestCRCCombine(t *testing.T) {
	data := randomData(t, 100_003)
	for _, a := range []algo{algoCRC32, algoCRC32C, algoCRC64NVME} {
		want := sumOf(a, data)
		for _, cut := range []int{0, 1, 4096, 50_000, 100_002, 100_003} {
			got := a.combine(sumOf(a, data[:cut]), sumOf(a, data[cut:]), int64(len(data)-cut))
			if !bytes.Equal(got, want) {
				t.Errorf("%s: combine at %d = %x, want %x", a, cut, got, want)
			}
		}
	}
	// CRC64NVME as S3 defines it (check value of "123456789").
	if got := crc64.Checksum([]byte("123456789"), tableCRC64NVME); got != 0xae8b14860a799888 {
		t.Errorf("crc64nvme check value %x", got)
	}
	// The fast implementation agrees with the table on long inputs too.
	if got, want := sumOf(algoCRC64NVME, data), binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, tableCRC64NVME)); !bytes.Equal(got, want) {
		t.Errorf("crc64nvme: fast %x, table %x", got, want)
	}
	if got := crc32.Checksum([]byte("123456789"), tableCRC32C); got != 0xe3069283 {
		t.Errorf("crc32c check value %x", got)
	}
}

func sumOf(a algo, b []byte) []byte {
	h := a.new()
	h.Write(b)
	return h.Sum(nil)
}

func TestStoredChecksum(t *testing.T) {
	s := func(v string) *string { return &v }
	cases := []struct {
		name        string
		crc32c, crc string
		ctype       types.ChecksumType
		etag        string
		enc         bool
		want        algo
		parts       int
	}{
		{name: "full crc32c", crc32c: "JdrQTA==", ctype: types.ChecksumTypeFullObject, etag: `"x-2"`, want: algoCRC32C},
		{name: "composite", crc32c: "5szliw==-2", ctype: types.ChecksumTypeComposite, want: algoCRC32C, parts: 2},
		{name: "md5 etag", etag: `"f1d7350d9987423d955f8f57bb10b6ac"`, want: algoMD5},
		{name: "multipart etag", etag: `"4175693272898f627d210ab89621c855-2"`, want: algoMD5, parts: 2},
		{name: "kms etag is no md5", etag: `"f1d7350d9987423d955f8f57bb10b6ac"`, enc: true},
		{name: "garbage", crc32c: "!!", etag: "nope"},
	}
	for _, c := range cases {
		var crc32cv *string
		if c.crc32c != "" {
			crc32cv = s(c.crc32c)
		}
		st := storedChecksum(nil, crc32cv, nil, nil, nil, c.ctype, c.etag, c.enc)
		if st.algo != c.want || st.parts != c.parts {
			t.Errorf("%s: got %s parts %d, want %s parts %d", c.name, st.algo, st.parts, c.want, c.parts)
		}
	}
}

// TestRoundTrip uploads and downloads objects of several sizes, single and
// multipart, and checks the bytes and the stored checksums.
func TestRoundTrip(t *testing.T) {
	w := newWorld(t)
	e := w.engine(w.m.Endpoint, false)
	ctx := context.Background()
	for _, size := range []int{0, 1000, 5<<20 - 1, 5 << 20, 12<<20 + 7} {
		data := randomData(t, size)
		key := "rt/" + strings.Repeat("x", 1) + string(rune('a'+size%26))
		src := writeTemp(t, "src", data)
		if err := e.UploadFile(ctx, src, w.url(key), PutOptions{}); err != nil {
			t.Fatalf("upload %d bytes: %v", size, err)
		}
		if got := w.get(key); !bytes.Equal(got, data) {
			t.Fatalf("upload %d bytes: stored content differs", size)
		}
		head, err := w.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if want := b64(sumOf(algoCRC32C, data)); aws.ToString(head.ChecksumCRC32C) != want {
			t.Errorf("%d bytes: stored CRC32C %q (%s), want the full-object %q", size, aws.ToString(head.ChecksumCRC32C), head.ChecksumType, want)
		}
		dst := filepath.Join(t.TempDir(), "out")
		if err := e.Download(ctx, Remote{URL: w.url(key), Size: -1}, dst); err != nil {
			t.Fatalf("download %d bytes: %v", size, err)
		}
		if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
			t.Fatalf("download %d bytes: content differs", size)
		}
		if fi, _ := os.Stat(dst); fi.Mode().Perm()&0o044 == 0 && umask()&0o044 == 0 {
			t.Errorf("download %d bytes: mode %v, want the umask's (like any new file)", size, fi.Mode())
		}
	}
	if j := w.journals(); len(j) != 0 {
		t.Errorf("journals left after successful uploads: %v", j)
	}
}

// TestCorruptDownloadIsIntegrityError sends every download through a proxy
// that flips one byte: the single GET, the ranged full-object CRC, the
// composite checksum and the MD5 ETag paths must all fail with
// fault.Integrity and keep no file.
func TestCorruptDownloadIsIntegrityError(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	small := randomData(t, 100_000)
	big := randomData(t, 11<<20)
	clean := w.engine(w.m.Endpoint, false)
	if err := clean.UploadFile(ctx, writeTemp(t, "s", small), w.url("small"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := clean.UploadFile(ctx, writeTemp(t, "b", big), w.url("big"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	w.put("plain", small) // the SDK's default checksum
	uploadComposite(t, w, "composite", big)

	p := newProxy(t, w.m.Endpoint)
	e := w.engine(p.URL, false)
	for _, key := range []string{"small", "big", "plain", "composite"} {
		tamper(p, key)
		dir := t.TempDir()
		err := e.Download(ctx, Remote{URL: w.url(key), Size: -1}, filepath.Join(dir, "out"))
		if fault.KindOf(err) != fault.Integrity {
			t.Errorf("%s: corrupted download: err %v (kind %v), want an integrity error", key, err, fault.KindOf(err))
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: corrupted download left %v", key, entries)
		}
		// Untampered, the same download succeeds.
		p.Clear()
		if err := e.Download(ctx, Remote{URL: w.url(key), Size: -1}, filepath.Join(dir, "out")); err != nil {
			t.Errorf("%s: clean download: %v", key, err)
		}
	}
	var sb bytes.Buffer
	tamper(p, "small")
	if err := e.Stream(ctx, w.url("small"), &sb); fault.KindOf(err) != fault.Integrity {
		t.Errorf("corrupted stream: %v", err)
	}
}

// TestCorruptETagOnlyDownloadIsIntegrityError covers objects whose only
// integrity data is the MD5 ETag (written without a checksum, as s5cmd, mc,
// rclone and older SDKs write them): single-part (one GET; ranged, hashed by
// the follower) and multipart (equal parts and a shorter last one; unequal
// parts, with a part count that does or does not give away the layout). One
// byte flipped in a middle part or in the last part, and the download fails
// with fault.Integrity and keeps no file, and the stream (cat, cp -) fails
// too; untampered, both give the object's bytes. All of it with the
// AVX-512 lane hasher and without it (the writers hashing the parts).
func TestCorruptETagOnlyDownloadIsIntegrityError(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	plain := w.plainClient()
	const mib = 1 << 20
	objects := map[string][]byte{"small": randomData(t, 100_000), "big": randomData(t, 12*mib)}
	for key, data := range objects {
		if _, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	// Byte offsets to corrupt, one at a time: middles and last bytes.
	flips := map[string][]int64{"small": {50_000}, "big": {6 * mib, 12*mib - 1}}
	for key, parts := range map[string][]int{
		"multi":   {5 * mib, 5 * mib, 2 * mib},     // 12 MiB: the last part shorter
		"uneven":  {6 * mib, 5 * mib, 1 * mib},     // 12 MiB: 2 parts of 6 MiB would do
		"uneven3": {7 * mib, 5 * mib, 5*mib + 123}, // 3 parts, as 7 MiB parts would be
	} {
		size := 0
		for _, n := range parts {
			size += n
		}
		objects[key] = randomData(t, size)
		w.putParts(plain, key, objects[key], parts...)
		flips[key] = []int64{int64(parts[0] + parts[1]/2), int64(size - 1)}
	}
	p := newProxy(t, w.m.Endpoint)
	// One GET per part (by number), and then the parts of less than 32 MiB
	// fetched several at a time by range, assuming equal sizes.
	defer func(s int64) { laneSpan = s }(laneSpan)
	laneSpan = 0
	checkETagOnly(t, w, p, w.engine(p.URL, false), objects, flips)
	laneSpan = 32 << 20
	checkETagOnly(t, w, p, w.engine(p.URL, false), objects, flips)
	// Without AVX-512 (most AMD and client CPUs, arm64) the writers hash
	// the parts themselves.
	defer func(h bool) { haveMD5x16 = h }(haveMD5x16)
	haveMD5x16 = false
	checkETagOnly(t, w, p, w.engine(p.URL, false), objects, flips)
}

func checkETagOnly(t *testing.T, w *world, p *testenv.FaultProxy, e *Engine, objects map[string][]byte, flips map[string][]int64) {
	ctx := context.Background()
	for key, data := range objects {
		head, err := w.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if st := storedOfHead(head); st.algo != algoMD5 {
			t.Fatalf("%s: stored checksum %s, want only an MD5 ETag", key, st)
		}
		for _, off := range flips[key] {
			tamperAt(p, key, off)
			dir := t.TempDir()
			err := e.Download(ctx, Remote{URL: w.url(key), Size: -1}, filepath.Join(dir, "out"))
			if fault.KindOf(err) != fault.Integrity {
				t.Errorf("%s, byte %d flipped: download: err %v (kind %v), want an integrity error", key, off, err, fault.KindOf(err))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%s, byte %d flipped: download left %v", key, off, entries)
			}
			if err := e.Stream(ctx, w.url(key), io.Discard); fault.KindOf(err) != fault.Integrity {
				t.Errorf("%s, byte %d flipped: stream: err %v, want an integrity error", key, off, err)
			}
		}
		p.Clear()
		dst := filepath.Join(t.TempDir(), "out")
		if err := e.Download(ctx, Remote{URL: w.url(key), Size: -1}, dst); err != nil {
			t.Errorf("%s: clean download: %v", key, err)
		} else if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
			t.Errorf("%s: clean download differs from the object", key)
		}
		var sb bytes.Buffer
		if err := e.Stream(ctx, w.url(key), &sb); err != nil || !bytes.Equal(sb.Bytes(), data) {
			t.Errorf("%s: clean stream: %v (same bytes: %v)", key, err, bytes.Equal(sb.Bytes(), data))
		}
	}
}

// uploadComposite stores data as a two-part upload with a composite CRC32C.
func uploadComposite(t *testing.T, w *world, key string, data []byte) {
	t.Helper()
	ctx := context.Background()
	cm, err := w.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String(key), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, off := int32(1), 0; off < len(data); i, off = i+1, off+(6<<20) {
		chunk := data[off:min(off+(6<<20), len(data))]
		o, err := w.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(w.bucket), Key: aws.String(key), UploadId: cm.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(chunk), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: o.ETag, ChecksumCRC32C: o.ChecksumCRC32C})
	}
	out, err := w.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String(key), UploadId: cm.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(out.ChecksumCRC32C), "-") {
		t.Fatalf("expected a composite checksum, got %q", aws.ToString(out.ChecksumCRC32C))
	}
}

// TestThrottledPartsAreRetried answers the first three part uploads with
// 503 SlowDown (the second without a body) and resets the connection of the
// fourth: the upload succeeds, and no part that had finished is sent again.
func TestThrottledPartsAreRetried(t *testing.T) {
	w := newWorld(t)
	p := newProxy(t, w.m.Endpoint)
	p.Add(testenv.FaultRule{Kind: "upload-part", Nth: []int{1, 3}, Fault: testenv.SlowDown{}},
		testenv.FaultRule{Kind: "upload-part", Nth: []int{2}, Fault: testenv.SlowDown{NoBody: true}},
		testenv.FaultRule{Kind: "upload-part", Nth: []int{4}, Fault: testenv.Reset{}})
	data := randomData(t, 16<<20)
	e := w.engine(p.URL, false)
	if err := e.UploadFile(context.Background(), writeTemp(t, "f", data), w.url("throttled"), PutOptions{}); err != nil {
		t.Fatalf("upload through throttling: %v", err)
	}
	if !bytes.Equal(w.get("throttled"), data) {
		t.Fatal("content differs")
	}
	// 4 parts of 5 MiB (the last 1 MiB) + 4 refused attempts.
	if got := p.Started("upload-part"); got != 4+4 {
		t.Errorf("%d part requests, want 8 (4 parts, 4 refused attempts): finished parts were sent again", got)
	}
	if got := e.Stats.BytesDone.Load(); got != int64(len(data)) {
		t.Errorf("progress counted %d bytes, want %d", got, len(data))
	}
}

// TestDownloadsSurviveFaults sends a ranged and a single download through
// broken connections (reset mid-body, truncated bodies), 503s with and
// without a body, and latency: each range or object that broke is fetched
// again, and the files are byte-identical.
func TestDownloadsSurviveFaults(t *testing.T) {
	w := newWorld(t)
	big, small := randomData(t, 16<<20), randomData(t, 300_000)
	w.put("big", big)
	w.put("small", small)
	p := newProxy(t, w.m.Endpoint)
	p.Add(testenv.FaultRule{Kind: "get-range", Nth: []int{1}, Fault: testenv.Reset{Forward: true, AfterBytes: -1}},
		testenv.FaultRule{Kind: "get-range", Nth: []int{2}, Fault: testenv.Truncate{AfterBytes: -1}},
		testenv.FaultRule{Kind: "get-range", Nth: []int{3}, Fault: testenv.SlowDown{NoBody: true}},
		testenv.FaultRule{Kind: "get-range", Nth: []int{4}, Fault: testenv.Latency{Delay: 300 * time.Millisecond}},
		testenv.FaultRule{Kind: "get", Nth: []int{1}, Fault: testenv.Truncate{AfterBytes: 1000}},
		testenv.FaultRule{Kind: "get", Nth: []int{2}, Fault: testenv.Reset{Forward: true, AfterBytes: 0}},
		testenv.FaultRule{Kind: "get", Nth: []int{3}, Fault: testenv.SlowDown{}},
		testenv.FaultRule{Kind: "head", Nth: []int{1}, Fault: testenv.SlowDown{NoBody: true}})
	e := w.engine(p.URL, false)
	dir := t.TempDir()
	for key, data := range map[string][]byte{"big": big, "small": small} {
		if err := e.Download(context.Background(), Remote{URL: w.url(key), Size: -1}, filepath.Join(dir, key)); err != nil {
			t.Fatalf("download %s through faults: %v", key, err)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, key)); !bytes.Equal(got, data) {
			t.Fatalf("%s: content differs", key)
		}
	}
	if p.Injected() != 8 {
		t.Errorf("%d faults injected, want 8: %v", p.Injected(), p.InjectedByName())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("leftovers: %v", entries)
	}
}

// TestResumeUpload interrupts a multipart upload after two parts, checks
// that the upload and its journal are kept, and resumes it: only the
// missing parts are sent and the object is byte-identical.
func TestResumeUpload(t *testing.T) {
	w := newWorld(t)
	data := randomData(t, 26<<20) // 6 parts
	src := writeTemp(t, "big", data)
	p := newProxy(t, w.m.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	cancelAfter(p, ctx, "upload-part", 2, cancel)
	e := w.engine(p.URL, true)
	err := e.UploadFile(ctx, src, w.url("big"), PutOptions{})
	if fault.KindOf(err) != fault.Interrupted || !strings.Contains(fault.HintOf(err), "--resume") {
		t.Fatalf("interrupted upload: %v (kind %v, hint %q)", err, fault.KindOf(err), fault.HintOf(err))
	}
	if w.uploads() != 1 || len(w.journals()) != 1 {
		t.Fatalf("after the interruption: %d uploads, journals %v; want both kept", w.uploads(), w.journals())
	}
	var j uploadJournal
	if ok, _ := readJSON(filepath.Join(w.journal, w.journals()[0]), &j); !ok || j.UploadID == "" || len(j.Parts) != 2 {
		t.Fatalf("journal %+v", j)
	}
	if fi, _ := os.Stat(filepath.Join(w.journal, w.journals()[0])); fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v", fi.Mode())
	}
	lp, err := w.client.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(w.bucket), Key: aws.String("big"), UploadId: aws.String(j.UploadID)})
	if err != nil {
		t.Fatal(err)
	}
	have := len(lp.Parts)

	p2 := p // the same command: the same endpoint
	p2.Clear()
	e2 := w.engine(p2.URL, true)
	if err := e2.UploadFile(context.Background(), src, w.url("big"), PutOptions{}); err != nil {
		t.Fatalf("resumed upload: %v", err)
	}
	if have != 2 {
		t.Errorf("server has %d parts, want 2", have)
	}
	if got := p2.Started("upload-part"); got != 6-have {
		t.Errorf("resume sent %d parts, want %d (6 minus the %d the server had)", got, 6-have, have)
	}
	if !bytes.Equal(w.get("big"), data) {
		t.Fatal("resumed upload: content differs")
	}
	if w.uploads() != 0 || len(w.journals()) != 0 {
		t.Errorf("after the resumed upload: %d uploads, journals %v", w.uploads(), w.journals())
	}
}

// TestInterruptedUploadWithoutResumeAborts: no --resume, no leftovers.
func TestInterruptedUploadWithoutResumeAborts(t *testing.T) {
	w := newWorld(t)
	p := newProxy(t, w.m.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	cancelAfter(p, ctx, "upload-part", 1, cancel)
	err := w.engine(p.URL, false).UploadFile(ctx, writeTemp(t, "f", randomData(t, 21<<20)), w.url("x"), PutOptions{})
	if err == nil {
		t.Fatal("interrupted upload succeeded")
	}
	if w.uploads() != 0 || len(w.journals()) != 0 {
		t.Errorf("after an interrupted upload without --resume: %d uploads, journals %v", w.uploads(), w.journals())
	}
}

// TestResumeUploadOfChangedFileStartsOver: a journal whose source changed is
// not used.
func TestResumeUploadOfChangedFileStartsOver(t *testing.T) {
	w := newWorld(t)
	src := writeTemp(t, "f", randomData(t, 16<<20))
	p := newProxy(t, w.m.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	cancelAfter(p, ctx, "upload-part", 1, cancel)
	_ = w.engine(p.URL, true).UploadFile(ctx, src, w.url("x"), PutOptions{})
	data := randomData(t, 16<<20)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	p.Clear()
	if err := w.engine(p.URL, true).UploadFile(context.Background(), src, w.url("x"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.get("x"), data) {
		t.Fatal("content differs: parts of the old file were kept")
	}
	if w.uploads() != 0 {
		t.Errorf("%d uploads left", w.uploads())
	}
}

// TestResumeDownload interrupts a ranged download after two ranges, checks
// the partial file and journal are kept, and resumes: only the missing
// ranges are fetched and the file is byte-identical.
func TestResumeDownload(t *testing.T) {
	w := newWorld(t)
	data := randomData(t, 26<<20) // 6 ranges of 5 MiB
	w.put("big", data)
	dir := t.TempDir()
	dst := filepath.Join(dir, "big")
	p := newProxy(t, w.m.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	cancelWhen(p, ctx, "get-range", 2, cancel, func() bool { return rangesDone(dir, "big") >= 2 })
	err := w.engine(p.URL, true).Download(ctx, Remote{URL: w.url("big"), Size: -1}, dst)
	if fault.KindOf(err) != fault.Interrupted {
		t.Fatalf("interrupted download: %v", err)
	}
	var j rangeJournal
	if ok, _ := readJSON(filepath.Join(dir, ".big.s3sso-ranges.tmp"), &j); !ok || len(j.Done) != 2 {
		t.Fatalf("range journal %+v", j)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Fatal("interrupted download created the file")
	}
	p2 := newProxy(t, w.m.Endpoint)
	if err := w.engine(p2.URL, true).Download(context.Background(), Remote{URL: w.url("big"), Size: -1}, dst); err != nil {
		t.Fatalf("resumed download: %v", err)
	}
	if got := p2.Started("get-range"); got != 6-len(j.Done) {
		t.Errorf("resume fetched %d ranges, want %d", got, 6-len(j.Done))
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatal("resumed download: content differs")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("leftovers after the resumed download: %v", entries)
	}
}

// TestResumeETagOnlyDownload does the same for a multipart object with only
// an MD5 ETag, fetched one part per GET (by number) and two parts per
// ranged GET: the parts already on disk are hashed from the file by the
// lane hasher, so a damaged partial file is an integrity error.
func TestResumeETagOnlyDownload(t *testing.T) {
	w := newWorld(t)
	data := randomData(t, 27<<20) // 6 parts: 5 × 5 MiB and 2 MiB
	w.putParts(w.plainClient(), "big", data, 5<<20, 5<<20, 5<<20, 5<<20, 5<<20, 0)
	defer func(s int64) { laneSpan = s }(laneSpan)
	for _, c := range []struct {
		span   int64
		kind   string
		pieces int
	}{{0, "get", 6}, {10 << 20, "get-range", 3}} {
		laneSpan = c.span
		for _, damage := range []bool{false, true} {
			dir := t.TempDir()
			dst := filepath.Join(dir, "big")
			p := newProxy(t, w.m.Endpoint)
			ctx, cancel := context.WithCancel(context.Background())
			cancelWhen(p, ctx, c.kind, 2, cancel, func() bool { return rangesDone(dir, "big") >= 2 })
			if err := w.engine(p.URL, true).Download(ctx, Remote{URL: w.url("big"), Size: -1}, dst); fault.KindOf(err) != fault.Interrupted {
				t.Fatalf("%s: interrupted download: %v", c.kind, err)
			}
			var j rangeJournal
			if ok, _ := readJSON(filepath.Join(dir, ".big.s3sso-ranges.tmp"), &j); !ok || len(j.Done) < 2 {
				t.Fatalf("%s: range journal %+v", c.kind, j)
			}
			if damage {
				f, err := os.OpenFile(filepath.Join(dir, ".big.s3sso-partial.tmp"), os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteAt([]byte{data[j.Done[0]+100] ^ 1}, j.Done[0]+100)
				f.Close()
			}
			p2 := newProxy(t, w.m.Endpoint)
			err := w.engine(p2.URL, true).Download(context.Background(), Remote{URL: w.url("big"), Size: -1}, dst)
			if got := p2.Started(c.kind); got != c.pieces-len(j.Done) {
				t.Errorf("%s: resume fetched %d pieces, want %d", c.kind, got, c.pieces-len(j.Done))
			}
			switch {
			case damage && fault.KindOf(err) != fault.Integrity:
				t.Errorf("%s: resumed download with a damaged partial file: %v, want an integrity error", c.kind, err)
			case damage:
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Errorf("%s: left %v", c.kind, entries)
				}
			case err != nil:
				t.Errorf("%s: resumed download: %v", c.kind, err)
			default:
				if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
					t.Errorf("%s: resumed download: content differs", c.kind)
				}
			}
		}
	}
}

// TestResumeDownloadWithDamagedPartial: bytes of the partial file that
// changed between runs are caught by the checksum, and nothing is kept.
func TestResumeDownloadWithDamagedPartial(t *testing.T) {
	w := newWorld(t)
	data := randomData(t, 16<<20)
	w.put("big", data)
	dir := t.TempDir()
	dst := filepath.Join(dir, "big")
	p := newProxy(t, w.m.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	cancelWhen(p, ctx, "get-range", 1, cancel, func() bool { return rangesDone(dir, "big") >= 1 })
	_ = w.engine(p.URL, true).Download(ctx, Remote{URL: w.url("big"), Size: -1}, dst)
	partial := filepath.Join(dir, ".big.s3sso-partial.tmp")
	f, err := os.OpenFile(partial, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var j rangeJournal
	_, _ = readJSON(filepath.Join(dir, ".big.s3sso-ranges.tmp"), &j)
	if len(j.Done) == 0 {
		t.Fatal("no range done")
	}
	_, _ = f.WriteAt([]byte("garbage"), j.Done[0]+10)
	f.Close()
	err = w.engine(w.m.Endpoint, true).Download(context.Background(), Remote{URL: w.url("big"), Size: -1}, dst)
	if fault.KindOf(err) != fault.Integrity {
		t.Fatalf("download over a damaged partial file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("leftovers: %v", entries)
	}
}

// TestUploadMemoryBounded uploads a 64 MiB file in 16 MiB parts and checks
// that the process allocated far less than one part: file parts are
// streamed from the file, never buffered.
func TestUploadMemoryBounded(t *testing.T) {
	w := newWorld(t)
	src := writeTemp(t, "big", randomData(t, 64<<20))
	e := New(w.store(w.m.Endpoint), Options{PartSize: 16 << 20, MultipartThreshold: 16 << 20, PartConcurrency: 4, JournalDir: w.journal})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := e.UploadFile(context.Background(), src, w.url("big"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("uploading 64 MiB allocated %d MiB; parts must stream from the file", alloc>>20)
	}
	dst := filepath.Join(t.TempDir(), "out")
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := e.Download(context.Background(), Remote{URL: w.url("big"), Size: -1}, dst); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("downloading 64 MiB allocated %d MiB; ranges must stream to the file", alloc>>20)
	}
}

// TestRunInterruptKeepsResumeHint: the engine's interrupted error carries
// the job's hint.
func TestRunInterruptKeepsResumeHint(t *testing.T) {
	e := New(nil, Options{JournalDir: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	jobs := func(yield func(Job, error) bool) {
		yield(Job{Op: "upload", Run: func(ctx context.Context) error {
			cancel()
			<-ctx.Done()
			return fault.Wrap(fault.Interrupted, ctx.Err(), ResumeHint)
		}}, nil)
	}
	err := e.Run(ctx, jobs, nil)
	if fault.KindOf(err) != fault.Interrupted || fault.HintOf(err) != ResumeHint || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, hint %q", err, fault.HintOf(err))
	}
}

// TestVerifyStoredChecksums covers objects stored by other tools: no
// checksum (MD5 ETag, single and multipart), a full-object SHA-256 and
// CRC64NVME (Amazon S3's default), small (one GET) and large (ranged). Clean downloads pass, corrupted ones
// are integrity errors.
func TestVerifyStoredChecksums(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	plain := s3.NewFromConfig(aws.Config{Region: w.m.Region, Credentials: w.store(w.m.Endpoint).Config().Credentials}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(w.m.Endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	small, big := randomData(t, 70_000), randomData(t, 12<<20)
	put := func(key string, data []byte, algo types.ChecksumAlgorithm) {
		if _, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), Body: bytes.NewReader(data), ChecksumAlgorithm: algo}); err != nil {
			t.Fatal(err)
		}
	}
	put("md5-small", small, "")
	put("md5-big", big, "")
	put("sha-big", big, types.ChecksumAlgorithmSha256)
	put("nvme-small", small, types.ChecksumAlgorithmCrc64nvme)
	put("nvme-big", big, types.ChecksumAlgorithmCrc64nvme)
	cm, err := plain.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String("md5-multi")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, off := int32(1), 0; off < len(big); i, off = i+1, off+(5<<20) {
		o, err := plain.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(w.bucket), Key: aws.String("md5-multi"), UploadId: cm.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(big[off:min(off+(5<<20), len(big))])})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: o.ETag})
	}
	if _, err := plain.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(w.bucket), Key: aws.String("md5-multi"),
		UploadId: cm.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]algo{"md5-small": algoMD5, "md5-big": algoMD5, "sha-big": algoSHA256, "md5-multi": algoMD5,
		"nvme-small": algoCRC64NVME, "nvme-big": algoCRC64NVME}
	p := newProxy(t, w.m.Endpoint)
	e := New(w.store(p.URL), Options{PartSize: 5 << 20, MultipartThreshold: 8 << 20, JournalDir: w.journal})
	for key, a := range want {
		head, err := w.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if st := storedOfHead(head); st.algo != a {
			t.Fatalf("%s: stored checksum %s, want %s (server stored %s)", key, st, a, head.ChecksumType)
		}
		dir := t.TempDir()
		p.Clear()
		if err := e.Download(ctx, Remote{URL: w.url(key), Size: -1}, filepath.Join(dir, "ok")); err != nil {
			t.Errorf("%s: clean download: %v", key, err)
		}
		tamper(p, key)
		err = e.Download(ctx, Remote{URL: w.url(key), Size: -1}, filepath.Join(dir, "bad"))
		if fault.KindOf(err) != fault.Integrity {
			t.Errorf("%s: corrupted download: %v", key, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
			t.Errorf("%s: corrupted file kept", key)
		}
	}
}

// TestRunBoundsConcurrency: Run keeps exactly Concurrency jobs in flight
// (the first jobs wait until that many run at once, so a pool of one fails;
// while they wait, a pool without a bound would start more), reports every
// job once, starts work before the producer ends, and folds failures into a
// partial-failure error.
func TestRunBoundsConcurrency(t *testing.T) {
	const limit = 4
	e := New(nil, Options{Concurrency: limit, JournalDir: t.TempDir()})
	var inFlight, peak, reported atomic.Int32
	var startedEarly atomic.Bool
	produced := make(chan struct{})
	full := make(chan struct{}) // closed when limit jobs run at once
	var fullOnce sync.Once
	jobs := func(yield func(Job, error) bool) {
		for i := range 100 {
			fail := i%10 == 0
			if !yield(Job{Op: "x", Run: func(context.Context) error {
				select {
				case <-produced:
				default:
					startedEarly.Store(true)
				}
				n := inFlight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				if n == limit {
					fullOnce.Do(func() { close(full) })
				}
				if i < limit {
					select {
					case <-full:
						// Held a moment longer: a pool without a bound
						// starts the next jobs now.
						time.Sleep(100 * time.Millisecond)
					case <-time.After(10 * time.Second): // never, unless fewer than limit run at once
					}
				}
				runtime.Gosched()
				inFlight.Add(-1)
				if fail {
					return errors.New("boom")
				}
				return nil
			}}, nil) {
				return
			}
		}
		close(produced)
	}
	err := e.Run(context.Background(), jobs, func(Result) { reported.Add(1) })
	var be *BatchError
	if fault.KindOf(err) != fault.Partial || !errors.As(err, &be) || be.Failed != 10 || be.Total != 100 {
		t.Fatalf("Run: %v", err)
	}
	if reported.Load() != 100 || peak.Load() != limit || !startedEarly.Load() {
		t.Errorf("reported %d, peak %d in flight (want exactly %d), started before the listing ended: %v", reported.Load(), peak.Load(), limit, startedEarly.Load())
	}
}

// TestUploadBodiesAreNotHashedForSigning: PUTs (single and parts) are sent
// with UNSIGNED-PAYLOAD and a CRC32C, so no SHA-256 of the body is computed.
func TestUploadBodiesAreNotHashedForSigning(t *testing.T) {
	w := newWorld(t)
	p := newProxy(t, w.m.Endpoint)
	var bad atomic.Int32
	var puts atomic.Int32
	// A rule that never fires, to see every request.
	p.Add(testenv.FaultRule{Method: http.MethodPut, Match: func(r *http.Request) bool {
		if r.URL.Query().Get("x-id") != "CreateBucket" {
			puts.Add(1)
			if r.Header.Get("X-Amz-Content-Sha256") != "UNSIGNED-PAYLOAD" || r.Header.Get("X-Amz-Checksum-Crc32c") == "" {
				bad.Add(1)
			}
		}
		return false
	}, Fault: testenv.SlowDown{}})
	e := w.engine(p.URL, false)
	ctx := context.Background()
	for _, n := range []int{1000, 11 << 20} {
		if err := e.UploadFile(ctx, writeTemp(t, "f", randomData(t, n)), w.url("f"), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if puts.Load() != 1+3 || bad.Load() != 0 {
		t.Errorf("%d PUTs, %d without UNSIGNED-PAYLOAD and a CRC32C header", puts.Load(), bad.Load())
	}
}

// umask returns the process's umask without changing it for long.
func umask() os.FileMode {
	p := filepath.Join(os.TempDir(), fmt.Sprintf("s3sso-umask-%d", os.Getpid()))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		return 0
	}
	f.Close()
	defer os.Remove(p)
	fi, _ := os.Stat(p)
	return 0o666 &^ fi.Mode().Perm()
}

// TestNamedObjectDownloadAsksOnce: cp of one object named by its key looks
// it up once (HEAD, with its checksums) and the download takes the stored
// checksum from that answer instead of asking again; a multipart object
// then needs only its first part's size (HEAD ?partNumber=1). A download of
// a listed object (no HEAD answer) or one whose answer is for another ETag
// asks itself. Every form still verifies: a flipped byte is an integrity
// error.
func TestNamedObjectDownloadAsksOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	plain := w.plainClient()
	const mib = 1 << 20
	single := randomData(t, 7*mib) // above the engine's 5 MiB threshold: ranged
	if _, err := plain.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String("single"), Body: bytes.NewReader(single)}); err != nil {
		t.Fatal(err)
	}
	multi := randomData(t, 12*mib)
	w.putParts(plain, "multi", multi, 5*mib, 5*mib, 2*mib)
	p := newProxy(t, w.m.Endpoint)
	e := w.engine(p.URL, false)
	for key, c := range map[string]struct {
		data  []byte
		heads int // HEADs of a named object's cp
	}{"single": {single, 1}, "multi": {multi, 2}} {
		u := w.url(key)
		var named Entry
		for en, err := range e.Expand(ctx, Location{S3: &u}, false) {
			if err != nil {
				t.Fatal(err)
			}
			named = en
		}
		if named.Info == nil {
			t.Fatalf("%s: the named object's entry has no HEAD answer", key)
		}
		listed := Remote{URL: u, Size: named.Size, ETag: named.ETag, LastModified: named.ModTime}
		stale := named.Remote()
		stale.Info = &objstore.ObjectInfo{Size: named.Size, ETag: `"0123456789abcdef0123456789abcdef"`}
		for _, f := range []struct {
			name  string
			src   Remote
			heads int
		}{{"named", named.Remote(), c.heads - 1}, {"listed", listed, c.heads}, {"another ETag's answer", stale, c.heads}} {
			heads := p.Started("head")
			dst := filepath.Join(t.TempDir(), "out")
			if err := e.Download(ctx, f.src, dst); err != nil {
				t.Fatalf("%s, %s: %v", key, f.name, err)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, c.data) {
				t.Errorf("%s, %s: the download differs from the object", key, f.name)
			}
			if n := p.Started("head") - heads; n != f.heads {
				t.Errorf("%s, %s: %d HEADs by the download, want %d", key, f.name, n, f.heads)
			}
			tamperAt(p, key, int64(len(c.data)-1))
			dir := t.TempDir()
			if err := e.Download(ctx, f.src, filepath.Join(dir, "out")); fault.KindOf(err) != fault.Integrity {
				t.Errorf("%s, %s, last byte flipped: err %v (kind %v), want an integrity error", key, f.name, err, fault.KindOf(err))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%s, %s, last byte flipped: left %v", key, f.name, entries)
			}
			p.Clear()
		}
	}
}
