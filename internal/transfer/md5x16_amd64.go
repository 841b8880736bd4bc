//go:build amd64 && gc && !noasm && !appengine

package transfer

import (
	"runtime"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

//go:generate go run md5x16_gen.go

// md5x16block (md5x16_amd64.s, written by md5x16_gen.go) hashes n bytes
// (a multiple of 64, at least 64) into each of the 16 lanes of state, lane
// i reading from ptrs[i]. TestMD5x16 and FuzzMD5x16 check it against
// crypto/md5.
//
//go:noescape
func md5x16block(state *digest16, ptrs *[16]uintptr, n int)

// haveMD5x16 reports whether md5x16 can run here (AVX-512F and DQ).
var haveMD5x16 = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ)

// md5x16 hashes n bytes (a multiple of 64) into each lane set in mask: lane
// i's bytes are arena[offs[i] : offs[i]+n]. Lanes not in mask keep their
// state.
func md5x16(d *digest16, arena []byte, offs *[16]int, mask uint16, n int) {
	if mask == 0 || n == 0 {
		return
	}
	if n%64 != 0 {
		panic("transfer: md5x16 of a partial block")
	}
	var ptrs [16]uintptr
	first := -1
	for i := range 16 {
		if mask&(1<<i) == 0 {
			continue
		}
		if offs[i] < 0 || offs[i]+n > len(arena) {
			panic("transfer: md5x16 lane outside its arena")
		}
		ptrs[i] = uintptr(unsafe.Pointer(&arena[offs[i]]))
		if first < 0 {
			first = i
		}
	}
	for i := range 16 {
		if mask&(1<<i) == 0 {
			ptrs[i] = ptrs[first] // hashed, and thrown away
		}
	}
	work := *d // the kernel hashes every lane; only mask's are kept
	md5x16block(&work, &ptrs, n)
	runtime.KeepAlive(arena)
	for i := range 16 {
		if mask&(1<<i) != 0 {
			d.v0[i], d.v1[i], d.v2[i], d.v3[i] = work.v0[i], work.v1[i], work.v2[i], work.v3[i]
		}
	}
}
