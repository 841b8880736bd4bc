//go:build linux && (amd64 || arm64)

package transfer

import "testing"

// TestLaneHasherMadvise runs TestLaneHasher's parts with the pages released
// by madvise per span, as where process_madvise refuses.
func TestLaneHasherMadvise(t *testing.T) {
	defer batchRefused.Store(batchRefused.Load())
	batchRefused.Store(true)
	testLaneHasher(t)
}
