package e2e

// Tests of the transfer engine through the binary: resume after Ctrl-C,
// integrity errors on corrupted downloads, retries on throttling, and the
// mpu command. A reverse proxy in front of MinIO slows, counts, corrupts or
// refuses requests.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

// xproxy is a reverse proxy in front of MinIO for transfer tests.
type xproxy struct {
	URL string

	mu       sync.Mutex
	slow     bool                                              // trickle part uploads and ranged downloads
	refuse   func(w http.ResponseWriter, r *http.Request) bool // answers a request itself
	corrupt  bool                                              // flip a byte of every GET body
	flipAt   int64                                             // > 0: flip the object's byte at this offset, in the GET body that carries it
	started  map[string]int
	finished map[string]int
}

func newXProxy(t *testing.T, target string) *xproxy {
	t.Helper()
	u, _ := url.Parse(target)
	p := &xproxy{started: map[string]int{}, finished: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		kind := reqKind(resp.Request)
		p.mu.Lock()
		slow, corrupt, flipAt := p.slow, p.corrupt, p.flipAt
		if resp.StatusCode/100 == 2 && kind != "get-range" {
			p.finished[kind]++
		}
		p.mu.Unlock()
		if kind == "get-range" && resp.StatusCode/100 == 2 {
			resp.Body = &countOnEOF{ReadCloser: resp.Body, done: func() { p.mu.Lock(); p.finished[kind]++; p.mu.Unlock() }}
		}
		if slow && kind == "get-range" {
			resp.Body = &trickle{ReadCloser: resp.Body}
		}
		if corrupt && resp.Request.Method == http.MethodGet && resp.StatusCode/100 == 2 && resp.ContentLength > 0 {
			resp.Body = &flipByte{ReadCloser: resp.Body, at: resp.ContentLength / 2}
		}
		if flipAt > 0 && resp.Request.Method == http.MethodGet && resp.StatusCode/100 == 2 {
			var start int64 // where the body starts in the object (ranges, parts)
			if cr := resp.Header.Get("Content-Range"); cr != "" {
				fmt.Sscanf(cr, "bytes %d-", &start)
			}
			if start <= flipAt && flipAt < start+resp.ContentLength {
				resp.Body = &flipByte{ReadCloser: resp.Body, at: flipAt - start}
			}
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := reqKind(r)
		p.mu.Lock()
		p.started[kind]++
		slow, refuse := p.slow, p.refuse
		p.mu.Unlock()
		if refuse != nil && refuse(w, r) {
			return
		}
		if slow && kind == "upload-part" {
			r.Body = &trickle{ReadCloser: r.Body}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func reqKind(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "upload-part"
	case r.Method == http.MethodGet && r.Header.Get("Range") != "":
		return "get-range"
	}
	return r.Method
}

func (p *xproxy) set(fn func(p *xproxy)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

func (p *xproxy) counts(kind string) (started, finished int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started[kind], p.finished[kind]
}

func (p *xproxy) resetCounts() {
	p.set(func(p *xproxy) { p.started, p.finished = map[string]int{}, map[string]int{} })
}

// trickle passes 64 KiB every 10 ms (about 6 MiB/s).
type trickle struct{ io.ReadCloser }

func (s *trickle) Read(b []byte) (int, error) {
	time.Sleep(10 * time.Millisecond)
	return s.ReadCloser.Read(b[:min(len(b), 64<<10)])
}

type countOnEOF struct {
	io.ReadCloser
	done func()
	once sync.Once
}

func (c *countOnEOF) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	if err == io.EOF {
		c.once.Do(c.done)
	}
	return n, err
}

type flipByte struct {
	io.ReadCloser
	at, pos int64
}

func (f *flipByte) Read(b []byte) (int, error) {
	n, err := f.ReadCloser.Read(b)
	if f.at >= f.pos && f.at < f.pos+int64(n) {
		b[f.at-f.pos] ^= 0x01
	}
	f.pos += int64(n)
	return n, err
}

// transferEnv is setup plus a journal directory of the test's own.
func transferEnv(t *testing.T) *env {
	e := setup(t)
	state := filepath.Join(e.home, ".local", "state")
	t.Setenv("XDG_STATE_HOME", state)
	e.vars = append(e.vars, "XDG_STATE_HOME="+state)
	return e
}

func (e *env) journals() []string {
	entries, _ := os.ReadDir(filepath.Join(e.home, ".local", "state", "s3sso", "journal"))
	var out []string
	for _, en := range entries {
		out = append(out, en.Name())
	}
	return out
}

func (e *env) openUploads() int {
	e.t.Helper()
	out, err := e.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(out.Uploads)
}

// interruptWhen starts s3sso, sends sig once ready() holds, and returns the
// exit code and stderr.
func (e *env) interruptWhen(sig os.Signal, ready func() bool, args ...string) (int, string) {
	e.t.Helper()
	cmd := exec.Command(testenv.Binary(e.t), args...)
	cmd.Env = append(os.Environ(), e.vars...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !ready() {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			e.t.Fatalf("s3sso %s: never got ready to interrupt\n%s", strings.Join(args, " "), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(sig)
	_ = cmd.Wait()
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// TestCpResumeUploadAfterCtrlC interrupts a slowed multipart upload with
// SIGINT after some parts, runs the same command with --resume, and checks
// that only the missing parts were sent and the object is byte-identical.
func TestCpResumeUploadAfterCtrlC(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 40<<20) // 8 parts of 5 MiB
	src := e.file("big.bin", data)
	p := newXProxy(t, e.minio.Endpoint)
	p.set(func(p *xproxy) { p.slow = true })
	args := []string{"--endpoint-url", p.URL, "cp", "--resume", "--part-size", "5MiB", "--part-concurrency", "2", src, e.url("big.bin")}
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { _, f := p.counts("upload-part"); return f >= 2 }, args...)
	if code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "--resume") {
		t.Errorf("the interruption does not say how to resume:\n%s", stderr)
	}
	if e.exists("big.bin") {
		t.Fatal("an interrupted upload created the object")
	}
	if n := e.openUploads(); n != 1 {
		t.Fatalf("%d multipart uploads open after Ctrl-C with --resume, want 1", n)
	}
	if j := e.journals(); len(j) != 1 {
		t.Fatalf("journals after Ctrl-C: %v", j)
	}
	ups, _ := e.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket)})
	lp, err := e.client.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(e.bucket), Key: aws.String("big.bin"), UploadId: ups.Uploads[0].UploadId})
	if err != nil {
		t.Fatal(err)
	}
	have := len(lp.Parts)
	if have < 2 || have >= 8 {
		t.Fatalf("server has %d parts after the interruption", have)
	}

	// mpu ls shows the upload as resumable from the file.
	r := e.ok("mpu", "ls", "s3://"+e.bucket)
	if !strings.Contains(r.Stdout, aws.ToString(ups.Uploads[0].UploadId)) || !strings.Contains(r.Stdout, "resumable from "+src) {
		t.Errorf("mpu ls:\n%s", r)
	}

	p.set(func(p *xproxy) { p.slow = false })
	p.resetCounts()
	e.ok(args...)
	if started, _ := p.counts("upload-part"); started != 8-have {
		t.Errorf("--resume sent %d parts, want %d (8 minus the %d the server had)", started, 8-have, have)
	}
	if !bytes.Equal(e.get("big.bin"), data) {
		t.Fatal("resumed upload differs from the file")
	}
	if n := e.openUploads(); n != 0 {
		t.Errorf("%d uploads open after the resumed upload", n)
	}
	if j := e.journals(); len(j) != 0 {
		t.Errorf("journal left after the upload completed: %v", j)
	}
}

