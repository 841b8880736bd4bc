package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestStatShowsChecksumMetadataStorageClass(t *testing.T) {
	e := setup(t)
	src := e.file("s.txt", []byte("stat me"))
	e.ok("cp", src, e.url("s.txt"), "--metadata", "k=v")
	r := e.ok("stat", e.url("s.txt"))
	for _, want := range []string{"Size:           7", "ETag:", "Checksum CRC32C:", "Storage class:  STANDARD", "Metadata:       k=v", "Content-Type:   text/plain"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stat output lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = e.ok("stat", "--json", e.url("s.txt"))
	var info struct {
		Size      int64             `json:"size"`
		Checksums map[string]string `json:"checksums"`
		Metadata  map[string]string `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &info); err != nil {
		t.Fatal(err)
	}
	if info.Size != 7 || info.Checksums["CRC32C"] == "" || info.Metadata["k"] != "v" {
		t.Fatalf("stat --json = %+v", info)
	}
	e.fails(4, "does not exist", "stat", e.url("missing"))
}

func TestCatWritesObject(t *testing.T) {
	e := setup(t)
	e.put("c.txt", []byte("meow\n"))
	if r := e.ok("cat", e.url("c.txt")); r.Stdout != "meow\n" {
		t.Fatalf("cat = %q", r.Stdout)
	}
	e.fails(4, "NoSuchKey", "cat", e.url("nope"))
}

func TestPresignGetAndPut(t *testing.T) {
	e := setup(t)
	e.put("p.txt", []byte("presigned"))
	r := e.ok("presign", e.url("p.txt"), "--expires", "10m")
	resp, err := http.Get(strings.TrimSpace(r.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "presigned" {
		t.Fatalf("GET presigned URL: %d %q", resp.StatusCode, body)
	}
	r = e.ok("presign", "--method", "PUT", e.url("up.txt"))
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPut, strings.TrimSpace(r.Stdout), bytes.NewReader([]byte("uploaded")))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || string(e.get("up.txt")) != "uploaded" {
		t.Fatalf("PUT presigned URL: %d", resp.StatusCode)
	}
	e.fails(2, "--expires must be between", "presign", e.url("p.txt"), "--expires", "200h")
	e.fails(2, "--method must be GET or PUT", "presign", e.url("p.txt"), "--method", "DELETE")
}

func TestMbRbForceAndNotEmpty(t *testing.T) {
	e := setup(t)
	b := "s3://mb-e2e-" + strings.ToLower(randomHexStr(t))
	e.ok("mb", b)
	r := e.ok("ls")
	if !strings.Contains(r.Stdout, strings.TrimPrefix(b, "s3://")) {
		t.Fatalf("new bucket not listed:\n%s", r.Stdout)
	}
	e.fails(11, "BucketAlready", "mb", b)
	e.ok("cp", e.file("f", []byte("f")), b+"/f")
	e.fails(11, "--force", "rb", b)
	e.ok("rb", "--force", b)
	e.fails(4, "NoSuchBucket", "ls", b)
	e.fails(2, "names an object", "rb", b+"/key")
}

func TestVersionCompletionHelp(t *testing.T) {
	e := setup(t)
	if r := e.ok("version"); !strings.HasPrefix(r.Stdout, "s3sso ") {
		t.Fatalf("version: %q", r.Stdout)
	}
	if r := e.ok("version", "--json"); !strings.Contains(r.Stdout, `"go":"go1.`) {
		t.Fatalf("version --json: %q", r.Stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if r := e.ok("completion", sh); !strings.Contains(r.Stdout, "s3sso") {
			t.Fatalf("completion %s produced no script", sh)
		}
	}
	r := e.ok("help")
	for _, want := range []string{"Exit codes:", "130  interrupted", "4    not found"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	e.fails(2, "unknown", "frobnicate")
	e.fails(2, "unknown flag", "ls", "--nope")
}

func randomHexStr(t *testing.T) string {
	const hex = "0123456789abcdef"
	b := randomBytes(t, 6)
	out := make([]byte, 12)
	for i, c := range b {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&15]
	}
	return string(out)
}
