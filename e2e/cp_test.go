package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestCpUploadDownloadRoundTrip(t *testing.T) {
	e := setup(t)
	body := randomBytes(t, 100_000)
	src := e.file("in/data.bin", body)
	r := e.ok("cp", src, e.url("dir/"))
	if !strings.Contains(r.Stdout, "upload: "+src+" -> "+e.url("dir/data.bin")) {
		t.Fatalf("upload line missing:\n%s", r)
	}
	if !bytes.Equal(e.get("dir/data.bin"), body) {
		t.Fatal("uploaded content differs")
	}
	dst := filepath.Join(e.home, "out", "copy.bin")
	e.ok("cp", e.url("dir/data.bin"), dst)
	if !bytes.Equal(readFile(t, dst), body) {
		t.Fatal("downloaded content differs")
	}
	noTempFiles(t, filepath.Dir(dst))
}

func TestCpUploadSettings(t *testing.T) {
	e := setup(t)
	src := e.file("page.html", []byte("<html><body>hi</body></html>"))
	e.ok("cp", src, e.url("page.html"), "--metadata", "owner=alice", "--metadata", "Team=storage",
		"--storage-class", "REDUCED_REDUNDANCY", "--cache-control", "max-age=60")
	head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("page.html")})
	if err != nil {
		t.Fatal(err)
	}
	if ct := aws.ToString(head.ContentType); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type = %q, want text/html", ct)
	}
	if head.Metadata["owner"] != "alice" || head.Metadata["team"] != "storage" {
		t.Errorf("metadata = %v", head.Metadata)
	}
	if head.StorageClass != "REDUCED_REDUNDANCY" {
		t.Errorf("storage class = %q", head.StorageClass)
	}
	if aws.ToString(head.CacheControl) != "max-age=60" {
		t.Errorf("cache-control = %q", aws.ToString(head.CacheControl))
	}
	e.fails(2, "unknown storage class", "cp", src, e.url("x"), "--storage-class", "NOPE")
	e.fails(2, "--metadata wants key=value", "cp", src, e.url("x"), "--metadata", "novalue")
}

func TestCpMultipartUploadAndRangedDownload(t *testing.T) {
	e := setup(t)
	body := randomBytes(t, 13<<20) // 3 parts of 5 MiB
	src := e.file("big.bin", body)
	e.ok("cp", "--part-size", "5MiB", src, e.url("big.bin"))
	head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(head.ETag); !strings.HasSuffix(strings.Trim(etag, `"`), "-3") {
		t.Fatalf("ETag %s: want a 3-part multipart upload", etag)
	}
	dst := filepath.Join(e.home, "big.out")
	e.ok("cp", "--part-size", "5MiB", e.url("big.bin"), dst)
	if !bytes.Equal(readFile(t, dst), body) {
		t.Fatal("ranged download differs from the upload")
	}
	// No multipart upload is left open.
	ups, err := e.client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left open", len(ups.Uploads))
	}
}

func TestCpRecursiveBothWays(t *testing.T) {
	e := setup(t)
	e.file("tree/a.txt", []byte("a"))
	e.file("tree/sub/b.txt", []byte("b"))
	e.file("tree/sub/deep/c.txt", []byte("c"))
	e.ok("cp", "-r", filepath.Join(e.home, "tree"), e.url("up/"))
	if got := strings.Join(e.keys("up/"), ","); got != "up/a.txt,up/sub/b.txt,up/sub/deep/c.txt" {
		t.Fatalf("uploaded keys = %s", got)
	}
	out := filepath.Join(e.home, "down")
	e.ok("cp", "-r", e.url("up"), out)
	for rel, want := range map[string]string{"a.txt": "a", "sub/b.txt": "b", "sub/deep/c.txt": "c"} {
		if got := string(readFile(t, filepath.Join(out, rel))); got != want {
			t.Errorf("%s = %q, want %q", rel, got, want)
		}
	}
	e.fails(2, "pass -r/--recursive", "cp", filepath.Join(e.home, "tree"), e.url("x/"))
	e.fails(2, "is a bucket or prefix", "cp", e.url("up/"), out)
}

