package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteSection checks that only the text between the markers is
// replaced, so the hand-written parts of docs/benchmarks.md survive a run,
// and that a missing file is created with the markers.
func TestWriteSection(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.md")
	before := "# Title\n\nhand-written intro\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\nhand-written analysis\n"
	if err := os.WriteFile(p, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeSection(p, "new table\n"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Title\n\nhand-written intro\n\n" + beginMarker + "\n\nnew table\n\n" + endMarker + "\n\nhand-written analysis\n"
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	fresh := filepath.Join(dir, "new.md")
	if err := writeSection(fresh, "table\n"); err != nil {
		t.Fatal(err)
	}
	got, err = os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(got); !strings.HasPrefix(s, "# Benchmarks\n") || !strings.Contains(s, beginMarker+"\n\ntable\n\n"+endMarker) {
		t.Errorf("new file:\n%s", s)
	}
}