// TestCpResumeDownloadAfterCtrlC does the same for a ranged download.
func TestCpResumeDownloadAfterCtrlC(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 40<<20)
	e.put("big.bin", data)
	dir := filepath.Join(e.home, "dl")
	dst := filepath.Join(dir, "big.bin")
	p := newXProxy(t, e.minio.Endpoint)
	p.set(func(p *xproxy) { p.slow = true })
	args := []string{"--endpoint-url", p.URL, "cp", "--resume", "--part-size", "5MiB", "--part-concurrency", "2", e.url("big.bin"), dst}
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { _, f := p.counts("get-range"); return f >= 2 }, args...)
	if code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130\n%s", code, stderr)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Fatal("an interrupted download created the file")
	}
	var j struct{ Done []int64 }
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, ".big.bin.s3sso-ranges.tmp")), &j); err != nil || len(j.Done) < 2 {
		t.Fatalf("range journal: %v %v", j, err)
	}
	p.set(func(p *xproxy) { p.slow = false })
	p.resetCounts()
	e.ok(args...)
	if started, _ := p.counts("get-range"); started != 8-len(j.Done) {
		t.Errorf("--resume fetched %d ranges, want %d", started, 8-len(j.Done))
	}
	if !bytes.Equal(readFile(t, dst), data) {
		t.Fatal("resumed download differs from the object")
	}
	noTempFiles(t, dir)
}

