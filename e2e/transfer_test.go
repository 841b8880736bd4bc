package e2e

// Tests of the transfer engine through the binary: resume after Ctrl-C,
// integrity errors on corrupted downloads, retries on throttling, and the
// mpu command. The suite's fault proxy (testenv.FaultProxy) in front of
// MinIO slows, counts, corrupts or refuses requests.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

// newXProxy starts the suite's fault-injecting proxy (testenv.FaultProxy)
// in front of MinIO.
func newXProxy(t *testing.T, target string) *testenv.FaultProxy {
	t.Helper()
	return testenv.StartFaultProxy(t, target)
}

// slowTransfers trickles part uploads and ranged downloads through p (about
// 6 MiB/s each), so that a transfer is still running when a test interrupts
// it.
func slowTransfers(p *testenv.FaultProxy) {
	p.Add(testenv.FaultRule{Kind: "upload-part", Fault: testenv.Trickle{}}, testenv.FaultRule{Kind: "get-range", Fault: testenv.Trickle{}})
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
	// A signalled s3sso cleans up (aborts uploads, removes temporary
	// files) and ends promptly; the bound is generous.
	ended := make(chan struct{})
	go func() { _ = cmd.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(interruptBound):
		_ = cmd.Process.Kill()
		<-ended
		e.t.Fatalf("s3sso %s: still running %v after %v\n%s", strings.Join(args, " "), interruptBound, sig, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// interruptBound is how long s3sso may take to end after SIGINT or SIGTERM.
const interruptBound = 30 * time.Second

// TestCpResumeUploadAfterCtrlC interrupts a slowed multipart upload with
// SIGINT after some parts, runs the same command with --resume, and checks
// that only the missing parts were sent and the object is byte-identical.
func TestCpResumeUploadAfterCtrlC(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 40<<20) // 8 parts of 5 MiB
	src := e.file("big.bin", data)
	p := newXProxy(t, e.minio.Endpoint)
	slowTransfers(p)
	args := []string{"--endpoint-url", p.URL, "cp", "--resume", "--part-size", "5MiB", "--part-concurrency", "2", src, e.url("big.bin")}
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { return p.Finished("upload-part") >= 2 }, args...)
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

	p.Clear()
	e.ok(args...)
	if started := p.Started("upload-part"); started != 8-have {
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
	slowTransfers(p)
	args := []string{"--endpoint-url", p.URL, "cp", "--resume", "--part-size", "5MiB", "--part-concurrency", "2", e.url("big.bin"), dst}
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { return p.Finished("get-range") >= 2 }, args...)
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
	p.Clear()
	e.ok(args...)
	if started := p.Started("get-range"); started != 8-len(j.Done) {
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
	p.Add(testenv.FaultRule{Method: http.MethodGet, Fault: testenv.FlipBit{At: -1}})
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
	p.Clear()
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
	// A bit of every GET body is flipped, at a position drawn from the
	// proxy's seed (the engine tests flip chosen parts: a middle and the last).
	p.Add(testenv.FaultRule{Method: http.MethodGet, Fault: testenv.FlipBit{At: -1}})
	for _, c := range []struct {
		key string
		at  int64
	}{{"small", -1}, {"multi", -1}} {
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
	p.Clear()
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
	p.Add(testenv.FaultRule{Kind: "upload-part", Nth: []int{1, 2, 3}, Fault: testenv.SlowDown{}})
	data := randomBytes(t, 16<<20)
	e.ok("--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.file("f", data), e.url("f"))
	if !bytes.Equal(e.get("f"), data) {
		t.Fatal("content differs")
	}
	if started := p.Started("upload-part"); started != 4+3 {
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
	slowTransfers(p)
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { return p.Finished("upload-part") >= 1 },
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
	slowTransfers(p)
	args := []string{"--endpoint-url", p.URL, "cp", "--part-size", "5MiB", "--part-concurrency", "2", src, e.url("big.bin")}
	e.interruptWhen(syscall.SIGKILL, func() bool { return p.Finished("upload-part") >= 2 }, args...)
	if n := e.openUploads(); n != 1 || len(e.journals()) != 1 {
		t.Fatalf("after the crash: %d uploads, journals %v", n, e.journals())
	}
	p.Clear()
	e.ok(append(args, "--resume")...)
	if started := p.Started("upload-part"); started >= 6 || started == 0 {
		t.Errorf("--resume after the crash sent %d of 6 parts", started)
	}
	if !bytes.Equal(e.get("big.bin"), data) {
		t.Fatal("content differs")
	}
	if n := e.openUploads(); n != 0 || len(e.journals()) != 0 {
		t.Errorf("after the resumed upload: %d uploads, journals %v", n, e.journals())
	}
}

// TestSigtermEndsTransferWith143: SIGTERM (what a service manager or
// `timeout` sends) during a sync ends s3sso promptly like Ctrl-C, with the
// shell's code for it (143 = 128 + 15), and the multipart upload in flight
// is aborted.
func TestSigtermEndsTransferWith143(t *testing.T) {
	e := transferEnv(t)
	e.file("tree/big.bin", randomBytes(t, 20<<20))
	p := newXProxy(t, e.minio.Endpoint)
	slowTransfers(p)
	code, stderr := e.interruptWhen(syscall.SIGTERM, func() bool { return p.Started("upload-part") >= 1 },
		"--endpoint-url", p.URL, "sync", "--part-size", "5MiB", filepath.Join(e.home, "tree"), e.url("t/"))
	if code != 143 || !strings.Contains(stderr, "interrupted") {
		t.Fatalf("exit %d after SIGTERM, want 143\n%s", code, stderr)
	}
	if n := e.openUploads(); n != 0 {
		t.Errorf("%d uploads open after SIGTERM", n)
	}
}

// TestCpCompleteReplyLost: the server completes the multipart upload but
// answers 503; the retried CompleteMultipartUpload gets NoSuchUpload.
// s3sso checks the object (size, parts, full-object CRC32C) and succeeds.
func TestCpCompleteReplyLost(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 12<<20)
	p := newXProxy(t, e.minio.Endpoint)
	p.Add(testenv.FaultRule{Kind: "complete-multipart", Nth: []int{1}, Fault: testenv.ApplyThenFail{}})
	e.ok("--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.file("f", data), e.url("f"))
	if p.Started("complete-multipart") != 2 || p.Injected() != 1 {
		t.Fatalf("the lost reply was not exercised: %d Complete requests, %d faults", p.Started("complete-multipart"), p.Injected())
	}
	if !bytes.Equal(e.get("f"), data) {
		t.Fatal("content differs")
	}
}

// smallDisk mounts a tmpfs of size (e.g. "1m") for the test, or skips it
// where mounting is not allowed (not root).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Skipf(t, "cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	return mnt
}

// TestCpResumeDownloadOnFullDisk: with --resume, a ranged download that
// fills the disk before any range is complete leaves nothing (its sparse
// partial file of the object's full size would only hold the disk full);
// once a range is complete, the partial file is kept and the error names it,
// says how much it holds and how to delete it, and a later --resume run
// with space finishes it.
func TestCpResumeDownloadOnFullDisk(t *testing.T) {
	e := transferEnv(t)
	data := randomBytes(t, 12<<20) // ranges of 5, 5 and 2 MiB
	e.put("big", data)
	args := func(dst string) []string {
		return []string{"cp", "--resume", "--part-size", "5MiB", "--part-concurrency", "1", e.url("big"), dst}
	}

	tiny := smallDisk(t, "1m")
	r := e.fails(8, "no space left on device", args(filepath.Join(tiny, "big"))...)
	if entries, _ := os.ReadDir(tiny); len(entries) != 0 {
		t.Errorf("a download with no complete range left %v on the full disk\n%s", entries, r)
	}
	if strings.Contains(r.Stderr, "--resume") {
		t.Errorf("nothing was kept, yet the error suggests --resume:\n%s", r)
	}

	small := smallDisk(t, "7m") // one 5 MiB range fits, not two
	dst := filepath.Join(small, "big")
	partial, journal := filepath.Join(small, ".big.s3sso-partial.tmp"), filepath.Join(small, ".big.s3sso-ranges.tmp")
	r = e.fails(8, "no space left on device", args(dst)...)
	for _, want := range []string{"kept " + partial, "5242880 of 12582912 bytes", "rm '" + partial + "' '" + journal + "'", "--resume"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, r)
		}
	}
	for _, p := range []string{partial, journal} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not kept: %v", err)
		}
	}
	// Room for the rest: the same command finishes it.
	if out, err := exec.Command("mount", "-o", "remount,size=20m", small).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	p := newXProxy(t, e.minio.Endpoint)
	e.ok(append([]string{"--endpoint-url", p.URL}, args(dst)...)...)
	if got := p.Started("get-range"); got != 2 {
		t.Errorf("the resumed download fetched %d ranges, want 2", got)
	}
	if !bytes.Equal(readFile(t, dst), data) {
		t.Fatal("resumed download differs")
	}
	noTempFiles(t, small)
}
