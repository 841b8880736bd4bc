package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/s3sso/s3sso/internal/fault"
)

// stsSeeds are AssumeRoleWithWebIdentity answers from AWS and MinIO.
var stsSeeds = []string{
	awsOK,
	`<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><AssumedRoleUser><Arn></Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser><Credentials><AccessKeyId>K1</AccessKeyId><SecretAccessKey>S1</SecretAccessKey><SessionToken>T1</SessionToken><Expiration>2026-07-23T19:04:05.123456789Z</Expiration></Credentials><SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult><ResponseMetadata></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
	`<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>K</AccessKeyId><SecretAccessKey>S</SecretAccessKey><Expiration>2026-07-23T21:04:05+0200</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
	`<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>K</AccessKeyId><SecretAccessKey>S</SecretAccessKey><Expiration>tomorrow</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
	stsErr("InvalidIdentityToken", "Token audience is not valid"),
	stsErr("ExpiredToken", "Token expired:\n  at line 2"),
	`<html><body><h1>502 Bad Gateway</h1></body></html>`,
	``,
}

var secretElem = regexp.MustCompile(`(?s)<(SecretAccessKey|SessionToken)>.*?</(SecretAccessKey|SessionToken)>`)

// FuzzParseSTSResponse checks the STS answer reader: accepted credentials
// have a key pair and a UTC expiry, survive the JSON cache and read back
// the same from an AWS-format answer written from them; an error never
// shows the secret key or session token.
func FuzzParseSTSResponse(f *testing.F) {
	for _, s := range stsSeeds {
		f.Add([]byte(s))
	}
	const marker = "Zq9SECRETq9Z"
	f.Fuzz(func(t *testing.T, body []byte) {
		marked := secretElem.ReplaceAll(body, []byte("<$1>"+marker+"</$1>"))
		if _, err := parseSTSResponse(marked); err != nil && strings.Contains(err.Error(), marker) {
			t.Fatalf("the error shows a secret: %v", err)
		}
		c, err := parseSTSResponse(body)
		if err != nil {
			return
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.Expiration.Location() != time.UTC {
			t.Fatalf("accepted credentials without keys or UTC expiry: %+v", c)
		}
		// The OIDC cache keeps credentials as JSON.
		j, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("accepted credentials cannot be cached: %v", err)
		}
		var cached Credentials
		if err := json.Unmarshal(j, &cached); err != nil || !sameCredentials(cached, *c) {
			t.Fatalf("cached credentials differ: %v\n%+v\n%+v", err, cached, *c)
		}
		// Written as AWS would answer, they read back the same.
		var out stsResponse
		out.Result.Subject = c.Subject
		out.Result.User.ARN = c.AssumedRoleARN
		out.Result.Credentials.AccessKeyID = c.AccessKeyID
		out.Result.Credentials.SecretAccessKey = c.SecretAccessKey
		out.Result.Credentials.SessionToken = c.SessionToken
		out.Result.Credentials.Expiration = c.Expiration.Format(time.RFC3339Nano)
		x, err := xml.Marshal(struct {
			XMLName xml.Name `xml:"AssumeRoleWithWebIdentityResponse"`
			stsResponse
		}{stsResponse: out})
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseSTSResponse(x)
		if err != nil || !sameCredentials(*back, *c) {
			t.Fatalf("rewritten answer reads back differently: %v\n%s\n%+v\n%+v", err, x, back, *c)
		}
	})
}

func sameCredentials(a, b Credentials) bool {
	ta, tb := a.Expiration, b.Expiration
	a.Expiration, b.Expiration = time.Time{}, time.Time{}
	return a == b && ta.Equal(tb)
}

// FuzzParseSTSError checks the STS error reader: it always gives an error
// with the status, one line of text (each problem is one line), at most
// about 200 characters of a non-XML page, valid UTF-8 from valid UTF-8,
// and the classification of every such error has a kind.
func FuzzParseSTSError(f *testing.F) {
	for i, s := range stsSeeds {
		f.Add([]int{400, 403, 500, 503, 200, 418, 999, 0}[i%8], []byte(s))
	}
	c := &Client{Config: Config{Issuer: "https://idp.example", ClientID: "cid"}}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseSTSError(status, body)
		if e == nil || e.StatusCode != status {
			t.Fatalf("parseSTSError = %+v", e)
		}
		msg := e.Error()
		if msg == "" || strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("not one line: %q", msg)
		}
		if utf8.Valid(body) && !utf8.ValidString(msg) {
			t.Fatalf("invalid UTF-8 from a valid body: %q", msg)
		}
		if e.Code == "" && len(e.Message) > 210 {
			t.Fatalf("page text not shortened: %d bytes", len(e.Message))
		}
		if err := c.classifySTSError("https://sts.example/", e); fault.KindOf(err) == fault.Unknown && e.Code != "" {
			t.Fatalf("STS error %s without a kind", e.Code)
		}
	})
}

// discoverySeeds are discovery documents of real providers (trimmed).
var discoverySeeds = []string{
	`{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/auth","token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/keys","userinfo_endpoint":"https://idp.example/userinfo","device_authorization_endpoint":"https://idp.example/device/code","introspection_endpoint":"https://idp.example/token/introspect","grant_types_supported":["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code","password"],"response_types_supported":["code"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["RS256"],"code_challenge_methods_supported":["S256","plain"],"scopes_supported":["openid","email","groups","profile","offline_access"],"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"],"claims_supported":["iss","sub","aud","iat","exp","email","email_verified","locale","name","preferred_username","at_hash"]}`,
	`{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/protocol/openid-connect/auth","token_endpoint":"https://idp.example/protocol/openid-connect/token","revocation_endpoint":"https://idp.example/protocol/openid-connect/revoke","jwks_uri":"https://idp.example/protocol/openid-connect/certs","end_session_endpoint":"https://idp.example/logout","mtls_endpoint_aliases":{"token_endpoint":"https://mtls.idp.example/token"}}`,
	`{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/auth"}`,
	`{"issuer":"https://other.example","authorization_endpoint":"a","token_endpoint":"t"}`,
	`{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/auth","token_endpoint":"https://idp.example/token","id_token_signing_alg_values_supported":"RS256"}`,
	`<html>login</html>`,
	``,
}

// bodyTransport answers every request with one body, in-process.
type bodyTransport struct {
	status int
	body   []byte
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: b.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b.body)), Request: r}, nil
}

