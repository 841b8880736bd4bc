package transfer

import (
	"bytes"
	"crypto/md5"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// FuzzMD5x16 checks the hand-written kernel (md5x16_amd64.s) against
// crypto/md5: 16 lanes of different bytes, each at its own place in the
// arena (overlapping or not), hashed for 1 to 4 blocks per call, over
// several calls, with lanes left out by the mask keeping their state.
func FuzzMD5x16(f *testing.F) {
	if !haveMD5x16 {
		f.Skip("no AVX-512")
	}
	f.Add([]byte("seed"), uint16(0xffff), uint8(1), uint8(3))
	f.Add(bytes.Repeat([]byte{0xff, 0, 0x80}, 700), uint16(0x8001), uint8(4), uint8(2))
	f.Add([]byte{}, uint16(0x5a5a), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, seed []byte, mask uint16, blocks, calls uint8) {
		n := 64 * (1 + int(blocks)%4)
		calls = 1 + calls%4
		// The arena: the seed's bytes repeated and stirred, 17 blocks of n.
		arena := make([]byte, 17*n)
		for i := range arena {
			var s byte
			if len(seed) > 0 {
				s = seed[i%len(seed)]
			}
			arena[i] = s ^ byte(i*131+i>>8)
		}
		var d digest16
		for i := range 16 {
			d.v0[i], d.v1[i], d.v2[i], d.v3[i] = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
		}
		fed := make([][]byte, 16) // what each lane has hashed
		for c := range int(calls) {
			var offs [16]int
			for i := range 16 {
				// Lanes start at different places, some overlapping.
				offs[i] = (i*37 + c*11) % (16 * n)
				if mask&(1<<i) != 0 {
					fed[i] = append(fed[i], arena[offs[i]:int(offs[i])+n]...)
				}
			}
			md5x16(&d, arena, &offs, mask, n)
		}
		for i := range 16 {
			got := md5At([4]uint32{d.v0[i], d.v1[i], d.v2[i], d.v3[i]}, int64(len(fed[i]))).Sum(nil)
			want := md5.Sum(fed[i])
			if !bytes.Equal(got, want[:]) {
				t.Fatalf("lane %d (mask %016b, %d bytes): %x, want %x", i, mask, len(fed[i]), got, want)
			}
		}
	})
}

// TestMD5x16Generated: md5x16_amd64.s is what md5x16_gen.go writes (after
// a change to the generator, run go generate ./internal/transfer/).
func TestMD5x16Generated(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the generator: %v", err)
	}
	out := filepath.Join(t.TempDir(), "md5x16_amd64.s")
	if b, err := exec.Command(gobin, "run", "md5x16_gen.go", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run md5x16_gen.go: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("md5x16_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("md5x16_amd64.s is not what md5x16_gen.go writes: run go generate ./internal/transfer/")
	}
}
