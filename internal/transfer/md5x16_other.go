//go:build !amd64 || !gc || noasm || appengine

package transfer

const haveMD5x16 = false

func md5x16(d *digest16, arena []byte, offs *[16]int32, mask uint16, n int) {
	panic("transfer: md5x16 without AVX-512")
}