// TestCpCorruptedDownloadFails corrupts one byte of every download in a
// proxy: a small object (one GET), a large one (ranged) and a stream to
// stdout all fail with the integrity exit code, and no file is kept.
func TestCpCorruptedDownloadFails(t *testing.T) {
	e := transferEnv(t)
	e.put("small", randomBytes(t, 200_000))
	e.ok("cp", "--part-size", "5MiB", e.file("big", randomBytes(t, 12<<20)), e.url("big"))
	p := newXProxy(t, e.minio.Endpoint)
	p.set(func(p *xproxy) { p.corrupt = true })
	dir := filepath.Join(e.home, "dl")
	for _, key := range []string{"small", "big"} {
		r := e.run("--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.url(key), filepath.Join(dir, key))
		if r.Code != 9 || !strings.Contains(r.Stderr, "does not match the stored checksum") {
			t.Errorf("corrupted download of %s: want exit 9 and a checksum mismatch\n%s", key, r)
		}
		if _, err := os.Stat(filepath.Join(dir, key)); err == nil {
			t.Errorf("corrupted %s was kept", key)
		}
	}
	noTempFiles(t, dir)
	if r := e.run("--endpoint-url", p.URL, "cp", e.url("small"), "-"); r.Code != 9 {
		t.Errorf("corrupted cp to stdout: %s", r)
	}
	// The same downloads without the corruption succeed.
	p.set(func(p *xproxy) { p.corrupt = false })
	e.ok("--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.url("big"), filepath.Join(dir, "big"))
}

// TestCpCorruptedETagOnlyDownloadFails does the same for objects whose only
// integrity data is the MD5 ETag (uploaded without a checksum, as s5cmd, mc,
// rclone and older SDKs do), with one byte flipped in a single-part object,
// in a middle part or in the last part of a multipart one.
func TestCpCorruptedETagOnlyDownloadFails(t *testing.T) {
	e := transferEnv(t)
	ctx := context.Background()
	noSum := func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }
	data := map[string][]byte{"small": randomBytes(t, 200_000), "multi": randomBytes(t, 12<<20)}
	if _, err := e.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("small"), Body: bytes.NewReader(data["small"])}, noSum); err != nil {
		t.Fatal(err)
	}
	cm, err := e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("multi")}, noSum)
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, off := int32(1), 0; off < len(data["multi"]); i, off = i+1, off+5<<20 {
		o, err := e.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(e.bucket), Key: aws.String("multi"), UploadId: cm.UploadId,
			PartNumber: aws.Int32(i), Body: bytes.NewReader(data["multi"][off:min(off+5<<20, len(data["multi"]))])}, noSum)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(i), ETag: o.ETag})
	}
	if _, err := e.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String("multi"),
		UploadId: cm.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	p := newXProxy(t, e.minio.Endpoint)
	dir := filepath.Join(e.home, "dl")
	for _, c := range []struct {
		key string
		at  int64
	}{{"small", 100_000}, {"multi", 7 << 20}, {"multi", 12<<20 - 1}} {
		p.set(func(p *xproxy) { p.flipAt = c.at })
		r := e.run("--endpoint-url", p.URL, "cp", e.url(c.key), filepath.Join(dir, c.key))
		if r.Code != 9 || !strings.Contains(r.Stderr, "does not match the stored checksum") {
			t.Errorf("%s with byte %d flipped: want exit 9 and a checksum mismatch\n%s", c.key, c.at, r)
		}
		if _, err := os.Stat(filepath.Join(dir, c.key)); err == nil {
			t.Errorf("%s with byte %d flipped was kept", c.key, c.at)
		}
		if r := e.run("--endpoint-url", p.URL, "cp", e.url(c.key), "-"); r.Code != 9 {
			t.Errorf("%s with byte %d flipped, cp to stdout: want exit 9\n%s", c.key, c.at, r.Stderr)
		}
	}
	noTempFiles(t, dir)
	p.set(func(p *xproxy) { p.flipAt = 0 })
	for key, want := range data {
		e.ok("--endpoint-url", p.URL, "cp", e.url(key), filepath.Join(dir, key))
		if !bytes.Equal(readFile(t, filepath.Join(dir, key)), want) {
			t.Errorf("%s: download differs from the object", key)
		}
	}
}

