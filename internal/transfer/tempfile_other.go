//go:build !unix

package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// createTemp creates .BASE.s3sso-RANDOM.tmp in dir with the mode a new
// file gets (0666 less the umask), as the downloaded file should have:
// os.CreateTemp would make it 0600.
func createTemp(dir, base string) (*os.File, error) {
	for {
		name := filepath.Join(dir, fmt.Sprintf(".%s.s3sso-%08x.tmp", base, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// rename renames a finished temporary file into place.
func rename(from, to string) error { return os.Rename(from, to) }
