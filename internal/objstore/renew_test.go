package objstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A request refused with ExpiredToken waits for one renewal shared by all
// requests refused at the same time, and is sent again with its body; a
// renewal that fails ends the requests with its error.
func TestRenewGate(t *testing.T) {
	var mu sync.Mutex
	expired := true
	bodies := map[string][][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		refuse := expired
		if !refuse {
			bodies[r.URL.Path] = append(bodies[r.URL.Path], b)
		}
		mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`)
			return
		}
		w.Header().Set("ETag", `"x"`)
	}))
	defer srv.Close()

	var renewals atomic.Int32
	renewErr := error(nil)
	renew := func(ctx context.Context, cause error) error {
		if !IsBatch(ctx) {
			t.Error("the renewal does not know it serves a batch")
		}
		if !renewable(cause) {
			t.Errorf("renew called for %v", cause)
		}
		renewals.Add(1)
		mu.Lock()
		expired = renewErr != nil
		mu.Unlock()
		return renewErr
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AK", "SK", "TOKEN")}
	st, err := NewS3(cfg, S3Options{EndpointURL: srv.URL, Renew: renew})
	if err != nil {
		t.Fatal(err)
	}
	ctx := InBatch(t.Context())
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := "k" + string(rune('a'+i))
			_, err := st.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(key),
				Body: bytes.NewReader([]byte(strings.Repeat(key, 100)))})
			if err != nil {
				t.Errorf("put %s: %v", key, err)
			}
		})
	}
	wg.Wait()
	if n := renewals.Load(); n != 1 {
		t.Errorf("%d renewals, want 1 shared by all refused requests", n)
	}
	for i := range 8 {
		key := "k" + string(rune('a'+i))
		got := bodies["/b/"+key]
		if len(got) != 1 || string(got[0]) != strings.Repeat(key, 100) {
			t.Errorf("%s: stored %d time(s), body %q", key, len(got), got)
		}
	}

	// A renewal that fails: the request fails with the renewal's error.
	mu.Lock()
	expired = true
	mu.Unlock()
	renewErr = errors.New("no one to sign in")
	_, err = st.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("z"), Body: strings.NewReader("z")})
	if !errors.Is(err, renewErr) {
		t.Fatalf("with a failed renewal: %v", err)
	}
}
