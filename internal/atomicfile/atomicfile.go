// Package atomicfile writes state files (token caches, registrations, the
// accounts store, the AWS config) so that a reader never sees a partial
// file: the data goes to a temporary file in the same directory, is fsynced,
// given its mode, and renamed over the target. Missing directories are
// created with mode 0700.
//
// A symbolic link at the path is written through, as botocore's
// open-for-write does: the link is resolved and the temporary file is
// created and renamed in the directory of the file it points to, so the link
// stays and its target gets the new content. A directory (or another
// non-regular file) at the path is an error naming the path and the fix.
//
// ReadFile is the matching bounded reader: state files are small, and a
// huge one is refused instead of being read whole.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/s3sso/s3sso/internal/fault"
)

// MaxSize is the default limit of ReadFile: 1 MiB. Cache and state files
// hold a few kilobytes.
const MaxSize = 1 << 20

// maxLinks bounds how many symbolic links are followed (as the kernel's
// ELOOP limit does).
const maxLinks = 40

// NotFileError means a directory or other non-regular file (a FIFO, a
// device) stands where a state file belongs.
type NotFileError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotFileError) Error() string {
	if e.Mode.IsDir() {
		return e.Path + " is a directory, not a file"
	}
	return fmt.Sprintf("%s is not a regular file (%s)", e.Path, e.Mode.Type())
}

// notFile returns a NotFileError with the fault kind Local and a hint.
func notFile(path string, mode fs.FileMode) error {
	hint := fmt.Sprintf("move it away or remove it (e.g. `rmdir %s` if it is an empty directory); s3sso writes the file there again when it next needs it", path)
	if !mode.IsDir() {
		hint = fmt.Sprintf("move it away or remove it (`rm %s`); s3sso writes the file there again when it next needs it", path)
	}
	return &fault.Error{Kind: fault.Local, Err: &NotFileError{Path: path, Mode: mode}, Hint: hint}
}

// TooLargeError means a state file is larger than the reader accepts.
type TooLargeError struct {
	Path  string
	Size  int64 // at least this many bytes
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, more than the %d bytes a state file may have; it was not read", e.Path, e.Size, e.Limit)
}

// ReadFile reads the state file at path, refusing one larger than limit
// bytes (MaxSize when limit <= 0) with a *TooLargeError, and a directory or
// other non-regular file with a *NotFileError (both with fault kind Local
// and a hint). A missing file gives an error matching fs.ErrNotExist.
// Symbolic links are followed.
func ReadFile(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxSize
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notFile(path, fi.Mode())
	}
	if fi.Size() > limit {
		return nil, tooLarge(path, fi.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit { // it grew after the Stat
		return nil, tooLarge(path, int64(len(b)), limit)
	}
	return b, nil
}

func tooLarge(path string, size, limit int64) error {
	return &fault.Error{Kind: fault.Local, Err: &TooLargeError{Path: path, Size: size, Limit: limit},
		Hint: fmt.Sprintf("the file is damaged or not what s3sso expects there; move it away or remove it (`rm %s`)", path)}
}

// Target returns the file a write to path changes: path itself, or, when
// path is a symbolic link (or a chain of them), the file it finally points
// to, which need not exist yet. A directory or other non-regular file there
// is a *NotFileError.
func Target(path string) (string, error) {
	p := path
	for range maxLinks {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(p), link)
			}
			p = link
		case fi.Mode().IsRegular():
			return p, nil
		default:
			return "", notFile(p, fi.Mode())
		}
	}
	return "", fmt.Errorf("resolve %s: too many levels of symbolic links", path)
}

// WriteFile writes data to path with mode perm, atomically. A symbolic link
// at path is written through (see the package comment). On any error the
// temporary file is removed and the file is left as it was.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	target, err := Target(path)
	if err != nil {
		var nf *NotFileError
		if errors.As(err, &nf) {
			return err
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return err
	}
	// Make the rename itself durable; not all file systems support this.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// ExistingMode returns the permission bits of path, or def when it does not
// exist.
func ExistingMode(path string, def fs.FileMode) fs.FileMode {
	if fi, err := os.Stat(path); err == nil {
		return fi.Mode().Perm()
	}
	return def
}

var warnedDirs sync.Map

// WarnIfOpen logs once per process and directory, at warn level, when dir
// (a directory holding tokens or credentials, described by what) can be
// written by other users: they could replace or redirect the files in it.
// A missing directory, or a nil logger, logs nothing.
func WarnIfOpen(logger *slog.Logger, dir, what string) {
	if logger == nil {
		return
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o002 == 0 {
		return
	}
	if _, loaded := warnedDirs.LoadOrStore(dir, true); loaded {
		return
	}
	logger.Warn(fmt.Sprintf("%s %s is writable by every user (mode %04o); run `chmod 700 %s`", what, dir, fi.Mode().Perm(), dir),
		"dir", dir)
}
