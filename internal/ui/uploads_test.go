package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/testenv"
)

type partsStart struct {
	ID       string `json:"id"`
	PartSize int64  `json:"part_size"`
	Parts    int    `json:"parts"`
	Transfer string `json:"transfer"`
}

// putPart sends body as part n of upload id, as the page's fetch does; it
// returns the status and the answer.
func (e *uiEnv) putPart(id string, n int, body []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("PUT", e.base+"/api/uploads/"+id+"/parts/"+itoa(int64(n)), bytes.NewReader(body))
	req.Header.Set("Origin", e.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := e.c.Do(req)
	if err != nil {
		e.t.Errorf("part %d: %v", n, err)
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestUploadInParts drives the page's path for large files: create the
// multipart upload, send the slices concurrently and out of order,
// complete; the object has the bytes and the full-object CRC32C of the
// file. Aborting leaves no multipart upload; a failed part fails the
// transfer and aborts it.
func TestUploadInParts(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	e := startUI(t)
	e.watch()
	e.addKeysAccount("local", m)
	cl := m.Client(t)
	ctx := context.Background()

	body := make([]byte, 40<<20+12345)
	rand.Read(body)
	start := func(key string, size int) partsStart {
		t.Helper()
		var out partsStart
		if st := e.do("POST", "/api/uploads?"+q("acct", "local", "bucket", bucket, "key", key, "size", itoa(int64(size))), nil, &out); st != 200 || out.ID == "" {
			t.Fatalf("start %s: %d %+v", key, st, out)
		}
		return out
	}
	slice := func(st partsStart, n int) []byte {
		return body[int64(n-1)*st.PartSize : min(int64(n)*st.PartSize, int64(len(body)))]
	}
	noUploads := func(key string) {
		t.Helper()
		out, err := cl.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Uploads {
			if aws.ToString(u.Key) == key {
				t.Errorf("multipart upload %s of %s left behind", aws.ToString(u.UploadId), key)
			}
		}
	}

	// The whole path: parts in reverse order, all at once.
	st := start("big/file.bin", len(body))
	if st.Parts < 3 || st.PartSize*int64(st.Parts) < int64(len(body)) {
		t.Fatalf("parts: %+v", st)
	}
	var g errgroup.Group
	for n := st.Parts; n >= 1; n-- {
		g.Go(func() error {
			if code, msg := e.putPart(st.ID, n, slice(st, n)); code != 200 {
				t.Errorf("part %d: %d %s", n, code, msg)
			}
			return nil
		})
	}
	_ = g.Wait()
	var done map[string]string
	if code := e.do("POST", "/api/uploads/"+st.ID+"/complete", nil, &done); code != 200 || done["key"] != "big/file.bin" {
		t.Fatalf("complete: %d %v", code, done)
	}
	if tr := e.waitTransfer(st.Transfer); tr.State != StateDone || tr.BytesDone != int64(len(body)) || tr.BytesTotal != int64(len(body)) {
		t.Fatalf("transfer: %+v", tr)
	}
	obj, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/file.bin"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("object: %d bytes, %v", len(got), err)
	}
	want := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli))))
	if aws.ToString(obj.ChecksumCRC32C) != want || obj.ChecksumType != types.ChecksumTypeFullObject {
		t.Errorf("checksum %s (%s), want the full-object CRC32C %s", aws.ToString(obj.ChecksumCRC32C), obj.ChecksumType, want)
	}
	noUploads("big/file.bin")
	// The upload is over: no more parts.
	if code, _ := e.putPart(st.ID, 1, slice(st, 1)); code != http.StatusNotFound {
		t.Errorf("a part after the completion: %d", code)
	}

	// Abort after one part: the transfer is cancelled, nothing is left.
	st = start("big/aborted.bin", len(body))
	if code, msg := e.putPart(st.ID, 1, slice(st, 1)); code != 200 {
		t.Fatalf("part 1: %d %s", code, msg)
	}
	if code := e.do("DELETE", "/api/uploads/"+st.ID, nil, nil); code != 200 {
		t.Fatalf("abort: %d", code)
	}
	if tr := e.waitTransfer(st.Transfer); tr.State != StateCancelled {
		t.Errorf("aborted transfer: %+v", tr)
	}
	noUploads("big/aborted.bin")
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/aborted.bin")}); err == nil {
		t.Error("an aborted upload left an object")
	}

	// A failed part (short: the page's slice was cut) fails the transfer
	// and aborts the upload; completing it then fails.
	st = start("big/failed.bin", len(body))
	if code, msg := e.putPart(st.ID, 1, slice(st, 1)); code != 200 {
		t.Fatalf("part 1: %d %s", code, msg)
	}
	if code, _ := e.putPart(st.ID, 2, slice(st, 2)[:1000]); code != http.StatusBadRequest {
		t.Errorf("a short part: %d", code)
	}
	tr := e.waitTransfer(st.Transfer)
	if tr.State != StateFailed || tr.Error == nil {
		t.Errorf("transfer with a failed part: %+v", tr)
	}
	noUploads("big/failed.bin")
	if code := e.do("POST", "/api/uploads/"+st.ID+"/complete", nil, nil); code == 200 {
		t.Error("a failed upload completed")
	}
	if _, err := cl.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("big/failed.bin")}); err == nil {
		t.Error("a failed upload left an object")
	}
}
