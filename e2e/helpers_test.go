package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env is one test's world: a MinIO server, a bucket, an isolated HOME with a
// profile "e2e" whose S3 endpoint is the server (through a services section,
// as users of S3-compatible storage configure it).
type env struct {
	t      *testing.T
	minio  *testenv.MinIO
	client *s3.Client
	home   string
	bucket string
	vars   []string
}

func setup(t *testing.T) *env {
	t.Helper()
	home := testenv.Home(t)
	m := testenv.SharedMinIO(t)
	e := &env{t: t, minio: m, client: m.Client(t), home: home, bucket: m.NewBucket(t)}
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), fmt.Sprintf(`# written by the e2e tests
[profile e2e]
region = us-east-1
services = local-minio

[services local-minio]
s3 =
  endpoint_url = %s
`, m.Endpoint))
	testenv.WriteFile(t, filepath.Join(home, ".aws", "credentials"), fmt.Sprintf("[e2e]\naws_access_key_id = %s\naws_secret_access_key = %s\n", m.AccessKey, m.SecretKey))
	e.vars = []string{"AWS_PROFILE=e2e"}
	return e
}

// run runs s3sso with the test's environment.
func (e *env) run(args ...string) testenv.Result {
	e.t.Helper()
	return testenv.Run(e.t, e.vars, "", args...)
}

func (e *env) runIn(stdin string, args ...string) testenv.Result {
	e.t.Helper()
	return testenv.Run(e.t, e.vars, stdin, args...)
}

// ok runs s3sso and fails the test unless it exits 0.
func (e *env) ok(args ...string) testenv.Result {
	e.t.Helper()
	r := e.run(args...)
	if r.Code != 0 {
		e.t.Fatalf("s3sso %s: exit %d\n%s", strings.Join(args, " "), r.Code, r)
	}
	return r
}

// fails runs s3sso and checks the exit code and that stderr mentions want.
func (e *env) fails(code int, want string, args ...string) testenv.Result {
	e.t.Helper()
	r := e.run(args...)
	if r.Code != code {
		e.t.Fatalf("s3sso %s: exit %d, want %d\n%s", strings.Join(args, " "), r.Code, code, r)
	}
	if !strings.Contains(r.Stderr, want) {
		e.t.Fatalf("s3sso %s: stderr does not mention %q\n%s", strings.Join(args, " "), want, r)
	}
	if strings.Contains(r.Stderr, "goroutine ") || strings.Contains(r.Stderr, "panic:") {
		e.t.Fatalf("s3sso %s: stack trace on stderr\n%s", strings.Join(args, " "), r)
	}
	return r
}

func (e *env) url(key string) string { return "s3://" + e.bucket + "/" + key }

func (e *env) put(key string, body []byte) {
	e.t.Helper()
	_, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		e.t.Fatalf("put %s: %v", key, err)
	}
}

func (e *env) get(key string) []byte {
	e.t.Helper()
	out, err := e.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(out.Body); err != nil {
		e.t.Fatalf("read %s: %v", key, err)
	}
	return b.Bytes()
}

func (e *env) exists(key string) bool {
	_, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	return err == nil
}

func (e *env) keys(prefix string) []string {
	e.t.Helper()
	var keys []string
	// URL-encoded, so that keys with characters XML 1.0 cannot carry are
	// listed as they are.
	p := s3.NewListObjectsV2Paginator(e.client, &s3.ListObjectsV2Input{Bucket: aws.String(e.bucket), Prefix: aws.String(prefix),
		EncodingType: types.EncodingTypeUrl})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatalf("list: %v", err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if page.EncodingType == types.EncodingTypeUrl {
				if k, err = url.QueryUnescape(k); err != nil {
					e.t.Fatalf("list: %v", err)
				}
			}
			keys = append(keys, k)
		}
	}
	return keys
}

// file writes a local file under the test's HOME and returns its path.
func (e *env) file(rel string, body []byte) string {
	e.t.Helper()
	p := filepath.Join(e.home, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noTempFiles fails if a download left a temporary file in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".s3sso-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}
