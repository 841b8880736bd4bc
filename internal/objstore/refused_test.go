package objstore

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/fault"
)

// keyServer answers S3 requests: those signed with a key in refuse get code
// (403), others succeed. It records the key of every request.
type keyServer struct {
	mu     sync.Mutex
	refuse map[string]bool
	code   string
	keys   []string
}

func (s *keyServer) Do(req *http.Request) (*http.Response, error) {
	_, cred, _ := strings.Cut(req.Header.Get("Authorization"), "Credential=")
	key, _, _ := strings.Cut(cred, "/")
	s.mu.Lock()
	s.keys = append(s.keys, key)
	refused := s.refuse[key]
	s.mu.Unlock()
	h := http.Header{}
	if !refused {
		h.Set("Content-Length", "3")
		h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
	}
	body := ""
	if req.Method == http.MethodHead {
		// HEAD errors have no body; MinIO names the code in a header.
		h.Set("X-Minio-Error-Code", s.code)
	} else {
		h.Set("Content-Type", "application/xml")
		body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + s.code + `</Code><Message>refused</Message></Error>`
	}
	return &http.Response{StatusCode: 403, Status: "403 Forbidden", Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// rotatingCreds hands out key OLD until rotate is called, then NEW.
type rotatingCreds struct {
	mu  sync.Mutex
	key string
}

func (c *rotatingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return aws.Credentials{AccessKeyID: c.key, SecretAccessKey: "secret", SessionToken: "token", CanExpire: true, Expires: time.Now().Add(time.Hour)}, nil
}

func TestRefusedCredentialsRetriedOnceWithNewOnes(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	cases := []struct {
		name       string
		code       string
		refuse     []string
		hook       bool
		head       bool
		wantKeys   string
		wantOK     bool
		wantRefuse string // keys passed to the hook
	}{
		{"replaced", "InvalidAccessKeyId", []string{"OLD"}, true, false, "OLD,NEW", true, "OLD"},
		{"replaced on HEAD (MinIO header)", "ExpiredToken", []string{"OLD"}, true, true, "OLD,NEW", true, "OLD"},
		{"InvalidToken", "InvalidToken", []string{"OLD"}, true, false, "OLD,NEW", true, "OLD"},
		{"new ones refused too: once only", "ExpiredToken", []string{"OLD", "NEW"}, true, false, "OLD,NEW", false, "OLD,NEW"},
		{"no hook, no retry", "InvalidAccessKeyId", []string{"OLD"}, false, false, "OLD", false, ""},
		{"access denied is not a refusal", "AccessDenied", []string{"OLD"}, true, false, "OLD", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := &keyServer{refuse: map[string]bool{}, code: tc.code}
			for _, k := range tc.refuse {
				srv.refuse[k] = true
			}
			rc := &rotatingCreds{key: "OLD"}
			cache := aws.NewCredentialsCache(rc)
			cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
				config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil), config.WithHTTPClient(srv),
				config.WithCredentialsProvider(cache))
			if err != nil {
				t.Fatal(err)
			}
			var hooked []string
			o := S3Options{EndpointURL: "http://127.0.0.1:1"}
			if tc.hook {
				o.CredentialsRefused = func(key string) bool {
					hooked = append(hooked, key)
					if key != "OLD" {
						return false
					}
					rc.mu.Lock()
					rc.key = "NEW"
					rc.mu.Unlock()
					cache.Invalidate()
					return true
				}
			}
			s, err := NewS3(cfg, o)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if tc.head {
				_, err = s.Head(context.Background(), URL{Bucket: "b", Key: "k"})
			} else {
				_, err = s.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
				err = s.Translate("get", "s3://b/k", err)
			}
			if (err == nil) != tc.wantOK {
				t.Fatalf("err = %v", err)
			}
			if err != nil && tc.code != "AccessDenied" && fault.KindOf(err) != fault.Auth {
				t.Errorf("kind %v: %v", fault.KindOf(err), err)
			}
			if got := strings.Join(srv.keys, ","); got != tc.wantKeys {
				t.Errorf("requests signed with %s, want %s", got, tc.wantKeys)
			}
			if got := strings.Join(hooked, ","); got != tc.wantRefuse {
				t.Errorf("hook called with %q, want %q", got, tc.wantRefuse)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v: the retry must not back off", d)
			}
		})
	}
}
