package objstore

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
