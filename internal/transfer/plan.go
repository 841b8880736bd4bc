package transfer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Location is a command-line argument: an S3 URL, a local path, or "-"
// (standard input or output).
type Location struct {
	S3    *objstore.URL
	Local string
	Stdio bool
	Raw   string
	// Literal turns wildcard expansion off for the key or the local path
	// (--raw): "*" is then an ordinary character.
	Literal bool
}

// ParseLocation parses an argument. "s3://..." is S3, "-" is stdio, anything
// else a local path. Only "*" is a wildcard, in keys and in local paths.
func ParseLocation(s string) (Location, error) {
	switch {
	case s == "-":
		return Location{Stdio: true, Raw: s}, nil
	case objstore.IsS3(s):
		u, err := objstore.ParseURL(s)
		if err != nil {
			return Location{}, err
		}
		return Location{S3: &u, Raw: s}, nil
	case s == "":
		return Location{}, fault.New(fault.Usage, "empty path", "")
	}
	return Location{Local: s, Raw: s}, nil
}

// ParseLiteralLocation is ParseLocation for --raw: "*" is an ordinary
// character of the key or path.
func ParseLiteralLocation(s string) (Location, error) {
	l, err := ParseLocation(s)
	if err != nil {
		return l, err
	}
	l.Literal = true
	if l.S3 != nil {
		l.S3.Literal = true
	}
	return l, nil
}

// HasWildcard reports whether the location is a pattern to expand: a key or
// local path with "*", not Literal.
func (l Location) HasWildcard() bool {
	if l.S3 != nil {
		return l.S3.HasWildcard()
	}
	return !l.Literal && !l.Stdio && objstore.HasWildcard(l.Local)
}

// String returns the location as the user wrote it (normalised for S3).
func (l Location) String() string {
	if l.S3 != nil {
		return l.S3.String()
	}
	return l.Raw
}

// IsDirLike reports whether the location names a directory or prefix
// (trailing slash, bucket root, or an existing local directory).
func (l Location) IsDirLike() bool {
	if l.S3 != nil {
		return l.S3.IsPrefix()
	}
	if strings.HasSuffix(l.Local, "/") || strings.HasSuffix(l.Local, string(os.PathSeparator)) {
		return true
	}
	fi, err := os.Stat(l.Local)
	return err == nil && fi.IsDir()
}

// Entry is one source object found by Expand.
type Entry struct {
	Rel     string       // path relative to the source base, "/"-separated
	URL     objstore.URL // for S3 sources
	Path    string       // for local sources
	Size    int64
	ModTime time.Time
	ETag    string
	// Single is true when the source named exactly one object (no -r, no
	// wildcard): the destination may then be a file name.
	Single bool
	// Info is the object's HEAD answer when the source named one object
	// (Single); a download takes its stored checksum from it.
	Info *objstore.ObjectInfo
	// Skip, when set, says why a local entry is not transferred: it is not
	// a regular file (a named pipe, socket or device, see [NotRegular]).
	// It was never opened; report it as a warning.
	Skip string
	// Err, when set, is why a local entry could not be read: a directory
	// the walk could not list (its Rel ends in "/"). The listing goes on
	// after it; report it as one failed operation.
	Err error
}

// Remote returns the entry as a download or copy source.
func (en Entry) Remote() Remote {
	return Remote{URL: en.URL, Size: en.Size, ETag: en.ETag, LastModified: en.ModTime, Info: en.Info}
}

// Expand streams the objects a source argument names: one object, every
// object under a prefix or directory (recursive), or the matches of a
// wildcard. Listing errors end the sequence.
func (e *Engine) Expand(ctx context.Context, src Location, recursive bool) iter.Seq2[Entry, error] {
	if src.S3 != nil {
		return e.expandS3(ctx, *src.S3, recursive)
	}
	return expandLocal(src.Local, recursive, src.Literal)
}

