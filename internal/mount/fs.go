//go:build linux || darwin

package mount

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

// mfs is one mounted file system.
type mfs struct {
	o      Options
	store  *objstore.S3
	engine *transfer.Engine
	wb     *writeback
	dirs   *dirCache
	root   *node
	logger *slog.Logger
	uid    uint32
	gid    uint32
	ctx    context.Context // lives as long as the mount
}

// node is a file or directory of the mount.
type node struct {
	fs.Inode
	m   *mfs
	dir bool

	mu    sync.Mutex
	size  int64
	mtime time.Time
	etag  string
	rem   *remote
}

var (
	_ fs.NodeLookuper  = (*node)(nil)
	_ fs.NodeReaddirer = (*node)(nil)
	_ fs.NodeGetattrer = (*node)(nil)
	_ fs.NodeSetattrer = (*node)(nil)
	_ fs.NodeOpener    = (*node)(nil)
	_ fs.NodeReader    = (*node)(nil)
	_ fs.NodeWriter    = (*node)(nil)
	_ fs.NodeFlusher   = (*node)(nil)
	_ fs.NodeFsyncer   = (*node)(nil)
	_ fs.NodeReleaser  = (*node)(nil)
	_ fs.NodeCreater   = (*node)(nil)
	_ fs.NodeMkdirer   = (*node)(nil)
	_ fs.NodeUnlinker  = (*node)(nil)
	_ fs.NodeRmdirer   = (*node)(nil)
	_ fs.NodeRenamer   = (*node)(nil)
	_ fs.NodeStatfser  = (*node)(nil)
)

// rel is n's path in the mount ("" for the root).
func (n *node) rel() string { return n.Path(n.m.root.EmbeddedInode()) }

// key is n's object key (a directory's ends in "/", the root's is the
// mount's prefix).
func (n *node) key() string {
	r := n.rel()
	if r == "" {
		return n.m.o.Source.Key
	}
	if n.dir {
		return n.m.o.Source.Key + r + "/"
	}
	return n.m.o.Source.Key + r
}

func (m *mfs) url(key string) objstore.URL { return objstore.URL{Bucket: m.o.Source.Bucket, Key: key} }

// parentDir is the directory key of key's parent.
func parentDir(key string) (dir, name string) {
	k := strings.TrimSuffix(key, "/")
	i := strings.LastIndex(k, "/")
	return k[:i+1], k[i+1:]
}

func (m *mfs) fill(n *node, out *fuse.Attr) {
	out.Uid, out.Gid = m.uid, m.gid
	if n.dir {
		out.Mode = syscall.S_IFDIR | 0o755
		out.Nlink = 2
		t := uint64(time.Now().Unix())
		if !n.mtime.IsZero() {
			t = uint64(n.mtime.Unix())
		}
		out.Mtime, out.Ctime, out.Atime = t, t, t
		return
	}
	size, mtime := n.size, n.mtime
	if st := m.wb.get(n.key()); st != nil {
		st.mu.Lock()
		size, mtime = st.size, st.mtime
		st.mu.Unlock()
	}
	out.Mode = syscall.S_IFREG | 0o644
	if m.o.ReadOnly {
		out.Mode = syscall.S_IFREG | 0o444
	}
	out.Nlink = 1
	out.Size = uint64(size)
	out.Blocks = (uint64(size) + 511) / 512
	out.Blksize = 1 << 20
	out.SetTimes(&mtime, &mtime, &mtime)
}

// child returns the inode for name under n, reusing the one the kernel
// knows when its type matches, with e's attributes.
func (n *node) child(ctx context.Context, e dirEntry, out *fuse.EntryOut) *fs.Inode {
	if ch := n.GetChild(e.name); ch != nil {
		if cn, ok := ch.Operations().(*node); ok && cn.dir == e.dir {
			cn.mu.Lock()
			if !e.dir && (cn.etag != e.etag || cn.size != e.size) {
				cn.size, cn.etag, cn.rem = e.size, e.etag, nil
				if !e.mtime.IsZero() {
					cn.mtime = e.mtime
				}
			}
			cn.mu.Unlock()
			n.m.fill(cn, &out.Attr)
			return ch
		}
	}
	cn := &node{m: n.m, dir: e.dir, size: e.size, mtime: e.mtime, etag: e.etag}
	mode := uint32(syscall.S_IFREG)
	if e.dir {
		mode = syscall.S_IFDIR
	}
	ch := n.NewInode(ctx, cn, fs.StableAttr{Mode: mode})
	n.m.fill(cn, &out.Attr)
	return ch
}

