package ui

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestServerRefusalIsBadRequest: a tag or metadata edit the server refuses
// as a client error (InvalidTag, MetadataTooLarge) is a 400 in the server's
// words, beside the field, not a 500.
func TestServerRefusalIsBadRequest(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	if _, err := m.Client(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket),
		Key: aws.String("doc.txt"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	e := startUI(t)
	e.addKeysAccount("local", m)

	var out map[string]apiErr
	// Passes s3sso's own checks (length, count, reserved prefix); MinIO
	// refuses the characters with InvalidTag.
	bad := []objstore.Tag{{Key: "team", Value: "a*b<c>"}}
	st := e.do("PUT", "/api/tags", map[string]any{"acct": "local", "bucket": bucket, "key": "doc.txt", "tags": bad}, &out)
	if got := out["error"]; st != http.StatusBadRequest || got.Kind != "usage" || got.Field != "tags" ||
		!strings.Contains(got.Message, "InvalidTag") {
		t.Errorf("invalid tag: %d %+v", st, got)
	}

	out = nil
	big := map[string]string{"note": strings.Repeat("m", 9000)}
	st = e.do("POST", "/api/metadata", map[string]any{"acct": "local", "bucket": bucket, "key": "doc.txt", "metadata": big}, &out)
	if got := out["error"]; st != http.StatusBadRequest || got.Kind != "usage" || got.Field != "metadata" ||
		!strings.Contains(got.Message, "MetadataTooLarge") {
		t.Errorf("metadata too large: %d %+v", st, got)
	}
}
