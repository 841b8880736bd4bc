package transfer

import (
	"bytes"
	"crypto/md5"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// TestMD5x16 checks the AVX-512 kernel as md5x16 calls it against
// crypto/md5: 16 lanes, some masked out, over several rounds.
func TestMD5x16(t *testing.T) {
	if !haveMD5x16 {
		t.Skip("no AVX-512")
	}
	const slot, rounds = 4096, 3
	data := make([][]byte, 16)
	for i := range data {
		data[i] = randomData(t, slot*rounds)
	}
	var d digest16
	for i := range 16 {
		d.v0[i], d.v1[i], d.v2[i], d.v3[i] = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
	}
	mask := uint16(0xffff &^ (1 << 3) &^ (1 << 9)) // lanes 3 and 9 hash nothing
	// The lanes' bytes lie in the arena in another order than the lanes.
	arena := make([]byte, 16*slot)
	var offs [16]int
	for i := range offs {
		offs[i] = (15 - i) * slot
	}
	for r := range rounds {
		for i := range 16 {
			copy(arena[offs[i]:], data[i][r*slot:(r+1)*slot])
		}
		md5x16(&d, arena, &offs, mask, slot)
	}
	for i := range 16 {
		n := int64(slot * rounds)
		if mask&(1<<i) == 0 {
			n = 0
		}
		got := md5At([4]uint32{d.v0[i], d.v1[i], d.v2[i], d.v3[i]}, n).Sum(nil)
		want := md5.Sum(data[i][:n])
		if !bytes.Equal(got, want[:]) {
			t.Errorf("lane %d: %x, want %x", i, got, want)
		}
	}
}

// TestLaneHasher writes the parts of a file out of order, in pieces, from
// several goroutines, as a download does, and checks the part MD5s: parts
// longer and shorter than a round, of unequal sizes, some reported done
// before anything else (resumed), and the last ones alone.
func TestLaneHasher(t *testing.T) {
	for _, mapped := range []bool{true, false} {
		t.Run(map[bool]string{true: "mapped", false: "read"}[mapped], func(t *testing.T) {
			defer func(m bool) { mapLanes = m }(mapLanes)
			mapLanes = mapped
			testLaneHasher(t)
		})
	}
}

func testLaneHasher(t *testing.T) {
	if !haveMD5x16 {
		t.Skip("no AVX-512")
	}
	sizes := []int64{3*laneChunk + 100, laneChunk, 10, 5*laneChunk - 64, 2 * laneChunk, laneChunk + 1, 7 * laneChunk, 64, 3*laneChunk + 5, 0}
	for range 20 {
		sizes = append(sizes, int64(rand.IntN(4*laneChunk)))
	}
	var total int64
	starts := make([]int64, len(sizes))
	for i, n := range sizes {
		starts[i] = total
		total += n
	}
	data := randomData(t, int(total))
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(total); err != nil { // as a download does
		t.Fatal(err)
	}
	lh := newLaneHasher(f, total, len(sizes))
	defer lh.stop()
	for _, i := range []int{1, 4} { // on disk already
		f.WriteAt(data[starts[i]:starts[i]+sizes[i]], starts[i])
		lh.done(i, starts[i], sizes[i])
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, n := range sizes {
		if i == 1 || i == 4 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var w int64
			for w < n {
				k := min(n-w, int64(rand.IntN(100<<10)+1))
				f.WriteAt(data[starts[i]+w:starts[i]+w+k], starts[i]+w)
				w += k
				lh.wrote(i, starts[i], w)
			}
			lh.done(i, starts[i], n)
		}()
	}
	wg.Wait()
	sums, err := lh.sums()
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		want := md5.Sum(data[starts[i] : starts[i]+n])
		if !bytes.Equal(sums[i], want[:]) {
			t.Errorf("part %d (%d bytes): %x, want %x", i, n, sums[i], want)
		}
	}
}

