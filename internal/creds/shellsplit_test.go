package creds

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"testing"

	awsconfig "github.com/s3sso/s3sso/internal/config"
)

// Expected values are Python 3.11's shlex.split, which botocore's
// compat_shell_split uses outside Windows.
var shlexCases = []struct {
	in   string
	want []string
}{
	{"helper --profile dev", []string{"helper", "--profile", "dev"}},
	{"  a\tb\n c ", []string{"a", "b", "c"}},
	{`a"b c"d`, []string{"ab cd"}},
	{`"a\"b" "c\\d" "e\$f"`, []string{`a"b`, `c\d`, `e\$f`}},
	{`it's\ ok x'`, []string{`its\ ok x`}},
	{`a\ b c`, []string{"a b", "c"}},
	{`'' x ""`, []string{"", "x", ""}},
	{"/usr/bin/s3sso credentials --profile 'my profile' --format process", []string{"/usr/bin/s3sso", "credentials", "--profile", "my profile", "--format", "process"}},
	{"a#b #c", []string{"a#b", "#c"}},
	{`x "\n"`, []string{"x", `\n`}},
	{`C:\Program\ Files\x.exe`, []string{"C:Program Filesx.exe"}},
	{`üñí "ç ö"`, []string{"üñí", "ç ö"}},
	{"", nil},
}

func TestShlexSplitLikePython(t *testing.T) {
	for _, c := range shlexCases {
		got, err := awsconfig.ShlexSplit(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("awsconfig.ShlexSplit(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`"open`, `'open`, `trail\`} {
		if got, err := awsconfig.ShlexSplit(bad); err == nil {
			t.Errorf("awsconfig.ShlexSplit(%q) = %q, want an error", bad, got)
		}
	}
}

// TestShlexSplitAgainstPython checks the table against the real thing when
// python3 is installed.
func TestShlexSplitAgainstPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	for _, c := range shlexCases {
		out, err := exec.Command(py, "-c", "import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))", c.in).Output()
		if err != nil {
			t.Fatalf("python3 shlex.split(%q): %v", c.in, err)
		}
		var want []string
		if err := json.Unmarshal(out, &want); err != nil {
			t.Fatal(err)
		}
		got, _ := awsconfig.ShlexSplit(c.in)
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("awsconfig.ShlexSplit(%q) = %q; python3 says %q", c.in, got, want)
		}
	}
}

// The examples of Microsoft's "Parsing C++ command-line arguments", which
// botocore's _windows_shell_split follows.
func TestWindowsSplit(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{`"abc" d e`, []string{"abc", "d", "e"}},
		{`a\\b d"e f"g h`, []string{`a\\b`, "de fg", "h"}},
		{`a\\\"b c d`, []string{`a\"b`, "c", "d"}},
		{`a\\\\"b c" d e`, []string{`a\\b c`, "d", "e"}},
		{`"C:\Program Files\helper.exe" --profile dev`, []string{`C:\Program Files\helper.exe`, "--profile", "dev"}},
		{`"" x`, []string{"", "x"}},
		{`trail\ `, []string{`trail\`}},
	}
	for _, c := range cases {
		got, err := windowsSplit(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("windowsSplit(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := windowsSplit(`"open`); err == nil {
		t.Error(`windowsSplit("open) should fail`)
	}
}
