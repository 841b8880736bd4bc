package objstore

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// refusalRetryer retries, once and at once, a request whose credentials the
// server refused as unknown or expired, when the credentials provider says
// that it has replaced them (S3Options.CredentialsRefused): cached role
// credentials may have been revoked or may belong to another server. Every
// other decision is the wrapped retryer's. Each attempt resolves the
// credentials again, so the retry is signed with the new ones.
type refusalRetryer struct {
	aws.RetryerV2
	refused func(accessKeyID string) bool
}

func (r refusalRetryer) IsErrorRetryable(err error) bool {
	if credentialsRefused(err) {
		return r.refused(signingKey(err))
	}
	return r.RetryerV2.IsErrorRetryable(err)
}

func (r refusalRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if credentialsRefused(err) {
		return 0, nil // new credentials, not a busy server: no backoff
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

// withRefusalRetry wraps r (any retryer) when refused is set.
func withRefusalRetry(r aws.Retryer, refused func(string) bool) aws.Retryer {
	if refused == nil || r == nil {
		return r
	}
	v2, ok := r.(aws.RetryerV2)
	if !ok {
		v2 = retryerV2{r}
	}
	return refusalRetryer{RetryerV2: v2, refused: refused}
}

// retryerV2 adapts an aws.Retryer without GetAttemptToken.
type retryerV2 struct{ aws.Retryer }

func (r retryerV2) GetAttemptToken(context.Context) (func(error) error, error) {
	return r.GetInitialToken(), nil
}

// credentialsRefused reports whether S3 refused the request's credentials
// as unknown or expired (not as lacking permission). HEAD responses carry
// no error body; MinIO names the code in a header, AWS only answers 403.
func credentialsRefused(err error) bool {
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	if code == "" || code == "Forbidden" {
		if resp := httpResponse(err); resp != nil { //nolint:bodyclose // the SDK owns and closes the body of a failed response
			code = resp.Header.Get("X-Minio-Error-Code")
		}
	}
	switch code {
	case "InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException", "InvalidToken":
		return true
	}
	return false
}

// signingKey returns the access key ID the failed request was signed with
// (from its Authorization header), or "".
func signingKey(err error) string {
	resp := httpResponse(err) //nolint:bodyclose // the SDK owns and closes the body of a failed response
	if resp == nil || resp.Request == nil {
		return ""
	}
	_, cred, ok := strings.Cut(resp.Request.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}

func httpResponse(err error) *http.Response {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Response
	}
	return nil
}
