package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofrs/flock"

	"github.com/s3sso/s3sso/internal/fault"
)

// lockTimeout bounds how long Update waits for another process's lock.
const lockTimeout = 30 * time.Second

// Store is the accounts file at Path.
type Store struct {
	Path string
}

// Open returns the store at the default path (see DefaultPath).
func Open() (*Store, error) {
	p, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	return &Store{Path: p}, nil
}

// CorruptError reports an accounts file that cannot be parsed. The file is
// left alone.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("accounts file %s is corrupt: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Load reads the accounts file. A missing file is an empty store.
func (s *Store) Load() (*File, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Version: Version, Accounts: map[string]*Account{}}, nil
	}
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("read accounts file %s: %w", s.Path, err), "")
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, s.corrupt(err)
	}
	if f.Version == 0 {
		return nil, s.corrupt(errors.New(`no "version" field`))
	}
	if f.Accounts == nil {
		f.Accounts = map[string]*Account{}
	}
	for name, a := range f.Accounts {
		if a == nil {
			return nil, s.corrupt(fmt.Errorf("account %q is null", name))
		}
		a.Name = name
	}
	return &f, nil
}

// BackupPath is where Update keeps the previous version of the file.
func (s *Store) BackupPath() string { return s.Path + ".bak" }

func (s *Store) corrupt(err error) error {
	hint := "fix the file by hand or move it away; s3sso will not overwrite it"
	if _, serr := os.Stat(s.BackupPath()); serr == nil {
		hint += "; the previous version is in " + s.BackupPath()
	}
	return &fault.Error{Kind: fault.Config, Err: &CorruptError{Path: s.Path, Err: err}, Hint: hint}
}

// Update runs fn on the current contents under an exclusive inter-process
// lock and writes the result atomically when fn returns nil. It refuses to
// touch a corrupt file or one written by a newer format version.
func (s *Store) Update(ctx context.Context, fn func(*File) error) error {
	dir := filepath.Dir(s.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("create accounts directory %s: %w", dir, err), "")
	}
	lock := flock.New(s.Path + ".lock")
	lctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	ok, err := lock.TryLockContext(lctx, 20*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = lctx.Err()
		}
		return fault.Wrap(fault.Conflict, fmt.Errorf("lock accounts file %s: %w", s.Path, err),
			"another s3sso process is editing the accounts; try again")
	}
	defer func() { _ = lock.Unlock() }()

	f, err := s.Load()
	if err != nil {
		return err
	}
	if f.Version > Version {
		return fault.New(fault.Config, fmt.Sprintf("accounts file %s has format version %d; this s3sso understands up to %d", s.Path, f.Version, Version),
			"upgrade s3sso")
	}
	if err := fn(f); err != nil {
		return err
	}
	f.Version = Version
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode accounts: %w", err)
	}
	b = append(b, '\n')
	// Keep the previous version: a hand edit gone wrong can be undone.
	if old, err := os.ReadFile(s.Path); err == nil && !bytes.Equal(old, b) {
		if err := WriteFileAtomic(s.BackupPath(), old); err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("back up accounts file: %w", err), "")
		}
	}
	if err := WriteFileAtomic(s.Path, b); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("write accounts file: %w", err), "")
	}
	return nil
}

// WriteFileAtomic writes data to path with mode 0600: to a temporary file in
// the same directory, fsynced, then renamed over path. The directory is
// created with mode 0700 when missing.
func WriteFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = bytes.NewReader(data).WriteTo(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
