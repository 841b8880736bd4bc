// Command ssoemu runs the IAM Identity Center emulator of package ssotest
// as a process, for the demo and manual tests. It prints its URL on the
// first line of stdout and serves until interrupted.
//
//	ssoemu [-addr 127.0.0.1:0] [-region us-east-1] [-minio http://127.0.0.1:9000]
//	       [-accounts 111122223333=dev:ReadOnly,Admin;444455556666=prod:ReadOnly]
//	       [-token-ttl 1h]
//
// With -minio, role credentials come from MinIO's STS AssumeRole signed
// with the root keys read from MINIO_ROOT_USER and MINIO_ROOT_PASSWORD (never
// from flags, so they do not show in the process list).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/s3sso/s3sso/internal/sso/ssotest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	region := flag.String("region", "us-east-1", "region of the emulated instance")
	minio := flag.String("minio", "", "MinIO endpoint to mint role credentials on (keys from MINIO_ROOT_USER/MINIO_ROOT_PASSWORD)")
	accounts := flag.String("accounts", "", "accounts: ID=NAME:ROLE,ROLE;ID=NAME:ROLE")
	ttl := flag.Duration("token-ttl", time.Hour, "access token lifetime")
	flag.Parse()
	if !strings.HasPrefix(*addr, "127.0.0.1:") {
		fmt.Fprintln(os.Stderr, "ssoemu: -addr must be on 127.0.0.1")
		os.Exit(2)
	}
	opts := ssotest.Options{Region: *region, AccessTokenTTL: *ttl}
	if *accounts != "" {
		for _, spec := range strings.Split(*accounts, ";") {
			id, rest, _ := strings.Cut(spec, "=")
			name, roles, _ := strings.Cut(rest, ":")
			opts.Accounts = append(opts.Accounts, ssotest.Account{ID: id, Name: name, Email: name + "@example.com", Roles: strings.Split(roles, ",")})
		}
	}
	if *minio != "" {
		opts.Credentials = ssotest.MinIOCredentials(*minio, os.Getenv("MINIO_ROOT_USER"), os.Getenv("MINIO_ROOT_PASSWORD"), 0)
	}
	s := ssotest.New(opts)
	if err := s.Listen(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "ssoemu:", err)
		os.Exit(1)
	}
	fmt.Println(s.URL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = s.Close()
}
