package objstore

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3sso/s3sso/internal/fault"
)

// recorder is an HTTP client that records request URLs and never sends them.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

var errRecorded = errors.New("recorded, not sent")

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
	r.mu.Unlock()
	return nil, errRecorded
}

// resolvedURL builds an S3 store from a shared config file and returns the
// URL its HeadObject request would go to.
func resolvedURL(t *testing.T, configFile string, o S3Options) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{path}), config.WithSharedCredentialsFiles([]string{filepath.Join(dir, "none")}),
		config.WithSharedConfigProfile("p"), config.WithHTTPClient(rec),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")),
		config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewS3(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s.Head(context.Background(), URL{Bucket: "my-bucket", Key: "k"})
	if len(rec.urls) != 1 {
		t.Fatalf("requests: %v", rec.urls)
	}
	return rec.urls[0]
}

func TestEndpointResolution(t *testing.T) {
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cases := []struct {
		name, config string
		opts         S3Options
		want         string
	}{
		{"aws virtual-hosted", "[profile p]\nregion = us-west-2\n", S3Options{}, "https://my-bucket.s3.us-west-2.amazonaws.com/k"},
		{"dual-stack from the profile", "[profile p]\nregion = us-west-2\nuse_dualstack_endpoint = true\n", S3Options{}, "https://my-bucket.s3.dualstack.us-west-2.amazonaws.com/k"},
		{"dual-stack option", "[profile p]\nregion = eu-west-1\n", S3Options{DualStack: true}, "https://my-bucket.s3.dualstack.eu-west-1.amazonaws.com/k"},
		{"path style on AWS", "[profile p]\nregion = us-west-2\n", S3Options{PathStyle: true}, "https://s3.us-west-2.amazonaws.com/my-bucket/k"},
		{"endpoint flag is path-style", "[profile p]\nregion = us-east-1\n", S3Options{EndpointURL: "http://127.0.0.1:9000"}, "http://127.0.0.1:9000/my-bucket/k"},
		{"services section is path-style", "[profile p]\nregion = us-east-1\nservices = m\n[services m]\ns3 =\n  endpoint_url = http://127.0.0.1:9100\n", S3Options{}, "http://127.0.0.1:9100/my-bucket/k"},
		{"flag beats services section", "[profile p]\nregion = us-east-1\nservices = m\n[services m]\ns3 =\n  endpoint_url = http://127.0.0.1:9100\n", S3Options{EndpointURL: "http://127.0.0.1:9200"}, "http://127.0.0.1:9200/my-bucket/k"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolvedURL(t, tc.config, tc.opts); got != tc.want {
				t.Errorf("request went to %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("AWS_ENDPOINT_URL_S3", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9300")
		if got := resolvedURL(t, "[profile p]\nregion = us-east-1\n", S3Options{}); got != "http://127.0.0.1:9300/my-bucket/k" {
			t.Errorf("request went to %s", got)
		}
	})
}

// redirector answers every request like S3 does for a bucket in another
// region.
type redirector struct{}

func (redirector) Do(req *http.Request) (*http.Response, error) {
	h := http.Header{}
	h.Set("X-Amz-Bucket-Region", "eu-central-1")
	h.Set("Content-Type", "application/xml")
	body := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>`
	return &http.Response{StatusCode: 301, Status: "301 Moved Permanently", Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func TestWrongRegionNamesTheBucketRegion(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil), config.WithHTTPClient(redirector{}),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewS3(cfg, S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, err := range s.List(context.Background(), "eu-bucket", "", true) {
		n++
		if err == nil {
			t.Fatal("no error from a redirecting server")
		}
		if fault.KindOf(err) != fault.Usage || !strings.Contains(fault.HintOf(err), "--region eu-central-1") {
			t.Fatalf("err = %v, hint %q", err, fault.HintOf(err))
		}
	}
	if n != 1 {
		t.Fatalf("%d results", n)
	}
}
