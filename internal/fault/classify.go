package fault

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// Classify returns the kind of err: the kind it was given with package fault,
// or one inferred from well-known SDK, network and file system errors. It is
// the one place that turns foreign errors (SDK API
// errors, network and file system errors) into kinds, so that every front end
// maps the same kinds: exit codes on the CLI, HTTP statuses in a web UI.
func Classify(err error) Kind {
	if err == nil {
		return Unknown
	}
	if k := KindOf(err); k != Unknown {
		return k
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if k := kindOfAPICode(apiErr.ErrorCode()); k != Unknown {
			return k
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR),
		errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EDQUOT), errors.Is(err, fs.ErrPermission):
		return Local
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Network
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var urlErr *url.Error
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return Network
	}
	if errors.As(err, &urlErr) && urlErr.Timeout() {
		return Network
	}
	if errors.Is(err, fs.ErrNotExist) {
		return NotFound
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Network
	}
	msg := err.Error()
	if strings.Contains(msg, "get identity: get credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found") {
		return Auth
	}
	return Unknown
}

func kindOfAPICode(code string) Kind {
	switch code {
	case "NoSuchBucket", "NoSuchKey", "NotFound", "NoSuchUpload", "NoSuchVersion", "NoSuchEntity":
		return NotFound
	case "AccessDenied", "AllAccessDisabled", "Forbidden", "AccountProblem", "UnauthorizedOperation":
		return AccessDenied
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "InvalidToken",
		"TokenRefreshRequired", "InvalidClientTokenId", "UnrecognizedClientException", "UnauthorizedException":
		return Auth
	case "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "BucketNotEmpty", "PreconditionFailed":
		return Conflict
	case "InvalidBucketName", "InvalidArgument", "InvalidStorageClass",
		// The server's refusal of what was sent (a tag, metadata, a
		// document): the request is wrong, the server says how.
		"InvalidTag", "MalformedXML", "InvalidRequest", "MetadataTooLarge", "InvalidPolicyDocument",
		"MalformedPolicy", "MalformedACLError", "InvalidLocationConstraint", "InvalidTargetBucketForLogging",
		"InvalidEncryptionAlgorithmError":
		return Usage
	case "KeyTooLongError":
		// A key over 1024 bytes: the server's refusal of a name s3sso
		// accepts, not a usage mistake. Exit 1, in the server's words.
		return Unknown
	case "BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum":
		return Integrity
	}
	return Unknown
}
