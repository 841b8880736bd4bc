package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestBucketsInTwoRegions runs the binary, configured for us-east-1, against
// one endpoint name in front of two MinIO servers, us-east-1 and eu-west-1
// (testenv.Regions answers a request signed for the wrong region with 301
// PermanentRedirect and x-amz-bucket-region, as S3 does). Every command
// works on the eu-west-1 bucket without --region; each process is redirected
// at most once per bucket, and every successful request for a bucket was
// signed for that bucket's region.
func TestBucketsInTwoRegions(t *testing.T) {
	home := testenv.Home(t)
	rg := testenv.StartRegions(t, testenv.RegionsOptions{}, "us-east-1", "eu-west-1")
	us := rg.NewBucket(t, "us-east-1")
	eu := rg.NewBucket(t, "eu-west-1")
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), fmt.Sprintf("[profile r]\nregion = us-east-1\nservices = two\n\n[services two]\ns3 =\n  endpoint_url = %s\n", rg.URL))
	testenv.WriteFile(t, filepath.Join(home, ".aws", "credentials"), fmt.Sprintf("[r]\naws_access_key_id = %s\naws_secret_access_key = %s\n", rg.AccessKey, rg.SecretKey))
	vars := []string{"AWS_PROFILE=r"}

	// check runs one command and checks the requests it made.
	check := func(args ...string) testenv.Result {
		t.Helper()
		rg.Reset()
		r := testenv.Run(t, vars, "", args...)
		if r.Code != 0 {
			t.Fatalf("s3sso %s: %s\nrequests: %v", strings.Join(args, " "), r, rg.Requests())
		}
		redirects := map[string]int{}
		for _, q := range rg.Requests() {
			want := map[string]string{us: "us-east-1", eu: "eu-west-1"}[q.Bucket]
			switch {
			case q.Status == 301:
				redirects[q.Bucket]++
			case q.Bucket != "" && q.Status < 300 && q.Region != want:
				t.Errorf("s3sso %s: %v succeeded signed for %s, the bucket is in %s", strings.Join(args, " "), q, q.Region, want)
			}
		}
		for b, n := range redirects {
			if n > 1 {
				t.Errorf("s3sso %s: %d redirects for %s, want at most one per process: %v", strings.Join(args, " "), n, b, rg.Requests())
			}
		}
		return r
	}

	// ls of the buckets: both, each with its region.
	r := check("ls", "--json")
	regions := map[string]string{}
	for line := range strings.Lines(r.Stdout) {
		var m struct{ Name, Region string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("ls --json: %v: %q", err, line)
		}
		regions[m.Name] = m.Region
	}
	if regions[us] != "us-east-1" || regions[eu] != "eu-west-1" {
		t.Fatalf("ls: regions %v", regions)
	}

	dir := t.TempDir()
	small := []byte("small object in eu-west-1\n")
	big := randomBytes(t, 11<<20) // 3 parts of 5 MiB
	testenv.WriteFile(t, filepath.Join(dir, "small.txt"), string(small))
	testenv.WriteFile(t, filepath.Join(dir, "big.bin"), string(big))

	check("cp", filepath.Join(dir, "small.txt"), "s3://"+eu+"/small.txt")
	check("cp", "--part-size", "5MiB", filepath.Join(dir, "big.bin"), "s3://"+eu+"/big.bin")
	check("cp", filepath.Join(dir, "small.txt"), "s3://"+us+"/from-us.txt")
	r = check("ls", "s3://"+eu+"/")
	if !strings.Contains(r.Stdout, "small.txt") || !strings.Contains(r.Stdout, "big.bin") {
		t.Fatalf("ls s3://%s/:\n%s", eu, r.Stdout)
	}
	// Server-side copies between the two regions, both ways.
	check("cp", "s3://"+us+"/from-us.txt", "s3://"+eu+"/copied.txt")
	check("cp", "s3://"+eu+"/small.txt", "s3://"+us+"/copied-back.txt")
	check("cp", "--part-size", "5MiB", "s3://"+eu+"/big.bin", filepath.Join(dir, "big.out"))
	if !bytes.Equal(readFile(t, filepath.Join(dir, "big.out")), big) {
		t.Fatal("download from eu-west-1 differs")
	}
	for _, u := range []string{"s3://" + eu + "/copied.txt", "s3://" + us + "/copied-back.txt"} {
		check("cp", u, filepath.Join(dir, "c.txt"))
		if !bytes.Equal(readFile(t, filepath.Join(dir, "c.txt")), small) {
			t.Fatalf("%s: wrong content", u)
		}
	}
	r = check("stat", "--json", "s3://"+eu+"/big.bin")
	if !strings.Contains(r.Stdout, `"size":11534336`) {
		t.Fatalf("stat: %s", r.Stdout)
	}
	// A presigned URL is signed for the bucket's region (it cannot follow
	// a redirect).
	r = check("presign", "s3://"+eu+"/small.txt")
	url := strings.TrimSpace(r.Stdout)
	if !strings.Contains(url, "%2Feu-west-1%2Fs3%2F") {
		t.Fatalf("presigned URL not signed for eu-west-1: %s", url)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, small) {
		t.Fatalf("presigned GET: %d %s", resp.StatusCode, got)
	}
	check("sync", dir, "s3://"+eu+"/synced/")
	check("rm", "-r", "s3://"+eu+"/")
	r = check("ls", "s3://"+eu+"/")
	if strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("objects left after rm -r:\n%s", r.Stdout)
	}
}
