package transfer

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/s3sso/s3sso/internal/objstore"
)

// trickyNames sort differently by full path than by WalkDir's per-directory
// name order: '-', '.' and ' ' sort before '/', '0' and 'b' after it.
var trickyNames = []string{"a-b", "a/b", "a/b-c", "a/b/c", "a.b", "a0", "a b", "ab", "a~", "a/z", "é", "z"}

func writeTree(t *testing.T, root string, names []string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The tree's files as "a/b" (a directory) and "a/b-c" cannot both hold "a/b"
// as a file; trickyTree is trickyNames without the file "a/b".
func trickyTree() []string {
	return slices.DeleteFunc(slices.Clone(trickyNames), func(s string) bool { return s == "a/b" })
}

// TestWalkSortedByteOrder proves that local trees are walked in byte order
// of the relative path (S3's listing order), which filepath.WalkDir's
// order is not.
func TestWalkSortedByteOrder(t *testing.T) {
	root := t.TempDir()
	names := trickyTree()
	writeTree(t, root, names)
	var got []string
	if err := walkSorted(root, func(rel, p string, _ fs.DirEntry, _ error) error {
		if p != filepath.Join(root, filepath.FromSlash(rel)) {
			t.Errorf("path %q for %q", p, rel)
		}
		got = append(got, rel)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("walkSorted order\n got %q\nwant %q", got, want)
	}
	var walkDir []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			walkDir = append(walkDir, filepath.ToSlash(rel))
		}
		return nil
	})
	if slices.Equal(walkDir, want) {
		t.Fatalf("the tree does not tell the orders apart (WalkDir order %q)", walkDir)
	}
	var expanded []string
	for en, err := range expandLocal(root, true, false) {
		if err != nil {
			t.Fatal(err)
		}
		expanded = append(expanded, en.Rel)
	}
	if !slices.Equal(expanded, want) {
		t.Fatalf("expandLocal order\n got %q\nwant %q", expanded, want)
	}
}

// runSync plans a sync and runs every action in turn, returning them as
// "op rel" strings (rel relative to the base of src or, for deletes, dst).
func runSync(t *testing.T, e *Engine, src, dst Location, so SyncOptions) []string {
	t.Helper()
	ctx := context.Background()
	var done []string
	for act, err := range e.Sync(ctx, src, dst, so) {
		if err != nil {
			t.Fatalf("sync %s %s: %v", src, dst, err)
		}
		if err := act.Run(ctx); err != nil {
			t.Fatalf("sync %s %s: %s %s: %v", src, dst, act.Op, act.Src, err)
		}
		base := src
		if act.Op == "delete" {
			base = dst
		}
		done = append(done, act.Op+" "+relTo(base, act.Src))
	}
	return done
}

func relTo(l Location, s string) string {
	if l.S3 != nil {
		return strings.TrimPrefix(s, l.S3.String())
	}
	r, _ := filepath.Rel(l.Local, s)
	return filepath.ToSlash(r)
}

