// Command mountbench runs s3sso mount and rclone mount side by side against a local MinIO
// on the workloads of issue 11, with `s3sso cp` of the same file as the
// reference rate, and writes the results as markdown. bench/run -mount
// (make bench-mount) builds everything and calls it.
//
//	mountbench [-rounds 3] [-tiny] [-clients s3sso,rclone]
//	           [-workloads M1,...,M6] [-out docs/benchmarks.md]
//
// rclone is taken from the tools directory (scripts/tools.sh); when
// missing it is left out with a warning. goofys and geesefs do not build
// from the Go module proxy here (docs/benchmarks.md says why). With -out, the part of the file between
// the markers <!-- bench-mount:begin --> and <!-- bench-mount:end --> is
// replaced (appended when missing).
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
	beginMarker = "<!-- bench-mount:begin -->"
	endMarker   = "<!-- bench-mount:end -->"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mountbench:", err)
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
	tools := flag.String("tools", toolsDir, "directory of minio and rclone (scripts/tools.sh)")
	clients := flag.String("clients", "s3sso,rclone", "mounts to run (s3sso cp always runs as the reference)")
	workloads := flag.String("workloads", strings.Join(harness.MountWorkloads, ","), "workloads to run")
	rounds := flag.Int("rounds", 3, "rounds (each runs every workload for every mount)")
	tiny := flag.Bool("tiny", false, "tiny data sets (smoke run)")
	out := flag.String("out", "", "markdown file to write the results into")
	workDir := flag.String("workdir", "", "work directory (default: a temporary directory, removed afterwards)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := *workDir
	if dir == "" {
		d, err := os.MkdirTemp("", "mountbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	m, err := harness.StartMinIO(filepath.Join(*tools, "minio"), filepath.Join(dir, "server"))
	if err != nil {
		return err
	}
	defer m.Stop()

	bin, err := filepath.Abs(*s3sso)
	if err != nil {
		return err
	}
	cfg := harness.MountConfig{
		Server:       m.Server,
		Sizes:        harness.FullMountSizes,
		Rounds:       *rounds,
		WorkDir:      filepath.Join(dir, "work"),
		S3sso:        bin,
		NoS3ssoMount: true,
		Workloads:    strings.Split(*workloads, ","),
		Log: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
		},
	}
	if *tiny {
		cfg.Sizes = harness.TinyMountSizes
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o700); err != nil {
		return err
	}
	for _, c := range strings.Split(*clients, ",") {
		switch c {
		case harness.MountS3sso:
			cfg.NoS3ssoMount = false
		case harness.MountRclone:
			p := filepath.Join(*tools, c)
			if _, err := os.Stat(p); err != nil {
				fmt.Fprintf(os.Stderr, "mountbench: %s not found in %s, left out\n", c, *tools)
				continue
			}
			cfg.Rclone = p
		default:
			return fmt.Errorf("unknown mount client %q", c)
		}
	}

	rep, err := harness.RunMount(ctx, cfg)
	if err != nil {
		return err
	}
	md := rep.Markdown()
	fmt.Println(md)
	if *out != "" {
		if err := harness.WriteSection(*out, beginMarker, endMarker, md); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "mountbench: results written to %s\n", *out)
	}
	if f := rep.Failures(); len(f) > 0 {
		return fmt.Errorf("%d run(s) failed (listed in the report)", len(f))
	}
	return nil
}
