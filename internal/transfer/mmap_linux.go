//go:build linux && (amd64 || arm64)

package transfer

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
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

// pageSpan returns [from, to) widened to whole pages, within m.
func pageSpan(m []byte, from, to int64) (int64, int64) {
	pg := int64(os.Getpagesize())
	return from / pg * pg, min((to+pg-1)/pg*pg, int64(len(m)))
}

// releasePages drops the mapping's pages of each span [from, to) of m (and
// the pages they share with bytes around them) from the process; they stay
// in the page cache and are mapped again when read. Mapped pages of a file
// count as the process's resident memory while they are mapped.
func releasePages(m []byte, spans [][2]int64) {
	if releaseBatch(m, spans) {
		return
	}
	for _, s := range spans {
		if from, to := pageSpan(m, s[0], s[1]); to > from {
			_ = syscall.Madvise(m[from:to], syscall.MADV_DONTNEED)
		}
	}
}

// Linux's process_madvise(2) (5.10; MADV_DONTNEED on the calling process
// since 6.x, whichever accepts it) releases all the lanes' pages of a round
// in one call, with one TLB shootdown: a madvise(2) per lane interrupted
// the other CPU every time (in a VM, about 0.05 s per GiB).
const (
	sysPidfdOpen      = 434
	sysProcessMadvise = 440
)

var selfPidfd = sync.OnceValue(func() int {
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(os.Getpid()), 0, 0)
	if e != 0 {
		return -1
	}
	return int(fd)
})

// batchRefused is set when process_madvise refuses: madvise per span then.
var batchRefused atomic.Bool

// releaseBatch releases the spans in one process_madvise call; false if it
// cannot.
func releaseBatch(m []byte, spans [][2]int64) bool {
	if batchRefused.Load() {
		return false
	}
	fd := selfPidfd()
	if fd < 0 {
		return false
	}
	iov := make([]syscall.Iovec, 0, len(spans))
	for _, s := range spans {
		if from, to := pageSpan(m, s[0], s[1]); to > from {
			v := syscall.Iovec{Base: &m[from]}
			v.SetLen(int(to - from))
			iov = append(iov, v)
		}
	}
	if len(iov) == 0 {
		return true
	}
	_, _, e := syscall.Syscall6(sysProcessMadvise, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)), syscall.MADV_DONTNEED, 0, 0)
	if e != 0 {
		batchRefused.Store(true)
		return false
	}
	return true
}