// TestCpRetriesThrottledParts answers the first three part uploads with 503
// SlowDown: the upload succeeds without sending finished parts again.
func TestCpRetriesThrottledParts(t *testing.T) {
	e := transferEnv(t)
	p := newXProxy(t, e.minio.Endpoint)
	var refused atomic.Int32
	p.set(func(p *xproxy) {
		p.refuse = func(w http.ResponseWriter, r *http.Request) bool {
			if reqKind(r) != "upload-part" || refused.Add(1) > 3 {
				return false
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return true
		}
	})
	data := randomBytes(t, 16<<20)
	e.ok("--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.file("f", data), e.url("f"))
	if !bytes.Equal(e.get("f"), data) {
		t.Fatal("content differs")
	}
	if started, _ := p.counts("upload-part"); started != 4+3 {
		t.Errorf("%d part requests, want 7 (4 parts + 3 refused)", started)
	}
}

// TestMpuLsAndAbort lists and aborts unfinished uploads.
func TestMpuLsAndAbort(t *testing.T) {
	e := transferEnv(t)
	ids := map[string]string{}
	for _, k := range []string{"a", "dir/b", "dir/c"} {
		out, err := e.client.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = aws.ToString(out.UploadId)
	}
	r := e.ok("mpu", "ls", "s3://"+e.bucket)
	for k, id := range ids {
		if !strings.Contains(r.Stdout, e.url(k)+"  "+id) {
			t.Errorf("mpu ls misses %s %s:\n%s", k, id, r)
		}
	}
	r = e.ok("--json", "mpu", "ls", e.url("dir/"))
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("mpu ls of the prefix:\n%s", r)
	}
	var m struct {
		URL      string `json:"url"`
		UploadID string `json:"upload_id"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m.URL != e.url("dir/b") || m.UploadID != ids["dir/b"] {
		t.Errorf("json line %q: %+v %v", lines[0], m, err)
	}
	if r := e.ok("mpu", "ls"); !strings.Contains(r.Stdout, ids["a"]) {
		t.Errorf("mpu ls of every bucket misses the upload:\n%s", r)
	}

	e.fails(2, "--upload-id", "mpu", "abort", e.url("a"))
	e.fails(2, "--upload-id", "mpu", "abort", e.url("a"), "--all", "--upload-id", ids["a"])
	e.ok("mpu", "abort", e.url("a"), "--upload-id", ids["a"])
	if n := e.openUploads(); n != 2 {
		t.Fatalf("%d uploads after aborting one", n)
	}
	e.fails(4, "no multipart upload", "mpu", "abort", e.url("a"), "--upload-id", ids["a"])
	r = e.ok("mpu", "abort", "--dry-run", "--all", e.url("dir/"))
	if !strings.Contains(r.Stdout, ids["dir/c"]) || e.openUploads() != 2 {
		t.Errorf("dry run:\n%s", r)
	}
	e.ok("mpu", "abort", "--all", e.url("dir/"))
	if n := e.openUploads(); n != 0 {
		t.Fatalf("%d uploads after abort --all", n)
	}
}

// TestCpWithoutResumeAbortsOnCtrlC: without --resume an interrupted file
// upload leaves nothing behind, neither on the server nor in the journal.
func TestCpWithoutResumeAbortsOnCtrlC(t *testing.T) {
	e := transferEnv(t)
	src := e.file("big.bin", randomBytes(t, 20<<20))
	p := newXProxy(t, e.minio.Endpoint)
	p.set(func(p *xproxy) { p.slow = true })
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { _, f := p.counts("upload-part"); return f >= 1 },
		"--endpoint-url", p.URL, "cp", "--part-size", "5MiB", "--part-concurrency", "2", src, e.url("big.bin"))
	if code != 130 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if n := e.openUploads(); n != 0 {
		t.Errorf("%d uploads open after Ctrl-C without --resume", n)
	}
	if j := e.journals(); len(j) != 0 {
		t.Errorf("journals after Ctrl-C without --resume: %v", j)
	}
}

// TestTuningFlagsApplyToCpMvSync: --part-size, --part-concurrency and
// --concurrency reach the engine in cp, mv and sync (a 12 MiB file in 5 MiB
// parts is stored as 3 parts) and the objects carry a full-object CRC32C.
func TestTuningFlagsApplyToCpMvSync(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 12<<20)
	tune := []string{"--part-size", "5MiB", "--part-concurrency", "3", "--concurrency", "2"}
	e.ok(append(append([]string{"cp"}, tune...), e.file("cp/f", data), e.url("cp/f"))...)
	e.ok(append(append([]string{"mv"}, tune...), e.file("mv/f", data), e.url("mv/f"))...)
	e.file("tree/f", data)
	e.ok(append(append([]string{"sync"}, tune...), filepath.Join(e.home, "tree"), e.url("sync/"))...)
	for _, k := range []string{"cp/f", "mv/f", "sync/f"} {
		head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(k), ChecksumMode: "ENABLED"})
		if err != nil {
			t.Fatal(err)
		}
		if etag := aws.ToString(head.ETag); !strings.HasSuffix(etag, `-3"`) {
			t.Errorf("%s: ETag %s, want 3 parts", k, etag)
		}
		if head.ChecksumType != "FULL_OBJECT" || aws.ToString(head.ChecksumCRC32C) == "" {
			t.Errorf("%s: checksum %s %q, want a full-object CRC32C", k, head.ChecksumType, aws.ToString(head.ChecksumCRC32C))
		}
		if !bytes.Equal(e.get(k), data) {
			t.Errorf("%s: content differs", k)
		}
	}
	if r := e.run("cp", "--part-size", "1MiB", e.file("x", data), e.url("x")); r.Code != 2 {
		t.Errorf("--part-size below 5MiB: %s", r)
	}
	// Downloads with the flags verify and land.
	dst := filepath.Join(e.home, "back")
	e.ok(append(append([]string{"sync"}, tune...), e.url("sync/"), dst)...)
	if !bytes.Equal(readFile(t, filepath.Join(dst, "f")), data) {
		t.Error("sync download differs")
	}
}

