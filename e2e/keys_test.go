package e2e

// Tests of object keys and wildcards (issue 14, "nothing deleted that was
// not named"): only * is a wildcard, --raw makes it an ordinary character,
// every key can be named exactly by every command, and text output never
// lets a key split a line.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// keySet returns the bucket's keys, sorted.
func (e *env) keySet() []string {
	e.t.Helper()
	k := e.keys("")
	slices.Sort(k)
	return k
}

func (e *env) wantKeys(why string, want ...string) {
	e.t.Helper()
	slices.Sort(want)
	if got := e.keySet(); !slices.Equal(got, want) {
		e.t.Fatalf("%s: keys %q, want %q", why, got, want)
	}
}

// TestRmOnlyStarIsAWildcard is the report of issue 14 as written: rm
// 's3://B/x?z' deleted x?z and xyz, and rm 's3://B/x[1].txt' deleted x1.txt
// and left x[1].txt, exiting 0.
func TestRmOnlyStarIsAWildcard(t *testing.T) {
	e := setup(t)
	for _, k := range []string{"x?z", "xyz", "x[1].txt", "x1.txt", "a*b", "a-b"} {
		e.put(k, []byte(k))
	}
	e.ok("rm", e.url("x?z"))
	e.wantKeys("after rm x?z", "xyz", "x[1].txt", "x1.txt", "a*b", "a-b")
	e.ok("rm", e.url("x[1].txt"))
	e.wantKeys("after rm x[1].txt", "xyz", "x1.txt", "a*b", "a-b")
	// A missing key is an error, and nothing else is deleted in its place.
	e.fails(4, "does not exist", "rm", e.url("x?z"))
	e.fails(4, "does not exist", "rm", e.url("x[1].txt"))
	e.wantKeys("after rm of missing keys", "xyz", "x1.txt", "a*b", "a-b")

	// * is the wildcard: --dry-run shows its matches and deletes nothing.
	r := e.ok("rm", "--dry-run", e.url("a*b"))
	if got := strings.Count(r.Stdout, "(dry run) delete:"); got != 2 || !strings.Contains(r.Stdout, e.url("a*b")+"\n") || !strings.Contains(r.Stdout, e.url("a-b")+"\n") {
		t.Fatalf("rm --dry-run a*b: want a*b and a-b\n%s", r)
	}
	e.wantKeys("after rm --dry-run", "xyz", "x1.txt", "a*b", "a-b")
	// --raw names the key with a * itself.
	r = e.ok("rm", "--raw", "--dry-run", e.url("a*b"))
	if got := strings.Count(r.Stdout, "(dry run) delete:"); got != 1 {
		t.Fatalf("rm --raw --dry-run a*b: want one line\n%s", r)
	}
	e.ok("rm", "--raw", e.url("a*b"))
	e.wantKeys("after rm --raw a*b", "xyz", "x1.txt", "a-b")
	e.ok("rm", e.url("x*"))
	e.wantKeys("after rm x*", "a-b")
}

// TestCatAndCpKeyWithQueryCharacters: cat of a key with ?, &, = and # said
// "cat takes one object", and cp of it to a file name created a directory.
func TestCatAndCpKeyWithQueryCharacters(t *testing.T) {
	e := setup(t)
	const key = "q?x=1&y#frag.txt"
	e.put(key, []byte("query-like key\n"))
	if r := e.ok("cat", e.url(key)); r.Stdout != "query-like key\n" {
		t.Fatalf("cat = %q", r.Stdout)
	}
	dst := filepath.Join(e.home, "qdl.txt")
	e.ok("cp", e.url(key), dst)
	fi, err := os.Stat(dst)
	if err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("cp %s %s: want a file, got %v, %v", key, dst, fi, err)
	}
	if got := string(readFile(t, dst)); got != "query-like key\n" {
		t.Fatalf("downloaded %q", got)
	}
}

// trickyKeys are keys with every kind of character a URL, a glob, XML or
// a shell treats specially (several to a key: each key costs a dozen runs
// of the binary), and trickyDecoys the keys a glob or a decoding slip would
// reach instead.
var trickyKeys = []string{
	"x?z", "x[1].txt", "star*key", "q?x=1&y#frag.txt",
	"100%.txt %2F%41 +plus=eq;semi,comma'quote~^|{brace}(p)!$@ a]b[",
	"ünï/cødé ✓/x?z/inner[0].txt", "ctl\x01\x1b[1m\ttab\nnewline", `back\slash "quoted" <xml>&amp;`,
}