// FuzzDiscovery checks the OpenID discovery document reader (go-oidc plus
// s3sso's checks), served in-process: a document it accepts gives an
// authorization and a token endpoint and a usable authorization URL; a
// document it refuses is a configuration error of one line with a hint.
func FuzzDiscovery(f *testing.F) {
	for _, s := range discoverySeeds {
		f.Add(200, []byte(s))
	}
	f.Add(404, []byte("404 page not found\n"))
	f.Add(500, []byte("<html>\n<b>oops</b>\n</html>"))
	f.Fuzz(func(t *testing.T, status int, doc []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c := &Client{Config: Config{Issuer: "https://idp.example", ClientID: "cid"},
			HTTPClient: &http.Client{Transport: bodyTransport{status, doc}}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ep, err := c.Discover(ctx)
		if err != nil {
			if k := fault.KindOf(err); k != fault.Config {
				t.Fatalf("a document served in-process gave a %v error: %v", k, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") || fault.HintOf(err) == "" {
				t.Fatalf("error not one line with a hint: %q (hint %q)", err, fault.HintOf(err))
			}
			if utf8.Valid(doc) && !utf8.ValidString(err.Error()) {
				t.Fatalf("invalid UTF-8 from a valid document: %q", err)
			}
			return
		}
		if ep.Auth == "" || ep.Token == "" || ep.Issuer != "https://idp.example" {
			t.Fatalf("accepted endpoints %+v", ep)
		}
		if u := c.oauthConfig(ep, "http://127.0.0.1:1/callback").AuthCodeURL("state"); !strings.Contains(u, "state=state") {
			t.Fatalf("authorization URL %q", u)
		}
	})
}
