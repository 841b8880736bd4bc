package transfer

import (
	"crypto/md5"
	"encoding"
	"encoding/binary"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// laneChunk is how many bytes of each part one round of a laneHasher
// hashes; a round's lanes all hash exactly this much.
const laneChunk = 64 << 10

// laneArenas hold one round's bytes: 16 slots of laneChunk.
var laneArenas = sync.Pool{New: func() any { b := make([]byte, 16*laneChunk); return &b }}

// digest16 is the state of 16 MD5 lanes, laid out as md5-simd's block16
// takes it: word j of lane i is vj[i].
type digest16 struct {
	v0, v1, v2, v3 [16]uint32
}

// laneHasher computes the MD5 of each part of a download (a multipart ETag
// is the MD5 of the part MD5s) with AVX-512, 16 parts at once, reading the
// parts back from the file (the page cache) right behind the writers. Each
// round hashes 64 KiB of up to 16 parts in the 16 lanes of one call of
// md5-simd's kernel (md5x16); a round waits until the parts being written
// have that much new on disk, so the lanes run full. The writers never
// wait for it: a part's bytes are hashed when they are on disk.
//
// md5-simd's own server (md5Lanes), fed by the writers as the bytes came in,
// hashed whatever had arrived when it ran: on a 1 GiB download most rounds
// had a few lanes, and MD5 took two to four times the CPU of full rounds.
type laneHasher struct {
	f      *os.File
	parts  []lanePart
	kick   chan struct{}
	quit   chan struct{}
	result chan laneResult
	once   sync.Once
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

func newLaneHasher(f *os.File, n int) *laneHasher {
	lh := &laneHasher{f: f, parts: make([]lanePart, n), kick: make(chan struct{}, 1),
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
	p.size.Store(size)
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
	n := len(lh.parts)
	sums := make([][]byte, n)
	hashed := make([]int64, n)     // bytes of each part in its state (a multiple of 64)
	states := make([][4]uint32, n) // MD5 state of each part after hashed bytes
	for i := range states {
		states[i] = [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476}
	}
	ap := laneArenas.Get().(*[]byte)
	defer laneArenas.Put(ap)
	arena := *ap
	var d digest16
	fail := func(err error) { lh.result <- laneResult{err: err} }
	lo := 0 // every part before lo is summed
	lanes := make([]int, 0, 16)
	for lo < n {
		// Look at the parts after lo (they start in order): finish those
		// whose rest is shorter than a round, and collect those with a
		// round's bytes on disk, one per lane.
		lanes = lanes[:0]
		waiting, unstarted := 0, false
		for i := lo; i < n && i < lo+64; i++ {
			if sums[i] != nil {
				continue
			}
			p := &lh.parts[i]
			start := p.start.Load()
			if start < 0 {
				unstarted = true
				continue
			}
			size, w := p.size.Load(), p.written.Load()
			if size >= 0 && size-hashed[i] < laneChunk {
				sum, err := lh.finish(states[i], hashed[i], start, size)
				if err != nil {
					fail(err)
					return
				}
				sums[i] = sum
				continue
			}
			waiting++
			if w-hashed[i] >= laneChunk && len(lanes) < 16 {
				lanes = append(lanes, i)
			}
		}
		for lo < n && sums[lo] != nil {
			lo++
		}
		if lo == n {
			break
		}
		// A round runs full or not at all while parts are coming in; only
		// the last one or two parts are hashed one by one.
		switch {
		case len(lanes) >= 3 && len(lanes) >= min(8, waiting):
			var mask uint16
			for k, i := range lanes {
				off := lh.parts[i].start.Load() + hashed[i]
				if _, err := lh.f.ReadAt(arena[k*laneChunk:(k+1)*laneChunk], off); err != nil {
					fail(err)
					return
				}
				mask |= 1 << k
				d.v0[k], d.v1[k], d.v2[k], d.v3[k] = states[i][0], states[i][1], states[i][2], states[i][3]
			}
			md5x16(&d, arena, laneChunk, mask, laneChunk)
			for k, i := range lanes {
				states[i] = [4]uint32{d.v0[k], d.v1[k], d.v2[k], d.v3[k]}
				hashed[i] += laneChunk
			}
			continue
		case len(lanes) > 0 && len(lanes) == waiting && !unstarted:
			for _, i := range lanes {
				h := md5At(states[i], hashed[i])
				k, err := io.CopyBuffer(h, io.NewSectionReader(lh.f, lh.parts[i].start.Load()+hashed[i], laneChunk), arena[:laneChunk])
				if err != nil {
					fail(err)
					return
				}
				states[i], hashed[i] = md5State(h), hashed[i]+k
			}
			continue
		}
		select {
		case <-lh.kick:
		case <-lh.quit:
			return
		}
	}
	lh.result <- laneResult{sums: sums}
}

// finish hashes the rest of a part (from hashed on) and returns its MD5.
func (lh *laneHasher) finish(s [4]uint32, hashed, start, size int64) ([]byte, error) {
	h := md5At(s, hashed)
	if _, err := io.Copy(h, io.NewSectionReader(lh.f, start+hashed, size-hashed)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

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

// md5State returns the state of a crypto/md5 hash that has hashed a
// multiple of 64 bytes.
func md5State(h hash.Hash) [4]uint32 {
	b, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("transfer: crypto/md5 state: " + err.Error())
	}
	var s [4]uint32
	for j := range s {
		s[j] = binary.BigEndian.Uint32(b[4+4*j:])
	}
	return s
}
