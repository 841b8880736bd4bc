package harness

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestSmokeRun runs the whole benchmark in its tiny mode (a few objects,
// one round, a short ceiling) with s3sso and whichever peers are already
// built, so that the harness cannot rot. It asserts that every client
// completes every workload with the right result (the harness checks the
// objects and files each run leaves) and that the report holds every
// workload, never how fast anything was.
func TestSmokeRun(t *testing.T) {
	testenv.Home(t)
	m := testenv.StartMinIO(t)
	cfg := Config{
		Server:          Server{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Region: m.Region, Version: "test"},
		Sizes:           TinySizes,
		Rounds:          1,
		WorkDir:         t.TempDir(),
		S3sso:           testenv.Binary(t),
		S3ssoBase:       testenv.Binary(t), // the same build: exercises -baseline
		CeilingDuration: 200 * time.Millisecond,
		Log:             t.Logf,
	}
	// Peers are never built here (CI time): only those scripts/tools.sh
	// already built, and the AWS CLI when installed.
	for name, p := range map[string]*string{S5cmd: &cfg.S5cmd, Rclone: &cfg.Rclone, MC: &cfg.MC} {
		if bin, ok := testenv.Tool(name); ok {
			*p = bin
		}
	}
	if bin, err := exec.LookPath("aws"); err == nil {
		cfg.AWS = bin
	}
	if bin, ok := testenv.FindAWSCLIv2(); ok {
		cfg.AWSv2 = bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Failures() {
		t.Errorf("failed run: %s", f)
	}
	md := rep.Markdown()
	t.Logf("report:\n%s", md)
	if len(rep.Ceilings) != 4 {
		t.Errorf("got %d ceiling phases, want 4", len(rep.Ceilings))
	}
	for _, op := range []string{"PUT 64 KiB ×32", "GET 64 KiB ×32", "PUT 64 MiB ×8", "GET 64 MiB ×8"} {
		if !strings.Contains(md, "| "+op+" |") {
			t.Errorf("report lacks the ceiling row %q", op)
		}
	}
	dur := `\d+(\.\d+)? (ms|s)`
	for _, w := range Workloads {
		if !regexp.MustCompile(`(?m)^\| ` + w + ` [^|]+ \| ` + dur + ` \|`).MatchString(md) {
			t.Errorf("summary lacks a timed s3sso row for %s", w)
		}
		section := md[strings.Index(md, "#### "+w+":"):]
		if next := strings.Index(section[1:], "#### "); next >= 0 {
			section = section[:next+1]
		}
		for _, c := range rep.clientsOf(w) {
			row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(c) + `( \([^)]*(\([^)]*\))?[^)]*\))? \| ` + dur + ` \| ` + dur + `–` + dur + ` \|`)
			if !row.MatchString(section) {
				t.Errorf("%s table lacks a timed row for %s:\n%s", w, c, section)
			}
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3}, 3},
		{[]time.Duration{1, 2, 9}, 2},
		{[]time.Duration{1, 2, 4, 9}, 3},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestReadRSSFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		content string
		want    int64
	}{
		{"2048\n", 2048 << 10},
		{"Command exited with non-zero status 1\n512\n", 512 << 10},
		{"", 0},
	} {
		p := dir + "/rss"
		testenv.WriteFile(t, p, c.content)
		if got := readRSSFile(p); got != c.want {
			t.Errorf("readRSSFile(%q) = %d, want %d", c.content, got, c.want)
		}
	}
}
