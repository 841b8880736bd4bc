package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

func TestRmSingleRecursiveWildcardDryRun(t *testing.T) {
	e := setup(t)
	e.put("one", []byte("1"))
	e.ok("rm", e.url("one"))
	if e.exists("one") {
		t.Fatal("rm did not delete")
	}
	e.fails(4, "does not exist", "rm", e.url("one"))

	e.put("p/a", []byte("a"))
	e.put("p/b.tmp", []byte("b"))
	e.put("p/q/c.tmp", []byte("c"))
	e.put("pp", []byte("not under p/"))
	r := e.ok("rm", "-r", "--dry-run", e.url("p"))
	if strings.Count(r.Stdout, "(dry run) delete:") != 3 || len(e.keys("p/")) != 3 {
		t.Fatalf("dry run:\n%s\nkeys %v", r.Stdout, e.keys("p/"))
	}
	e.ok("rm", e.url("p/*.tmp"))
	if got := strings.Join(e.keys("p"), ","); got != "p/a,pp" {
		t.Fatalf("after wildcard rm: %s", got)
	}
	e.ok("rm", "-r", e.url("p"))
	if got := strings.Join(e.keys("p"), ","); got != "pp" {
		t.Fatalf("rm -r s3://b/p deleted outside p/: left %s", got)
	}
	e.fails(2, "that is a whole bucket", "rm", "s3://"+e.bucket)
}

func TestRmRecursiveBatchesOver1000(t *testing.T) {
	e := setup(t)
	var g errgroup.Group
	g.SetLimit(32)
	for i := range 1203 {
		g.Go(func() error { e.put(fmt.Sprintf("many/%05d", i), []byte("x")); return nil })
	}
	_ = g.Wait()
	r := e.ok("rm", "-r", "--json", e.url("many/"))
	if n := strings.Count(r.Stdout, `"operation":"delete"`); n != 1203 {
		t.Fatalf("reported %d deletes, want 1203", n)
	}
	if left := e.keys("many/"); len(left) != 0 {
		t.Fatalf("%d objects left", len(left))
	}
}

func TestSyncUploadDefaultDeleteDryRun(t *testing.T) {
	e := setup(t)
	dir := filepath.Join(e.home, "site")
	e.file("site/index.html", []byte("<h1>v1</h1>"))
	e.file("site/css/app.css", []byte("body{}"))
	e.ok("sync", dir, e.url("site/"))
	if got := strings.Join(e.keys("site/"), ","); got != "site/css/app.css,site/index.html" {
		t.Fatalf("keys after first sync: %s", got)
	}
	// Nothing changed: nothing transferred.
	if r := e.ok("sync", dir, e.url("site/")); strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("second sync transferred:\n%s", r.Stdout)
	}
	// A changed size is uploaded; an extra remote object is deleted only with --delete.
	e.file("site/index.html", []byte("<h1>version 2</h1>"))
	e.put("site/stale.txt", []byte("old"))
	r := e.ok("sync", dir, e.url("site/"))
	if !strings.Contains(r.Stdout, "upload: "+filepath.Join(dir, "index.html")) || strings.Contains(r.Stdout, "app.css") {
		t.Fatalf("sync after change:\n%s", r.Stdout)
	}
	if !e.exists("site/stale.txt") {
		t.Fatal("stale.txt deleted without --delete")
	}
	r = e.ok("sync", "--delete", "--dry-run", dir, e.url("site/"))
	if !strings.Contains(r.Stdout, "(dry run) delete: "+e.url("site/stale.txt")) || !e.exists("site/stale.txt") {
		t.Fatalf("dry run --delete:\n%s", r.Stdout)
	}
	e.ok("sync", "--delete", dir, e.url("site/"))
	if e.exists("site/stale.txt") {
		t.Fatal("--delete left stale.txt")
	}
}

func TestSyncDownloadThenNothingToDo(t *testing.T) {
	e := setup(t)
	e.put("bk/a", []byte("a"))
	e.put("bk/d/b", []byte("b"))
	out := filepath.Join(e.home, "restore")
	e.ok("sync", e.url("bk/"), out)
	if string(readFile(t, filepath.Join(out, "d", "b"))) != "b" {
		t.Fatal("not downloaded")
	}
	if r := e.ok("sync", e.url("bk/"), out); strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("second download sync transferred:\n%s", r.Stdout)
	}
	e.file("restore/extra", []byte("x"))
	e.ok("sync", "--delete", e.url("bk/"), out)
	if _, err := os.Stat(filepath.Join(out, "extra")); err == nil {
		t.Fatal("--delete kept a local file that is not in the source")
	}
}

func TestSyncChecksumSeesSameSizeChange(t *testing.T) {
	e := setup(t)
	p := e.file("cs/f", []byte("aaaa"))
	e.ok("sync", filepath.Join(e.home, "cs"), e.url("cs/"))
	// Same size, older mtime: the default comparison misses the change...
	if err := os.WriteFile(p, []byte("bbbb"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if r := e.ok("sync", filepath.Join(e.home, "cs"), e.url("cs/")); strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("default sync should not see a same-size older file:\n%s", r.Stdout)
	}
	// ...and --checksum finds it.
	r := e.ok("sync", "--checksum", filepath.Join(e.home, "cs"), e.url("cs/"))
	if !strings.Contains(r.Stdout, "upload:") || string(e.get("cs/f")) != "bbbb" {
		t.Fatalf("--checksum did not upload the changed content:\n%s", r.Stdout)
	}
	if r := e.ok("sync", "--checksum", filepath.Join(e.home, "cs"), e.url("cs/")); strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("--checksum re-uploaded identical content:\n%s", r.Stdout)
	}
}

func TestSyncChecksumMultipartETag(t *testing.T) {
	e := setup(t)
	body := randomBytes(t, 11<<20)
	e.file("mp/big", body)
	e.ok("sync", "--part-size", "5MiB", filepath.Join(e.home, "mp"), e.url("mp/"))
	if r := e.ok("sync", "--checksum", filepath.Join(e.home, "mp"), e.url("mp/")); strings.TrimSpace(r.Stdout) != "" {
		t.Fatalf("--checksum does not recognise an identical multipart object:\n%s", r.Stdout)
	}
}

func TestSyncS3ToS3(t *testing.T) {
	e := setup(t)
	e.put("a/1", []byte("1"))
	e.put("a/2/3", []byte("3"))
	e.ok("sync", e.url("a/"), e.url("b/"))
	if got := strings.Join(e.keys("b/"), ","); got != "b/1,b/2/3" {
		t.Fatalf("keys = %s", got)
	}
	_ = context.Background()
}
