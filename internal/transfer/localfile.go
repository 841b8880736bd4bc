package transfer

import (
	"fmt"
	"os"

	"github.com/s3sso/s3sso/internal/fault"
)

// openRegular opens a local file for reading and checks, on the open file,
// that it is a regular file or a directory. The walk already skips named
// pipes, sockets and devices; this catches one swapped in between the walk
// and the open. The open itself does not block: O_NONBLOCK makes opening a
// named pipe return at once instead of waiting for a writer (for regular
// files the flag changes nothing).
func openRegular(op, path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNonblock, 0)
	if err != nil {
		return nil, nil, fault.Wrap(fault.Local, fmt.Errorf("%s %s: %w", op, path, err), "")
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fault.Wrap(fault.Local, fmt.Errorf("%s %s: %w", op, path, err), "")
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, nil, fault.New(fault.Local, fmt.Sprintf("%s %s: it is %s", op, path, NotRegular(fi.Mode())),
			"only regular files are uploaded; read a pipe as standard input (s3sso cp - s3://BUCKET/KEY < PIPE)")
	}
	return f, fi, nil
}
