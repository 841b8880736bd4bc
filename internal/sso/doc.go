// Package sso signs in to IAM Identity Center (AWS SSO) and turns the
// sign-in into AWS credentials, byte-compatible with the AWS CLI:
//
//   - Login runs the authorization code flow with PKCE (sso-session
//     profiles) or the device authorization grant (legacy profiles, or on
//     request), on aws-sdk-go-v2's ssooidc client, reusing client
//     registrations cached under the CLI's hashed key;
//   - tokens are cached in ~/.aws/sso/cache exactly as the CLI writes them
//     (Python json.dumps spacing and key order, "...Z" times, sha1 file
//     names), atomically, 0600 in a 0700 directory, keeping unknown fields,
//     and read leniently (the old "UTC" suffix, fractional seconds);
//   - TokenProvider refreshes the token like botocore (15 minute window, at
//     most one attempt a minute, the still-valid token kept when refresh
//     fails) under a lock file, so that of several processes one refreshes;
//   - RoleProvider exchanges the token for role credentials with the portal
//     API's GetRoleCredentials, as an aws.CredentialsProvider.
//
// Errors that need a new sign-in are LoginRequiredError values of fault kind
// Auth whose hint is the exact command to run.
package sso
