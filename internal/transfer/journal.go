package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/s3sso/s3sso/internal/appdir"
	"github.com/s3sso/s3sso/internal/fault"
)

// JournalDir returns where upload journals are kept:
// $XDG_STATE_HOME/s3sso/journal, else the user cache directory's
// s3sso/journal.
func JournalDir() (string, error) {
	return appdir.State("journal")
}

// uploadJournal records a multipart upload of a local file so that an
// interrupted upload can be continued with --resume.
type uploadJournal struct {
	Version  int           `json:"version"`
	Endpoint string        `json:"endpoint,omitempty"`
	Bucket   string        `json:"bucket"`
	Key      string        `json:"key"`
	UploadID string        `json:"upload_id"`
	Source   string        `json:"source"`
	Size     int64         `json:"size"`
	ModTime  time.Time     `json:"mod_time"`
	PartSize int64         `json:"part_size"`
	Checksum string        `json:"checksum_type"` // FULL_OBJECT or COMPOSITE
	Parts    []journalPart `json:"parts"`
	Started  time.Time     `json:"started"`
}

type journalPart struct {
	N      int32  `json:"n"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	CRC32C string `json:"crc32c,omitempty"`
}

// uploadJournalPath names the journal of one (source, destination) pair.
func uploadJournalPath(dir, endpoint, bucket, key, source string) string {
	h := sha256.Sum256([]byte(endpoint + "\x00" + bucket + "\x00" + key + "\x00" + source))
	return filepath.Join(dir, "upload-"+hex.EncodeToString(h[:12])+".json")
}

// rangeJournal records the ranges of a resumable download already written
// to its partial file.
type rangeJournal struct {
	Version   int     `json:"version"`
	URL       string  `json:"url"`
	ETag      string  `json:"etag"`
	Size      int64   `json:"size"`
	RangeSize int64   `json:"range_size"`
	Done      []int64 `json:"done"` // start offsets of complete ranges
}

// readJSON reads a journal; a missing file is (false, nil).
func readJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fault.Wrap(fault.Local, fmt.Errorf("read journal %s: %w", path, err), "")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, nil // damaged: start over
	}
	return true, nil
}

// writeJSON writes a journal atomically (temp file, fsync, rename), 0600 in
// a 0700 directory when mkdir is set. The fsync is skipped for updates
// (durable false): they only add finished parts or ranges, which the server
// (ListParts) or the final checksum confirm anyway.
func writeJSON(path string, v any, mkdir bool) error { return writeJournal(path, v, mkdir, true) }

func writeJournal(path string, v any, mkdir, durable bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if mkdir {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fault.Wrap(fault.Local, fmt.Errorf("write journal: %w", err), "")
		}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("write journal: %w", err), "")
	}
	_, werr := f.Write(b)
	if werr == nil && durable {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(f.Name(), 0o600)
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fault.Wrap(fault.Local, fmt.Errorf("write journal %s: %w", path, werr), "")
	}
	return nil
}
