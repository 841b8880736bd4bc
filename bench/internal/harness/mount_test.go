package harness

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestMountSmokeRun runs the mount benchmark in its tiny mode (one round,
// files of a few MiB) with s3sso mount, and rclone mount when
// scripts/tools.sh built it, so that the harness cannot rot. It asserts
// that every mount completes every workload with the right result (the
// harness reads back what each run wrote) and that the report holds a
// timed row for each, never how fast anything was.
func TestMountSmokeRun(t *testing.T) {
	testenv.Home(t)
	testenv.RequireTool(t, "fusermount3")
	m := testenv.StartMinIO(t)
	cfg := MountConfig{
		Server:  Server{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Region: m.Region, Version: "test"},
		Sizes:   TinyMountSizes,
		Rounds:  1,
		WorkDir: t.TempDir(),
		S3sso:   testenv.Binary(t),
		Log:     t.Logf,
	}
	if bin, ok := testenv.Tool("rclone"); ok {
		cfg.Rclone = bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	rep, err := RunMount(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Failures() {
		t.Errorf("failed run: %s", f)
	}
	md := rep.Markdown()
	t.Logf("report:\n%s", md)
	dur := `\d+(\.\d+)? (ms|s)`
	for _, w := range MountWorkloads {
		if !regexp.MustCompile(`(?m)^\| ` + w + ` [^|]+ \| ` + dur + ` \|`).MatchString(md) {
			t.Errorf("summary lacks a timed s3sso mount row for %s", w)
		}
		section := md[strings.Index(md, "#### "+w+":"):]
		if next := strings.Index(section[1:], "#### "); next >= 0 {
			section = section[:next+1]
		}
		for _, c := range rep.rows(w) {
			name := c + " mount"
			if c == S3ssoCp {
				name = "`s3sso cp` (reference, not a mount)"
			}
			row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(name) + ` \| ` + dur + ` \| ` + dur + `–` + dur + ` \|`)
			if !row.MatchString(section) {
				t.Errorf("%s table lacks a timed row for %s:\n%s", w, c, section)
			}
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b\011c`); got != "/tmp/a b\tc" {
		t.Errorf("got %q", got)
	}
}