func TestCpWildcard(t *testing.T) {
	e := setup(t)
	e.put("logs/2026/a.gz", []byte("a"))
	e.put("logs/b.gz", []byte("b"))
	e.put("logs/c.txt", []byte("c"))
	out := filepath.Join(e.home, "logs")
	e.ok("cp", e.url("logs/*.gz"), out+"/")
	if string(readFile(t, filepath.Join(out, "2026", "a.gz"))) != "a" || string(readFile(t, filepath.Join(out, "b.gz"))) != "b" {
		t.Fatal("wildcard matches not downloaded")
	}
	if _, err := os.Stat(filepath.Join(out, "c.txt")); err == nil {
		t.Fatal("c.txt does not match *.gz but was downloaded")
	}
}

func TestCpStdinAndStdout(t *testing.T) {
	e := setup(t)
	r := e.runIn("from stdin\n", "cp", "-", e.url("stdin.txt"))
	if r.Code != 0 {
		t.Fatalf("cp -: %s", r)
	}
	if string(e.get("stdin.txt")) != "from stdin\n" {
		t.Fatal("stdin content not uploaded")
	}
	r = e.ok("cp", e.url("stdin.txt"), "-")
	if r.Stdout != "from stdin\n" {
		t.Fatalf("stdout = %q", r.Stdout)
	}
}

func TestCpLargeStdinIsMultipart(t *testing.T) {
	e := setup(t)
	body := randomBytes(t, 11<<20)
	r := testenvRunBytes(t, e, body, "cp", "--part-size", "5MiB", "-", e.url("big-stdin"))
	if r.Code != 0 {
		t.Fatalf("cp - (11 MiB): %s", r)
	}
	if !bytes.Equal(e.get("big-stdin"), body) {
		t.Fatal("content differs")
	}
}

func TestCpS3ToS3ServerSide(t *testing.T) {
	e := setup(t)
	e.put("src/one", []byte("1"))
	e.put("src/two", []byte("22"))
	e.ok("cp", e.url("src/one"), e.url("dst/renamed"))
	if string(e.get("dst/renamed")) != "1" {
		t.Fatal("single copy failed")
	}
	e.ok("cp", "-r", e.url("src/"), e.url("copy/"))
	if got := strings.Join(e.keys("copy/"), ","); got != "copy/one,copy/two" {
		t.Fatalf("recursive copy keys = %s", got)
	}
	e.fails(2, "onto itself", "cp", e.url("src/one"), e.url("src/one"))
}

func TestMvUploadAndS3ToS3(t *testing.T) {
	e := setup(t)
	src := e.file("moveme.txt", []byte("m"))
	e.ok("mv", src, e.url("moved.txt"))
	if _, err := os.Stat(src); err == nil {
		t.Fatal("local source still exists after mv")
	}
	e.ok("mv", e.url("moved.txt"), e.url("final.txt"))
	if e.exists("moved.txt") || string(e.get("final.txt")) != "m" {
		t.Fatal("S3 mv did not move")
	}
	dst := filepath.Join(e.home, "back.txt")
	e.ok("mv", e.url("final.txt"), dst)
	if e.exists("final.txt") || string(readFile(t, dst)) != "m" {
		t.Fatal("download mv did not move")
	}
	// A failed move keeps the source.
	e.put("keep.txt", []byte("k"))
	e.fails(4, "NoSuchBucket", "mv", e.url("keep.txt"), "s3://no-such-bucket-e2e/x")
	if !e.exists("keep.txt") {
		t.Fatal("source deleted although the move failed")
	}
}

func TestCpDryRun(t *testing.T) {
	e := setup(t)
	src := e.file("dry.txt", []byte("d"))
	r := e.ok("cp", "--dry-run", src, e.url("dry.txt"))
	if !strings.Contains(r.Stdout, "(dry run) upload:") || e.exists("dry.txt") {
		t.Fatalf("dry run uploaded or did not say so:\n%s", r)
	}
}
