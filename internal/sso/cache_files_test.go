package sso

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/atomicfile"
)

// TestParseTokenSaysWhichField: a malformed token file is reported by
// field and type, never by value.
func TestParseTokenSaysWhichField(t *testing.T) {
	const secret = "aoaSECRETTOKENVALUE"
	cases := map[string]string{
		`{"accessToken": "` + secret + `", "expiresAt": 12345}`:                    "expiresAt is a number, not a string",
		`{"accessToken": "` + secret + `", "expiresAt": null}`:                     "expiresAt is null, not a string",
		`{"accessToken": "` + secret + `", "expiresAt": "next week"}`:              `expiresAt is not a time such as "2026-07-23T19:04:05Z"`,
		`{"accessToken": "` + secret + `", "expiresAt": "2026-13-45T99:00:00Z"}`:   `expiresAt is not a time such as "2026-07-23T19:04:05Z" (got "2026-13-45T99:00:00Z")`,
		`{"accessToken": "` + secret + `", "expiresAt": "` + secret + `"}`:         `expiresAt is not a time such as "2026-07-23T19:04:05Z" (the file`,
		`{"accessToken": ["` + secret + `"], "expiresAt": "2026-07-23T19:04:05Z"}`: "accessToken is an array, not a string",
		`{"accessToken": "", "expiresAt": "2026-07-23T19:04:05Z"}`:                 "accessToken is empty",
		`{"refreshToken": "` + secret + `"}`:                                       "accessToken is missing; expiresAt is missing",
		`{"accessToken": "` + secret + `"`:                                         "not valid JSON",
		`{"accessToken": "` + secret + `", "expiresAt": x}`:                        "not valid JSON (error at byte",
		`["` + secret + `"]`: "the file holds an array, not a JSON object",
	}
	for in, want := range cases {
		_, err := ParseToken([]byte(in))
		if err == nil || !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseToken(%s): err = %v, want %q", in, err, want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("ParseToken(%s): the error shows a value: %v", in, err)
		}
	}
}

// TestTokenCacheFiles: the token cache writes through a symbolic link,
// refuses an oversized file as unusable (a login replaces it), reports a
// directory in the file's place with the fix, and warns once about a
// world-writable directory.
func TestTokenCacheFiles(t *testing.T) {
	base := t.TempDir()
	var logs bytes.Buffer
	c := Cache{Dir: filepath.Join(base, "cache"), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(base, "dotfiles", "token.json")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../dotfiles/token.json", c.TokenPath("s")); err != nil {
		t.Fatal(err)
	}
	tok := &Token{AccessToken: "a", ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	for range 2 {
		if err := c.WriteToken("s", tok); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(c.TokenPath("s")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if got, err := c.ReadToken("s"); err != nil || got.AccessToken != "a" {
		t.Fatalf("%+v, %v", got, err)
	}

	f, err := os.Create(c.TokenPath("big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var tl *atomicfile.TooLargeError
	if _, err := c.ReadToken("big"); !errors.Is(err, ErrNoToken) || !errors.As(err, &tl) {
		t.Fatalf("100 MB token file: %v", err)
	}
	if err := c.WriteToken("big", tok); err != nil {
		t.Fatalf("replacing the oversized file: %v", err)
	}

	if err := os.Mkdir(c.TokenPath("dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	var nf *atomicfile.NotFileError
	if _, err := c.ReadToken("dir"); errors.Is(err, ErrNoToken) || !errors.As(err, &nf) {
		t.Fatalf("read a directory: %v", err)
	}
	if err := c.WriteToken("dir", tok); !errors.As(err, &nf) {
		t.Fatalf("write onto a directory: %v", err)
	}

	if logs.Len() != 0 {
		t.Fatalf("warned about a 0700 directory: %s", logs.String())
	}
	if err := os.Chmod(c.Dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, _ = c.ReadToken("s")
	_ = c.WriteToken("s", tok)
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "chmod 700 "+c.Dir) {
		t.Fatalf("%d warnings:\n%s", n, logs.String())
	}
}
