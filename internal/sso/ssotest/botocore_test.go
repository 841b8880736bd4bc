package ssotest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/testenv"
)

// awsCLI runs awscli v1 (botocore) against the emulator.
func awsCLI(t *testing.T, s *Server, args ...string) (map[string]any, string, error) {
	t.Helper()
	bin := testenv.RequireTool(t, "aws")
	cmd := exec.Command(bin, append(args, "--region", "us-east-1", "--output", "json")...)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_SSO="+s.URL, "AWS_ENDPOINT_URL_SSO_OIDC="+s.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var out map[string]any
	if err == nil && stdout.Len() > 0 {
		if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
			t.Fatalf("aws %s: invalid JSON %q", strings.Join(args, " "), stdout.String())
		}
	}
	return out, stderr.String(), err
}

func mustAWS(t *testing.T, s *Server, args ...string) map[string]any {
	t.Helper()
	out, stderr, err := awsCLI(t, s, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// TestEmulatorAgainstBotocore drives every emulated operation with the AWS
// CLI (botocore's models, serializers and error parsing), so the emulator
// cannot drift from the real wire protocol.
func TestEmulatorAgainstBotocore(t *testing.T) {
	home := testenv.Home(t)
	// awscli v1 fetches http(s):// parameter values unless told not to.
	testenv.WriteFile(t, home+"/.aws/config", "[default]\ncli_follow_urlparam = false\n")
	s := Start(t, Options{Accounts: []Account{
		{ID: "111122223333", Name: "dev", Email: "dev@example.com", Roles: []string{"ReadOnly", "Admin"}},
		{ID: "444455556666", Name: "prod", Email: "prod@example.com", Roles: []string{"ReadOnly"}},
		{ID: "777788889999", Name: "sandbox", Email: "sb@example.com", Roles: []string{"Admin"}},
	}})

	reg := mustAWS(t, s, "sso-oidc", "register-client", "--client-name", "botocore-client-test", "--client-type", "public", "--scopes", "sso:account:access")
	id, _ := reg["clientId"].(string)
	secret, _ := reg["clientSecret"].(string)
	if id == "" || secret == "" || reg["clientSecretExpiresAt"] == nil {
		t.Fatalf("register-client: %v", reg)
	}
	sda := mustAWS(t, s, "sso-oidc", "start-device-authorization", "--client-id", id, "--client-secret", secret, "--start-url", "https://d-1234567890.awsapps.com/start")
	deviceCode, _ := sda["deviceCode"].(string)
	if deviceCode == "" || sda["userCode"] == nil || sda["interval"] == nil || sda["verificationUriComplete"] == nil {
		t.Fatalf("start-device-authorization: %v", sda)
	}
	tokenArgs := []string{"sso-oidc", "create-token", "--client-id", id, "--client-secret", secret,
		"--grant-type", "urn:ietf:params:oauth:grant-type:device_code", "--device-code", deviceCode}
	_, stderr, err := awsCLI(t, s, tokenArgs...)
	if err == nil || !strings.Contains(stderr, "AuthorizationPendingException") {
		t.Fatalf("pending create-token: err %v, stderr %s", err, stderr)
	}
	s.SetSlowDown(1)
	if _, stderr, _ = awsCLI(t, s, tokenArgs...); !strings.Contains(stderr, "SlowDownException") {
		t.Fatalf("slow_down: %s", stderr)
	}
	resp, err := http.Get(sda["verificationUriComplete"].(string))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("approve: %v %v", resp, err)
	}
	resp.Body.Close()
	tok := mustAWS(t, s, tokenArgs...)
	access, _ := tok["accessToken"].(string)
	refresh, _ := tok["refreshToken"].(string)
	if access == "" || refresh == "" || tok["tokenType"] != "Bearer" || tok["expiresIn"] == nil {
		t.Fatalf("create-token: %v", tok)
	}
	if _, stderr, _ = awsCLI(t, s, tokenArgs...); !strings.Contains(stderr, "InvalidGrantException") {
		t.Errorf("a device code is single-use: %s", stderr)
	}

	// Refresh grant.
	ref := mustAWS(t, s, "sso-oidc", "create-token", "--client-id", id, "--client-secret", secret, "--grant-type", "refresh_token", "--refresh-token", refresh)
	if ref["accessToken"] == nil || ref["refreshToken"] == refresh {
		t.Errorf("refresh: %v", ref)
	}
	access = ref["accessToken"].(string)

	// Portal: pagination (page size 1 forces three pages), roles, credentials.
	accts := mustAWS(t, s, "sso", "list-accounts", "--access-token", access, "--page-size", "1")
	if list, _ := accts["accountList"].([]any); len(list) != 3 {
		t.Errorf("list-accounts: %v", accts)
	}
	if n := s.Count("ListAccounts"); n != 3 {
		t.Errorf("ListAccounts pages %d, want 3", n)
	}
	roles := mustAWS(t, s, "sso", "list-account-roles", "--access-token", access, "--account-id", "111122223333")
	if list, _ := roles["roleList"].([]any); len(list) != 2 {
		t.Errorf("list-account-roles: %v", roles)
	}
	rc := mustAWS(t, s, "sso", "get-role-credentials", "--access-token", access, "--account-id", "111122223333", "--role-name", "ReadOnly")
	creds, _ := rc["roleCredentials"].(map[string]any)
	if creds == nil || creds["accessKeyId"] == nil || creds["sessionToken"] == nil {
		t.Fatalf("get-role-credentials: %v", rc)
	}
	if exp, _ := creds["expiration"].(float64); exp < 1e12 {
		t.Errorf("expiration must be epoch milliseconds: %v", creds["expiration"])
	}
	if _, stderr, _ = awsCLI(t, s, "sso", "get-role-credentials", "--access-token", access, "--account-id", "111122223333", "--role-name", "Nope"); !strings.Contains(stderr, "ForbiddenException") {
		t.Errorf("unassigned role: %s", stderr)
	}

	// Logout, then the token is refused with UnauthorizedException.
	if _, stderr, err = awsCLI(t, s, "sso", "logout", "--access-token", access); err != nil {
		t.Fatalf("logout: %v %s", err, stderr)
	}
	if _, stderr, _ = awsCLI(t, s, "sso", "get-role-credentials", "--access-token", access, "--account-id", "111122223333", "--role-name", "ReadOnly"); !strings.Contains(stderr, "UnauthorizedException") {
		t.Errorf("after logout: %s", stderr)
	}

	// Expired device code.
	sda = mustAWS(t, s, "sso-oidc", "start-device-authorization", "--client-id", id, "--client-secret", secret, "--start-url", "https://d-1234567890.awsapps.com/start")
	s.ExpireDeviceCodes()
	if _, stderr, _ = awsCLI(t, s, "sso-oidc", "create-token", "--client-id", id, "--client-secret", secret,
		"--grant-type", "urn:ietf:params:oauth:grant-type:device_code", "--device-code", sda["deviceCode"].(string)); !strings.Contains(stderr, "ExpiredTokenException") {
		t.Errorf("expired device code: %s", stderr)
	}
	// Wrong client secret.
	if _, stderr, _ = awsCLI(t, s, "sso-oidc", "start-device-authorization", "--client-id", id, "--client-secret", "wrong", "--start-url", "x"); !strings.Contains(stderr, "InvalidClientException") {
		t.Errorf("bad secret: %s", stderr)
	}
}
