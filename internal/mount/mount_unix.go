//go:build linux || darwin

package mount

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/transfer"
)

// Supported reports whether this build can mount.
const Supported = true

// flushOnExit bounds the uploads a mount waits for when it is stopped by a
// signal or unmounted from outside; what is left stays in the journal.
var flushOnExit = 2 * time.Minute

// Run mounts o.Source at o.Mountpoint and serves it until ctx ends, the
// file system is unmounted from outside, or `s3sso unmount` asks. Pending
// uploads of a previous mount of the same source (its journal) are
// uploaded first.
func Run(ctx context.Context, o Options) (err error) {
	if err := o.setDefaults(); err != nil {
		return err
	}
	mp, err := filepath.Abs(o.Mountpoint)
	if err != nil {
		return fault.Wrap(fault.Usage, fmt.Errorf("mount: %w", err), "")
	}
	o.Mountpoint = mp
	if fi, err := os.Stat(mp); err != nil || !fi.IsDir() {
		return fault.Newf(fault.Usage, "mount: %s is not a directory", mp)
	}
	// The mount's own context: a signal starts the shutdown, which still
	// uploads (bounded by flushOnExit).
	life, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()

	dir := filepath.Join(o.CacheDir, JournalID(o.Identity, o.Store.Endpoint(), o.Source))
	engine := transfer.New(o.Store, transfer.Options{Logger: o.Logger, JournalDir: filepath.Join(dir, "multipart")})
	wb, err := newWriteback(life, dir, o.Source.Bucket, engine, o.CacheSize, o.Logger)
	if err != nil {
		return err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()

	m := &mfs{o: o, store: o.Store, engine: engine, wb: wb, dirs: newDirCache(o.DirCacheTTL, o.DirCacheEntries),
		logger: o.Logger, uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), ctx: life}
	wb.del = func(ctx context.Context, key string) error { return o.Store.DeleteObject(ctx, m.url(key)) }
	wb.onClean = func(key string, size int64, mtime time.Time) {
		d, name := parentDir(key)
		m.dirs.upsert(d, dirEntry{name: name, size: size, mtime: mtime})
	}
	wb.run(life, 4, m.url)
	go wb.idle(life, o.IdleUpload)
	defer func() {
		stop()
		wb.uploads.Wait()
	}()

	n, err := wb.recover()
	if err != nil {
		return err
	}
	if n > 0 {
		o.Logger.Warn("uploading what the last mount left pending before accepting writes", "files", n)
		fctx, cancel := context.WithTimeout(ctx, flushOnExit)
		left := wb.flush(fctx, nil)
		cancel()
		if len(left) > 0 {
			o.Logger.Error("pending uploads of the last mount are still failing; they stay pending and are retried", "files", len(left))
		} else {
			o.Logger.Info("the last mount's pending uploads are done", "files", n)
		}
	}

	m.root = &node{m: m, dir: true}
	one := time.Second
	neg := time.Duration(0)
	server, err := fs.Mount(mp, m.root, &fs.Options{
		MountOptions: fuse.MountOptions{
			FsName:       "s3sso:" + o.Source.String(),
			Name:         "s3sso",
			MaxWrite:     1 << 20,
			MaxReadAhead: 1 << 20,
			Debug:        o.Debug,
		},
		EntryTimeout:    &one,
		AttrTimeout:     &one,
		NegativeTimeout: &neg,
		UID:             m.uid,
		GID:             m.gid,
	})
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("mount %s: %w", mp, err), "is fuse3 installed (fusermount3), and may you use /dev/fuse?")
	}
	o.Logger.Info("mounted", "source", o.Source.String(), "mountpoint", mp, "read_only", o.ReadOnly)

	info := Info{Mountpoint: mp, Source: o.Source.String(), Identity: o.Identity, PID: os.Getpid(),
		Socket: SocketPath(o.StateDir, mp), Log: o.LogFile, CacheDir: dir, ReadOnly: o.ReadOnly, Started: time.Now()}
	d := &daemon{m: m, info: info, server: server, done: make(chan struct{})}
	if o.StateDir != "" {
		if err := d.listen(); err != nil {
			_ = server.Unmount()
			return err
		}
		defer func() {
			d.ln.Close()
			Forget(o.StateDir, info)
		}()
		if err := writeInfo(o.StateDir, info); err != nil {
			_ = server.Unmount()
			return err
		}
	}
	if o.Ready != nil {
		o.Ready()
	}

	gone := make(chan struct{})
	go func() {
		server.Wait()
		close(gone)
	}()
	select {
	case <-gone:
		if d.getState() == "unmounting" {
			<-d.done
			break
		}
		o.Logger.Info("unmounted from outside; uploading what is pending")
		d.flushBounded()
	case <-d.done:
		<-gone
	case <-ctx.Done():
		o.Logger.Info("stopping: uploading what is pending, then unmounting")
		d.flushBounded()
		if err := unmountRetry(server); err != nil {
			// Busy (a file left open): a lazy unmount detaches it now, and
			// the wait for the server is bounded, so that the process
			// exits instead of waiting forever (a handle still open then
			// gets ENOTCONN).
			o.Logger.Error("unmount failed; detaching lazily", "error", err)
			lazyUnmount(o.Logger, mp)
			select {
			case <-gone:
			case <-time.After(10 * time.Second):
				o.Logger.Error("files still open in the detached mount; exiting anyway", "mountpoint", mp)
			}
		} else {
			<-gone
		}
	}
	if p, _ := wb.pending(); len(p) > 0 {
		for _, x := range p {
			o.Logger.Error("not uploaded yet: kept in the journal for the next mount", "key", x.Key, "size", x.Size)
		}
	}
	o.Logger.Info("unmounted", "mountpoint", mp)
	return nil
}

