// Command s3bench runs s3sso and the peer S3 clients side by side against a
// local MinIO on the workloads of issue 6 and writes the results as
// markdown. bench/run (make bench) builds everything and calls it.
//
//	s3bench [-rounds 3] [-tiny] [-clients s3sso,s5cmd,rclone,mc,aws,aws-v2]
//	        [-workloads W1,...,W8,W8p] [-ceiling 10s] [-out docs/benchmarks.md]
//	        [-list-objects 200000] [-portal-latency 100ms] [-baseline OTHER-S3SSO-BINARY]
//
// Peers are taken from the tools directory (scripts/tools.sh), the AWS
// CLI v1 from PATH and the v2 from /usr/bin/aws (scripts/apt.sh); a
// missing peer is left out with a warning. With -out, the
// part of the file between the markers <!-- bench:begin --> and
// <!-- bench:end --> is replaced (the file is created when missing).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/s3sso/s3sso/bench/internal/harness"
	"github.com/s3sso/s3sso/internal/testenv"
)

const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3bench:", err)
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
	baseline := flag.String("baseline", "", "another s3sso binary (e.g. main's) to run beside, reported as s3sso-base")
	tools := flag.String("tools", toolsDir, "directory of minio, s5cmd, rclone and mc (scripts/tools.sh)")
	clients := flag.String("clients", "s3sso,s5cmd,rclone,mc,aws,aws-v2", "clients to run (s3sso is always run; aws is the AWS CLI v1 on PATH, aws-v2 the v2 at /usr/bin/aws, W8p only)")
	latency := flag.Duration("portal-latency", 100*time.Millisecond, "W8p: how long the IAM Identity Center emulator takes to answer")
	workloads := flag.String("workloads", strings.Join(harness.Workloads, ","), "workloads to run")
	rounds := flag.Int("rounds", 5, "rounds (each runs every workload for every client)")
	tiny := flag.Bool("tiny", false, "tiny data sets (smoke run)")
	quiet := flag.Duration("quiet-wait", 20*time.Second, "how long each run waits, after sync(2), for idle CPUs (0: no sync, no wait)")
	ceiling := flag.Duration("ceiling", 10*time.Second, "duration of each ceiling phase (0 skips it)")
	out := flag.String("out", "", "markdown file to write the results into")
	listObjects := flag.Int("list-objects", 0, "objects listed by W5 (default 20000; e.g. 200000 to check that memory stays flat)")
	workDir := flag.String("workdir", "", "work directory (default: a temporary directory, removed afterwards)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir := *workDir
	if dir == "" {
		d, err := os.MkdirTemp("", "s3bench-")
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
	if *baseline != "" {
		if *baseline, err = filepath.Abs(*baseline); err != nil {
			return err
		}
	}
	cfg := harness.Config{
		S3ssoBase:       *baseline,
		Server:          m.Server,
		Sizes:           harness.FullSizes,
		Rounds:          *rounds,
		WorkDir:         filepath.Join(dir, "work"),
		S3sso:           bin,
		PortalLatency:   *latency,
		CeilingDuration: *ceiling,
		QuietWait:       *quiet,
		Workloads:       strings.Split(*workloads, ","),
		Log: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
		},
	}
	if *tiny {
		cfg.Sizes = harness.TinySizes
	}
	if *listObjects > 0 {
		cfg.Sizes.ListObjects = *listObjects
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o700); err != nil {
		return err
	}
	for _, c := range strings.Split(*clients, ",") {
		var p string
		switch c {
		case harness.S3sso:
			continue
		case harness.AWS:
			p, _ = exec.LookPath("aws")
		case harness.AWSv2:
			p, _ = testenv.FindAWSCLIv2()
		case harness.S5cmd, harness.Rclone, harness.MC:
			p = filepath.Join(*tools, c)
			if _, err := os.Stat(p); err != nil {
				p = ""
			}
		default:
			return fmt.Errorf("unknown client %q", c)
		}
		if p == "" {
			fmt.Fprintf(os.Stderr, "s3bench: %s not found, left out (build it with scripts/tools.sh %s)\n", c, c)
			continue
		}
		switch c {
		case harness.AWS:
			cfg.AWS = p
		case harness.AWSv2:
			cfg.AWSv2 = p
		case harness.S5cmd:
			cfg.S5cmd = p
		case harness.Rclone:
			cfg.Rclone = p
		case harness.MC:
			cfg.MC = p
		}
	}

	rep, err := harness.Run(ctx, cfg)
	if err != nil {
		return err
	}
	md := rep.Markdown()
	fmt.Println(md)
	if *out != "" {
		if err := writeSection(*out, md); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "s3bench: results written to %s\n", *out)
	}
	if f := rep.Failures(); len(f) > 0 {
		return fmt.Errorf("%d client run(s) failed (listed in the report)", len(f))
	}
	return nil
}

// writeSection replaces the text between the markers in path, or writes a
// new file holding only the markers and md.
func writeSection(path, md string) error {
	return harness.WriteSection(path, beginMarker, endMarker, md)
}
