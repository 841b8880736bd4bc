package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

// setupKMS is setup with a MinIO of the test's own that has a built-in
// static KMS key (MINIO_KMS_SECRET_KEY), so SSE-KMS really happens.
func setupKMS(t *testing.T) *env {
	t.Helper()
	home := testenv.Home(t)
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{KMS: true})
	e := &env{t: t, minio: m, client: m.Client(t), home: home, bucket: m.NewBucket(t)}
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), fmt.Sprintf("[profile e2e]\nregion = us-east-1\nservices = kms\n\n[services kms]\ns3 =\n  endpoint_url = %s\n", m.Endpoint))
	testenv.WriteFile(t, filepath.Join(home, ".aws", "credentials"), fmt.Sprintf("[e2e]\naws_access_key_id = %s\naws_secret_access_key = %s\n", m.AccessKey, m.SecretKey))
	e.vars = []string{"AWS_PROFILE=e2e"}
	return e
}

// TestSSEKMS proves the --sse aws:kms paths against MinIO's KMS: uploads
// (single and multipart) are encrypted with the named key, their ETags are
// not MD5s, downloads are verified through the CRC32C additional checksum
// (and do not fail falsely on the ETag), stat shows the key, and sync
// --checksum recognises unchanged SSE-KMS objects in both directions.
func TestSSEKMS(t *testing.T) {
	e := setupKMS(t)
	key := e.minio.KMSKeyID
	dir := filepath.Join(e.home, "src")
	small := randomBytes(t, 100<<10)
	big := randomBytes(t, 11<<20) // 3 parts of 5 MiB
	testenv.WriteFile(t, filepath.Join(dir, "small.bin"), string(small))
	testenv.WriteFile(t, filepath.Join(dir, "sub", "big.bin"), string(big))

	kms := []string{"--sse", "aws:kms", "--sse-kms-key-id", key, "--part-size", "5MiB"}
	e.ok(append([]string{"cp"}, append(kms, filepath.Join(dir, "small.bin"), e.url("small.bin"))...)...)
	e.ok(append([]string{"cp"}, append(kms, filepath.Join(dir, "sub", "big.bin"), e.url("sub/big.bin"))...)...)

	for _, k := range []string{"small.bin", "sub/big.bin"} {
		head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(k), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !strings.HasSuffix(aws.ToString(head.SSEKMSKeyId), key) {
			t.Fatalf("%s: encryption %q key %q, want aws:kms with %s", k, head.ServerSideEncryption, aws.ToString(head.SSEKMSKeyId), key)
		}
		if aws.ToString(head.ChecksumCRC32C) == "" {
			t.Fatalf("%s: no CRC32C checksum stored", k)
		}
		t.Logf("%s: ETag %s, CRC32C %s", k, aws.ToString(head.ETag), aws.ToString(head.ChecksumCRC32C))
	}

	// stat shows the key.
	r := e.ok("stat", "--json", e.url("sub/big.bin"))
	var info struct {
		SSE      string `json:"sse"`
		KMSKeyID string `json:"sse_kms_key_id"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &info); err != nil || info.SSE != "aws:kms" || !strings.HasSuffix(info.KMSKeyID, key) {
		t.Fatalf("stat --json: %v %s", err, r.Stdout)
	}
	if r := e.ok("stat", e.url("small.bin")); !strings.Contains(r.Stdout, key) {
		t.Fatalf("stat does not show the KMS key:\n%s", r.Stdout)
	}

	// Downloads (single request and ranged) are verified and succeed.
	out := filepath.Join(e.home, "out")
	r = e.ok("cp", "--debug", "--part-size", "5MiB", "-r", "s3://"+e.bucket+"/", out+"/")
	if strings.Contains(r.Stderr, "not verified") {
		t.Fatalf("a download of an SSE-KMS object was not verified:\n%s", r.Stderr)
	}
	if !bytes.Equal(readFile(t, filepath.Join(out, "small.bin")), small) || !bytes.Equal(readFile(t, filepath.Join(out, "sub", "big.bin")), big) {
		t.Fatal("downloads differ")
	}

	// sync --checksum: unchanged SSE-KMS objects are not transferred again,
	// in either direction; a changed one is.
	r = e.ok(append([]string{"sync", "--checksum", "--json"}, append(kms, dir, "s3://"+e.bucket+"/")...)...)
	if strings.Contains(r.Stdout, `"upload"`) {
		t.Fatalf("sync --checksum up re-uploaded unchanged SSE-KMS objects:\n%s", r.Stdout)
	}
	r = e.ok("sync", "--checksum", "--json", "s3://"+e.bucket+"/", out)
	if strings.Contains(r.Stdout, `"download"`) {
		t.Fatalf("sync --checksum down re-downloaded unchanged SSE-KMS objects:\n%s", r.Stdout)
	}
	changed := bytes.Clone(big)
	changed[len(changed)/2] ^= 1
	testenv.WriteFile(t, filepath.Join(dir, "sub", "big.bin"), string(changed))
	r = e.ok(append([]string{"sync", "--checksum", "--json"}, append(kms, dir, "s3://"+e.bucket+"/")...)...)
	if strings.Count(r.Stdout, `"upload"`) != 1 || !strings.Contains(r.Stdout, "big.bin") {
		t.Fatalf("sync --checksum did not upload exactly the changed object:\n%s", r.Stdout)
	}
	r = e.ok("sync", "--checksum", "--json", "s3://"+e.bucket+"/", out)
	if strings.Count(r.Stdout, `"download"`) != 1 {
		t.Fatalf("sync --checksum down did not download exactly the changed object:\n%s", r.Stdout)
	}
	if !bytes.Equal(readFile(t, filepath.Join(out, "sub", "big.bin")), changed) {
		t.Fatal("synced download differs")
	}
	// S3 to S3 with KMS on both sides: unchanged after a first copy.
	e.ok(append([]string{"sync", "--checksum"}, append(kms, "s3://"+e.bucket+"/sub/", "s3://"+e.bucket+"/copy/")...)...)
	r = e.ok(append([]string{"sync", "--checksum", "--json"}, append(kms, "s3://"+e.bucket+"/sub/", "s3://"+e.bucket+"/copy/")...)...)
	if strings.Contains(r.Stdout, `"copy"`) {
		t.Fatalf("sync --checksum S3 to S3 copied unchanged SSE-KMS objects again:\n%s", r.Stdout)
	}
}
