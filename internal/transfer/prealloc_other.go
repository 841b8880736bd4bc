//go:build !linux

package transfer

import "os"

// preallocate does nothing here: files grow as their ranges are written.
func preallocate(*os.File, int64) error { return nil }
