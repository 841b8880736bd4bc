package objstore

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
)

// TestTranslateNamesTheHostOfAFailedConnection: a connection error without
// a remote address (a name that does not resolve, no network) names the
// request's host instead of an empty string ("list buckets: : cannot
// connect").
func TestTranslateNamesTheHostOfAFailedConnection(t *testing.T) {
	dns := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "s3.us-east-1.amazonaws.com"}}
	err := &url.Error{Op: "Get", URL: "https://s3.us-east-1.amazonaws.com/?x-id=ListBuckets", Err: dns}
	got := (&S3{}).Translate("list buckets", "", err).Error()
	if got != "list buckets: https://s3.us-east-1.amazonaws.com: cannot connect" {
		t.Errorf("got %q", got)
	}
	// Nothing to name at all: still no empty field.
	got = (&S3{}).Translate("list buckets", "", errors.Join(dns)).Error()
	if strings.Contains(got, ": :") || !strings.Contains(got, "the S3 endpoint") {
		t.Errorf("got %q", got)
	}
}