// TestLaneHasherFileShrunk: a file truncated under the lane hasher (its
// mapping then faults, in the AVX-512 kernel or in crypto/md5) is an error of
// the download, not a crash.
func TestLaneHasherFileShrunk(t *testing.T) {
	for _, size := range []int64{4 * laneChunk, 100} {
		f, err := os.Create(filepath.Join(t.TempDir(), "f"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		lh := newLaneHasher(f, size, 1)
		if err := f.Truncate(0); err != nil {
			t.Fatal(err)
		}
		lh.done(0, 0, size)
		_, err = lh.sums()
		if err == nil {
			t.Errorf("%d bytes: no error", size)
		}
		t.Log(err)
		lh.stop()
		f.Close()
	}
}

// TestLaneHasherFarParts: parts more than 2 GiB and 4 GiB apart, in a
// sparse file of 5 GiB, are hashed in the same rounds (the kernel takes
// each lane's address, not a 32-bit offset from one base).
func TestLaneHasherFarParts(t *testing.T) {
	starts := []int64{0, 5 << 29, 9 << 29} // 0, 2.5 GiB, 4.5 GiB
	const size = 3*laneChunk + 100
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(5 << 30); err != nil {
		t.Fatal(err)
	}
	lh := newLaneHasher(f, 5<<30, len(starts))
	defer lh.stop()
	data := make([][]byte, len(starts))
	for i, start := range starts {
		data[i] = randomData(t, size)
		if _, err := f.WriteAt(data[i], start); err != nil {
			t.Fatal(err)
		}
		lh.done(i, start, size)
	}
	sums, err := lh.sums()
	if err != nil {
		t.Fatal(err)
	}
	for i := range starts {
		if want := md5.Sum(data[i]); !bytes.Equal(sums[i], want[:]) {
			t.Errorf("part %d: %x, want %x", i, sums[i], want)
		}
	}
	if lh.stats.rounds != 3 || lh.stats.lanes != 9 {
		t.Errorf("%d rounds of %d lanes in all, want 3 rounds of the 3 parts", lh.stats.rounds, lh.stats.lanes)
	}
}

// TestPickLanes: the parts being written get lanes first (in order), then
// the parts with most left to hash; with 16 or fewer candidates, all of
// them. Taking the first 16 in order left the last parts of a download,
// written last, to be hashed alone after its last byte.
func TestPickLanes(t *testing.T) {
	var cands []laneCand
	for i := range 16 { // finished parts 0..15, part i with i MiB left
		cands = append(cands, laneCand{part: i, left: int64(i) << 20})
	}
	for i := 16; i < 21; i++ {
		cands = append(cands, laneCand{part: i, writing: true})
	}
	got := pickLanes(slices.Clone(cands), nil)
	// Part 0, the lowest, keeps its lane (the hasher's window starts there).
	want := []int{16, 17, 18, 19, 20, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 0}
	if !slices.Equal(got, want) {
		t.Fatalf("lanes %v, want %v", got, want)
	}
	few := cands[3:10]
	if got := pickLanes(slices.Clone(few), nil); !slices.Equal(got, []int{3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("%d candidates: lanes %v", len(few), got)
	}
}

// TestLaneHasherManyParts: more than 16 parts with rounds to hash (finished
// ones with different amounts left, others being written), so that lanes
// are chosen among them; every part's MD5 must come out right.
func TestLaneHasherManyParts(t *testing.T) {
	if !haveMD5x16 {
		t.Skip("no AVX-512")
	}
	const n = 40
	sizes := make([]int64, n)
	starts := make([]int64, n)
	var total int64
	for i := range sizes {
		sizes[i] = int64(2+i%7)*laneChunk + int64(i*13)
		starts[i] = total
		total += sizes[i]
	}
	data := randomData(t, int(total))
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(total); err != nil {
		t.Fatal(err)
	}
	lh := newLaneHasher(f, total, n)
	defer lh.stop()
	// The first 30 parts land whole before the hasher can run a full
	// round (it waits for 16 parts with bytes)...
	for i := range 30 {
		f.WriteAt(data[starts[i]:starts[i]+sizes[i]], starts[i])
		lh.done(i, starts[i], sizes[i])
	}
	// ... then the last 10 arrive in pieces, side by side.
	var wg sync.WaitGroup
	for i := 30; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := int64(0); w < sizes[i]; {
				k := min(sizes[i]-w, int64(rand.IntN(96<<10)+1))
				f.WriteAt(data[starts[i]+w:starts[i]+w+k], starts[i]+w)
				w += k
				lh.wrote(i, starts[i], w)
			}
			lh.done(i, starts[i], sizes[i])
		}()
	}
	wg.Wait()
	sums, err := lh.sums()
	if err != nil {
		t.Fatal(err)
	}
	for i := range sizes {
		if want := md5.Sum(data[starts[i] : starts[i]+sizes[i]]); !bytes.Equal(sums[i], want[:]) {
			t.Errorf("part %d: %x, want %x", i, sums[i], want)
		}
	}
	if lh.stats.rounds == 0 {
		t.Error("no round of lanes ran")
	}
}

// TestDefaultDownloadParts: two ranges per CPU, 4 to 8.
func TestDefaultDownloadParts(t *testing.T) {
	defer runtime.SetDefaultGOMAXPROCS()
	for procs, want := range map[int]int{1: 4, 2: 4, 3: 6, 4: 8, 16: 8} {
		runtime.GOMAXPROCS(procs)
		if got := DefaultDownloadParts(); got != want {
			t.Errorf("%d CPUs: %d, want %d", procs, got, want)
		}
	}
	o := Options{PartConcurrency: 2}
	o.setDefaults()
	if o.DownloadPartConcurrency != 2 {
		t.Errorf("--part-concurrency 2: downloads %d", o.DownloadPartConcurrency)
	}
}

// TestRangeSizeFor: without --part-size, a download's ranges grow with the
// object so that each stream gets at least two, from the part size to
// 64 MiB; with --part-size they are the part size.
func TestRangeSizeFor(t *testing.T) {
	e := New(nil, Options{DownloadPartConcurrency: 4, JournalDir: t.TempDir()})
	for size, want := range map[int64]int64{
		40 << 20:  DefaultPartSize,
		200 << 20: 25 << 20,
		1 << 30:   64 << 20,
		100 << 30: 64 << 20,
	} {
		if got := e.rangeSizeFor(size); got != want {
			t.Errorf("%d MiB: ranges of %d MiB, want %d", size>>20, got>>20, want>>20)
		}
	}
	e = New(nil, Options{PartSize: 5 << 20, JournalDir: t.TempDir()})
	if got := e.rangeSizeFor(1 << 30); got != 5<<20 {
		t.Errorf("--part-size 5MiB: ranges of %d bytes", got)
	}
}

// TestFileMD5Parts: sync --checksum's multipart ETag of a local file (the
// MD5 of its part MD5s), with the AVX-512 lane hasher and without it
// (md5-simd's lanes), for 1, 2, 17 and 40 parts of unequal sizes; a
// changed byte changes it.
func TestFileMD5Parts(t *testing.T) {
	data := randomData(t, 7<<20+12345)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	want := func(lens []int64) []byte {
		h := md5.New()
		var off int64
		for _, n := range lens {
			s := md5.Sum(data[off : off+n])
			h.Write(s[:])
			off += n
		}
		return h.Sum(nil)
	}
	layouts := [][]int64{{int64(len(data))}}
	for _, parts := range []int{2, 17, 40} {
		var lens []int64
		left := int64(len(data))
		for i := range parts - 1 {
			n := left / int64(parts-i) * int64(1+i%3) / 2 // unequal
			lens = append(lens, n)
			left -= n
		}
		layouts = append(layouts, append(lens, left))
	}
	defer func(h bool) { haveMD5x16 = h }(haveMD5x16)
	for _, lanes := range []bool{true, false} {
		if lanes && !haveMD5x16 {
			continue
		}
		haveMD5x16 = lanes
		for _, lens := range layouts {
			got, err := fileMD5Parts(path, lens)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want(lens)) {
				t.Errorf("lanes %v, %d parts: %x, want %x", lanes, len(lens), got, want(lens))
			}
		}
	}
	changed := bytes.Clone(data)
	changed[5<<20] ^= 1
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, lanes := range []bool{true, false} {
		if lanes && !haveMD5x16 {
			continue
		}
		haveMD5x16 = lanes
		if got, err := fileMD5Parts(path, layouts[2]); err != nil || bytes.Equal(got, want(layouts[2])) {
			t.Errorf("lanes %v: a changed byte gives the same sum (err %v)", lanes, err)
		}
	}
}
