//go:build unix

package transfer

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only (nil if it cannot be
// mapped: the caller reads instead).
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return m
}

// unmapFile undoes mapFile.
func unmapFile(m []byte) { _ = syscall.Munmap(m) }

// releasePages drops the mapping's pages of m[from:to] from the process
// (they stay in the page cache): mapped pages of a file count as the
// process's resident memory while they are mapped.
func releasePages(m []byte, from, to int64) {
	pg := int64(os.Getpagesize())
	from = (from + pg - 1) / pg * pg
	to = to / pg * pg
	if to > from {
		_ = syscall.Madvise(m[from:to], syscall.MADV_DONTNEED)
	}
}
