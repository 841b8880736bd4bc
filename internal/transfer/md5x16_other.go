//go:build !amd64 || !gc || noasm || appengine

package transfer

// haveMD5x16 is false: there is no AVX-512 kernel here. (A variable, as on
// amd64, where tests switch the kernel off.)
var haveMD5x16 = false

func md5x16(d *digest16, arena []byte, offs *[16]int, mask uint16, n int) {
	panic("transfer: md5x16 without AVX-512")
}