var trickyDecoys = []string{"xyz", "x1.txt", "star-and-key", "a", "100%.txt", "ünï/cødé ✓/xyz/inner0.txt"}

// TestEveryKeyByEveryCommand names each tricky key with stat, cat, ls, cp
// (up, down, S3 to S3), presign, mv and rm, and checks that each command
// acts on that key alone.
func TestEveryKeyByEveryCommand(t *testing.T) {
	e := setup(t)
	for _, k := range trickyDecoys {
		e.put(k, []byte("decoy "+k))
	}
	all := slices.Clone(trickyDecoys)
	for i, key := range trickyKeys {
		// args puts --raw after the command name for keys with a *.
		args := func(a ...string) []string {
			if strings.Contains(key, "*") {
				return append([]string{a[0], "--raw"}, a[1:]...)
			}
			return a
		}
		body := "content of " + key
		u := e.url(key)
		src := e.file(filepath.Join("src", "f"), []byte(body))

		e.ok(args("cp", src, u)...)
		all = append(all, key)
		e.wantKeys("after uploading "+key, all...)
		if got := string(e.get(key)); got != body {
			t.Fatalf("uploaded %q as %q", key, got)
		}

		var info struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
		}
		r := e.ok(args("stat", "--json", u)...)
		if err := json.Unmarshal([]byte(r.Stdout), &info); err != nil || info.Key != key || info.Size != int64(len(body)) {
			t.Fatalf("stat %s: %+v %v\n%s", key, info, err, r)
		}
		if r := e.ok(args("cat", u)...); r.Stdout != body {
			t.Fatalf("cat %s = %q", key, r.Stdout)
		}
		r = e.ok(args("ls", "--json", u)...)
		if !strings.Contains(r.Stdout, `"key":`+jsonString(t, key)+`,`) {
			t.Fatalf("ls %s does not list it:\n%s", key, r)
		}

		dl := filepath.Join(e.home, "dl", "file")
		e.ok(args("cp", u, dl)...)
		if got := string(readFile(t, dl)); got != body {
			t.Fatalf("downloaded %s as %q", key, got)
		}
		e.ok(args("cp", u, e.url("copy"))...)
		if got := string(e.get("copy")); got != body {
			t.Fatalf("copied %s as %q", key, got)
		}
		if i == 0 {
			all = append(all, "copy")
		}

		r = e.ok(args("presign", u)...)
		resp, err := http.Get(strings.TrimSpace(r.Stdout))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != body {
			t.Fatalf("presigned GET of %s: %d %q", key, resp.StatusCode, got)
		}

		moved := e.url("moved/" + string(rune('a'+i)))
		e.ok(args("mv", u, moved)...)
		e.ok(args("mv", moved, u)...)
		e.wantKeys("after mv of "+key+" and back", all...)

		r = e.ok(args("rm", "--dry-run", u)...)
		if strings.Count(r.Stdout, "\n") != 1 || !strings.Contains(r.Stdout, u) && !strings.Contains(r.Stdout, strconv.Quote(u)) {
			t.Fatalf("rm --dry-run %s: want one line naming it\n%s", key, r)
		}
		e.ok(args("rm", u)...)
		all = slices.DeleteFunc(all, func(k string) bool { return k == key })
		e.wantKeys("after rm "+key, all...)
	}
	e.wantKeys("in the end", append(trickyDecoys, "copy")...)
}

func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStarNeedsRawWhereOneObjectIsMeant: a * where one object or a
// destination is meant is refused (exit 2) with a hint to --raw, and
// changes nothing.
func TestStarNeedsRawWhereOneObjectIsMeant(t *testing.T) {
	e := setup(t)
	e.put("a*b", []byte("star"))
	e.put("a-b", []byte("dash"))
	src := e.file("f", []byte("f"))
	for _, args := range [][]string{
		{"cat", e.url("a*b")},
		{"stat", e.url("a*b")},
		{"presign", e.url("a*b")},
		{"cp", e.url("a*b"), "-"},
		{"cp", src, e.url("new*")},
		{"sync", filepath.Dir(src), e.url("new*/")},
	} {
		r := e.fails(2, "*", args...)
		if !strings.Contains(r.Stderr, "--raw") {
			t.Errorf("s3sso %s: no hint to --raw\n%s", strings.Join(args, " "), r)
		}
	}
	e.wantKeys("after refused commands", "a*b", "a-b")
	if r := e.ok("cat", "--raw", e.url("a*b")); r.Stdout != "star" {
		t.Fatalf("cat --raw = %q", r.Stdout)
	}
}

