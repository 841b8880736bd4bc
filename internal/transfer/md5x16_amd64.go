//go:build amd64 && gc && !noasm && !appengine

package transfer

import (
	"runtime"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
	_ "github.com/minio/md5-simd" // block16 and the constants it reads
)

// block16 is md5-simd's AVX-512 kernel (github.com/minio/md5-simd v1.1.2,
// block16_amd64.s): it hashes n bytes (a multiple of 64) of each of 16 MD5
// streams whose bit is set in mask, lane i reading from base+ptrs[i]. The
// package has no exported call that hashes 16 lanes at once: its server
// goroutine hashes whatever lanes have data when it runs, which on a
// download left most lanes empty (see laneHasher). TestMD5x16 checks it
// against crypto/md5, so a md5-simd that changes it fails the tests (and
// one that drops it fails the build).
//
//go:linkname block16 github.com/minio/md5-simd.block16
//go:noescape
func block16(state *uint32, base uintptr, ptrs *int32, mask uint64, n int)

// haveMD5x16 reports whether md5x16 can run here (AVX-512F and DQ, as
// md5-simd requires for block16).
var haveMD5x16 = cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512DQ)

// md5x16 hashes n bytes (a multiple of 64) into each lane set in mask: lane
// i's bytes are arena[offs[i] : offs[i]+n]. Lanes not in mask keep their
// state.
func md5x16(d *digest16, arena []byte, offs *[16]int32, mask uint16, n int) {
	for i := range 16 {
		if mask&(1<<i) != 0 && (offs[i] < 0 || int(offs[i])+n > len(arena)) {
			panic("transfer: md5x16 lane outside its arena")
		}
	}
	work := *d // block16 writes every lane's state; only mask's are kept
	block16(&work.v0[0], uintptr(unsafe.Pointer(&arena[0])), &offs[0], uint64(mask), n)
	runtime.KeepAlive(arena)
	for i := range 16 {
		if mask&(1<<i) != 0 {
			d.v0[i], d.v1[i], d.v2[i], d.v3[i] = work.v0[i], work.v1[i], work.v2[i], work.v3[i]
		}
	}
}