// entries lists the directory dir from S3, one level.
func (m *mfs) entries(ctx context.Context, dir string) iter.Seq2[dirEntry, error] {
	return func(yield func(dirEntry, error) bool) {
		for o, err := range m.store.List(ctx, m.o.Source.Bucket, dir, true) {
			if err != nil {
				yield(dirEntry{}, err)
				return
			}
			name := strings.TrimPrefix(o.Key, dir)
			e := dirEntry{name: name, size: o.Size, mtime: o.LastModified, etag: o.ETag}
			if o.IsPrefix {
				e.name, e.dir = strings.TrimSuffix(name, "/"), true
			}
			if !validName(e.name) {
				continue
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.Contains(name, "/")
}

// pendingIn returns the names the write-back cache adds to dir: staged
// files, and the directories holding staged files deeper down.
func (m *mfs) pendingIn(dir string) map[string]dirEntry {
	out := map[string]dirEntry{}
	for _, st := range m.wb.under(dir) {
		st.mu.Lock()
		key, size, mtime, removed := st.key, st.size, st.mtime, st.removed
		st.mu.Unlock()
		if removed || !strings.HasPrefix(key, dir) {
			continue
		}
		rest := key[len(dir):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			if validName(rest[:i]) {
				out[rest[:i]] = dirEntry{name: rest[:i], dir: true}
			}
			continue
		}
		if validName(rest) {
			out[rest] = dirEntry{name: rest, size: size, mtime: mtime}
		}
	}
	return out
}

// load lists dir completely into the cache; it returns nil when the
// directory has more entries than the cache holds.
func (m *mfs) load(ctx context.Context, dir string) (map[string]dirEntry, error) {
	all := map[string]dirEntry{}
	for e, err := range m.entries(ctx, dir) {
		if err != nil {
			return nil, err
		}
		if old, ok := all[e.name]; ok && old.dir {
			continue // a directory wins over a file of the same name
		}
		all[e.name] = e
		if len(all) > m.o.DirCacheEntries {
			return nil, nil
		}
	}
	m.dirs.put(dir, all)
	return all, nil
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	m := n.m
	dir := n.key()
	key := dir + name
	if st := m.wb.get(key); st != nil {
		return n.child(ctx, dirEntry{name: name}, out), 0
	}
	if p := m.pendingIn(dir); p[name].dir {
		return n.child(ctx, p[name], out), 0
	}
	if e, ok, cached := m.dirs.lookup(dir, name); cached {
		if !ok {
			return nil, syscall.ENOENT
		}
		return n.child(ctx, e, out), 0
	}
	all, err := m.load(ctx, dir)
	if err != nil {
		return nil, m.errno("list", dir, err)
	}
	if all != nil {
		e, ok := all[name]
		if !ok {
			return nil, syscall.ENOENT
		}
		return n.child(ctx, e, out), 0
	}
	// A directory too large to cache: ask about the name itself.
	for e, err := range m.entries(ctx, key+"/") {
		if err != nil {
			return nil, m.errno("list", key+"/", err)
		}
		_ = e
		return n.child(ctx, dirEntry{name: name, dir: true}, out), 0
	}
	info, err := m.store.Head(ctx, m.url(key))
	if err != nil {
		if objstore.IsNotFound(err) || fault.Classify(err) == fault.NotFound {
			// A marker object alone.
			if _, herr := m.store.Head(ctx, m.url(key+"/")); herr == nil {
				return n.child(ctx, dirEntry{name: name, dir: true}, out), 0
			}
			return nil, syscall.ENOENT
		}
		return nil, m.errno("stat", key, err)
	}
	return n.child(ctx, infoEntry(name, info), out), 0
}

func infoEntry(name string, info objstore.ObjectInfo) dirEntry {
	e := dirEntry{name: name, size: info.Size, mtime: info.LastModified, etag: info.ETag}
	if t, ok := parseMtime(info.Metadata[MetaMtime]); ok {
		e.mtime = t
	}
	return e
}

// dirStream streams a directory: from the cache, or page by page from S3,
// with the write-back cache's names merged in.
type dirStream struct {
	next    func() (dirEntry, error, bool)
	stop    func()
	pending map[string]dirEntry
	seen    map[string]bool
	rest    []dirEntry // pending names not listed, served last
	cur     *fuse.DirEntry
	err     syscall.Errno
	// collect builds the cache entry while streaming (nil once too large)
	collect map[string]dirEntry
	done    func(map[string]dirEntry)
}

func (d *dirStream) advance() {
	for d.cur == nil && d.err == 0 {
		if d.next != nil {
			e, err, ok := d.next()
			if err != nil {
				d.err = syscall.EIO
				d.stop()
				d.next = nil
				return
			}
			if !ok {
				d.stop()
				d.next = nil
				if d.collect != nil && d.done != nil {
					d.done(d.collect)
				}
				for name, e := range d.pending {
					if !d.seen[name] {
						d.rest = append(d.rest, e)
					}
				}
				continue
			}
			if d.collect != nil {
				d.collect[e.name] = e
				if len(d.collect) > maxCollect {
					d.collect = nil
				}
			}
			if d.seen[e.name] {
				continue
			}
			d.seen[e.name] = true
			if p, ok := d.pending[e.name]; ok {
				e = p
			}
			d.cur = direntOf(e)
			return
		}
		if len(d.rest) == 0 {
			return
		}
		d.cur = direntOf(d.rest[0])
		d.rest = d.rest[1:]
	}
}

var maxCollect = DefaultDirCacheEntries

func direntOf(e dirEntry) *fuse.DirEntry {
	mode := uint32(syscall.S_IFREG)
	if e.dir {
		mode = syscall.S_IFDIR
	}
	return &fuse.DirEntry{Name: e.name, Mode: mode}
}

func (d *dirStream) HasNext() bool {
	d.advance()
	return d.cur != nil
}

func (d *dirStream) Next() (fuse.DirEntry, syscall.Errno) {
	d.advance()
	if d.cur == nil {
		return fuse.DirEntry{}, d.err
	}
	e := *d.cur
	d.cur = nil
	return e, 0
}

func (d *dirStream) Close() {
	if d.next != nil {
		d.stop()
		d.next = nil
	}
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	m := n.m
	dir := n.key()
	d := &dirStream{pending: m.pendingIn(dir), seen: map[string]bool{}}
	if l := m.dirs.get(dir); l != nil {
		m.dirs.mu.Lock()
		for _, e := range l.entries {
			d.rest = append(d.rest, e)
			d.seen[e.name] = true
		}
		m.dirs.mu.Unlock()
		for i, e := range d.rest {
			if p, ok := d.pending[e.name]; ok {
				d.rest[i] = p
			}
		}
		for name, e := range d.pending {
			if !d.seen[name] {
				d.rest = append(d.rest, e)
			}
		}
		return d, 0
	}
	// The listing runs on the mount's context: the kernel reads a
	// directory in several requests.
	next, stop := iter.Pull2(m.entries(m.ctx, dir))
	d.next, d.stop = next, stop
	d.collect = map[string]dirEntry{}
	maxCollect = m.o.DirCacheEntries
	d.done = func(all map[string]dirEntry) { m.dirs.put(dir, all) }
	return d, 0
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m.fill(n, &out.Attr)
	if h, ok := f.(*handle); ok && h.st != nil {
		// The open file's own copy: it is the file even when its name now
		// holds another one, or none (unlinked while open).
		h.st.mu.Lock()
		size, mtime, removed := h.st.size, h.st.mtime, h.st.removed
		h.st.mu.Unlock()
		out.Size = uint64(size)
		out.Blocks = (uint64(size) + 511) / 512
		out.SetTimes(&mtime, &mtime, &mtime)
		if removed {
			out.Nlink = 0
		}
	}
	return 0
}

// handle is an open file.
type handle struct {
	st     *staged // the staged copy (writes, and reads of staged files)
	write  bool
	append bool
	rem    *remote
	rs     *readState
}

func (n *node) remoteFor(ctx context.Context) (*remote, *readState, error) {
	// Each open asks for the object's current version (and checksum).
	m := n.m
	key := n.key()
	info, err := m.store.Head(ctx, m.url(key))
	if err != nil {
		return nil, nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rem == nil || n.rem.etag != info.ETag || n.rem.url.Key != key || n.rem.failed() {
		n.rem = newRemote(m.store, info, m.url(key), m.logger)
	}
	e := infoEntry("", info)
	n.size, n.etag, n.mtime = e.size, e.etag, e.mtime
	return n.rem, &readState{}, nil
}

// fetchInto downloads key into path, verified (for writes to an existing
// object).
func (m *mfs) fetchInto(key string) func(ctx context.Context, path string) error {
	return func(ctx context.Context, path string) error {
		return m.engine.Download(ctx, transfer.Remote{URL: m.url(key), Size: -1}, path)
	}
}

// exists reports whether key is an object (for staging a copy of it).
func (n *node) remoteSize() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.size
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	m := n.m
	key := n.key()
	acc := flags & syscall.O_ACCMODE
	write := acc == syscall.O_WRONLY || acc == syscall.O_RDWR
	trunc := flags&syscall.O_TRUNC != 0
	if (write || trunc) && m.o.ReadOnly {
		return nil, 0, syscall.EROFS
	}
	h := &handle{write: write, append: flags&syscall.O_APPEND != 0}
	if write || trunc {
		var fill func(context.Context, string) error
		if !trunc && n.remoteSize() > 0 {
			fill = m.fetchInto(key)
		}
		st, err := m.wb.stage(ctx, key, fill)
		if err != nil {
			return nil, 0, m.errno("open", key, err)
		}
		if trunc {
			if err := m.wb.truncate(st, 0); err != nil {
				m.wb.release(st, false)
				return nil, 0, m.errno("truncate", key, err)
			}
		}
		h.st = st
		if write {
			m.wb.writer(st)
		}
		return h, 0, 0
	}
	if st := m.wb.get(key); st != nil {
		if st, err := m.wb.stage(ctx, key, nil); err == nil {
			h.st = st
			return h, 0, 0
		}
	}
	rem, rs, err := n.remoteFor(ctx)
	if err != nil {
		return nil, 0, m.errno("open", key, err)
	}
	h.rem, h.rs = rem, rs
	return h, 0, 0
}

func (n *node) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, ok := f.(*handle)
	if !ok {
		return nil, syscall.EBADF
	}
	if h.st != nil {
		h.st.mu.Lock()
		file := h.st.f
		h.st.mu.Unlock()
		if file == nil {
			return nil, syscall.EBADF
		}
		k, err := file.ReadAt(dest, off)
		if err != nil && !errors.Is(err, os.ErrClosed) && k == 0 && off < h.st.size {
			return nil, n.m.errno("read", h.st.key, err)
		}
		return fuse.ReadResultData(dest[:k]), 0
	}
	k, err := h.rem.read(ctx, h.rs, dest, off)
	if err != nil {
		return nil, n.m.errno("read", h.rem.url.Key, err)
	}
	return fuse.ReadResultData(dest[:k]), 0
}

func (n *node) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	h, ok := f.(*handle)
	if !ok || h.st == nil || !h.write {
		return 0, syscall.EBADF
	}
	k, err := n.m.wb.write(h.st, data, off, h.append)
	if err != nil {
		return uint32(k), n.m.errno("write", h.st.key, err)
	}
	return uint32(k), 0
}

// Flush (each close) does nothing: a shell's redirection closes a
// duplicate before writing, so the upload starts at Release (the last
// close).
func (n *node) Flush(ctx context.Context, f fs.FileHandle) syscall.Errno {
	return 0
}

func (n *node) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	st := n.m.wb.get(n.key())
	if h, ok := f.(*handle); ok && h.st != nil {
		st = h.st
	}
	if st == nil {
		return 0
	}
	if err := n.m.wb.sync(ctx, st); err != nil {
		return n.m.errno("fsync", st.key, err)
	}
	return 0
}

