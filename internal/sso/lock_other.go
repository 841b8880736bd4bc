//go:build !unix

package sso

import "context"

// lockFile is a no-op where flock is not available: concurrent processes
// may then each refresh the token, which is wasteful but safe (every write
// is atomic and each result is a valid token).
func lockFile(_ context.Context, _ string, _ bool) (unlock func(), ok bool, err error) {
	return func() {}, true, nil
}