func (e *Engine) expandS3(ctx context.Context, u objstore.URL, recursive bool) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		switch {
		case u.HasWildcard():
			prefix := objstore.WildcardPrefix(u.Key)
			base := prefix[:strings.LastIndexByte(prefix, '/')+1]
			for o, err := range e.s3.List(ctx, u.Bucket, prefix, false) {
				if err != nil {
					yield(Entry{}, err)
					return
				}
				if !objstore.MatchKey(u.Key, o.Key) || strings.HasSuffix(o.Key, "/") {
					continue
				}
				if !yield(Entry{Rel: strings.TrimPrefix(o.Key, base), URL: objstore.URL{Bucket: u.Bucket, Key: o.Key},
					Size: o.Size, ModTime: o.LastModified, ETag: o.ETag}, nil) {
					return
				}
			}
		case recursive:
			prefix := u.Key
			if prefix != "" && !strings.HasSuffix(prefix, "/") {
				prefix += "/"
			}
			for o, err := range e.s3.List(ctx, u.Bucket, prefix, false) {
				if err != nil {
					yield(Entry{}, err)
					return
				}
				if strings.HasSuffix(o.Key, "/") {
					continue // directory marker
				}
				if !yield(Entry{Rel: strings.TrimPrefix(o.Key, prefix), URL: objstore.URL{Bucket: u.Bucket, Key: o.Key},
					Size: o.Size, ModTime: o.LastModified, ETag: o.ETag}, nil) {
					return
				}
			}
		default:
			if u.IsPrefix() {
				yield(Entry{}, fault.New(fault.Usage, fmt.Sprintf("%s is a bucket or prefix, not an object", u),
					"pass -r/--recursive to work on everything under it"))
				return
			}
			info, err := e.s3.Head(ctx, u)
			if err != nil {
				yield(Entry{}, err)
				return
			}
			yield(Entry{Rel: objstore.BaseName(u.Key), URL: u, Size: info.Size, ModTime: info.LastModified, ETag: info.ETag, Single: true, Info: &info}, nil)
		}
	}
}

func expandLocal(path string, recursive, literal bool) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		fi, err := os.Stat(path)
		if err != nil && !literal && objstore.HasWildcard(path) {
			matches, gerr := filepath.Glob(starOnlyPattern(path))
			if gerr != nil {
				yield(Entry{}, fault.Newf(fault.Usage, "bad pattern %q: %v", path, gerr))
				return
			}
			for _, m := range matches {
				mfi, err := os.Stat(m)
				if err != nil || mfi.IsDir() {
					continue
				}
				en := Entry{Rel: filepath.Base(m), Path: m, Size: mfi.Size(), ModTime: mfi.ModTime()}
				if !mfi.Mode().IsRegular() {
					en = Entry{Rel: en.Rel, Path: m, Skip: NotRegular(mfi.Mode())}
				}
				if !yield(en, nil) {
					return
				}
			}
			return
		}
		if err != nil {
			yield(Entry{}, fault.Wrap(fault.NotFound, fmt.Errorf("read %s: %w", path, unwrapPathErr(err)), ""))
			return
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			// Opening a named pipe would wait for a writer; a device may
			// never end. Standard input is the way to upload a stream.
			yield(Entry{}, fault.New(fault.Usage, fmt.Sprintf("%s is %s", path, NotRegular(fi.Mode())),
				fmt.Sprintf("to upload what it delivers, read it as standard input: s3sso cp - s3://BUCKET/KEY < %s", path)))
			return
		}
		if !fi.IsDir() {
			yield(Entry{Rel: filepath.Base(path), Path: path, Size: fi.Size(), ModTime: fi.ModTime(), Single: !recursive}, nil)
			return
		}
		if !recursive {
			yield(Entry{}, fault.New(fault.Usage, fmt.Sprintf("%s is a directory", path), "pass -r/--recursive to copy a directory"))
			return
		}
		werr := walkSorted(path, func(rel, p string, _ fs.DirEntry, err error) error {
			var en Entry
			switch {
			case err != nil: // an unreadable directory: one failed entry
				en = Entry{Rel: rel, Path: p, Err: err}
			default:
				info, err := os.Stat(p) // follows symlinks to files
				if err != nil || info.IsDir() {
					return nil // dangling link or link to a directory: skip
				}
				en = Entry{Rel: rel, Path: p, Size: info.Size(), ModTime: info.ModTime()}
				if !info.Mode().IsRegular() {
					en = Entry{Rel: rel, Path: p, Skip: NotRegular(info.Mode())}
				}
			}
			if !yield(en, nil) {
				return errStop
			}
			return nil
		})
		if werr != nil && !errors.Is(werr, errStop) {
			yield(Entry{}, werr)
		}
	}
}

