package transfer

import (
	"cmp"
	"crypto/md5"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

// laneChunk is how many bytes of each part one round of a laneHasher
// hashes; a round's lanes all hash exactly this much.
const laneChunk = 64 << 10

// laneArenas hold one round's bytes, 16 slots of laneChunk, where the file
// cannot be mapped.
var laneArenas = sync.Pool{New: func() any { b := make([]byte, 16*laneChunk); return &b }}

// digest16 is the state of 16 MD5 lanes, laid out as md5x16block takes
// it: word j of lane i is vj[i].
type digest16 struct {
	v0, v1, v2, v3 [16]uint32
}

// laneHasher computes the MD5 of each part of a download (a multipart ETag
// is the MD5 of the part MD5s) with AVX-512, 16 parts at once, from the
// file right behind the writers; the writers never wait for it. Each round
// hashes 64 KiB of 16 parts (fewer only at the end) in the 16 lanes of one
// call of the AVX-512 kernel (md5x16). A round waits until 16 parts have
// that much new on disk: the parts finished earlier are hashed together
// with those being written (4 to 8), so the lanes run full. pickLanes
// chooses the 16: the parts being written first, so that they keep pace
// with the download, then those with most left, so that what is left
// after the last byte is spread over all parts and still fills the lanes.
//
// The file is mapped (read-only) and the kernel hashes the page cache in
// place: reading the parts back with pread was a second copy of every byte,
// as much CPU again as the hashing (0.14 s per GiB). The pages hashed are
// released after each round (one process_madvise call on Linux), so that
// they do not count as the process's memory. Where the file cannot be
// mapped, the bytes are read into an arena.
//
// md5-simd's own server (md5Lanes), fed by the writers as the bytes came in,
// hashed whatever had arrived when it ran: on a 1 GiB download most rounds
// had a few lanes, and MD5 took two to four times the CPU of full rounds.
// A call costs the same for 1 to 16 lanes (its time is the latency of
// MD5's 64 steps, one after the other, whatever the lanes), so rounds of
// the 8 parts in flight alone cost twice as much per byte as rounds of 16
// (BenchmarkMD5x16); over bytes no longer in the CPU's caches a round
// costs about a sixth more (BenchmarkMD5x16Cold).
// Hashing from the writers' buffers (nothing read back) did not pay: the
// streams run at different speeds, so rounds either waited for the slowest
// (the buffers of the others overflowed, to be read back anyway) or ran
// with three lanes on average.
type laneHasher struct {
	f      *os.File
	size   int64
	parts  []lanePart
	kick   chan struct{}
	quit   chan struct{}
	result chan laneResult
	once   sync.Once
	ndone  atomic.Int64 // parts all on disk
	stats  laneStats    // read after sums
}

type lanePart struct {
	start   atomic.Int64 // file offset of the part's first byte; -1: not started
	written atomic.Int64 // bytes of the part on disk, from its start
	size    atomic.Int64 // the part's size once all of it is on disk; -1 before
}

type laneResult struct {
	sums [][]byte
	err  error
}

// laneStats count a lane hasher's work, for --debug.
type laneStats struct {
	rounds, lanes int   // kernel calls, and lanes hashed in them
	atLast        int64 // bytes left to hash when the last part was on disk
}

// mapLanes: the lane hasher maps the file (tests switch it off to test the
// reads of where it cannot).
var mapLanes = true

// newLaneHasher starts hashing the n parts of a download into f, a file of
// size bytes.
func newLaneHasher(f *os.File, size int64, n int) *laneHasher {
	lh := &laneHasher{f: f, size: size, parts: make([]lanePart, n), kick: make(chan struct{}, 1),
		quit: make(chan struct{}), result: make(chan laneResult, 1)}
	for i := range lh.parts {
		lh.parts[i].start.Store(-1)
		lh.parts[i].size.Store(-1)
	}
	go lh.run()
	return lh
}

// wrote reports the first n bytes of part i, which starts at offset start,
// on disk.
func (lh *laneHasher) wrote(i int, start, n int64) {
	p := &lh.parts[i]
	p.written.Store(n)
	if p.start.Load() < 0 {
		p.start.Store(start)
	}
	lh.wake()
}

// done reports all of part i (size bytes at offset start) on disk.
func (lh *laneHasher) done(i int, start, size int64) {
	p := &lh.parts[i]
	p.written.Store(size)
	if p.size.Swap(size) < 0 { // counted once, whoever reports it again
		lh.ndone.Add(1)
	}
	p.start.Store(start)
	lh.wake()
}

func (lh *laneHasher) wake() {
	select {
	case lh.kick <- struct{}{}:
	default:
	}
}

// sums waits for the MD5 of every part.
func (lh *laneHasher) sums() ([][]byte, error) {
	r := <-lh.result
	return r.sums, r.err
}

// stop ends the hasher early (the download failed).
func (lh *laneHasher) stop() { lh.once.Do(func() { close(lh.quit) }) }

func (lh *laneHasher) run() {
	// A mapped file that shrinks under the hasher (someone truncated it)
	// faults; that is an error of this download, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var m []byte
	if mapLanes {
		m = mapFile(lh.f, lh.size)
	}
	if m != nil {
		defer unmapFile(m)
	}
	defer func() {
		if r := recover(); r != nil {
			err, ok := r.(error)
			if !ok {
				panic(r)
			}
			lh.result <- laneResult{err: fmt.Errorf("hash %s (was it truncated?): %w", lh.f.Name(), err)}
		}
	}()
	sums, err := lh.hash(m)
	lh.result <- laneResult{sums: sums, err: err}
}

// hash computes the parts' MD5s from m, the file mapped (nil: read it).
func (lh *laneHasher) hash(m []byte) ([][]byte, error) {
	n := len(lh.parts)
	sums := make([][]byte, n)
	hashed := make([]int64, n)     // bytes of each part in its state (a multiple of 64)
	var spans [][2]int64           // the mapped bytes hashed in a round, to release
	states := make([][4]uint32, n) // MD5 state of each part after hashed bytes
	for i := range states {
		states[i] = [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	}
	var d digest16
	var arena []byte
	if m == nil {
		ap := laneArenas.Get().(*[]byte)
		defer laneArenas.Put(ap)
		arena = *ap
	}
	lo := 0 // every part before lo is summed
	cands := make([]laneCand, 0, 64)
	var ready []int
	allOnDisk := false
	for lo < n {
		if !allOnDisk && lh.ndone.Load() == int64(n) {
			allOnDisk = true
			for i := lo; i < n; i++ {
				if sums[i] == nil {
					lh.stats.atLast += lh.parts[i].size.Load() - hashed[i]
				}
			}
		}
		// Look at the parts after lo (they start in order): finish those
		// whose rest is shorter than a round, and collect those with a
		// round's bytes on disk.
		cands = cands[:0]
		eligible := 0 // parts that are not summed and could be in this round
		for i := lo; i < n && i < lo+64; i++ {
			if sums[i] != nil {
				continue
			}
			p := &lh.parts[i]
			start := p.start.Load()
			if start < 0 {
				eligible++ // not started: it will have bytes
				continue
			}
			size, w := p.size.Load(), p.written.Load()
			if size >= 0 && size-hashed[i] < laneChunk {
				h := md5At(states[i], hashed[i])
				if m != nil {
					h.Write(m[start+hashed[i] : start+size])
					releasePages(m, [][2]int64{{start + hashed[i], start + size}})
				} else if _, err := io.Copy(h, io.NewSectionReader(lh.f, start+hashed[i], size-hashed[i])); err != nil {
					return nil, err
				}
				sums[i] = h.Sum(nil)
				continue
			}
			eligible++
			if w-hashed[i] >= laneChunk {
				cands = append(cands, laneCand{part: i, writing: size < 0, left: size - hashed[i]})
			}
		}
		for lo < n && sums[lo] != nil {
			lo++
		}
		if lo == n {
			break
		}
		ready = pickLanes(cands, ready[:0])
		// A round runs full, or with every part that could be in it.
		if len(ready) > 0 && (len(ready) == 16 || len(ready) == eligible) {
			var mask uint16
			var offs [16]int
			base := arena
			if m != nil {
				base = m
			}
			for k, i := range ready {
				d.v0[k], d.v1[k], d.v2[k], d.v3[k] = states[i][0], states[i][1], states[i][2], states[i][3]
				off := lh.parts[i].start.Load() + hashed[i]
				if m != nil {
					offs[k] = int(off)
				} else {
					offs[k] = k * laneChunk
					if _, err := lh.f.ReadAt(arena[k*laneChunk:(k+1)*laneChunk], off); err != nil {
						return nil, err
					}
				}
				mask |= 1 << k
			}
			md5x16(&d, base, &offs, mask, laneChunk)
			lh.stats.rounds++
			lh.stats.lanes += len(ready)
			spans = spans[:0]
			for k, i := range ready {
				states[i] = [4]uint32{d.v0[k], d.v1[k], d.v2[k], d.v3[k]}
				if m != nil {
					at := lh.parts[i].start.Load() + hashed[i]
					spans = append(spans, [2]int64{at, at + laneChunk})
				}
				hashed[i] += laneChunk
			}
			if m != nil {
				releasePages(m, spans)
			}
			continue
		}
		select {
		case <-lh.kick:
		case <-lh.quit:
			return nil, errLanesStopped
		}
	}
	return sums, nil
}

// laneCand is a part with a round's bytes on disk not hashed yet.
type laneCand struct {
	part    int
	writing bool  // its bytes are still coming
	left    int64 // bytes not hashed yet, when not writing
}

// pickLanes appends to ready the parts of up to 16 lanes: the parts being
// written first, in order, then those with most left to hash. Taking the
// first 16 parts in order instead left the last ones for the end: on a
// 1 GiB download of 21 parts of 50 MiB, 8 at a time, the first 16 parts
// (finished, waiting to be hashed) took every lane while the last 5 were
// written, and those 5 (226 MiB) were then hashed after the last byte in
// rounds of 5 lanes, 150 to 200 ms on one core. Parts being written keep
// pace with the download, and the parts finished earlier are hashed
// evenly, so that what is left at the end fills the lanes.
//
// The first candidate (the lowest part: cands are in part order) always
// gets a lane: the hasher looks at 64 parts from the lowest one not summed,
// and that window must move on for parts further on to be hashed.
func pickLanes(cands []laneCand, ready []int) []int {
	if len(cands) > 16 {
		first := cands[0].part
		slices.SortStableFunc(cands, func(a, b laneCand) int {
			switch {
			case a.writing != b.writing:
				if a.writing {
					return -1
				}
				return 1
			case a.writing:
				return 0
			}
			return cmp.Compare(b.left, a.left)
		})
		if k := slices.IndexFunc(cands, func(c laneCand) bool { return c.part == first }); k >= 16 {
			cands[15] = cands[k]
		}
		cands = cands[:16]
	}
	for _, c := range cands {
		ready = append(ready, c.part)
	}
	return ready
}

var errLanesStopped = errors.New("hashing stopped")

// md5At returns a crypto/md5 hash that has hashed n bytes (a multiple of
// 64) into the state s (through crypto/md5's marshalled form).
func md5At(s [4]uint32, n int64) hash.Hash {
	b := make([]byte, 0, 4+16+md5.BlockSize+8)
	b = append(b, "md5\x01"...)
	for _, v := range s {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	b = append(b, make([]byte, md5.BlockSize)...)
	b = binary.BigEndian.AppendUint64(b, uint64(n))
	h := md5.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
		panic("transfer: crypto/md5 state: " + err.Error())
	}
	return h
}
