package ui

import "testing"

// TestZipNameNoEscape: zip entry names never leave the target folder,
// whether the unzip tool splits on "/" or, on Windows, on "\" too.
func TestZipNameNoEscape(t *testing.T) {
	cases := map[string]string{
		"a/b.txt":          "a/b.txt",
		"/etc/passwd":      "etc/passwd",
		"../../x":          "x",
		`a\..\..\x`:        "a/x",
		`..\..\Windows\x`:  "Windows/x",
		`C:\x`:             "x",
		`c:/Users/x`:       "Users/x",
		`C:..\x`:           "x",
		`\\server\share\x`: "server/share/x",
		`a/...\. \x`:       "a/x",
		`./.`:              "_",
		`dir/ok name.txt`:  "dir/ok name.txt",
	}
	for in, want := range cases {
		if got := zipName(in); got != want {
			t.Errorf("zipName(%q) = %q, want %q", in, got, want)
		}
	}
}
