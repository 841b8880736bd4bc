// Command s3sso works with Amazon S3 and S3-compatible storage without
// long-term access keys. All behaviour lives in internal/cli; main only wires
// the process to it and owns the single exit path.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/s3sso/s3sso/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM cancels the command, which then cleans
	// up (aborts multipart uploads, removes temporary files) and exits 130
	// (SIGINT) or 143 (SIGTERM). A second one exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var first atomic.Value
	go func() {
		s := <-sigs
		first.Store(s)
		cancel()
		os.Exit(signalExit(<-sigs))
	}()
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	signal.Stop(sigs)
	if s, ok := first.Load().(os.Signal); ok && code == cli.ExitInterrupted {
		code = signalExit(s)
	}
	os.Exit(code)
}

// signalExit is the shell's exit code for a process ended by s: 128 + its
// number (130 for SIGINT, 143 for SIGTERM).
func signalExit(s os.Signal) int {
	if s == syscall.SIGTERM {
		return cli.ExitTerminated
	}
	return cli.ExitInterrupted
}
