// Package authflow holds the browser-side pieces shared by every interactive
// sign-in (IAM Identity Center's authorization code flow and any OpenID
// Connect provider's): PKCE (RFC 7636), the loopback redirect listener
// (RFC 8252, bound to 127.0.0.1 before the browser opens), random state and
// nonce values, and opening the browser ($BROWSER, then the platform opener).
package authflow