func (n *node) Release(ctx context.Context, f fs.FileHandle) syscall.Errno {
	if h, ok := f.(*handle); ok && h.st != nil {
		n.m.wb.release(h.st, h.write)
	}
	return 0
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	m := n.m
	key := n.key()
	if uid, ok := in.GetUID(); ok && uid != m.uid {
		return syscall.EPERM
	}
	if gid, ok := in.GetGID(); ok && gid != m.gid {
		return syscall.EPERM
	}
	// chmod: accepted and ignored (see docs/mount.md).
	if size, ok := in.GetSize(); ok && !n.dir {
		if m.o.ReadOnly {
			return syscall.EROFS
		}
		var st *staged
		if h, ok := f.(*handle); ok && h.st != nil {
			st = h.st
		} else {
			var fill func(context.Context, string) error
			if size > 0 && n.remoteSize() > 0 {
				fill = m.fetchInto(key)
			}
			var err error
			if st, err = m.wb.stage(ctx, key, fill); err != nil {
				return m.errno("truncate", key, err)
			}
			defer m.wb.release(st, false)
		}
		if err := m.wb.truncate(st, int64(size)); err != nil {
			return m.errno("truncate", key, err)
		}
	}
	if mt, ok := in.GetMTime(); ok && !n.dir {
		if m.o.ReadOnly {
			return syscall.EROFS
		}
		if st := m.wb.get(key); st != nil {
			st.mu.Lock()
			st.mtime = mt
			st.mu.Unlock()
		} else {
			po := transfer.PutOptions{Metadata: map[string]string{MetaMtime: formatMtime(mt)}}
			if err := m.engine.Copy(ctx, transfer.Remote{URL: m.url(key), Size: -1}, m.url(key), po); err != nil {
				return m.errno("set the time of", key, err)
			}
		}
		n.mu.Lock()
		n.mtime = mt
		n.mu.Unlock()
	}
	n.mu.Lock()
	m.fill(n, &out.Attr)
	n.mu.Unlock()
	return 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	m := n.m
	if m.o.ReadOnly {
		return nil, nil, 0, syscall.EROFS
	}
	dir := n.key()
	key := dir + name
	st, err := m.wb.stage(ctx, key, nil)
	if err != nil {
		return nil, nil, 0, m.errno("create", key, err)
	}
	if err := m.wb.truncate(st, 0); err != nil {
		m.wb.release(st, false)
		return nil, nil, 0, m.errno("create", key, err)
	}
	e := dirEntry{name: name, mtime: time.Now()}
	m.dirs.upsert(dir, e)
	ch := n.child(ctx, e, out)
	acc := flags & syscall.O_ACCMODE
	h := &handle{st: st, write: acc == syscall.O_WRONLY || acc == syscall.O_RDWR, append: flags&syscall.O_APPEND != 0}
	if h.write {
		m.wb.writer(st)
	}
	return ch, h, 0, 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	m := n.m
	if m.o.ReadOnly {
		return nil, syscall.EROFS
	}
	dir := n.key()
	key := dir + name + "/"
	if _, err := m.store.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.o.Source.Bucket),
		Key: aws.String(key), ContentLength: aws.Int64(0)}); err != nil {
		return nil, m.errno("mkdir", key, m.store.Translate("mkdir", m.url(key).String(), err))
	}
	e := dirEntry{name: name, dir: true, mtime: time.Now()}
	m.dirs.upsert(dir, e)
	m.dirs.put(key, map[string]dirEntry{})
	return n.child(ctx, e, out), 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	m := n.m
	if m.o.ReadOnly {
		return syscall.EROFS
	}
	dir := n.key()
	key := dir + name
	if st := m.wb.get(key); st != nil {
		m.wb.remove(st)
	}
	if err := m.store.DeleteObject(ctx, m.url(key)); err != nil && fault.Classify(err) != fault.NotFound {
		return m.errno("delete", key, err)
	}
	m.dirs.remove(dir, name)
	return 0
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	m := n.m
	if m.o.ReadOnly {
		return syscall.EROFS
	}
	dir := n.key()
	key := dir + name + "/"
	if len(m.pendingIn(key)) > 0 {
		return syscall.ENOTEMPTY
	}
	for _, err := range m.entries(ctx, key) {
		if err != nil {
			return m.errno("list", key, err)
		}
		return syscall.ENOTEMPTY
	}
	if err := m.store.DeleteObject(ctx, m.url(key)); err != nil && fault.Classify(err) != fault.NotFound {
		return m.errno("rmdir", key, err)
	}
	m.dirs.remove(dir, name)
	m.dirs.invalidate(key)
	return 0
}

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	// S3 has no capacity: report a petabyte free, as other S3 mounts do.
	const blocks = 1 << 38 // of 4 KiB: 1 PiB
	out.Bsize, out.Frsize = 4096, 4096
	out.Blocks, out.Bfree, out.Bavail = blocks, blocks, blocks
	out.Files, out.Ffree = 1<<30, 1<<30
	out.NameLen = 1024
	return 0
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	m := n.m
	if m.o.ReadOnly {
		return syscall.EROFS
	}
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	const renameExchange, renameNoreplace = 2, 1
	if flags&renameExchange != 0 {
		return syscall.ENOTSUP
	}
	srcDir, dstDir := n.key(), np.key()
	ch := n.GetChild(name)
	if ch == nil {
		return syscall.ENOENT
	}
	cn := ch.Operations().(*node)
	var out fuse.EntryOut
	if tgt, errno := np.Lookup(ctx, newName, &out); errno == 0 {
		if flags&renameNoreplace != 0 {
			return syscall.EEXIST
		}
		tn := tgt.Operations().(*node)
		switch {
		case tn.dir && !cn.dir:
			return syscall.EISDIR
		case !tn.dir && cn.dir:
			return syscall.ENOTDIR
		case tn.dir:
			if errno := np.Rmdir(ctx, newName); errno != 0 {
				return errno
			}
		}
	}
	var err error
	if cn.dir {
		err = m.renameDir(ctx, srcDir+name+"/", dstDir+newName+"/")
	} else {
		err = m.renameFile(ctx, cn, srcDir+name, dstDir+newName)
	}
	if err != nil {
		return m.errno("rename", srcDir+name, err)
	}
	m.dirs.remove(srcDir, name)
	m.dirs.invalidate(dstDir)
	return 0
}

