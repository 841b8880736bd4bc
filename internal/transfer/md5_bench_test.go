package transfer

import (
	"crypto/md5"
	"fmt"
	"hash"
	"sync"
	"testing"

	md5simd "github.com/minio/md5-simd"
)

// BenchmarkMD5 compares crypto/md5 with github.com/minio/md5-simd for what
// a download of a multipart object does: N parts hashed at once, each fed
// in the writes a download makes (copyPooled's 256 KiB, or less when the
// socket returns less). MB/s is wall-clock throughput of all streams
// together; MB/cpu-s is bytes per second of process CPU (on a machine
// whose cores the client shares with the server, CPU is what counts).
//
//	go test -run '^$' -bench MD5 ./internal/transfer/
func BenchmarkMD5(b *testing.B) {
	const perStream = 4 << 20
	for _, write := range []int{32 << 10, 256 << 10} {
		for _, streams := range []int{1, 2, 4, 8, 16} {
			b.Run(fmt.Sprintf("crypto/write=%dK/streams=%d", write>>10, streams), func(b *testing.B) {
				benchMD5(b, streams, write, perStream, func() hash.Hash { return md5.New() }, nil)
			})
			b.Run(fmt.Sprintf("simd/write=%dK/streams=%d", write>>10, streams), func(b *testing.B) {
				srv := md5simd.NewServer()
				defer srv.Close()
				benchMD5(b, streams, write, perStream, func() hash.Hash { return srv.NewHash() }, func(h hash.Hash) { h.(md5simd.Hasher).Close() })
			})
		}
	}
}

// BenchmarkMD5x16 measures the AVX-512 kernel as the laneHasher calls it:
// rounds of 64 KiB in each of 1 to 16 lanes of one call, on one goroutine
// (a call costs the same for 1 to 16 lanes).
func BenchmarkMD5x16(b *testing.B) {
	if !haveMD5x16 {
		b.Skip("no AVX-512")
	}
	for _, lanes := range []int{1, 2, 4, 8, 12, 16} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			arena := make([]byte, 16*laneChunk)
			for i := range arena {
				arena[i] = byte(i * 7)
			}
			var d digest16
			var offs [16]int
			for i := range offs {
				offs[i] = i * laneChunk
			}
			mask := uint16(1<<lanes - 1)
			b.SetBytes(int64(lanes * laneChunk))
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				md5x16(&d, arena, &offs, mask, laneChunk)
			}
			b.StopTimer()
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)*float64(lanes*laneChunk)/cpu.Seconds()/1e6, "MB/cpu-s")
			}
		})
	}
}

func benchMD5(b *testing.B, streams, write, perStream int, newHash func() hash.Hash, closeHash func(hash.Hash)) {
	buf := make([]byte, write)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(streams * perStream))
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h := newHash()
				for n := 0; n < perStream; n += write {
					h.Write(buf)
				}
				h.Sum(nil)
				if closeHash != nil {
					closeHash(h)
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(streams*perStream)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

// BenchmarkMD5x16Cold is BenchmarkMD5x16 with 16 full lanes over bytes no
// longer in the CPU's caches, as the lane hasher finds the page cache: 16
// lanes walk 16 regions of a 1 GiB arena, 64 KiB per call.
func BenchmarkMD5x16Cold(b *testing.B) {
	if !haveMD5x16 {
		b.Skip("no AVX-512")
	}
	const region = 64 << 20
	arena := make([]byte, 16*region)
	for i := range arena {
		arena[i] = byte(i * 7)
	}
	var d digest16
	var offs [16]int
	b.SetBytes(16 * laneChunk)
	cpu0 := cpuTime()
	b.ResetTimer()
	at := 0
	for range b.N {
		for i := range offs {
			offs[i] = i*region + at
		}
		md5x16(&d, arena, &offs, 0xffff, laneChunk)
		at = (at + laneChunk) % region
	}
	b.StopTimer()
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)*16*laneChunk/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}
