package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3sso/s3sso/internal/testenv"
	"github.com/s3sso/s3sso/internal/transfer"
)

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestPrinterNeverInterleavesLines(t *testing.T) {
	var out, errb lockedBuffer
	p := NewPrinter(&out, &errb, false, false)
	p.SetStatus(func() string { return "[status]" })
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p.Print(transferMsg{Op: "upload", Src: fmt.Sprintf("w%d-%d", w, i), Dst: strings.Repeat("x", 100)})
				if i%50 == 0 {
					p.RefreshStatus()
				}
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 16*200 {
		t.Fatalf("%d lines, want %d", len(lines), 16*200)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "upload: w") || !strings.HasSuffix(l, " -> "+strings.Repeat("x", 100)) {
			t.Fatalf("broken line %q", l)
		}
	}
	if strings.Contains(out.String(), "[status]") {
		t.Fatal("the status line leaked into results")
	}
}

func TestPrinterJSONErrors(t *testing.T) {
	var out, errb bytes.Buffer
	p := NewPrinter(&out, &errb, true, false)
	p.diag("error", "upload x: boom", "try again")
	if got := strings.TrimSpace(errb.String()); got != `{"hint":"try again","level":"error","message":"upload x: boom"}` {
		t.Fatalf("JSON diagnostic = %s", got)
	}
}

func TestRenderProgress(t *testing.T) {
	st := transfer.Progress{BytesTotal: 100 << 20, BytesDone: 25 << 20, ObjectsTotal: 4, ObjectsDone: 1, ListingDone: true, Elapsed: 5 * time.Second}
	got := renderProgress(st)
	for _, want := range []string{"[######", "25.0 MiB / 100.0 MiB", "5.0 MiB/s", "ETA 15s", "1/4 objects"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress %q lacks %q", got, want)
		}
	}
	st.ListingDone = false
	if got := renderProgress(st); !strings.Contains(got, "1/4+ objects") || !strings.Contains(got, "ETA --") {
		t.Errorf("while listing: %q", got)
	}
	if humanBytes(1023) != "1023 B" || humanBytes(1536) != "1.5 KiB" || humanBytes(3<<30) != "3.0 GiB" {
		t.Error("humanBytes")
	}
}

// TestProgressBarOnTerminal runs cp in-process with a pretend terminal and
// checks that the bar is drawn on stderr, erased, and never reaches stdout;
// and that without a terminal (or with --json) there is no bar at all.
func TestProgressBarOnTerminal(t *testing.T) {
	testenv.Home(t)
	backend := s3mem.New()
	if err := backend.CreateBucket("progress"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	dir := t.TempDir()
	for i := range 20 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), bytes.Repeat([]byte("z"), 300_000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cp := func(term bool, extra ...string) (string, string, int) {
		var out, errb lockedBuffer
		args := append([]string{"--endpoint-url", srv.URL, "cp", "-r", dir, "s3://progress/p/"}, extra...)
		code := run(context.Background(), args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb},
			func(io.Writer) bool { return term })
		return out.String(), errb.String(), code
	}
	out, errs, code := cp(true)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "\r\x1b[K[") || !strings.Contains(errs, "objects") {
		t.Fatalf("no progress bar drawn on stderr: %q", errs)
	}
	if !strings.HasSuffix(errs, "\r\x1b[K") {
		t.Fatalf("the bar is not erased at the end: %q", errs[max(0, len(errs)-80):])
	}
	if strings.Contains(out, "\x1b") || strings.Count(out, "upload: ") != 20 {
		t.Fatalf("stdout has escapes or lacks lines: %q", out)
	}
	if _, errs, _ := cp(false); strings.Contains(errs, "\x1b") {
		t.Fatalf("a bar without a terminal: %q", errs)
	}
	if _, errs, _ := cp(true, "--json"); strings.Contains(errs, "\x1b") {
		t.Fatalf("a bar with --json: %q", errs)
	}
	if _, errs, _ := cp(true, "--quiet"); strings.Contains(errs, "\x1b") {
		t.Fatalf("a bar with --quiet: %q", errs)
	}
}