func (m *mfs) renameFile(ctx context.Context, cn *node, src, dst string) error {
	if st := m.wb.get(src); st != nil {
		if err := m.wb.rename(st, dst); err != nil {
			return err
		}
		m.wb.enqueue(st)
		// The content now lives only in the cache file until its upload
		// lands: on disk before the remote copy goes.
		if err := m.wb.syncData(st); err != nil {
			return err
		}
		if err := m.store.DeleteObject(ctx, m.url(src)); err != nil && fault.Classify(err) != fault.NotFound {
			return err
		}
		return nil
	}
	if old := m.wb.get(dst); old != nil {
		// The target's pending or running upload would overwrite (or,
		// ending after its removal, delete) the renamed file: stopped,
		// and waited for, before the copy.
		m.wb.remove(old)
	}
	if err := m.engine.Copy(ctx, transfer.Remote{URL: m.url(src), Size: -1}, m.url(dst), transfer.PutOptions{}); err != nil {
		return err
	}
	cn.mu.Lock()
	cn.rem = nil
	cn.mu.Unlock()
	return m.store.DeleteObject(ctx, m.url(src))
}

// errRenameCap is returned for a directory rename above the cap.
var errRenameCap = errors.New("too many objects to rename")

func (m *mfs) renameDir(ctx context.Context, src, dst string) error {
	list := func() ([]objstore.Object, error) {
		var keys []objstore.Object
		for o, err := range m.store.List(ctx, m.o.Source.Bucket, src, false) {
			if err != nil {
				return nil, err
			}
			keys = append(keys, o)
			if len(keys) > m.o.RenameDirCap {
				m.logger.Error("directory rename refused: it holds more objects than the cap; use `s3sso mv -r` on the bucket",
					"key", src, "cap", m.o.RenameDirCap)
				return nil, fault.Wrap(fault.Usage, errRenameCap, "")
			}
		}
		return keys, nil
	}
	// The cap is checked before anything moves.
	if _, err := list(); err != nil {
		return err
	}
	// The cached files move next: their uploads to the old names are
	// stopped and waited for (rename does), so that the listing below
	// sees a settled old tree, and their content goes to the new names
	// by upload, never by a copy of an older object.
	moved := map[string]bool{} // old keys of the cached files
	for _, st := range m.wb.under(src) {
		st.mu.Lock()
		k := st.key
		st.mu.Unlock()
		if !strings.HasPrefix(k, src) {
			continue
		}
		if err := m.wb.rename(st, dst+strings.TrimPrefix(k, src)); err != nil {
			return err
		}
		moved[k] = true
		m.wb.enqueue(st)
	}
	keys, err := list()
	if err != nil {
		return err
	}
	sem := make(chan struct{}, 8)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for _, o := range keys {
		if to := dst + strings.TrimPrefix(o.Key, src); moved[o.Key] || m.wb.get(to) != nil {
			// A cached file holds the new name: its upload, not this
			// older object, is the content; the old object is only
			// deleted.
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- m.engine.Copy(ctx, transfer.Remote{URL: m.url(o.Key), Size: o.Size, ETag: o.ETag},
				m.url(dst+strings.TrimPrefix(o.Key, src)), transfer.PutOptions{})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	var old []string
	for _, o := range keys {
		old = append(old, o.Key)
	}
	if len(old) > 0 {
		if _, err := m.store.DeleteObjects(ctx, m.o.Source.Bucket, old); err != nil {
			return err
		}
	}
	if len(keys) == 0 {
		// An empty, implicit directory: give the new name a marker.
		if _, err := m.store.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(m.o.Source.Bucket),
			Key: aws.String(dst), ContentLength: aws.Int64(0)}); err != nil {
			return m.store.Translate("mkdir", m.url(dst).String(), err)
		}
	}
	m.dirs.invalidate(src)
	m.dirs.invalidate(dst)
	return nil
}

// errno maps err to an errno and logs it with the object's name.
func (m *mfs) errno(op, key string, err error) syscall.Errno {
	if err == nil {
		return 0
	}
	e := errnoOf(err)
	lvl := slog.LevelError
	if e == syscall.ENOENT || e == syscall.ENOTEMPTY || e == syscall.EINTR {
		lvl = slog.LevelDebug
	}
	m.logger.Log(context.Background(), lvl, op+" failed", "key", key, "errno", e.Error(), "error", err)
	return e
}

func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	switch fault.Classify(err) {
	case fault.NotFound:
		return syscall.ENOENT
	case fault.AccessDenied, fault.Auth:
		return syscall.EACCES
	case fault.Integrity:
		return syscall.EIO
	case fault.Interrupted:
		return syscall.EINTR
	case fault.Network:
		return syscall.ETIMEDOUT
	case fault.Conflict:
		return syscall.ESTALE
	case fault.Usage:
		if errors.Is(err, errRenameCap) {
			return syscall.EXDEV
		}
		return syscall.EINVAL
	}
	return syscall.EPROTO
}