// TestCpResumeAfterCrash kills a multipart upload that ran without
// --resume (a crash: no chance to abort), then continues it with --resume.
func TestCpResumeAfterCrash(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 30<<20) // 6 parts
	src := e.file("big.bin", data)
	p := newXProxy(t, e.minio.Endpoint)
	p.set(func(p *xproxy) { p.slow = true })
	args := []string{"--endpoint-url", p.URL, "cp", "--part-size", "5MiB", "--part-concurrency", "2", src, e.url("big.bin")}
	e.interruptWhen(syscall.SIGKILL, func() bool { _, f := p.counts("upload-part"); return f >= 2 }, args...)
	if n := e.openUploads(); n != 1 || len(e.journals()) != 1 {
		t.Fatalf("after the crash: %d uploads, journals %v", n, e.journals())
	}
	p.set(func(p *xproxy) { p.slow = false })
	p.resetCounts()
	e.ok(append(args, "--resume")...)
	if started, _ := p.counts("upload-part"); started >= 6 || started == 0 {
		t.Errorf("--resume after the crash sent %d of 6 parts", started)
	}
	if !bytes.Equal(e.get("big.bin"), data) {
		t.Fatal("content differs")
	}
	if n := e.openUploads(); n != 0 || len(e.journals()) != 0 {
		t.Errorf("after the resumed upload: %d uploads, journals %v", n, e.journals())
	}
}
