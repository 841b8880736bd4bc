package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/transfer"
)

func TestExitCodes(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("op: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("x"), ExitError},
		{"usage", fault.New(fault.Usage, "bad", ""), ExitUsage},
		{"partial", fault.Wrap(fault.Partial, &transfer.BatchError{Failed: 1, Total: 2, First: errors.New("x")}, ""), ExitPartial},
		{"NoSuchKey", api("NoSuchKey"), ExitNotFound},
		{"NoSuchBucket", api("NoSuchBucket"), ExitNotFound},
		{"AccessDenied", api("AccessDenied"), ExitAccessDenied},
		{"ExpiredToken", api("ExpiredToken"), ExitAuth},
		{"SignatureDoesNotMatch", api("SignatureDoesNotMatch"), ExitAuth},
		{"BucketNotEmpty", api("BucketNotEmpty"), ExitConflict},
		{"BadDigest", api("BadDigest"), ExitIntegrity},
		{"KeyTooLongError is the server's refusal", api("KeyTooLongError"), ExitError},
		{"refused", fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), ExitNetwork},
		{"disk full", fmt.Errorf("write: %w", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), ExitLocal},
		{"is a directory", &fs.PathError{Op: "open", Path: "/x", Err: syscall.EISDIR}, ExitLocal},
		{"missing local file", &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, ExitNotFound},
		{"ctrl-c", fmt.Errorf("get: %w", context.Canceled), ExitInterrupted},
		{"kind beats code", fault.Wrap(fault.Auth, api("AccessDenied"), ""), ExitAuth},
		{"config", fault.New(fault.Config, "bad", ""), ExitConfig},
	}
	for _, tc := range cases {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("%s: ExitCode = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestEveryKindHasAnExitCode covers every kind fault.Kinds lists, so a kind
// added later without an exit code fails here.
func TestEveryKindHasAnExitCode(t *testing.T) {
	for _, k := range fault.Kinds() {
		if _, ok := exitCodeOfKind[k]; !ok {
			t.Errorf("kind %d (%v) has no exit code", k, k)
		}
	}
	if len(exitCodeOfKind) != len(fault.Kinds()) {
		t.Errorf("exitCodeOfKind has %d entries for %d kinds", len(exitCodeOfKind), len(fault.Kinds()))
	}
}
