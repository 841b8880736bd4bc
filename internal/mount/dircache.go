//go:build linux || darwin

package mount

import (
	"sync"
	"time"
)

// dirEntry is one name of a directory listing.
type dirEntry struct {
	name  string
	dir   bool
	size  int64
	mtime time.Time
	etag  string
}

// listing is a directory's cached listing.
type listing struct {
	entries map[string]dirEntry
	at      time.Time
}

// dirCache caches complete directory listings for a TTL, with a cap on the
// entries held across all directories (the oldest listings go first), so
// memory stays bounded whatever the bucket's size. A directory larger than
// the cap is never cached: it is listed from S3 each time.
type dirCache struct {
	ttl time.Duration
	cap int

	mu    sync.Mutex
	dirs  map[string]*listing // by directory key ("" or ending in "/")
	total int
}

func newDirCache(ttl time.Duration, cap int) *dirCache {
	return &dirCache{ttl: ttl, cap: cap, dirs: map[string]*listing{}}
}

// get returns the fresh listing of dir, or nil.
func (c *dirCache) get(dir string) *listing {
	if c.ttl < 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.dirs[dir]
	if l == nil {
		return nil
	}
	if time.Since(l.at) > c.ttl {
		c.dropLocked(dir)
		return nil
	}
	return l
}

// lookup returns dir's entry name, and whether dir's listing was cached.
func (c *dirCache) lookup(dir, name string) (dirEntry, bool, bool) {
	l := c.get(dir)
	if l == nil {
		return dirEntry{}, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := l.entries[name]
	return e, ok, true
}

func (c *dirCache) put(dir string, entries map[string]dirEntry) {
	if c.ttl < 0 || len(entries) > c.cap {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(dir)
	for c.total+len(entries) > c.cap && len(c.dirs) > 0 {
		oldest, at := "", time.Time{}
		for k, l := range c.dirs {
			if oldest == "" || l.at.Before(at) {
				oldest, at = k, l.at
			}
		}
		c.dropLocked(oldest)
	}
	c.dirs[dir] = &listing{entries: entries, at: time.Now()}
	c.total += len(entries)
}

// upsert adds or replaces a name in dir's cached listing (if cached).
func (c *dirCache) upsert(dir string, e dirEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.dirs[dir]; l != nil {
		if _, ok := l.entries[e.name]; !ok {
			c.total++
		}
		l.entries[e.name] = e
	}
}

// remove drops a name from dir's cached listing.
func (c *dirCache) remove(dir, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.dirs[dir]; l != nil {
		if _, ok := l.entries[name]; ok {
			delete(l.entries, name)
			c.total--
		}
	}
}

// invalidate forgets dir and every directory below it.
func (c *dirCache) invalidate(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.dirs {
		if len(k) >= len(dir) && k[:len(dir)] == dir {
			c.dropLocked(k)
		}
	}
}

func (c *dirCache) dropLocked(dir string) {
	if l := c.dirs[dir]; l != nil {
		c.total -= len(l.entries)
		delete(c.dirs, dir)
	}
}
