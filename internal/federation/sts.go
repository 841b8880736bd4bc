package federation

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
)

// Credentials are temporary AWS credentials from STS.
type Credentials struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	SessionToken    string    `json:"session_token"`
	Expiration      time.Time `json:"expiration"`
	AssumedRoleARN  string    `json:"assumed_role_arn,omitempty"` // empty on MinIO
	Subject         string    `json:"subject,omitempty"`
}

// STSError is an error response from STS.
type STSError struct {
	StatusCode int
	Code       string // e.g. InvalidIdentityToken, ExpiredToken(Exception), AccessDenied
	Message    string
	RequestID  string
}

func (e *STSError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Message)
	}
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Expired reports whether STS found the web identity token expired (AWS:
// ExpiredTokenException, MinIO: ExpiredToken, older MinIO:
// InvalidParameterValue saying so).
func (e *STSError) Expired() bool {
	return e.Code == "ExpiredTokenException" || e.Code == "ExpiredToken" ||
		e.Code == "InvalidParameterValue" && strings.Contains(strings.ToLower(e.Message), "expired")
}

// InvalidToken reports whether STS rejected the web identity token itself
// (signature, issuer, audience): AWS and MinIO say InvalidIdentityToken,
// MinIO often a generic InvalidParameterValue about the JWT.
func (e *STSError) InvalidToken() bool {
	if e.Code == "InvalidIdentityToken" {
		return true
	}
	if e.Code != "InvalidParameterValue" {
		return false
	}
	m := strings.ToLower(e.Message)
	for _, w := range []string{"jwt", "token", "azp", "aud", "verification", "signature", "issuer", "crypto/"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// ErrRoleARNRequired means AWS STS needs a role ARN and none is set.
var ErrRoleARNRequired = errors.New("a role ARN is required for AWS STS")

// IsAWSEndpoint reports whether endpoint is an AWS STS endpoint (which,
// unlike MinIO, always needs a role ARN).
func IsAWSEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return strings.HasSuffix(h, ".amazonaws.com") || strings.HasSuffix(h, ".amazonaws.com.cn") || strings.HasSuffix(h, ".api.aws")
}

func (c *Client) stsEndpoint() string {
	if c.Config.STSEndpoint != "" {
		return c.Config.STSEndpoint
	}
	return DefaultSTSEndpoint
}

// AssumeRole exchanges an ID token for temporary credentials with
// AssumeRoleWithWebIdentity, an unsigned form POST. With an empty role ARN
// no RoleArn is sent (MinIO's claim-based policies); against AWS that is an
// error wrapping ErrRoleARNRequired.
func (c *Client) AssumeRole(ctx context.Context, idToken string, claims Claims) (*Credentials, error) {
	endpoint := c.stsEndpoint()
	if c.Config.RoleARN == "" && IsAWSEndpoint(endpoint) {
		return nil, &fault.Error{Kind: fault.Config, Err: ErrRoleARNRequired,
			Hint: "set the IAM role to assume with --role-arn (s3sso account add NAME ... --role-arn ARN)"}
	}
	sessionName := c.Config.RoleSessionName
	if sessionName == "" {
		sessionName = SessionName(claims)
	}
	form := url.Values{
		"Action":           {"AssumeRoleWithWebIdentity"},
		"Version":          {"2011-06-15"},
		"WebIdentityToken": {idToken},
		"RoleSessionName":  {sessionName},
	}
	if c.Config.RoleARN != "" {
		form.Set("RoleArn", c.Config.RoleARN)
	}
	if c.Config.Duration > 0 {
		form.Set("DurationSeconds", strconv.Itoa(int(c.Config.Duration/time.Second)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fault.Wrap(fault.Config, fmt.Errorf("STS endpoint %q: %w", endpoint, err), "fix --sts-endpoint")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return nil, &fault.Error{Kind: fault.Network, Msg: "AssumeRoleWithWebIdentity at " + endpoint, Err: unwrapURLError(err),
			Hint: "check --sts-endpoint and that the STS is reachable"}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fault.Wrap(fault.Network, fmt.Errorf("read the AssumeRoleWithWebIdentity response from %s: %w", endpoint, err), "")
	}
	if resp.StatusCode != http.StatusOK {
		serr := parseSTSError(resp.StatusCode, body)
		serr.Message = strings.ReplaceAll(serr.Message, idToken, "[token]")
		return nil, c.classifySTSError(endpoint, serr)
	}
	creds, err := parseSTSResponse(body)
	if err != nil {
		return nil, fmt.Errorf("AssumeRoleWithWebIdentity at %s: %w", endpoint, err)
	}
	return creds, nil
}

type stsResponse struct {
	Result struct {
		Subject string `xml:"SubjectFromWebIdentityToken"`
		User    struct {
			ARN string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleWithWebIdentityResult"`
}

// parseSTSResponse reads AWS's and MinIO's AssumeRoleWithWebIdentity
// answers: namespaces are ignored, the assumed-role element may be missing
// or empty (MinIO calls its ID AssumeRoleId), and Expiration may carry
// fractional seconds.
func parseSTSResponse(body []byte) (*Credentials, error) {
	var r stsResponse
	if err := xml.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("parse the response: %w", err)
	}
	rc := r.Result.Credentials
	if rc.AccessKeyID == "" || rc.SecretAccessKey == "" {
		return nil, errors.New("the response carries no credentials")
	}
	exp, err := parseTime(rc.Expiration)
	if err != nil {
		return nil, fmt.Errorf("parse the credentials' expiration %q: %w", rc.Expiration, err)
	}
	return &Credentials{
		AccessKeyID:     rc.AccessKeyID,
		SecretAccessKey: rc.SecretAccessKey,
		SessionToken:    rc.SessionToken,
		Expiration:      exp,
		AssumedRoleARN:  strings.TrimSpace(r.Result.User.ARN),
		Subject:         r.Result.Subject,
	}, nil
}

// parseTime reads an ISO 8601 time as UTC. A time an offset moves out of
// the years 0000-9999 is refused: the credentials cache (JSON) cannot hold
// it.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			if y := t.UTC().Year(); y < 0 || y > 9999 {
				return time.Time{}, errors.New("the year is out of range")
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not an ISO 8601 time")
}

func parseSTSError(status int, body []byte) *STSError {
	var r struct {
		Error struct {
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}
	e := &STSError{StatusCode: status}
	// Code and message on one line (they become part of a one-line error),
	// the message not cut: the caller replaces an echoed ID token, which
	// must be whole for that.
	if xml.Unmarshal(body, &r) == nil && strings.TrimSpace(r.Error.Code) != "" {
		e.Code = strings.Join(strings.Fields(r.Error.Code), " ")
		e.Message, e.RequestID = strings.Join(strings.Fields(r.Error.Message), " "), r.RequestID
		return e
	}
	e.Message = shorten(pageText(body), 200)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// classifySTSError gives an STS error a kind and a hint naming the setting
// to fix.
func (c *Client) classifySTSError(endpoint string, e *STSError) error {
	msg := "AssumeRoleWithWebIdentity at " + endpoint
	fe := &fault.Error{Msg: msg, Err: e}
	lower := strings.ToLower(e.Message)
	switch {
	case e.Expired():
		fe.Kind, fe.Hint = fault.Auth, "the ID token expired"
		fe.Err = &fault.LoginRequiredError{Err: e}
	case e.InvalidToken():
		fe.Kind = fault.Auth
		fe.Hint = fmt.Sprintf("the STS (--sts-endpoint) does not accept tokens from this provider: make it trust the issuer %s and the client ID %s (audience), or check --issuer and --client-id",
			c.Config.Issuer, c.Config.ClientID)
	case e.Code == "AccessDenied" || e.Code == "IDPRejectedClaim":
		fe.Kind = fault.AccessDenied
		fe.Hint = "the role does not trust this identity: check --role-arn and the role's trust policy (issuer, audience, conditions)"
	case strings.Contains(lower, "role") && (e.Code == "InvalidParameterValue" || e.Code == "ValidationError" || e.Code == "MissingParameter" || e.Code == "NoSuchEntity"):
		fe.Kind = fault.Config
		fe.Hint = "fix --role-arn: MinIO prints its role ARNs at start-up (\"IAM Roles:\") and needs none for claim-based policies; AWS needs the ARN of a role that trusts this provider"
	case e.Code == "IDPCommunicationError":
		fe.Kind, fe.Hint = fault.Network, "the STS could not reach the OpenID provider; try again"
	case e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusMethodNotAllowed || e.Code == "":
		fe.Kind, fe.Hint = fault.Config, "check --sts-endpoint: it must be an STS endpoint (AWS STS or the MinIO server's URL)"
	default:
		fe.Kind, fe.Hint = fault.Auth, "check --role-arn, --sts-endpoint and --duration"
	}
	return fe
}
