package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLsBuckets(t *testing.T) {
	e := setup(t)
	r := e.ok("ls")
	if !strings.Contains(r.Stdout, " "+e.bucket+"\n") {
		t.Fatalf("bucket %s not listed:\n%s", e.bucket, r.Stdout)
	}
	r = e.ok("ls", "--json")
	found := false
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if m["type"] == "bucket" && m["name"] == e.bucket {
			found = true
		}
	}
	if !found {
		t.Fatalf("bucket missing from --json output:\n%s", r.Stdout)
	}
}

func TestLsPrefixOneLevelWithPRE(t *testing.T) {
	e := setup(t)
	e.put("docs/a.txt", []byte("a"))
	e.put("docs/sub/b.txt", []byte("bb"))
	e.put("docs/sub/c.txt", []byte("ccc"))
	e.put("other.txt", []byte("o"))
	r := e.ok("ls", e.url("docs/"))
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (a.txt and PRE sub/), got:\n%s", r.Stdout)
	}
	if !strings.HasSuffix(lines[0], " 1 a.txt") {
		t.Errorf("line 1 = %q, want size 1 and name a.txt", lines[0])
	}
	if strings.TrimSpace(lines[1]) != "PRE sub/" {
		t.Errorf("line 2 = %q, want PRE sub/", lines[1])
	}
}

func TestLsRecursiveJSONAndHuman(t *testing.T) {
	e := setup(t)
	e.put("r/x/1", make([]byte, 1536))
	e.put("r/y/2", []byte("2"))
	r := e.ok("ls", "-r", "--json", e.url("r/"))
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		var m struct {
			Type string `json:"type"`
			Key  string `json:"key"`
			Size int64  `json:"size"`
			URL  string `json:"url"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if m.Type != "object" {
			t.Fatalf("recursive listing has a %s line: %q", m.Type, line)
		}
		keys = append(keys, m.Key)
		if m.Key == "r/x/1" && (m.Size != 1536 || m.URL != e.url("r/x/1")) {
			t.Errorf("r/x/1 reported as %+v", m)
		}
	}
	if strings.Join(keys, ",") != "r/x/1,r/y/2" {
		t.Fatalf("keys = %v", keys)
	}
	r = e.ok("ls", "-r", "--human", "--summarize", e.url("r/"))
	if !strings.Contains(r.Stdout, "1.5 KiB r/x/1") || !strings.Contains(r.Stdout, "Total Objects: 2") {
		t.Fatalf("human output:\n%s", r.Stdout)
	}
}

func TestLsWildcard(t *testing.T) {
	e := setup(t)
	e.put("logs/2026/a.gz", []byte("a"))
	e.put("logs/2026/b.txt", []byte("b"))
	e.put("logs/c.gz", []byte("c"))
	r := e.ok("ls", e.url("logs/*.gz"))
	if !strings.Contains(r.Stdout, "2026/a.gz") || !strings.Contains(r.Stdout, "c.gz") || strings.Contains(r.Stdout, "b.txt") {
		t.Fatalf("wildcard listing:\n%s", r.Stdout)
	}
}

func TestLsMissingBucket(t *testing.T) {
	e := setup(t)
	e.fails(4, "NoSuchBucket", "ls", "s3://no-such-bucket-e2e/")
}
