package authflow

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// PKCE is a code verifier and its S256 challenge.
type PKCE struct {
	Verifier  string
	Challenge string
	Method    string // always "S256"
}

// NewPKCE returns a fresh verifier (64 random bytes, base64url, 86 chars:
// within RFC 7636's 43-128) and its S256 challenge.
func NewPKCE() PKCE {
	v := RandomString(64)
	return PKCE{Verifier: v, Challenge: S256(v), Method: "S256"}
}

// S256 returns BASE64URL(SHA256(verifier)) without padding.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomString returns n random bytes, base64url-encoded without padding. Use
// it for state and nonce values.
func RandomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
