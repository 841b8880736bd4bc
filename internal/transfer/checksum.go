package transfer

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/minio/crc64nvme"
	md5simd "github.com/minio/md5-simd"

	"github.com/s3sso/s3sso/internal/objstore"
)

// Reflected polynomials of the CRCs S3 uses.
const (
	polyCRC32     = 0xedb88320
	polyCRC32C    = 0x82f63b78
	polyCRC64NVME = 0x9a6c9329ac4bc9b5
)

var (
	tableCRC32C    = crc32.MakeTable(crc32.Castagnoli)
	tableCRC64NVME = crc64.MakeTable(polyCRC64NVME)
)

// algo is a checksum algorithm S3 stores.
type algo string

const (
	algoCRC32     algo = "CRC32"
	algoCRC32C    algo = "CRC32C"
	algoCRC64NVME algo = "CRC64NVME"
	algoSHA1      algo = "SHA1"
	algoSHA256    algo = "SHA256"
	algoMD5       algo = "MD5" // ETags, not an S3 checksum
)

func (a algo) new() hash.Hash {
	switch a {
	case algoCRC32:
		return crc32.NewIEEE()
	case algoCRC32C:
		return crc32.New(tableCRC32C)
	case algoCRC64NVME:
		// CLMUL/AVX-512 code: about 15× hash/crc64's table (Amazon S3
		// stores CRC64NVME for every object by default).
		return crc64nvme.New()
	case algoSHA1:
		return sha1.New()
	case algoSHA256:
		return sha256.New()
	}
	return md5.New()
}

// md5Lanes computes the MD5s of many streams at once, one per SIMD lane
// (16 with AVX-512, 8 per core with AVX2; crypto/md5 without AVX2), on one
// goroutine. On this project's benchmark machine it hashes 8 streams for
// about a third of crypto/md5's CPU time and 16 for about a fifth, but a
// lone stream for about 1.4 times it (BenchmarkMD5): it is for the parts
// of a multipart object, which are independent MD5 streams hashed at the
// same time, never for one stream. Downloads with AVX-512 use its kernel
// through a laneHasher instead, which fills the lanes (lanes.go); this
// serves sync --checksum and downloads without AVX-512.
var md5Lanes = sync.OnceValue(md5simd.NewServer)

// newPart returns a hash for one of several streams hashed at the same
// time (the parts of an object): MD5s share md5Lanes. Release it with
// closeHash after Sum.
func (a algo) newPart() hash.Hash {
	if a == algoMD5 {
		return md5Lanes().NewHash()
	}
	return a.new()
}

// closeHash releases a hash from newPart.
func closeHash(h hash.Hash) {
	if c, ok := h.(interface{ Close() }); ok {
		c.Close()
	}
}

// combinable reports whether sums of consecutive pieces can be combined into
// the sum of the whole (CRCs can, cryptographic hashes cannot).
func (a algo) combinable() bool {
	return a == algoCRC32 || a == algoCRC32C || a == algoCRC64NVME
}

// combine returns the checksum of A||B from the checksums of A and B and the
// length of B (zlib's crc32_combine, for any reflected CRC up to 64 bits).
func (a algo) combine(sumA, sumB []byte, lenB int64) []byte {
	switch a {
	case algoCRC32, algoCRC32C:
		poly := uint64(polyCRC32C)
		if a == algoCRC32 {
			poly = polyCRC32
		}
		c := crcCombine(poly, 32, uint64(binary.BigEndian.Uint32(sumA)), uint64(binary.BigEndian.Uint32(sumB)), lenB)
		return binary.BigEndian.AppendUint32(nil, uint32(c))
	case algoCRC64NVME:
		c := crcCombine(polyCRC64NVME, 64, binary.BigEndian.Uint64(sumA), binary.BigEndian.Uint64(sumB), lenB)
		return binary.BigEndian.AppendUint64(nil, c)
	}
	panic("transfer: combine of " + string(a))
}

func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}

