package e2e

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// errorLines counts the error lines of a run's stderr, in text or JSON form.
func errorLines(stderr string) int {
	n := 0
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "s3sso: error: ") || strings.Contains(line, `"level":"error"`) {
			n++
		}
	}
	return n
}

// TestSingleFailureIsReportedOnce: when the one object of a command failed
// (a checksum mismatch, a full disk, NoSuchUpload), its error was printed
// twice: once by the batch as it happened and once as the command's error.
// It is printed once, with its hint; a batch still prints every failure once
// and then the count.
func TestSingleFailureIsReportedOnce(t *testing.T) {
	e := transferEnv(t)
	e.put("small", randomBytes(t, 200_000))
	e.put("one/only", randomBytes(t, 1000))
	e.put("two/a", randomBytes(t, 1000))
	e.put("two/b", randomBytes(t, 1000))
	p := newXProxy(t, e.minio.Endpoint)
	// Object downloads (single GETs) are corrupted; listings pass.
	p.Add(testenv.FaultRule{Kind: "get", Fault: testenv.FlipBit{At: -1}})
	dir := filepath.Join(e.home, "dl")
	check := func(r testenv.Result, code, errs int, want string) {
		t.Helper()
		if r.Code != code || !strings.Contains(r.Stderr, want) {
			t.Fatalf("want exit %d and %q\n%s", code, want, r)
		}
		if n := errorLines(r.Stderr); n != errs {
			t.Fatalf("%d error lines, want %d:\n%s", n, errs, r.Stderr)
		}
		if n := strings.Count(r.Stderr, want); n != 1 {
			t.Fatalf("%q appears %d times, want once:\n%s", want, n, r.Stderr)
		}
	}
	const mismatch = "does not match the stored checksum"
	check(e.run("--endpoint-url", p.URL, "cp", e.url("small"), filepath.Join(dir, "small")), 9, 1, mismatch)
	check(e.run("--json", "--endpoint-url", p.URL, "cp", e.url("small"), filepath.Join(dir, "small")), 9, 1, mismatch)
	// A recursive copy that finds one object is a batch of one.
	check(e.run("--endpoint-url", p.URL, "cp", "-r", e.url("one/"), filepath.Join(dir, "one")), 9, 1, mismatch)
	// Two objects: each failure once, then the count.
	r := e.run("--endpoint-url", p.URL, "cp", "-r", e.url("two/"), filepath.Join(dir, "two"))
	if r.Code != 3 || errorLines(r.Stderr) != 3 || strings.Count(r.Stderr, mismatch) != 2 || !strings.Contains(r.Stderr, "2 of 2 operations failed") {
		t.Fatalf("batch of two failures: want exit 3, each failure once and the count\n%s", r)
	}

	// NoSuchUpload: the multipart upload vanishes under a part upload.
	p.Clear()
	p.Add(testenv.FaultRule{Kind: "upload-part", Fault: testenv.Status{Code: http.StatusNotFound, S3Code: "NoSuchUpload"}})
	check(e.run("--endpoint-url", p.URL, "cp", "--part-size", "5MiB", e.file("big", randomBytes(t, 11<<20)), e.url("big")), 4, 1, "NoSuchUpload")

	// A full disk.
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		testenv.Skipf(t, "cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	e.put("large", randomBytes(t, 3<<20))
	r = e.run("cp", e.url("large"), filepath.Join(mnt, "large"))
	check(r, 8, 1, "no space left on device")
	if !strings.Contains(r.Stderr, "hint:") {
		t.Fatalf("no hint:\n%s", r)
	}
}

// TestRmSingleFailureIsReportedOnce: rm of a wildcard that matched one
// object it could not delete printed the object's error and then "delete
// failed" (exit 3); it prints the object's error once, with its own code.
func TestRmSingleFailureIsReportedOnce(t *testing.T) {
	e := setup(t)
	e.put("ro/only", []byte("r"))
	e.useCreds(restrictedCreds(t, e, 900)) // may list and read, not delete
	r := e.run("rm", e.url("ro/*"))
	if r.Code != 5 || errorLines(r.Stderr) != 1 || strings.Count(r.Stderr, e.url("ro/only")) != 1 {
		t.Fatalf("rm of one undeletable match: want exit 5 and one error line naming it\n%s", r)
	}
	e.put("ro/other", []byte("o"))
	r = e.run("rm", "-r", e.url("ro/"))
	if r.Code != 3 || errorLines(r.Stderr) != 3 || !strings.Contains(r.Stderr, "2 of 2 operations failed") {
		t.Fatalf("rm of two undeletable objects: want exit 3, two failures and the count\n%s", r)
	}
}
