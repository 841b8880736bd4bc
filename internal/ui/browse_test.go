package ui

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/s3sso/s3sso/internal/testenv"
)

const xssKey = `<img src=x onerror=alert(1)>`

// TestBrowseAndTransfer drives the API as the page does against MinIO:
// add an account, list buckets, upload (streamed, multipart), list,
// download and compare bytes, zip a folder, rename, copy, edit metadata,
// presign and fetch the link, new folder, delete. A key made of HTML stays
// data in every answer. Secrets never appear in an answer.
func TestBrowseAndTransfer(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	other := m.NewBucket(t)
	e := startUI(t)
	e.watch()
	e.addKeysAccount("local", m)

	// Accounts: listed with its state, and no secret anywhere.
	var accts accountList
	e.do("GET", "/api/accounts", nil, &accts)
	if len(accts.Accounts) != 1 || accts.Accounts[0].Name != "local" || !accts.Accounts[0].Usable || accts.Default != "local" {
		t.Fatalf("accounts: %+v", accts)
	}
	if s := mustJSON(accts); strings.Contains(s, m.SecretKey) {
		t.Fatal("the secret key reached the page")
	}

	// Buckets.
	var bl struct{ Buckets []bucketView }
	if st := e.do("GET", "/api/buckets?acct=local", nil, &bl); st != 200 {
		t.Fatalf("buckets: %d", st)
	}
	names := []string{}
	for _, b := range bl.Buckets {
		names = append(names, b.Name)
	}
	if !contains(names, bucket) || !contains(names, other) {
		t.Fatalf("buckets %v lack %s, %s", names, bucket, other)
	}

	// Upload: a 20 MiB file (two parts) and small ones, one of them named
	// with HTML.
	big := make([]byte, 20<<20+12345)
	rand.Read(big)
	upload := func(key string, body []byte) {
		t.Helper()
		req, _ := http.NewRequest("PUT", e.base+"/api/upload?"+q("acct", "local", "bucket", bucket, "key", key, "size", itoa(int64(len(body)))), bytes.NewReader(body))
		req.Header.Set("Origin", e.base)
		req.Header.Set("Content-Type", "application/octet-stream")
		res, err := e.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("upload %s: %d %s", key, res.StatusCode, b)
		}
	}
	upload("dir/big.bin", big)
	upload("dir/sub/a.txt", []byte("alpha"))
	upload("dir/"+xssKey, []byte("x"))
	upload("top.txt", []byte("top"))

	// The upload went through the transfer queue, verified byte counts.
	var ts []Transfer
	e.do("GET", "/api/transfers", nil, &ts)
	var bigT *Transfer
	for i := range ts {
		if strings.HasSuffix(ts[i].Title, "dir/big.bin") {
			bigT = &ts[i]
		}
	}
	if bigT == nil || bigT.State != StateDone || bigT.BytesDone != int64(len(big)) || bigT.BytesTotal != int64(len(big)) || bigT.Op != "upload" {
		t.Fatalf("upload transfer: %+v", bigT)
	}

	// Listing: one level, folders end in /.
	rows, end := e.list("/api/list?" + q("acct", "local", "bucket", bucket, "prefix", ""))
	sort.Strings(rows)
	if strings.Join(rows, ",") != "dir/,top.txt" || !end.End || end.Count != 2 {
		t.Fatalf("list /: %v %+v", rows, end)
	}
	rows, _ = e.list("/api/list?" + q("acct", "local", "bucket", bucket, "prefix", "dir/"))
	if !contains(rows, xssKey) || !contains(rows, "big.bin") || !contains(rows, "sub/") {
		t.Fatalf("list dir/: %v", rows)
	}
	// The HTML key is JSON data (escaped), never markup.
	_, raw, h := e.get("/api/list?" + q("acct", "local", "bucket", bucket, "prefix", "dir/"))
	if bytes.Contains(raw, []byte("<img")) || !bytes.Contains(raw, []byte(`\u003cimg src=x onerror=alert(1)\u003e`)) || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("listing of an HTML key: %s (%s)", raw, h.Get("Content-Type"))
	}
	// ... and in errors about it.
	var errOut map[string]apiErr
	st := e.do("GET", "/api/object?"+q("acct", "local", "bucket", bucket, "key", "dir/"+xssKey+"-missing"), nil, &errOut)
	if st != http.StatusNotFound || errOut["error"].Kind != "not found" {
		t.Errorf("missing object: %d %+v", st, errOut)
	}

	// Search: all levels, case-insensitive.
	rows, _ = e.list("/api/search?" + q("acct", "local", "bucket", bucket, "prefix", "", "q", "A.TXT"))
	if strings.Join(rows, ",") != "dir/sub/a.txt" {
		t.Errorf("search: %v", rows)
	}

	// Download: the same bytes, as an attachment.
	st, got, h := e.get("/api/download?" + q("acct", "local", "bucket", bucket, "key", "dir/big.bin"))
	if st != 200 || !bytes.Equal(got, big) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d, %d bytes, %v", st, len(got), h)
	}
	// A folder as a zip.
	st, zb, h := e.get("/api/zip?" + q("acct", "local", "bucket", bucket, "prefix", "", "key", "dir/"))
	if st != 200 || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %v", st, h)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if !bytes.Equal(files["dir/big.bin"], big) || string(files["dir/sub/a.txt"]) != "alpha" || len(files) != 3 {
		t.Errorf("zip entries: %d", len(files))
	}

	// Properties, then metadata edited in place.
	var info map[string]any
	e.do("GET", "/api/object?"+q("acct", "local", "bucket", bucket, "key", "top.txt"), nil, &info)
	if info["size"] != float64(3) {
		t.Errorf("properties: %v", info)
	}
	if st := e.do("POST", "/api/metadata", map[string]any{"acct": "local", "bucket": bucket, "key": "top.txt",
		"content_type": "text/x-test", "cache_control": "max-age=60", "metadata": map[string]string{"owner": "ui"}}, &info); st != 200 {
		t.Fatalf("metadata: %d %v", st, info)
	}
	if info["content_type"] != "text/x-test" || info["cache_control"] != "max-age=60" || info["metadata"].(map[string]any)["owner"] != "ui" {
		t.Errorf("metadata after edit: %v", info)
	}
	if _, b, _ := e.get("/api/download?" + q("acct", "local", "bucket", bucket, "key", "top.txt")); string(b) != "top" {
		t.Errorf("content after the metadata edit: %q", b)
	}

	// Presign: the link works without the cookie or credentials.
	var ps presignResult
	if st := e.do("POST", "/api/presign", map[string]any{"acct": "local", "bucket": bucket, "key": "top.txt", "method": "GET", "expires_seconds": 600}, &ps); st != 200 {
		t.Fatalf("presign: %d", st)
	}
	if ps.CredentialsExpire != "" {
		t.Errorf("static keys do not expire: %+v", ps)
	}
	res, err := http.Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(pb) != "top" {
		t.Errorf("presigned GET: %d %q", res.StatusCode, pb)
	}
	if st := e.do("POST", "/api/presign", map[string]any{"acct": "local", "bucket": bucket, "key": "top.txt", "method": "GET", "expires_seconds": 8 * 86400}, &errOut); st != 400 || errOut["error"].Field != "expires" {
		t.Errorf("presign for 8 days: %d %v", st, errOut)
	}

	// New folder.
	var mk map[string]string
	if st := e.do("POST", "/api/mkdir", map[string]any{"acct": "local", "bucket": bucket, "prefix": "dir/", "name": "new"}, &mk); st != 201 || mk["key"] != "dir/new/" {
		t.Fatalf("mkdir: %d %v", st, mk)
	}

	// Rename a folder (server-side copies, then deletes), an object, and
	// copy to another bucket.
	var started map[string]string
	run := func(body map[string]any) Transfer {
		t.Helper()
		if st := e.do("POST", "/api/copy", body, &started); st != http.StatusAccepted {
			t.Fatalf("copy %v: %d %v", body, st, started)
		}
		return e.waitTransfer(started["transfer"])
	}
	if tr := run(map[string]any{"acct": "local", "bucket": bucket, "keys": []string{"dir/"}, "move": true, "to": "moved/"}); tr.State != StateDone || tr.Op != "rename" {
		t.Fatalf("rename folder: %+v", tr)
	}
	rows, _ = e.list("/api/search?" + q("acct", "local", "bucket", bucket, "prefix", "", "q", "/"))
	sort.Strings(rows)
	if strings.Join(rows, ",") != "moved/"+xssKey+",moved/big.bin,moved/new/,moved/sub/a.txt" {
		t.Errorf("after the folder rename: %v", rows)
	}
	if tr := run(map[string]any{"acct": "local", "bucket": bucket, "keys": []string{"top.txt"}, "move": true, "to": "renamed.txt"}); tr.State != StateDone {
		t.Fatalf("rename object: %+v", tr)
	}
	if tr := run(map[string]any{"acct": "local", "bucket": bucket, "keys": []string{"renamed.txt", "moved/sub/"}, "dst_bucket": other, "dst_prefix": "copies/"}); tr.State != StateDone || tr.ObjectsDone != 2 {
		t.Fatalf("copy to another bucket: %+v", tr)
	}
	rows, _ = e.list("/api/search?" + q("acct", "local", "bucket", other, "prefix", "copies/", "q", "t"))
	sort.Strings(rows)
	if strings.Join(rows, ",") != "renamed.txt,sub/a.txt" {
		t.Errorf("copies: %v", rows)
	}
	var errBody map[string]apiErr
	if st := e.do("POST", "/api/copy", map[string]any{"acct": "local", "bucket": bucket, "keys": []string{"moved/"}, "move": true, "dst_prefix": "moved/x/"}, &errBody); st != 400 {
		t.Errorf("move into itself: %d %v", st, errBody)
	}

	// Delete a folder and an object, batched, as a queue item.
	if st := e.do("POST", "/api/delete", map[string]any{"acct": "local", "bucket": bucket, "keys": []string{"moved/", "renamed.txt"}}, &started); st != http.StatusAccepted {
		t.Fatalf("delete: %d", st)
	}
	if tr := e.waitTransfer(started["transfer"]); tr.State != StateDone || tr.Failed != 0 {
		t.Fatalf("delete: %+v", tr)
	}
	if rows, _ := e.list("/api/search?" + q("acct", "local", "bucket", bucket, "prefix", "", "q", "e")); len(rows) != 0 {
		t.Errorf("left after delete: %v", rows)
	}

	// Clear the finished transfers.
	e.do("POST", "/api/transfers/clear", nil, nil)
	e.do("GET", "/api/transfers", nil, &ts)
	if len(ts) != 0 {
		t.Errorf("transfers after clear: %v", ts)
	}

	// Nothing the page received holds the secret key.
	for n := len(e.events); n > 0; n-- {
		ev := <-e.events
		if strings.Contains(string(ev.Data.(json.RawMessage)), m.SecretKey) {
			t.Errorf("event %s holds the secret key", ev.Type)
		}
	}
}