// lazyUnmount detaches mp even while files are open in it.
func lazyUnmount(logger *slog.Logger, mp string) {
	cmd := exec.Command("fusermount3", "-uz", mp)
	if runtime.GOOS == "darwin" {
		cmd = exec.Command("umount", "-f", mp)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		logger.Error("lazy unmount", "error", err, "output", strings.TrimSpace(string(out)))
	}
}

func unmountRetry(server *fuse.Server) error {
	var err error
	for range 20 {
		if err = server.Unmount(); err == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

// daemon answers `s3sso mount status` and `s3sso unmount` on the mount's
// control socket.
type daemon struct {
	m      *mfs
	info   Info
	server *fuse.Server
	ln     net.Listener

	mu         sync.Mutex
	state      string
	done       chan struct{}
	closedDone bool
}

func (d *daemon) listen() error {
	_ = os.MkdirAll(filepath.Dir(d.info.Socket), 0o700)
	os.Remove(d.info.Socket)
	ln, err := net.Listen("unix", d.info.Socket)
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("listen on %s: %w", d.info.Socket, err), "")
	}
	_ = os.Chmod(d.info.Socket, 0o600)
	d.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go d.serve(c)
		}
	}()
	return nil
}

func (d *daemon) status() Status {
	p, bytes := d.m.wb.pending()
	var pb int64
	for _, x := range p {
		pb += x.Size
	}
	d.mu.Lock()
	state := d.state
	d.mu.Unlock()
	if state == "" {
		state = "mounted"
	}
	if p == nil {
		p = []Pending{}
	}
	return Status{Info: d.info, State: state, Pending: p, PendingBytes: pb, CacheBytes: bytes, SignIn: d.m.o.Prompter.Waiting()}
}

func (d *daemon) getState() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

func (d *daemon) setState(s string) {
	d.mu.Lock()
	d.state = s
	d.mu.Unlock()
}

func (d *daemon) flushBounded() {
	d.setState("flushing")
	ctx, cancel := context.WithTimeout(context.Background(), flushOnExit)
	defer cancel()
	d.m.wb.flush(ctx, nil)
}

func (d *daemon) serve(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	if !sc.Scan() {
		return
	}
	var req request
	if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
		return
	}
	enc := json.NewEncoder(c)
	switch req.Op {
	case "status":
		st := d.status()
		_ = enc.Encode(reply{Status: &st})
	case "unmount":
		d.unmount(c, enc, req.Force)
	}
}

// unmount flushes (unless force) with progress to the client, then
// unmounts. If the client goes away while waiting, the mount stays.
func (d *daemon) unmount(c net.Conn, enc *json.Encoder, force bool) {
	gone := make(chan struct{})
	go func() {
		// The client sends nothing more: a read returns when it closes.
		var b [1]byte
		_, _ = c.Read(b[:])
		close(gone)
	}()
	var dropped []Pending
	if !force {
		d.setState("flushing")
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-gone:
				cancel()
			case <-ctx.Done():
			}
		}()
		left := d.m.wb.flush(ctx, func([]Pending) {
			st := d.status()
			_ = enc.Encode(reply{Status: &st})
		})
		cancel()
		if len(left) > 0 {
			d.setState("")
			_ = enc.Encode(reply{Done: true, Error: fmt.Sprintf("%d uploads still pending; nothing was dropped and the mount stays (unmount --force keeps them in the journal for the next mount)", len(left))})
			return
		}
	} else {
		dropped, _ = d.m.wb.pending()
	}
	d.setState("unmounting")
	if err := unmountRetry(d.server); err != nil {
		d.setState("")
		msg := "unmount failed: " + err.Error()
		if errors.Is(err, syscall.EBUSY) || strings.Contains(msg, "busy") {
			msg = "the file system is busy (a process has a file or directory open in it): " + err.Error()
		}
		_ = enc.Encode(reply{Done: true, Error: msg})
		return
	}
	// A write between the flush and the unmount is still pending: the
	// client is told, not told that nothing was dropped.
	if p, _ := d.m.wb.pending(); len(p) > 0 {
		dropped = p
	}
	_ = enc.Encode(reply{Done: true, Dropped: dropped})
	d.mu.Lock()
	if !d.closedDone {
		d.closedDone = true
		close(d.done)
	}
	d.mu.Unlock()
}

// lockDir takes the cache directory's lock: one mount per journal.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("lock %s: %w", dir, err), "")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fault.Newf(fault.Conflict, "this bucket is already mounted with this identity (its cache %s is in use)", dir)
	}
	return func() { f.Close() }, nil
}