func prefixed(op string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = op + " " + n
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestSyncTrickyNamesBothWays syncs a tree whose names sort differently by
// directory and by full path up to MinIO and back down, with --delete: every
// file is transferred exactly once, a second run does nothing, and only the
// extra entries are deleted.
func TestSyncTrickyNamesBothWays(t *testing.T) {
	w := newWorld(t)
	e := w.engine(w.m.Endpoint, false)
	names := trickyTree()
	local := t.TempDir()
	writeTree(t, local, names)
	remote, _ := ParseLocation("s3://" + w.bucket + "/t/")
	src := Location{Local: local, Raw: local}
	so := SyncOptions{Delete: true}

	// Extras on the server that sort between the tree's names.
	for _, k := range []string{"t/a-a", "t/a/b-b", "t/a/c", "t/a.c"} {
		w.put(k, []byte("extra"))
	}
	w.put("u/a-b", []byte("outside the prefix"))
	got := runSync(t, e, src, remote, so)
	want := sorted(append(prefixed("upload", names), prefixed("delete", []string{"a-a", "a/b-b", "a/c", "a.c"})...))
	if !slices.Equal(sorted(got), want) {
		t.Fatalf("first upload sync\n got %q\nwant %q", sorted(got), want)
	}
	if again := runSync(t, e, src, remote, so); len(again) != 0 {
		t.Fatalf("second upload sync did %q, want nothing", again)
	}
	if string(w.get("u/a-b")) != "outside the prefix" {
		t.Fatal("an object outside the destination prefix changed")
	}

	// Down into a directory with extras of its own (and a temporary file
	// of an interrupted download, which is not an entry).
	down := t.TempDir()
	writeTree(t, down, []string{"a-a", "a/b/a", "a/b/d", "a.c", "zz/y"})
	if err := os.WriteFile(filepath.Join(down, ".z.s3sso-1.tmp"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := Location{Local: down, Raw: down}
	got = runSync(t, e, remote, dst, so)
	want = sorted(append(prefixed("download", names), prefixed("delete", []string{"a-a", "a/b/a", "a/b/d", "a.c", "zz/y"})...))
	if !slices.Equal(sorted(got), want) {
		t.Fatalf("download sync\n got %q\nwant %q", sorted(got), want)
	}
	if again := runSync(t, e, remote, dst, so); len(again) != 0 {
		t.Fatalf("second download sync did %q, want nothing", again)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(down, filepath.FromSlash(n)))
		if err != nil || string(b) != "content of "+n {
			t.Errorf("%s after the round trip: %q, %v", n, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(down, ".z.s3sso-1.tmp")); err != nil {
		t.Errorf("the temporary file was treated as an entry: %v", err)
	}

	// S3 to S3 with the same names: one copy each.
	other, _ := ParseLocation("s3://" + w.bucket + "/v")
	got = runSync(t, e, remote, other, so)
	if !slices.Equal(sorted(got), prefixed("copy", names)) {
		t.Fatalf("S3 to S3 sync\n got %q\nwant %q", sorted(got), prefixed("copy", names))
	}
	if again := runSync(t, e, remote, other, so); len(again) != 0 {
		t.Fatalf("second S3 to S3 sync did %q, want nothing", again)
	}
}

// listServer is a fake S3 endpoint that lists n keys "k/000000"... in pages
// of 1000, generated on the fly, and counts the pages it has served.
type listServer struct {
	n     int
	pages atomic.Int64
	url   string
}

func newListServer(t *testing.T, n int) *listServer {
	ls := &listServer{n: n}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method != http.MethodGet || q.Get("list-type") != "2" {
			http.Error(w, "only ListObjectsV2", http.StatusNotImplemented)
			return
		}
		start, _ := strconv.Atoi(q.Get("continuation-token"))
		end := min(start+1000, ls.n)
		ls.pages.Add(1)
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>%s</Prefix><MaxKeys>1000</MaxKeys><KeyCount>%d</KeyCount><IsTruncated>%t</IsTruncated>`,
			q.Get("prefix"), end-start, end < ls.n)
		if end < ls.n {
			fmt.Fprintf(&b, "<NextContinuationToken>%d</NextContinuationToken>", end)
		}
		for i := start; i < end; i++ {
			fmt.Fprintf(&b, `<Contents><Key>k/%06d</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>`, i)
		}
		b.WriteString("</ListBucketResult>")
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	ls.url = srv.URL
	return ls
}

// TestSyncMergeStreamsDestination syncs a local directory of three files to
// a destination of 50,000 keys with --delete: every extra key is deleted,
// the three present ones are left alone, and each delete is planned while
// the destination listing is at most one page ahead of it, so the merge
// never holds more than a page of the destination.
func TestSyncMergeStreamsDestination(t *testing.T) {
	const n = 50000
	ls := newListServer(t, n)
	store, err := objstore.NewS3(aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  awshttp.NewBuildableClient()}, objstore.S3Options{EndpointURL: ls.url})
	if err != nil {
		t.Fatal(err)
	}
	e := New(store, Options{})
	local := t.TempDir()
	keep := []int{0, 25000, n - 1}
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, i := range keep {
		p := filepath.Join(local, fmt.Sprintf("%06d", i))
		if err := os.WriteFile(p, []byte("a"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := ParseLocation("s3://bkt/k/")
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	next := 0 // the index the next delete must have
	for act, err := range e.Sync(context.Background(), Location{Local: local, Raw: local}, dst, SyncOptions{Delete: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if act.Op != "delete" {
			t.Fatalf("unexpected %s %s", act.Op, act.Src)
		}
		for slices.Contains(keep, next) {
			next++
		}
		if want := fmt.Sprintf("s3://bkt/k/%06d", next); act.Src != want {
			t.Fatalf("delete #%d is %s, want %s", deleted, act.Src, want)
		}
		if pages, max := ls.pages.Load(), int64(next/1000+1); pages > max {
			t.Fatalf("delete of key %d planned after %d pages were listed, want at most %d", next, pages, max)
		}
		next++
		deleted++
	}
	if want := n - len(keep); deleted != want {
		t.Fatalf("%d deletes, want %d", deleted, want)
	}
	if p := ls.pages.Load(); p != n/1000 {
		t.Fatalf("%d pages listed, want %d", p, n/1000)
	}
}
