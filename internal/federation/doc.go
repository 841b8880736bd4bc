// Package federation signs in to any OpenID Connect provider and exchanges
// the ID token for temporary AWS credentials with STS
// AssumeRoleWithWebIdentity, on AWS or on an S3-compatible server with an
// STS (MinIO).
//
// The pieces:
//
//   - [Client.Discover] reads the provider's /.well-known/openid-configuration
//     (go-oidc) unless authorization and token URLs are given explicitly.
//   - [Client.Login] runs the authorization code grant with PKCE, state and
//     nonce through a loopback redirect listener bound before the browser
//     opens (internal/authflow), or the device authorization grant when the
//     provider advertises one and it is asked for (golang.org/x/oauth2).
//   - [Client.Refresh] trades a refresh token for a fresh ID token.
//   - [Client.AssumeRole] posts the ID token to STS as an unsigned form
//     (Version=2011-06-15) and parses the answer leniently, so that MinIO's
//     differences (AssumeRoleId, fractional seconds, ExpiredToken, no RoleArn
//     in claim mode) work too.
//   - [Cache] keeps one entry per account (ID token, refresh token when
//     offline_access was granted, STS credentials), 0600 in a 0700 directory,
//     written atomically.
//   - [Provider] is an aws.CredentialsProvider over all of the above: it
//     serves cached credentials, renews them in the background with the
//     refresh token before they expire, and opens the browser only when no
//     usable refresh token exists.
//
// Errors that the user has to act on carry a fault kind and a hint naming the
// setting to fix (--issuer, --client-id, --client-secret, --redirect-url,
// --role-arn, --sts-endpoint). Tokens and client secrets never appear in
// errors or logs.
package federation
