//go:build unix

package transfer

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
)

// createTemp creates .BASE.s3sso-RANDOM.tmp in dir with the mode a new
// file gets (0666 less the umask), as the downloaded file should have:
// os.CreateTemp would make it 0600. It opens with open(2) and wraps the
// descriptor with os.NewFile: os.OpenFile would also try to register the
// regular file with the network poller (four fcntl calls and a failing
// epoll_ctl per file, measurable when downloading thousands of small
// objects).
func createTemp(dir, base string) (*os.File, error) {
	for {
		name := filepath.Join(dir, fmt.Sprintf(".%s.s3sso-%08x.tmp", base, rand.Uint32()))
		fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o666)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}

// rename renames a finished temporary file into place with one rename(2):
// os.Rename first stats the target to refuse replacing a directory, which
// rename(2) refuses by itself (EISDIR).
func rename(from, to string) error {
	if err := syscall.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
