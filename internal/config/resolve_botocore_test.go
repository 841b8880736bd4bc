package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/testenv"
)

// A case of testdata/resolve/*.txt: a txtar-like file. Lines before the
// first "-- name --" line are directives:
//
//	profile: NAME    --profile
//	region: NAME     --region
//	env: K=V         an environment variable ($HOME is the case's home)
//	crlf: FILE       write FILE with CRLF line endings
//	bom: FILE        write FILE with a UTF-8 byte order mark
//	latin1: FILE     write FILE in ISO 8859-1 (not UTF-8)
//	differs: FIELD   a documented difference (docs/config.md): the test
//	                 requires FIELD to differ, so the list stays true
//	# ...            a comment
//
// Each "-- name --" section is a file: config and credentials go to
// ~/.aws/, others to the home directory.
type resolveCase struct {
	name    string
	profile string
	region  string
	env     map[string]string
	files   map[string]string
	crlf    map[string]bool
	bom     map[string]bool
	latin1  map[string]bool
	differs []string
}

func parseCase(t *testing.T, path string) resolveCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := resolveCase{name: strings.TrimSuffix(filepath.Base(path), ".txt"), env: map[string]string{},
		files: map[string]string{}, crlf: map[string]bool{}, bom: map[string]bool{}, latin1: map[string]bool{}}
	file := ""
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimRight(line, "\n"), " --") {
			file = strings.TrimSuffix(strings.TrimPrefix(strings.TrimRight(line, "\n"), "-- "), " --")
			c.files[file] = ""
			continue
		}
		if file != "" {
			c.files[file] += line
			continue
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s: bad directive %q", path, line)
		}
		v = strings.TrimSpace(v)
		switch k {
		case "profile":
			c.profile = v
		case "region":
			c.region = v
		case "env":
			ek, ev, _ := strings.Cut(v, "=")
			c.env[ek] = ev
		case "crlf":
			c.crlf[v] = true
		case "bom":
			c.bom[v] = true
		case "latin1":
			c.latin1[v] = true
		case "differs":
			c.differs = append(c.differs, v)
		default:
			t.Fatalf("%s: unknown directive %q", path, k)
		}
	}
	return c
}

// setup writes the case's files into a new home and returns its
// environment.
func (c resolveCase) setup(t *testing.T) map[string]string {
	home := t.TempDir()
	for name, content := range c.files {
		p := filepath.Join(home, name)
		if name == "config" || name == "credentials" {
			p = filepath.Join(home, ".aws", name)
		}
		if c.crlf[name] {
			content = strings.ReplaceAll(content, "\n", "\r\n")
		}
		if c.bom[name] {
			content = "\ufeff" + content
		}
		if c.latin1[name] {
			var b []byte
			for _, r := range content {
				b = append(b, byte(r))
			}
			content = string(b)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"HOME": home, "AWS_EC2_METADATA_DISABLED": "true"}
	for k, v := range c.env {
		env[k] = strings.ReplaceAll(v, "$HOME", home)
	}
	return env
}

// s3ssoResult is Resolve's answer in the helper's JSON shape.
func s3ssoResult(t *testing.T, c resolveCase, env map[string]string) map[string]any {
	res, err := config.Resolve(config.Input{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Profile:   c.profile, Region: c.region,
	})
	out := map[string]any{}
	if err != nil {
		var re *config.ResolveError
		if !errors.As(err, &re) {
			t.Fatalf("%s: Resolve error is no *ResolveError: %v", c.name, err)
		}
		out["error"] = re.Kind
		out["message"] = err.Error()
		return out
	}
	b, _ := json.Marshal(res)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// normalize drops empty strings and nulls inside credentials (botocore
// reports "external_id": "" where the key is set empty; Resolve omits it).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e == nil || e == "" {
				continue
			}
			out[k] = normalize(e)
		}
		return out
	}
	return v
}

// compared returns the fields compared for a result: the error kind when
// either side failed, else profile, region, credentials and endpoints.
func compared(r map[string]any, failed bool) map[string]any {
	if failed {
		return map[string]any{"error": r["error"]}
	}
	return map[string]any{"profile": r["profile"], "region": r["region"],
		"credentials": normalize(r["credentials"]), "endpoints": r["endpoints"]}
}

// TestResolveMatchesBotocore is the differential test: every case of
// testdata/resolve is resolved by s3sso (config.Resolve) and by botocore
// (testdata/botocore_resolve.py, the AWS CLI's library) and compared field by
// field. A case may declare a documented difference (differs: FIELD); it
// must then differ in that field, and only there, and docs/config.md must
// name the case.
func TestResolveMatchesBotocore(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.Skipf(t, "python3 not installed")
	}
	if err := exec.Command(py, "-c", "import botocore").Run(); err != nil {
		testenv.Skipf(t, "botocore not installed (pip install botocore)")
	}
	paths, _ := filepath.Glob("testdata/resolve/*.txt")
	if len(paths) < 80 {
		t.Fatalf("the corpus has %d cases, want at least 80", len(paths))
	}
	docs, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	var cases []resolveCase
	var envs []map[string]string
	var input []map[string]any
	for _, p := range paths {
		c := parseCase(t, p)
		env := c.setup(t)
		cases = append(cases, c)
		envs = append(envs, env)
		input = append(input, map[string]any{"name": c.name, "env": env, "profile": c.profile, "region": c.region})
	}
	in, _ := json.Marshal(input)
	cmd := exec.Command(py, "testdata/botocore_resolve.py")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "PYTHONUTF8=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore helper: %v\n%s", err, stderr.String())
	}
	var boto []map[string]any
	if err := json.Unmarshal(out, &boto); err != nil {
		t.Fatalf("botocore helper output: %v\n%s", err, out)
	}
	agree, documented := 0, 0
	for i, c := range cases {
		s := s3ssoResult(t, c, envs[i])
		b := boto[i]
		failed := s["error"] != nil || b["error"] != nil
		sc, bc := compared(s, failed), compared(b, failed)
		var diff []string
		for k := range bc {
			if !reflect.DeepEqual(sc[k], bc[k]) {
				diff = append(diff, k)
			}
		}
		sort.Strings(diff)
		want := append([]string(nil), c.differs...)
		sort.Strings(want)
		switch {
		case len(diff) == 0 && len(want) == 0:
			agree++
		case reflect.DeepEqual(diff, want) && bytes.Contains(docs, []byte(c.name)):
			documented++
		case reflect.DeepEqual(diff, want):
			t.Errorf("%s: documented difference in %v, but docs/config.md does not name the case", c.name, diff)
		default:
			sj, _ := json.MarshalIndent(s, "", " ")
			bj, _ := json.MarshalIndent(b, "", " ")
			t.Errorf("%s: fields %v differ (documented: %v)\ns3sso:    %s\nbotocore: %s", c.name, diff, want, sj, bj)
		}
	}
	t.Logf("%d cases: %d agree with botocore, %d documented differences", len(cases), agree, documented)
}
