// Command s3sso works with Amazon S3 and S3-compatible storage without
// long-term access keys. All behaviour lives in internal/cli; main only wires
// the process to it and owns the single exit path.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/s3sso/s3sso/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