// TestBigListingStreams: a listing arrives in chunks while S3's pages come
// in, folders and objects in order, with a count at the end.
func TestBigListingStreams(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	cl := m.Client(t)
	const n = 2600
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			_, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("many/" + strings.Repeat("k", 3) + itoa(int64(100000+i))), Body: strings.NewReader("")})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	e := startUI(t)
	e.addKeysAccount("local", m)
	st, raw, _ := e.get("/api/list?" + q("acct", "local", "bucket", bucket, "prefix", "many/"))
	if st != 200 {
		t.Fatal(st)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	total := 0
	for _, l := range lines[:len(lines)-1] {
		var c listChunk
		if err := json.Unmarshal(l, &c); err != nil || len(c.Rows) == 0 || len(c.Rows) > rowsPerChunk {
			t.Fatalf("chunk %q: %v", l[:min(len(l), 80)], err)
		}
		total += len(c.Rows)
	}
	var last listChunk
	json.Unmarshal(lines[len(lines)-1], &last)
	if total != n || !last.End || last.Count != n || len(lines) < 4 {
		t.Errorf("streamed %d rows in %d lines, end %+v", total, len(lines), last)
	}
}

// TestAccountDialogValidation: the dialog's input is checked as the CLI
// checks its flags, and errors name the field.
func TestAccountDialogValidation(t *testing.T) {
	e := startUI(t)
	cases := []struct {
		form  map[string]any
		field string
	}{
		{map[string]any{"name": "bad name", "type": "sso"}, "name"},
		{map[string]any{"name": "w", "type": "sso", "settings": map[string]any{"start-url": "http://x", "sso-region": "us-east-1"}}, "start-url"},
		{map[string]any{"name": "w", "type": "sso", "settings": map[string]any{"start-url": "https://d-1.awsapps.com/start", "sso-region": "moon"}}, "sso-region"},
		{map[string]any{"name": "w", "type": "sso", "settings": map[string]any{"start-url": "https://d-1.awsapps.com/start", "sso-region": "us-east-1", "account-id": "12"}}, "account-id"},
		{map[string]any{"name": "w", "type": "oidc", "settings": map[string]any{"issuer": "ftp://x", "client-id": "c"}}, "issuer"},
		{map[string]any{"name": "w", "type": "oidc", "settings": map[string]any{"issuer": "https://x", "client-id": "c", "role-arn": "nope"}}, "role-arn"},
		{map[string]any{"name": "w", "type": "keys", "settings": map[string]any{"access-key-id": "AK"}}, "secret-access-key"},
		{map[string]any{"name": "w", "type": "keys", "settings": map[string]any{"access-key-id": "AK", "secret-access-key": "s", "external-bucket": "Bad_Bucket"}}, "external-bucket"},
		{map[string]any{"name": "w", "type": "keys", "settings": map[string]any{"access-key-id": "AK", "secret-access-key": "s", "endpoint-url": "nope"}}, "endpoint-url"},
		{map[string]any{"name": "w", "type": "profile", "settings": map[string]any{}}, "profile"},
	}
	for _, c := range cases {
		var out map[string]apiErr
		if st := e.do("POST", "/api/accounts", c.form, &out); st != http.StatusBadRequest || out["error"].Field != c.field {
			t.Errorf("%v: %d %+v, want field %s", c.form, st, out, c.field)
		}
	}
	// A good one with advanced settings, then edited; a duplicate name.
	good := map[string]any{"name": "work", "type": "sso", "settings": map[string]any{"start-url": "https://d-1234567890.awsapps.com/start",
		"sso-region": "eu-west-1", "dual-stack": true, "list-all-buckets": false, "check-cloudfront": true, "external-bucket": "reports/2024\nlogs\n"}}
	if st := e.do("POST", "/api/accounts", good, nil); st != http.StatusCreated {
		t.Fatalf("add: %d", st)
	}
	var out map[string]apiErr
	if st := e.do("POST", "/api/accounts", good, &out); st != http.StatusConflict || out["error"].Field != "name" {
		t.Errorf("duplicate: %d %+v", st, out)
	}
	var accts accountList
	e.do("GET", "/api/accounts", nil, &accts)
	a := accts.Accounts[0]
	if a.State != "needs sign-in" || !a.CanSignIn || a.Settings.ListAllBuckets || !a.Settings.DualStack || a.Settings.ExternalBuckets != "reports/2024\nlogs" {
		t.Errorf("saved: %+v %+v", a, a.Settings)
	}
	edit := map[string]any{"settings": map[string]any{"start-url": "https://d-1234567890.awsapps.com/start", "sso-region": "eu-west-1",
		"role-name": "ReadOnly", "list-all-buckets": true}}
	if st := e.do("PUT", "/api/accounts/work", edit, nil); st != 200 {
		t.Fatalf("edit: %d", st)
	}
	e.do("GET", "/api/accounts", nil, &accts)
	if s := accts.Accounts[0].Settings; s.RoleName != "ReadOnly" || !s.ListAllBuckets || s.DualStack || s.ExternalBuckets != "" {
		t.Errorf("edited: %+v", s)
	}
	if st := e.do("DELETE", "/api/accounts/work", nil, nil); st != 200 {
		t.Errorf("delete: %d", st)
	}
	e.do("GET", "/api/accounts", nil, &accts)
	if len(accts.Accounts) != 0 {
		t.Errorf("after delete: %+v", accts.Accounts)
	}
}

