package ssotest

import "testing"

// Start runs an emulator on a free 127.0.0.1 port for the test and stops it
// when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		tb.Fatalf("start the IAM Identity Center emulator: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