// crcCombine combines two reflected CRCs of the given width.
func crcCombine(poly uint64, width int, crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	even := make([]uint64, width)
	odd := make([]uint64, width)
	odd[0] = poly // operator for one zero bit
	row := uint64(1)
	for n := 1; n < width; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // two zero bits
	gf2Square(odd, even) // four zero bits
	for {
		gf2Square(even, odd)
		if len2&1 != 0 {
			crc1 = gf2Times(even, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2Square(odd, even)
		if len2&1 != 0 {
			crc1 = gf2Times(odd, crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

// stored is the checksum S3 keeps for an object, as far as s3sso can check
// it.
type stored struct {
	algo  algo
	value []byte // raw sum (of the whole object, or of the part sums)
	parts int    // > 0: composite (checksum of the parts' checksums), or multipart ETag
	text  string // as the server reports it, for messages
}

func (s stored) String() string {
	if s.algo == "" {
		return "none"
	}
	return string(s.algo) + " " + s.text
}

// full reports whether the checksum covers the whole object's bytes.
func (s stored) full() bool { return s.algo != "" && s.parts == 0 }

// storedChecksum picks the strongest checksum S3 reported: a full-object
// CRC (combinable, so ranges can be verified in parallel), another full
// checksum, a composite checksum, and last the ETag (MD5 of a single-part
// object, or MD5 of the part MD5s). SSE-KMS and SSE-C ETags are not MD5s.
func storedChecksum(crc32v, crc32cv, crc64v, sha1v, sha256v *string, ctype types.ChecksumType, etag string, encrypted bool) stored {
	var composite stored
	for _, c := range []struct {
		a algo
		v *string
	}{{algoCRC64NVME, crc64v}, {algoCRC32C, crc32cv}, {algoCRC32, crc32v}, {algoSHA256, sha256v}, {algoSHA1, sha1v}} {
		v := aws.ToString(c.v)
		if v == "" {
			continue
		}
		b64, n, multi := strings.Cut(v, "-")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) != c.a.new().Size() {
			continue
		}
		if multi || ctype == types.ChecksumTypeComposite {
			parts, err := strconv.Atoi(n)
			if err != nil || parts <= 0 {
				continue
			}
			if composite.algo == "" {
				composite = stored{algo: c.a, value: raw, parts: parts, text: v}
			}
			continue
		}
		return stored{algo: c.a, value: raw, text: v}
	}
	if composite.algo != "" {
		return composite
	}
	if encrypted {
		return stored{}
	}
	e := strings.ToLower(strings.Trim(etag, `"`))
	sum, n, multi := strings.Cut(e, "-")
	raw, err := hex.DecodeString(sum)
	if err != nil || len(raw) != md5.Size {
		return stored{}
	}
	if !multi {
		return stored{algo: algoMD5, value: raw, text: e}
	}
	parts, err := strconv.Atoi(n)
	if err != nil || parts <= 0 {
		return stored{}
	}
	return stored{algo: algoMD5, value: raw, parts: parts, text: e}
}

func storedOfGet(out *s3.GetObjectOutput) stored {
	return storedChecksum(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256,
		out.ChecksumType, aws.ToString(out.ETag), encrypted(aws.ToString(out.SSEKMSKeyId), aws.ToString(out.SSECustomerAlgorithm), out.ServerSideEncryption))
}

// storedOfInfo is storedOfHead of a HEAD answer objstore has read (asked
// with its checksums).
func storedOfInfo(in *objstore.ObjectInfo) stored {
	sum := func(name string) *string {
		if v, ok := in.Checksums[name]; ok {
			return &v
		}
		return nil
	}
	return storedChecksum(sum("CRC32"), sum("CRC32C"), sum("CRC64NVME"), sum("SHA1"), sum("SHA256"),
		types.ChecksumType(in.ChecksumType), in.ETag, encrypted(in.SSEKMSKeyID, in.SSECustomerAlgorithm, types.ServerSideEncryption(in.SSE)))
}

// encrypted reports whether an object is encrypted with KMS or a key of
// the client's (SSE-C): its ETag is then not the MD5 of its content.
func encrypted(kmsKeyID, customerAlgorithm string, sse types.ServerSideEncryption) bool {
	return kmsKeyID != "" || customerAlgorithm != "" || sse == types.ServerSideEncryptionAwsKms || sse == types.ServerSideEncryptionAwsKmsDsse
}

func storedOfHead(out *s3.HeadObjectOutput) stored {
	return storedChecksum(out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256,
		out.ChecksumType, aws.ToString(out.ETag), encrypted(aws.ToString(out.SSEKMSKeyId), aws.ToString(out.SSECustomerAlgorithm), out.ServerSideEncryption))
}

// wholeSum computes the checksum of the whole object from the sums of its
// consecutive ranges (or parts, for composite checksums and multipart
// ETags), in the form the server stores.
func (s stored) wholeSum(sums [][]byte, lens []int64) ([]byte, error) {
	if s.parts > 0 {
		if len(sums) != s.parts {
			return nil, fmt.Errorf("object has %d parts, downloaded %d", s.parts, len(sums))
		}
		h := s.algo.new()
		for _, p := range sums {
			h.Write(p)
		}
		return h.Sum(nil), nil
	}
	if !s.algo.combinable() && len(sums) != 1 {
		return nil, fmt.Errorf("%s cannot be combined from ranges", s.algo)
	}
	acc := sums[0]
	for i := 1; i < len(sums); i++ {
		acc = s.algo.combine(acc, sums[i], lens[i])
	}
	return acc, nil
}

// noSDKValidation removes the SDK's own response checksum validation: s3sso
// verifies every download itself, so that a mismatch is a fault.Integrity
// error and composite checksums are checked too.
var noSDKValidation = s3.WithAPIOptions(func(st *middleware.Stack) error {
	_, _ = st.Deserialize.Remove("AWSChecksum:ValidateOutputPayloadChecksum")
	return nil
})

// b64 encodes a raw sum as S3 headers carry it.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