// TestCopyBetweenAccounts: a copy to another account streams each object
// from one session's store into the other's (read verified, written by the
// transfer engine); a move then deletes the sources.
func TestCopyBetweenAccounts(t *testing.T) {
	m := testenv.SharedMinIO(t)
	src, dst := m.NewBucket(t), m.NewBucket(t)
	cl := m.Client(t)
	body := make([]byte, 3<<20+7)
	rand.Read(body)
	for k, b := range map[string][]byte{"a/one.bin": body, "a/sub/two.txt": []byte("two"), "solo.txt": []byte("solo")} {
		if _, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String(k), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	e := startUI(t)
	e.addKeysAccount("first", m)
	e.addKeysAccount("second", m)
	var started map[string]string
	if st := e.do("POST", "/api/copy", map[string]any{"acct": "first", "bucket": src, "keys": []string{"a/", "solo.txt"},
		"dst_acct": "second", "dst_bucket": dst, "dst_prefix": "in/"}, &started); st != http.StatusAccepted {
		t.Fatalf("copy: %d", st)
	}
	if tr := e.waitTransfer(started["transfer"]); tr.State != StateDone || tr.ObjectsDone != 3 || tr.BytesDone != int64(len(body))+7 {
		t.Fatalf("copy between accounts: %+v", tr)
	}
	if _, b, _ := e.get("/api/download?" + q("acct", "second", "bucket", dst, "key", "in/a/one.bin")); !bytes.Equal(b, body) {
		t.Errorf("copied bytes differ (%d)", len(b))
	}
	rows, _ := e.list("/api/search?" + q("acct", "second", "bucket", dst, "prefix", "in/", "q", "o"))
	sort.Strings(rows)
	if strings.Join(rows, ",") != "a/one.bin,a/sub/two.txt,solo.txt" {
		t.Errorf("copied: %v", rows)
	}
	if st := e.do("POST", "/api/copy", map[string]any{"acct": "first", "bucket": src, "keys": []string{"solo.txt"}, "move": true,
		"dst_acct": "second", "dst_bucket": dst, "dst_prefix": "moved/"}, &started); st != http.StatusAccepted {
		t.Fatalf("move: %d", st)
	}
	if tr := e.waitTransfer(started["transfer"]); tr.State != StateDone {
		t.Fatalf("move between accounts: %+v", tr)
	}
	if rows, _ := e.list("/api/list?" + q("acct", "first", "bucket", src, "prefix", "")); contains(rows, "solo.txt") {
		t.Errorf("the moved source is still there: %v", rows)
	}
}
