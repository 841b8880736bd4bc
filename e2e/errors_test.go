package e2e

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3sso/s3sso/internal/testenv"
)

func TestErrorMissingProfile(t *testing.T) {
	e := setup(t)
	r := e.fails(4, `profile "nope" not found`, "--profile", "nope", "ls")
	if !strings.Contains(r.Stderr, "hint:") {
		t.Fatalf("no hint:\n%s", r)
	}
}

func TestErrorMalformedURL(t *testing.T) {
	e := setup(t)
	for _, arg := range []string{"s3:/bucket/key", "s3://", "s3://ab/key", "s3://bad*name/x"} {
		e.fails(2, "malformed S3 URL", "cat", arg)
	}
}

func TestErrorConnectionRefused(t *testing.T) {
	e := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := e.fails(7, "connection refused", "--endpoint-url", "http://"+addr, "ls")
	if lines := strings.Count(strings.TrimSpace(r.Stderr), "\n"); lines > 1 {
		t.Fatalf("want one error line and a hint, got:\n%s", r.Stderr)
	}
}

func TestErrorWrongSecretIsAuth(t *testing.T) {
	e := setup(t)
	for i := range 40 {
		e.file(fmt.Sprintf("many/f%02d", i), []byte("x"))
	}
	e.vars = append(e.vars, "AWS_ACCESS_KEY_ID="+e.minio.AccessKey, "AWS_SECRET_ACCESS_KEY=wrong-secret-value")
	e.fails(6, "SignatureDoesNotMatch", "ls", e.url(""))
	// A batch stops at refused credentials with one "sign in again"
	// instead of trying (and reporting) every object.
	r := e.fails(6, "stopped after 0 of", "cp", "--concurrency", "2", "-r", filepath.Join(e.home, "many"), e.url("many/"))
	if !strings.Contains(r.Stderr, "hint: the server refused the credentials") {
		t.Fatalf("no sign-in hint:\n%s", r)
	}
	if n := strings.Count(r.Stderr, "SignatureDoesNotMatch"); n > 10 {
		t.Fatalf("%d objects tried after the credentials were refused:\n%s", n, r)
	}
}

func TestErrorNoCredentials(t *testing.T) {
	e := setup(t)
	if err := os.Remove(filepath.Join(e.home, ".aws", "credentials")); err != nil {
		t.Fatal(err)
	}
	e.fails(6, "no usable credentials", "ls", e.url(""))
}