// starOnlyPattern escapes the characters filepath.Glob treats as special
// other than "*" ("?", "[" and, where it is the escape character, "\\"), so
// that only "*" is a wildcard in local paths as in keys. "?" and "[" are
// escaped as one-character classes, which works on every system.
func starOnlyPattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '?' || c == '[':
			b.WriteByte('[')
			b.WriteByte(c)
			b.WriteByte(']')
		case c == '\\' && os.PathSeparator != '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// NotRegular describes a file that is not a regular file ("a named pipe
// (FIFO)", "a socket", ...). Such files are never opened: reading a named
// pipe waits for a writer, and a device may never end.
func NotRegular(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO), not a regular file"
	case m&fs.ModeSocket != 0:
		return "a socket, not a regular file"
	case m&fs.ModeCharDevice != 0:
		return "a character device, not a regular file"
	case m&fs.ModeDevice != 0:
		return "a block device, not a regular file"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// walkSorted calls fn for every entry below root that is not a directory
// (symbolic links are not followed), with its "/"-separated path relative
// to root, in byte order of that relative path: the order in which S3
// lists keys, so a local tree and a listing can be merged. This is not
// filepath.WalkDir's order, which sorts each directory by name: "a/b" comes
// before "a-b" there, but after it in byte order ('-' < '/'). Each directory
// is therefore sorted by name with "/" appended to subdirectories. Only one
// directory's names per level of depth are held at a time.
//
// A subdirectory that cannot be read is passed to fn with its error (a
// fault.Local error), its path, and its relative path ending in "/" (which
// sorts just before what it would hold), and the walk goes on; an
// unreadable root is walkSorted's error.
func walkSorted(root string, fn func(rel, path string, d fs.DirEntry, err error) error) error {
	var walk func(dir, rel string, d fs.DirEntry) error
	walk = func(dir, rel string, dd fs.DirEntry) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			err = fault.Wrap(fault.Local, fmt.Errorf("read directory %s: %w", dir, unwrapPathErr(err)), "check its permissions")
			if dd == nil {
				return err
			}
			return fn(rel, dir, dd, err)
		}
		keys := make([]sortedEntry, len(entries))
		for i, d := range entries {
			keys[i] = sortedEntry{key: d.Name(), d: d}
			if d.IsDir() {
				keys[i].key += "/"
			}
		}
		entries = nil //nolint:ineffassign // free the listing before descending into subdirectories
		slices.SortFunc(keys, func(a, b sortedEntry) int { return strings.Compare(a.key, b.key) })
		for _, k := range keys {
			d := k.d
			p := filepath.Join(dir, d.Name())
			r := rel + d.Name()
			if d.IsDir() {
				if err := walk(p, r+"/", d); err != nil {
					return err
				}
				continue
			}
			if err := fn(r, p, d, nil); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, "", nil)
}

type sortedEntry struct {
	key string // the name, with "/" appended for a directory
	d   fs.DirEntry
}

var errStop = errors.New("stop")

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// UnsafeKeyError is returned for an object key that would be written outside
// the destination directory. Such keys are refused, never rewritten.
type UnsafeKeyError struct {
	Key    string
	Reason string
}

func (e *UnsafeKeyError) Error() string {
	return fmt.Sprintf("refusing to download key %q: %s", e.Key, e.Reason)
}

// LocalTarget joins rel (an object key relative to the source prefix) under
// dir, refusing keys that are absolute, contain "..", "." or empty segments
// ("//"), or a NUL byte, so a download never writes outside dir.
func LocalTarget(dir, rel, fullKey string) (string, error) {
	bad := func(reason string) error {
		return fault.Wrap(fault.Usage, &UnsafeKeyError{Key: fullKey, Reason: reason}, "")
	}
	if rel == "" {
		return "", bad("it names no file below the destination")
	}
	if strings.HasPrefix(rel, "/") {
		return "", bad("it is an absolute path")
	}
	if strings.ContainsRune(rel, 0) {
		return "", bad("it contains a NUL byte")
	}
	for _, seg := range strings.Split(rel, "/") {
		switch seg {
		case "":
			return "", bad("it contains an empty path segment (//)")
		case ".", "..":
			return "", bad("it contains a " + seg + " segment that would leave the destination directory")
		}
		if os.PathSeparator != '/' && strings.ContainsRune(seg, os.PathSeparator) {
			return "", bad("it contains a path separator of this system")
		}
	}
	return filepath.Join(dir, filepath.FromSlash(rel)), nil
}
