//go:build !unix

package transfer

// oNonblock is 0 where open(2) has no O_NONBLOCK.
const oNonblock = 0
