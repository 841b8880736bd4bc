package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/sso"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// TestSSOTokenCacheIsDirectory: a directory where the token file belongs
// is reported with its path and the fix, by login and by any command.
func TestSSOTokenCacheIsDirectory(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	path := e.tokenPath("corp")
	if err := os.MkdirAll(path, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"login", "--profile", "dev"}, {"ls", "s3://" + e.bucket, "--profile", "dev"}} {
		r := e.s3sso(args...)
		if r.Code != 8 || !strings.Contains(r.Stderr, path+" is a directory, not a file") || !strings.Contains(r.Stderr, "hint: move it away or remove it (e.g. `rmdir "+path+"`") {
			t.Errorf("s3sso %s: want exit 8, the path and the fix\n%s", strings.Join(args, " "), r)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	e.mustS3sso("login", "--profile", "dev")
}

// TestSSOTokenCacheSymlink: a token file that is a symbolic link (e.g.
// into a dotfiles directory) stays a link when s3sso refreshes the token;
// the file it points to gets the new token, which the AWS CLI then reads.
func TestSSOTokenCacheSymlink(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	e.mustS3sso("login", "--profile", "dev")
	path := e.tokenPath("corp")
	target := filepath.Join(e.home, "dotfiles", "sso-token.json")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	e.setExpiry("corp", time.Now().Add(5*time.Minute), false) // through the link
	before := e.readToken("corp")["accessToken"]
	e.mustS3sso("ls", "s3://"+e.bucket, "--profile", "dev")
	if n := e.emu.Count("CreateToken:refresh_token"); n != 1 {
		t.Fatalf("refresh calls %d, want 1", n)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the token cache file is no longer a symbolic link: %v %v", fi.Mode(), err)
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sso.ParseToken(b)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == before || time.Until(tok.ExpiresAt) < 30*time.Minute {
		t.Fatalf("the link's target was not refreshed: expires %v", tok.ExpiresAt)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode %o", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, en := range entries {
		if strings.Contains(en.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", en.Name())
		}
	}
}

// TestSSOTokenCacheMalformed: a field of the wrong type is named with its
// type, without the token; a huge file is refused without being read; a
// world-writable cache directory draws one warning.
func TestSSOTokenCacheMalformed(t *testing.T) {
	e := setupSSO(t, ssotest.Options{})
	path := e.tokenPath("corp")
	const secret = "aoaSECRETACCESSTOKENVALUEaoa"
	testenv.WriteFile(t, path, `{"accessToken": "`+secret+`", "expiresAt": 1767225600, "refreshToken": "`+secret+`"}`)
	for _, args := range [][]string{{"ls", "s3://" + e.bucket, "--profile", "dev"}, {"--debug", "whoami", "--profile", "dev"}} {
		r := e.s3sso(args...)
		if strings.Contains(r.Stdout+r.Stderr, secret) {
			t.Fatalf("the token appears in the output:\n%s", r)
		}
		if args[0] == "ls" && (r.Code != 6 || !strings.Contains(r.Stderr, "expiresAt is a number, not a string") || strings.Contains(r.Stderr, "must contain accessToken and expiresAt\"")) {
			t.Errorf("want exit 6 naming expiresAt's type\n%s", r)
		}
	}

	// 100 MB (sparse: cheap to make, expensive to read).
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd, peakRSS := testenv.BinaryWithPeakRSS(t, e.vars, "ls", "s3://"+e.bucket, "--profile", "dev")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	rss, measured := peakRSS()
	if code := cmd.ProcessState.ExitCode(); code != 6 || !strings.Contains(stderr.String(), "is 104857600 bytes, more than the 1048576 bytes") {
		t.Errorf("100 MB token file: exit %d\n%s", code, stderr.String())
	}
	if measured && rss > 80*1024 { // reading it whole took 119 MB (440 MB with spaces)
		t.Errorf("peak RSS %d KiB reading a 100 MB token file", rss)
	}
	t.Logf("100 MB token file: peak RSS %d KiB (measured: %v)", rss, measured)
	// A login replaces it.
	e.mustS3sso("login", "--profile", "dev")

	dir := filepath.Dir(path)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	r := e.mustS3sso("ls", "s3://"+e.bucket, "--profile", "dev")
	if strings.Count(r.Stderr, "level=WARN") != 1 || !strings.Contains(r.Stderr, "the SSO token cache directory "+dir+" is writable by every user (mode 0777); run `chmod 700 "+dir+"`") {
		t.Errorf("want one warning naming the directory and chmod 700\n%s", r)
	}
}