// TestSyncPrefixesAreLiteral: a sync source with ? and [ was refused as a
// wildcard; it is a prefix, and only what is under it is copied.
func TestSyncPrefixesAreLiteral(t *testing.T) {
	e := setup(t)
	for _, k := range []string{"s?p[1]/a", "s?p[1]/b", "sxp1/decoy", "st*r/c", "stXr/decoy"} {
		e.put(k, []byte(k))
	}
	dir := filepath.Join(e.home, "sync1")
	e.ok("sync", e.url("s?p[1]/"), dir)
	dir2 := filepath.Join(e.home, "sync2")
	e.fails(2, "wildcard", "sync", e.url("st*r/"), dir2)
	e.ok("sync", "--raw", e.url("st*r/"), dir2)
	for d, want := range map[string][]string{dir: {"a", "b"}, dir2: {"c"}} {
		var got []string
		entries, _ := os.ReadDir(d)
		for _, en := range entries {
			got = append(got, en.Name())
		}
		if !slices.Equal(got, want) {
			t.Errorf("synced into %s: %q, want %q", d, got, want)
		}
	}
	// Up again under a prefix with the same characters.
	e.ok("sync", dir, e.url("up?[x]/"))
	e.wantKeys("after sync up", "s?p[1]/a", "s?p[1]/b", "sxp1/decoy", "st*r/c", "stXr/decoy", "up?[x]/a", "up?[x]/b")
}

// TestLocalPathsOnlyStarIsAWildcard: a local source x[1].txt that does not
// exist matched x1.txt through filepath.Glob, and mv then deleted x1.txt.
func TestLocalPathsOnlyStarIsAWildcard(t *testing.T) {
	e := setup(t)
	decoy := e.file("loc/x1.txt", []byte("decoy"))
	dir := filepath.Dir(decoy)
	e.fails(4, "x[1].txt", "mv", filepath.Join(dir, "x[1].txt"), e.url("up/"))
	e.fails(4, "x?.txt", "mv", filepath.Join(dir, "x?.txt"), e.url("up/"))
	if _, err := os.Stat(decoy); err != nil {
		t.Fatalf("the decoy is gone: %v", err)
	}
	e.wantKeys("after refused uploads")
	// * still matches local files, and --raw takes it literally.
	e.ok("cp", filepath.Join(dir, "x*"), e.url("up/"))
	e.wantKeys("after cp x*", "up/x1.txt")
	e.fails(4, "x*", "cp", "--raw", filepath.Join(dir, "x*"), e.url("raw/"))
	star := e.file("loc/s*r", []byte("star"))
	e.ok("mv", "--raw", star, e.url("raw/"))
	e.wantKeys("after mv --raw", "up/x1.txt", "raw/s*r")
	if _, err := os.Stat(decoy); err != nil {
		t.Fatalf("the decoy is gone: %v", err)
	}
}