// restrictedCreds returns temporary credentials from MinIO's STS AssumeRole
// limited by a session policy to listing the test's bucket.
func restrictedCreds(t *testing.T, e *env, seconds int32) aws.Credentials {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(e.minio.AccessKey, e.minio.SecretKey, "")))
	if err != nil {
		t.Fatal(err)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.minio.Endpoint) })
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`, e.bucket, e.bucket)
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:xxx:xxx:xxx:xxxx"),
		RoleSessionName: aws.String("e2e"), Policy: aws.String(policy), DurationSeconds: aws.Int32(seconds)})
	if err != nil {
		t.Fatalf("MinIO AssumeRole: %v", err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Expires: aws.ToTime(c.Expiration), CanExpire: true}
}

func (e *env) useCreds(c aws.Credentials) {
	e.vars = append(e.vars, "AWS_ACCESS_KEY_ID="+c.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey, "AWS_SESSION_TOKEN="+c.SessionToken)
}

func TestErrorAccessDenied(t *testing.T) {
	e := setup(t)
	e.put("readable", []byte("r"))
	e.useCreds(restrictedCreds(t, e, 900))
	e.ok("ls", e.url(""))
	e.fails(5, "Access Denied", "cp", e.file("f", []byte("x")), e.url("f"))
	e.fails(5, "Access Denied", "rm", e.url("readable"))
}

func TestPresignWarnsWhenCredentialsExpireFirst(t *testing.T) {
	e := setup(t)
	e.put("p", []byte("p"))
	e.useCreds(restrictedCreds(t, e, 900))
	// Credentials from the environment carry no expiry for the SDK; use a
	// credential_process that reports it, as SSO and web identity do.
	c := restrictedCreds(t, e, 900)
	script := filepath.Join(e.home, "creds.sh")
	testenv.WriteFile(t, script, fmt.Sprintf("#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\",\"SessionToken\":\"%s\",\"Expiration\":\"%s\"}'\n",
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expires.UTC().Format(time.RFC3339)))
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(e.home, ".aws", "config")
	old := readFile(t, cfgPath)
	testenv.WriteFile(t, cfgPath, string(old)+fmt.Sprintf("\n[profile proc]\ncredential_process = %s\nservices = local-minio\n", script))
	e.vars = []string{"AWS_PROFILE=proc"}
	r := e.ok("presign", e.url("p"), "--expires", "2h")
	if !strings.Contains(r.Stderr, "stops working at") || !strings.Contains(r.Stderr, "temporary credentials") {
		t.Fatalf("no expiry warning:\n%s", r)
	}
	resp, err := http.Get(strings.TrimSpace(r.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned URL from credential_process credentials: HTTP %d", resp.StatusCode)
	}
	if r := e.ok("presign", e.url("p"), "--expires", "5m"); strings.Contains(r.Stderr, "stops working") {
		t.Fatalf("warned although the credentials outlive the URL:\n%s", r)
	}
}

func TestErrorDownloadOntoDirectory(t *testing.T) {
	e := setup(t)
	e.put("f", []byte("f"))
	dir := filepath.Join(e.home, "adir")
	if err := os.MkdirAll(filepath.Join(dir, "f"), 0o755); err != nil {
		t.Fatal(err)
	}
	// dir/ exists, so the object lands at dir/f, which is a directory.
	e.fails(8, "is a directory", "cp", e.url("f"), dir)
	noTempFiles(t, dir)
	// Upload of a directory without -r.
	e.fails(2, "is a directory", "cp", dir, e.url("x"))
}

func TestBatchContinuesAfterFailureExit3(t *testing.T) {
	e := setup(t)
	e.put("b/1", []byte("1"))
	e.put("b/2", []byte("2"))
	e.put("b/3", []byte("3"))
	out := filepath.Join(e.home, "batch")
	if err := os.MkdirAll(filepath.Join(out, "2"), 0o755); err != nil { // blocks b/2
		t.Fatal(err)
	}
	r := e.fails(3, "1 of 3 operations failed", "cp", "-r", e.url("b/"), out)
	if !strings.Contains(r.Stderr, "is a directory") {
		t.Fatalf("the failed object is not reported:\n%s", r)
	}
	for _, f := range []string{"1", "3"} {
		if string(readFile(t, filepath.Join(out, f))) != f {
			t.Fatalf("%s not downloaded after another object failed", f)
		}
	}
}

func TestUnsafeKeysAreRefused(t *testing.T) {
	testenv.Home(t)
	backend := s3mem.New()
	if err := backend.CreateBucket("evil-bucket"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ok.txt", "../escape.txt", "a//b.txt", "x/../../up.txt", "sub/./dot.txt"} {
		if _, err := backend.PutObject("evil-bucket", k, map[string]string{}, bytes.NewReader([]byte("data")), 4, nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	root := t.TempDir()
	dest := filepath.Join(root, "dest")
	r := testenv.Run(t, []string{"AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "AWS_REGION=us-east-1"}, "",
		"--endpoint-url", srv.URL, "cp", "-r", "s3://evil-bucket/", dest)
	if r.Code != 3 {
		t.Fatalf("exit %d, want 3 (some objects refused)\n%s", r.Code, r)
	}
	for _, k := range []string{"../escape.txt", "a//b.txt", "x/../../up.txt", "sub/./dot.txt"} {
		if !strings.Contains(r.Stderr, fmt.Sprintf("refusing to download key %q", k)) {
			t.Errorf("key %q not reported as refused:\n%s", k, r.Stderr)
		}
	}
	if string(readFile(t, filepath.Join(dest, "ok.txt"))) != "data" {
		t.Fatal("the safe key was not downloaded")
	}
	// Nothing was written outside dest.
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("files outside the destination: %v", entries)
	}
}

func TestFullDiskLeavesNoPartialFile(t *testing.T) {
	e := setup(t)
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Skipf(t, "cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	e.put("big", randomBytes(t, 3<<20))
	r := e.fails(8, "no space left on device", "cp", e.url("big"), filepath.Join(mnt, "big"))
	if !strings.Contains(r.Stderr, "hint:") {
		t.Fatalf("no hint:\n%s", r)
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 0 {
		t.Fatalf("left behind on the full disk: %v", entries)
	}
}

// TestFullDiskFailsBeforeDownloading: a ranged download is preallocated,
// so a disk too small for the object fails before any range is fetched
// (before, the ranges were downloaded until a write hit the full disk),
// with the same error and nothing left behind.
//
// The disk is a small ext4 file system (tmpfs is not preallocated: there
// fallocate would zero every page first).
func TestFullDiskFailsBeforeDownloading(t *testing.T) {
	e := setup(t)
	img, mnt := filepath.Join(t.TempDir(), "disk.img"), t.TempDir()
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 4<<20); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		testenv.Skipf(t, "cannot make an ext4 file system: %v %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		testenv.Skipf(t, "cannot mount a loop device (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	e.put("big", randomBytes(t, 12<<20))
	p := testenv.StartFaultProxy(t, e.minio.Endpoint)
	r := e.fails(8, "no space left on device", "--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.url("big"), filepath.Join(mnt, "big"))
	if !strings.Contains(r.Stderr, "hint:") || !strings.Contains(r.Stderr, "reserve 12582912 bytes for "+filepath.Join(mnt, "big")) {
		t.Fatalf("no hint, or not the bytes and the destination:\n%s", r)
	}
	if n := p.Started("get-range") + p.Started("get"); n != 0 {
		t.Fatalf("%d ranges fetched for a file that cannot fit", n)
	}
	if entries, _ := os.ReadDir(mnt); len(entries) != 1 || entries[0].Name() != "lost+found" {
		t.Fatalf("left behind on the full disk: %v", entries)
	}
}

// TestCtrlCDuringDownloadLeavesNoFile interrupts a download once the
// object's body is arriving (slowed by the proxy): exit 130 and no file,
// not even a temporary one.
func TestCtrlCDuringDownloadLeavesNoFile(t *testing.T) {
	e := setup(t)
	e.put("slow", randomBytes(t, 8<<20))
	p := testenv.StartFaultProxy(t, e.minio.Endpoint)
	p.Add(testenv.FaultRule{Kind: "get", Fault: testenv.Trickle{Chunk: 16 << 10, Every: 20 * time.Millisecond}})
	dest := filepath.Join(e.home, "dl")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	code, stderr := e.interruptWhen(syscall.SIGINT, func() bool { return p.Started("get") >= 1 },
		"--endpoint-url", p.URL, "cp", e.url("slow"), filepath.Join(dest, "slow"))
	if code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "interrupted") {
		t.Fatalf("stderr: %s", stderr)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Fatalf("interrupted download left %v", entries)
	}
}

// TestCtrlCDuringUploadAbortsMultipart interrupts an upload from standard
// input once two parts have reached the server (the third waits for more
// input): exit 130, no object, and the multipart upload is aborted.
func TestCtrlCDuringUploadAbortsMultipart(t *testing.T) {
	e := setup(t)
	p := testenv.StartFaultProxy(t, e.minio.Endpoint)
	cmd := exec.Command(testenv.Binary(t), "--endpoint-url", p.URL, "cp", "--part-size", "5MiB", "-", e.url("interrupted"))
	cmd.Env = append(os.Environ(), e.vars...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_, _ = stdin.Write(randomBytes(t, 12<<20)) // two parts go out, the third waits for more input
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := p.WaitFinished(ctx, "upload-part", 2); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = cmd.Wait()
	stdin.Close()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130", code)
	}
	if e.exists("interrupted") {
		t.Fatal("an interrupted upload created the object")
	}
	if p.Started("abort-multipart") != 1 {
		t.Errorf("%d AbortMultipartUpload requests, want 1", p.Started("abort-multipart"))
	}
	ups, err := e.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left open after Ctrl-C", len(ups.Uploads))
	}
}

func TestDebugLogNeverShowsSecrets(t *testing.T) {
	e := setup(t)
	c := restrictedCreds(t, e, 900)
	e.useCreds(c)
	e.put("d", []byte("d"))
	r := e.ok("--debug", "cat", e.url("d"))
	if !strings.Contains(r.Stderr, "level=DEBUG") {
		t.Fatalf("--debug logged nothing:\n%s", r.Stderr)
	}
	for _, secret := range []string{c.SecretAccessKey, c.SessionToken, e.minio.SecretKey} {
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Fatalf("a secret appears in the output:\n%s", r)
		}
	}
	r = e.run("--debug", "--log-format", "json", "cp", e.file("z", []byte("z")), e.url("z"))
	for _, secret := range []string{c.SecretAccessKey, c.SessionToken} {
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Fatalf("a secret appears in the JSON log:\n%s", r)
		}
	}
}

func TestWorksWithCABundleSet(t *testing.T) {
	e := setup(t)
	bundle := os.Getenv("AWS_CA_BUNDLE")
	if bundle == "" {
		bundle = "/etc/ssl/certs/ca-certificates.crt"
	}
	if _, err := os.Stat(bundle); err != nil {
		testenv.Skipf(t, "no CA bundle at %s", bundle)
	}
	e.vars = append(e.vars, "AWS_CA_BUNDLE="+bundle)
	e.ok("ls", e.url(""))
	// The bundle is only read for TLS connections: a plain-HTTP endpoint
	// works even when it is missing.
	e.vars = append(e.vars, "AWS_CA_BUNDLE="+filepath.Join(e.home, "missing.pem"))
	e.ok("ls", e.url(""))
}

// TestCABundleIsTheTrustStoreForTLS serves S3 over TLS with a certificate no
// system store knows, and checks that AWS_CA_BUNDLE decides trust exactly
// as for the AWS CLI: the server's certificate in the bundle works, another
// bundle fails cleanly, and a missing bundle is named in the error.
func TestCABundleIsTheTrustStoreForTLS(t *testing.T) {
	testenv.Home(t)
	backend := s3mem.New()
	if err := backend.CreateBucket("tls-bucket"); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.PutObject("tls-bucket", "k", map[string]string{}, bytes.NewReader([]byte("over tls")), 8, nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(gofakes3.New(backend).Server())
	defer srv.Close()
	dir := t.TempDir()
	own := filepath.Join(dir, "server.pem")
	if err := os.WriteFile(own, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(bundle string) testenv.Result {
		return testenv.Run(t, []string{"AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "AWS_REGION=us-east-1", "AWS_CA_BUNDLE=" + bundle},
			"", "--endpoint-url", srv.URL, "cat", "s3://tls-bucket/k")
	}
	if r := run(own); r.Code != 0 || r.Stdout != "over tls" {
		t.Fatalf("with the server's certificate in AWS_CA_BUNDLE: %s", r)
	}
	if r := run("/etc/ssl/certs/ca-certificates.crt"); r.Code != 7 || !strings.Contains(r.Stderr, "certificate not trusted") || !strings.Contains(r.Stderr, "AWS_CA_BUNDLE") {
		t.Fatalf("an untrusted server certificate was accepted or failed badly: %s", r)
	}
	if r := run(filepath.Join(dir, "missing.pem")); r.Code == 0 || !strings.Contains(r.Stderr, "AWS_CA_BUNDLE") {
		t.Fatalf("a missing bundle is not named: %s", r)
	}
}
