package transfer

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestCompleteWhoseReplyWasLost: the server completes the multipart upload
// but its reply is lost (503 after the work), so the SDK retries and gets
// NoSuchUpload. The object is there, with the size, part count and
// checksum of what was sent: the upload succeeds, for a file (full-object
// CRC32C), for standard input, and with a composite checksum.
func TestCompleteWhoseReplyWasLost(t *testing.T) {
	w := newWorld(t)
	p := newProxy(t, w.m.Endpoint)
	e := w.engine(p.URL, false)
	data := randomData(t, 12<<20) // 3 parts
	for _, key := range []string{"file", "stream", "composite"} {
		p.Clear()
		p.Add(testenv.FaultRule{Kind: "complete-multipart", Nth: []int{1}, Fault: testenv.ApplyThenFail{}})
		if key == "composite" {
			// A server that refuses full-object checksums: the parts'
			// CRC32Cs are checked as the composite checksum.
			p.Add(testenv.FaultRule{Kind: "create-multipart", Nth: []int{1}, Fault: testenv.Status{Code: http.StatusBadRequest, S3Code: "InvalidArgument"}})
		}
		var err error
		if key == "stream" {
			err = e.UploadStream(context.Background(), bytes.NewReader(data), w.url(key), PutOptions{})
		} else {
			err = e.UploadFile(context.Background(), writeTemp(t, "f", data), w.url(key), PutOptions{})
		}
		if err != nil {
			t.Fatalf("%s: upload whose CompleteMultipartUpload reply was lost: %v", key, err)
		}
		if got := p.Started("complete-multipart"); got != 2 {
			t.Fatalf("%s: %d CompleteMultipartUpload requests, want 2 (the lost reply, the retry)", key, got)
		}
		if !bytes.Equal(w.get(key), data) {
			t.Fatalf("%s: content differs", key)
		}
		head, err := w.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if composite := strings.HasSuffix(aws.ToString(head.ChecksumCRC32C), "-3"); composite != (key == "composite") {
			t.Errorf("%s: stored CRC32C %q", key, aws.ToString(head.ChecksumCRC32C))
		}
	}
	if w.uploads() != 0 || len(w.journals()) != 0 {
		t.Errorf("leftovers: %d uploads, journals %v", w.uploads(), w.journals())
	}
}

// TestCompleteNoSuchUploadIsReported: NoSuchUpload from a Complete that the
// server did not apply (the upload is gone; an older, different object is
// at the key) is the real error, not a success.
func TestCompleteNoSuchUploadIsReported(t *testing.T) {
	w := newWorld(t)
	w.put("k", randomData(t, 12<<20)) // same size, other content
	p := newProxy(t, w.m.Endpoint)
	p.Add(testenv.FaultRule{Kind: "complete-multipart", Fault: testenv.Status{Code: http.StatusNotFound, S3Code: "NoSuchUpload"}})
	data := randomData(t, 12<<20)
	err := w.engine(p.URL, false).UploadFile(context.Background(), writeTemp(t, "f", data), w.url("k"), PutOptions{})
	if !objstore.IsCode(err, "NoSuchUpload") || !strings.Contains(err.Error(), "complete multipart upload") {
		t.Fatalf("Complete answered NoSuchUpload without applying: %v, want the NoSuchUpload error", err)
	}
	if bytes.Equal(w.get("k"), data) {
		t.Fatal("the object was replaced")
	}
	if w.uploads() != 0 {
		t.Errorf("%d uploads left", w.uploads())
	}
}
