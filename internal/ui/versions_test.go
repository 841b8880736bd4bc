package ui

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestVersionsAndTags: the Properties panel's Versions tab lists an
// object's versions newest first (not those of a longer key), downloads an
// old one, restores it (it becomes the current content) and deletes one for
// good; the Tags tab reads, replaces and removes tags.
func TestVersionsAndTags(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	cl := m.Client(t)
	ctx := context.Background()
	if _, err := cl.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"one", "two"} {
		if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt"), Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt.bak"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Fatal(err)
	}
	e := startUI(t)
	e.addKeysAccount("local", m)

	type versions struct {
		Versions  []objstore.Version `json:"versions"`
		Truncated bool               `json:"truncated"`
	}
	var vs versions
	if st := e.do("GET", "/api/versions?"+q("acct", "local", "bucket", bucket, "key", "doc.txt"), nil, &vs); st != 200 {
		t.Fatalf("versions: %d", st)
	}
	if len(vs.Versions) != 2 || !vs.Versions[0].IsLatest || vs.Versions[1].IsLatest || vs.Versions[0].Key != "doc.txt" {
		t.Fatalf("versions: %+v", vs)
	}
	old := vs.Versions[1].VersionID
	if _, b, _ := e.get("/api/download?" + q("acct", "local", "bucket", bucket, "key", "doc.txt", "version", old)); string(b) != "one" {
		t.Errorf("old version's content: %q", b)
	}
	if st := e.do("POST", "/api/versions/restore", map[string]string{"acct": "local", "bucket": bucket, "key": "doc.txt", "version_id": old}, nil); st != 200 {
		t.Fatalf("restore: %d", st)
	}
	if _, b, _ := e.get("/api/download?" + q("acct", "local", "bucket", bucket, "key", "doc.txt")); string(b) != "one" {
		t.Errorf("content after restore: %q", b)
	}
	e.do("GET", "/api/versions?"+q("acct", "local", "bucket", bucket, "key", "doc.txt"), nil, &vs)
	if len(vs.Versions) != 3 {
		t.Fatalf("versions after restore: %+v", vs)
	}
	if st := e.do("POST", "/api/versions/delete", map[string]string{"acct": "local", "bucket": bucket, "key": "doc.txt", "version_id": old}, nil); st != 200 {
		t.Fatalf("delete version: %d", st)
	}
	e.do("GET", "/api/versions?"+q("acct", "local", "bucket", bucket, "key", "doc.txt"), nil, &vs)
	for _, v := range vs.Versions {
		if v.VersionID == old {
			t.Error("the deleted version is still listed")
		}
	}
	if len(vs.Versions) != 2 {
		t.Errorf("versions after delete: %+v", vs)
	}

	// Tags.
	var tags struct{ Tags []objstore.Tag }
	if st := e.do("GET", "/api/tags?"+q("acct", "local", "bucket", bucket, "key", "doc.txt"), nil, &tags); st != 200 || len(tags.Tags) != 0 {
		t.Fatalf("tags: %d %+v", st, tags)
	}
	var errOut map[string]apiErr
	set := []objstore.Tag{{Key: "team", Value: "ui"}, {Key: "stage", Value: "beta 2"}}
	if st := e.do("PUT", "/api/tags", map[string]any{"acct": "local", "bucket": bucket, "key": "doc.txt", "tags": set}, nil); st != 200 {
		t.Fatalf("put tags: %d", st)
	}
	e.do("GET", "/api/tags?"+q("acct", "local", "bucket", bucket, "key", "doc.txt"), nil, &tags)
	if len(tags.Tags) != 2 {
		t.Errorf("tags after put: %+v", tags)
	}
	bad := []objstore.Tag{{Key: "", Value: "v"}}
	if st := e.do("PUT", "/api/tags", map[string]any{"acct": "local", "bucket": bucket, "key": "doc.txt", "tags": bad}, &errOut); st != http.StatusBadRequest || errOut["error"].Field != "tags" {
		t.Errorf("bad tags: %d %+v", st, errOut)
	}
	if st := e.do("PUT", "/api/tags", map[string]any{"acct": "local", "bucket": bucket, "key": "doc.txt", "tags": []objstore.Tag{}}, nil); st != 200 {
		t.Fatalf("remove tags: %d", st)
	}
	e.do("GET", "/api/tags?"+q("acct", "local", "bucket", bucket, "key", "doc.txt"), nil, &tags)
	if len(tags.Tags) != 0 {
		t.Errorf("tags after removal: %+v", tags)
	}
}
