package creds

import (
	"strings"
	"testing"
)

func TestScrubRemovesSecrets(t *testing.T) {
	const secret = "S3CR3T-value_123"
	cases := []string{
		"X-Amz-Security-Token: " + secret + "\r\nHost: x",
		"x-amz-sso_bearer_token: " + secret,
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=" + secret,
		`{"accessToken": "` + secret + `", "expiresAt": "2026-01-01T00:00:00Z"}`,
		`{"clientSecret":"` + secret + `"}`,
		`{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"` + secret + `","sessionToken":"` + secret + `"}}`,
		"<Credentials><SecretAccessKey>" + secret + "</SecretAccessKey><SessionToken>" + secret + "</SessionToken></Credentials>",
		"grant_type=refresh_token&refresh_token=" + secret + "&client_secret=" + secret,
		"Action=AssumeRoleWithWebIdentity&WebIdentityToken=" + secret + "&Version=2011-06-15",
		"code=" + secret + "&code_verifier=" + secret,
		`{"id_token":"` + secret + `","access_token":"` + secret + `"}`,
	}
	for _, c := range cases {
		if got := Scrub(c); strings.Contains(got, secret) {
			t.Errorf("Scrub(%q) = %q still has the secret", c, got)
		}
	}
	if got := Scrub("GET /bucket?list-type=2 HTTP/1.1"); got != "GET /bucket?list-type=2 HTTP/1.1" {
		t.Errorf("Scrub changed harmless text: %q", got)
	}
}
