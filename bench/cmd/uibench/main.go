// Command uibench measures the web UI (`s3sso ui`) in a headless Chromium
// against a local MinIO: opening a prefix of 100,000 objects (time to the
// first rows and to the end of the listing, peak RSS of s3sso ui, the
// tab's JS heap) and a 1 GiB upload and download through the page against
// `s3sso cp` of the same file. bench/run-ui (make bench-ui) builds
// everything and calls it.
//
//	uibench [-rounds 3] [-objects 100000] [-size 1073741824] [-out docs/benchmarks.md]
//
// With -out, the part of the file between <!-- bench-ui:begin --> and
// <!-- bench-ui:end --> is replaced (appended when the markers are missing).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/s3sso/s3sso/bench/internal/harness"
)

const (
	beginMarker = "<!-- bench-ui:begin -->"
	endMarker   = "<!-- bench-ui:end -->"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "uibench:", err)
		os.Exit(1)
	}
}

func run() error {
	home, _ := os.UserHomeDir()
	toolsDir := os.Getenv("S3SSO_TOOLS_DIR")
	if toolsDir == "" {
		toolsDir = filepath.Join(home, ".cache", "s3sso", "tools")
	}
	s3sso := flag.String("s3sso", "bin/s3sso", "s3sso binary")
	tools := flag.String("tools", toolsDir, "directory of minio (scripts/tools.sh)")
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium")
	rounds := flag.Int("rounds", 3, "rounds")
	objects := flag.Int("objects", 100000, "objects in the listed prefix")
	size := flag.Int64("size", 1<<30, "bytes of the file uploaded and downloaded")
	out := flag.String("out", "", "markdown file to write the results into")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "uibench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m, err := harness.StartMinIO(filepath.Join(*tools, "minio"), filepath.Join(dir, "server"))
	if err != nil {
		return err
	}
	defer m.Stop()
	bin, err := filepath.Abs(*s3sso)
	if err != nil {
		return err
	}
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	rep, err := harness.RunUI(ctx, harness.UIConfig{
		Server: m.Server, S3sso: bin, Chromium: *chromium, WorkDir: work,
		ListObjects: *objects, BigFile: *size, Rounds: *rounds,
		Log: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
		},
	})
	if err != nil {
		return err
	}
	md := rep.Markdown()
	fmt.Println(md)
	if *out != "" {
		if err := writeSection(*out, md); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "uibench: results written to %s\n", *out)
	}
	if len(rep.Failures) > 0 {
		return fmt.Errorf("%d run(s) failed (listed in the report)", len(rep.Failures))
	}
	return nil
}

// writeSection replaces the text between the markers in path, or appends
// the markers and md.
func writeSection(path, md string) error {
	section := beginMarker + "\n\n" + md + "\n" + endMarker
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	var text string
	if i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker); i >= 0 && j > i {
		text = s[:i] + section + s[j+len(endMarker):]
	} else {
		text = strings.TrimRight(s, "\n") + "\n\n" + section + "\n"
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
