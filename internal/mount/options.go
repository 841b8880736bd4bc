package mount

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/objstore"
)

// Defaults of Options.
const (
	DefaultCacheSize       = 10 << 30
	DefaultDirCacheTTL     = 10 * time.Second
	DefaultDirCacheEntries = 100_000
	DefaultLoginWait       = 5 * time.Minute
	DefaultIdleUpload      = 5 * time.Second
	// DefaultRenameDirCap is the most objects a directory rename copies.
	DefaultRenameDirCap = 1000
)

// Options configure a mount.
type Options struct {
	Store  *objstore.S3
	Source objstore.URL // bucket and prefix ("" or ending in "/")
	// Identity names the session ("account work", "profile dev"); it keys
	// the journal together with the endpoint and the source.
	Identity   string
	Mountpoint string
	ReadOnly   bool
	// CacheDir holds the write-back cache and its journal (0700).
	CacheDir string
	// CacheSize bounds the bytes staged in the cache: a write beyond it
	// waits for other files' uploads, then fails with ENOSPC.
	CacheSize       int64
	DirCacheTTL     time.Duration
	DirCacheEntries int
	IdleUpload      time.Duration
	RenameDirCap    int
	// StateDir holds the registry of running mounts (status, socket).
	StateDir string
	// LogFile is where the daemon logs (shown by status), if any.
	LogFile  string
	Logger   *slog.Logger
	Prompter *Prompter
	// Ready is called once the file system is mounted and serving.
	Ready func()
	// Debug logs every FUSE request.
	Debug bool
}

func (o *Options) setDefaults() error {
	if o.Store == nil {
		return errors.New("mount: no store")
	}
	if o.Source.Bucket == "" {
		return errors.New("mount: no bucket")
	}
	if o.Source.Key != "" && !strings.HasSuffix(o.Source.Key, "/") {
		o.Source.Key += "/"
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.DirCacheTTL == 0 {
		o.DirCacheTTL = DefaultDirCacheTTL
	}
	if o.DirCacheEntries <= 0 {
		o.DirCacheEntries = DefaultDirCacheEntries
	}
	if o.IdleUpload <= 0 {
		o.IdleUpload = DefaultIdleUpload
	}
	if o.RenameDirCap <= 0 {
		o.RenameDirCap = DefaultRenameDirCap
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Prompter == nil {
		o.Prompter = NewPrompter(0, o.Logger)
	}
	if o.CacheDir == "" {
		return errors.New("mount: no cache directory")
	}
	return nil
}

// JournalID names the journal of a mount of source through identity at
// endpoint: the next mount of the same bucket and prefix finds it.
func JournalID(identity, endpoint string, source objstore.URL) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%s", identity, endpoint, source.Bucket, source.Key)))
	return source.Bucket + "-" + hex.EncodeToString(h[:8])
}
