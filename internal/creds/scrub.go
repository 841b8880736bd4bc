package creds

import "regexp"

var scrubbers = []struct {
	re   *regexp.Regexp
	repl string
}{
	// HTTP headers carrying credentials or tokens.
	{regexp.MustCompile(`(?i)((?:x-amz-security-token|x-amz-sso_bearer_token|authorization|cookie|set-cookie)\s*:)[^\r\n]*`), "$1 REDACTED"},
	// JSON fields (SSO OIDC, portal, token caches, OAuth responses).
	{regexp.MustCompile(`(?i)("(?:accessToken|refreshToken|clientSecret|secretAccessKey|sessionToken|idToken|id_token|access_token|refresh_token|client_secret|device_code|deviceCode|code_verifier|codeVerifier)"\s*:\s*)"[^"]*"`), `$1"REDACTED"`},
	// XML elements (STS responses).
	{regexp.MustCompile(`(?i)<(SecretAccessKey|SessionToken)>[^<]*</`), "<$1>REDACTED</"},
	// Form and query parameters.
	{regexp.MustCompile(`(?i)\b((?:client_secret|refresh_token|code_verifier|code|WebIdentityToken|X-Amz-Security-Token|id_token|access_token|device_code)=)[^&\s"]*`), "${1}REDACTED"},
}

// Scrub removes credentials and tokens from diagnostic text (SDK request
// and response dumps, error messages) before it is logged.
func Scrub(s string) string {
	for _, sc := range scrubbers {
		s = sc.re.ReplaceAllString(s, sc.repl)
	}
	return s
}