// TestLsEscapesControlCharacters: a key with a newline split the ls line in
// two. Text output quotes such names Go-style; --json keeps them as they are.
func TestLsEscapesControlCharacters(t *testing.T) {
	e := setup(t)
	keys := []string{"nl\nkey", "tab\tkey", "esc\x1b[31mred", `"quoted`, "plain ü"}
	for _, k := range keys {
		e.put("c/"+k, []byte("x"))
	}
	for _, args := range [][]string{{"ls", e.url("c/")}, {"ls", "-r", e.url("c/")}, {"ls", e.url("c/*")}} {
		r := e.ok(args...)
		if n := strings.Count(r.Stdout, "\n"); n != len(keys) {
			t.Fatalf("s3sso %s: %d lines for %d keys:\n%s", strings.Join(args, " "), n, len(keys), r.Stdout)
		}
		dir := "" // -r shows full keys, else names relative to c/
		if args[1] == "-r" {
			dir = "c/"
		}
		for _, want := range []string{`"` + dir + `nl\nkey"`, `"` + dir + `tab\tkey"`, `"` + dir + `esc\x1b[31mred"`, " " + dir + "plain ü\n"} {
			if !strings.Contains(r.Stdout, want) {
				t.Errorf("s3sso %s: %s not shown\n%s", strings.Join(args, " "), want, r.Stdout)
			}
		}
		if q := `"\"quoted"`; dir == "" && !strings.Contains(r.Stdout, q) || dir != "" && !strings.Contains(r.Stdout, ` c/"quoted`) {
			t.Errorf("s3sso %s: the key starting with a quote is not shown unambiguously\n%s", strings.Join(args, " "), r.Stdout)
		}
		if strings.Contains(r.Stdout, "\x1b") || strings.Contains(r.Stdout, "\t") {
			t.Errorf("s3sso %s: a control character reached the output:\n%q", strings.Join(args, " "), r.Stdout)
		}
	}
	r := e.ok("ls", "--json", "-r", e.url("c/"))
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		var m struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		got = append(got, strings.TrimPrefix(m.Key, "c/"))
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("--json keys %q, want %q", got, want)
	}
	// The transfer lines of rm (and cp, mv, sync) are quoted the same way.
	r = e.ok("rm", e.url("c/nl\nkey"))
	if r.Stdout != "delete: \""+e.url(`c/nl\nkey`)+"\"\n" {
		t.Fatalf("rm of a key with a newline printed %q", r.Stdout)
	}
	// rm -r deletes the rest in a DeleteObjects request, whose XML body
	// cannot carry "\x1b": that key must not be reported deleted and left.
	r = e.ok("rm", "-r", e.url("c/"))
	if n := strings.Count(r.Stdout, "\n"); n != len(keys)-1 {
		t.Fatalf("rm -r reported %d deletions, want %d:\n%s", n, len(keys)-1, r.Stdout)
	}
	e.wantKeys("after rm -r")
}

// TestKeyTooLongIsTheServersRefusal: a key over 1024 bytes, which the
// server refuses (KeyTooLongError), was reported as a usage error (exit 2).
// It is the server's answer: exit 1, in the server's words.
func TestKeyTooLongIsTheServersRefusal(t *testing.T) {
	e := setup(t)
	long := strings.Repeat("k", 1025)
	r := e.run("cp", e.file("f", []byte("f")), e.url(long))
	if r.Code != 1 || !strings.Contains(r.Stderr, "KeyTooLongError") || !strings.Contains(strings.ToLower(r.Stderr), "too long") {
		t.Fatalf("upload to a 1025-byte key: want exit 1 and the server's KeyTooLongError\n%s", r)
	}
	if strings.Contains(r.Stderr, "see `s3sso help`") {
		t.Fatalf("the server's refusal is presented as a usage mistake:\n%s", r)
	}
}

// TestUploadsOfControlCharacterKeys: mpu ls, mpu abort and rb --force list
// unfinished multipart uploads. Their listing was not URL-encoded, so MinIO's
// XML replaced a control character in a key: mpu ls showed another key, and
// aborting that key found no upload (rb --force then ignored the "not
// found", leaving the upload and its parts on the server).
func TestUploadsOfControlCharacterKeys(t *testing.T) {
	e := transferEnv(t)
	// A bucket of its own: rb --force removes it.
	e.bucket = "mpu-e2e-" + strings.ToLower(randomHexStr(t))
	if _, err := e.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatal(err)
	}
	keys := []string{"up/esc\x1bkey", "up/bell\x07key", "up/plain"}
	ids := map[string]string{}
	for _, k := range keys {
		out, err := e.client.CreateMultipartUpload(context.Background(), &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = aws.ToString(out.UploadId)
	}
	r := e.ok("--json", "mpu", "ls", e.url("up/"))
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		var m struct {
			URL      string `json:"url"`
			UploadID string `json:"upload_id"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		got = append(got, m.URL+" "+m.UploadID)
	}
	var want []string
	for _, k := range keys {
		want = append(want, e.url(k)+" "+ids[k])
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("mpu ls --json:\n got %q\nwant %q", got, want)
	}
	e.ok("mpu", "abort", e.url(keys[0]), "--upload-id", ids[keys[0]])
	if n := e.openUploads(); n != 2 {
		t.Fatalf("%d uploads open after aborting %q, want 2", n, keys[0])
	}
	e.ok("rb", "--force", "s3://"+e.bucket)
	if _, err := e.client.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(e.bucket)}); err == nil {
		t.Fatal("rb --force left the bucket")
	}
}
