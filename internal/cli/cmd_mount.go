package cli

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/appdir"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/mount"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
)

type mountOptions struct {
	ReadOnly    bool
	CacheDir    string
	CacheSize   string
	DirCacheTTL time.Duration
	Foreground  bool
	LoginWait   time.Duration
	DebugFUSE   bool
}

// readyFDEnv names the descriptor a daemonized mount reports readiness on.
const readyFDEnv = "S3SSO_MOUNT_READY_FD"

func (a *app) newMountCommand() *cobra.Command {
	var o mountOptions
	cmd := &cobra.Command{
		Use:   "mount [flags] s3://BUCKET[/PREFIX] MOUNTPOINT",
		Short: "Mount a bucket as a drive (FUSE) whose sign-in renews itself",
		Long: `Mount a bucket (or a prefix of it) as a directory.

  s3sso mount --account work s3://bucket ~/bucket
  s3sso mount --profile dev --read-only s3://bucket/logs /mnt/logs
  s3sso mount status
  s3sso unmount ~/bucket

The mount runs in the background once it is ready (--foreground keeps it in
the terminal) and logs to a file under the state directory that
` + "`s3sso mount status`" + ` names. Files written are staged in a write-back cache
(--cache-dir) and uploaded on close, fsync and after a few idle seconds;
fsync returns once the object is durable in S3. Pending uploads are
journaled: if the mount is killed, the next mount of the same bucket
uploads them first. ` + "`s3sso unmount`" + ` waits for every pending upload.

When the sign-in expires and cannot be renewed silently, file operations
wait (--login-wait) for you to run the ` + "`s3sso login`" + ` that the log and
` + "`s3sso mount status`" + ` name, then go on. See docs/mount.md.`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runMount(cmd.Context(), o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.ReadOnly, "read-only", false, "mount read-only (writes fail with EROFS)")
	f.StringVar(&o.CacheDir, "cache-dir", "", "write-back cache directory (default: the user cache directory's s3sso/mount)")
	f.StringVar(&o.CacheSize, "cache-size", "10GiB", "most bytes staged in the cache; writes beyond wait for uploads, then fail with ENOSPC")
	f.DurationVar(&o.DirCacheTTL, "dir-cache-ttl", mount.DefaultDirCacheTTL, "how long directory listings are cached (-1s: never)")
	f.BoolVar(&o.Foreground, "foreground", false, "stay in the foreground, logging to stderr")
	f.DurationVar(&o.LoginWait, "login-wait", mount.DefaultLoginWait, "how long file operations wait for a new sign-in when the old one expired")
	f.BoolVar(&o.DebugFUSE, "debug-fuse", false, "log every FUSE request")
	_ = f.MarkHidden("debug-fuse")
	cmd.AddCommand(a.newMountStatusCommand())
	return cmd
}

func mountStateDir() (string, error) { return appdir.State("mounts") }

func (a *app) runMount(ctx context.Context, o mountOptions, srcArg, mp string) error {
	src, err := objstore.ParseURL(srcArg)
	if err != nil {
		return err
	}
	if src.Key != "" && !strings.HasSuffix(src.Key, "/") {
		src.Key += "/"
	}
	size, err := parseSize(o.CacheSize)
	if err != nil || size <= 0 {
		return usageError("--cache-size: bad size %q", o.CacheSize)
	}
	if !mount.Supported {
		return mount.Run(ctx, mount.Options{})
	}
	mp, err = filepath.Abs(mp)
	if err != nil {
		return usageError("mountpoint %s: %v", mp, err)
	}
	if fi, err := os.Stat(mp); err != nil || !fi.IsDir() {
		return usageError("mountpoint %s is not a directory", mp)
	}
	stateDir, err := mountStateDir()
	if err != nil {
		return err
	}
	if i, err := mount.Find(stateDir, mp); err == nil {
		if _, qerr := mount.Query(ctx, i); qerr == nil {
			return fault.Newf(fault.Conflict, "%s is already mounted (%s)", mp, i.Source)
		}
		mount.Forget(stateDir, i)
	}
	// Sign in (at the terminal, if need be) and check the bucket before
	// going to the background, so that errors are seen here.
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	store, err := s.Store()
	if err != nil {
		return err
	}
	for _, err := range store.List(ctx, src.Bucket, src.Key, true) {
		if err != nil {
			return err
		}
		break
	}
	if !o.Foreground && os.Getenv(readyFDEnv) == "" {
		return a.daemonize(ctx, stateDir, mp)
	}
	return a.serveMount(ctx, o, src, mp, stateDir, size)
}

// serveMount runs the mount in this process.
func (a *app) serveMount(ctx context.Context, o mountOptions, src objstore.URL, mp, stateDir string, size int64) error {
	level := slog.LevelInfo
	if a.opts.Debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(a.stdio.Err, &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}))
	p := mount.NewPrompter(o.LoginWait, logger)
	// The mount's own sessions: its prompter waits for a sign-in made
	// elsewhere instead of asking.
	mgr := session.New(session.Options{Logger: logger, Debug: a.opts.Debug, Prompter: p})
	ref := a.ref()
	s, err := mgr.Open(ctx, ref, session.Overrides{Region: a.opts.Region, EndpointURL: a.opts.EndpointURL, PathStyle: a.opts.PathStyle})
	if err != nil {
		return err
	}
	store, err := s.Store()
	if err != nil {
		return err
	}
	cacheDir := o.CacheDir
	if cacheDir == "" {
		if cacheDir, err = appdir.Cache("mount"); err != nil {
			return err
		}
	}
	var ready func()
	var readyPipe *os.File
	if fd := os.Getenv(readyFDEnv); fd != "" {
		readyPipe = os.NewFile(3, "ready")
		ready = func() {
			fmt.Fprintln(readyPipe, "ready")
			readyPipe.Close()
		}
	} else {
		ready = func() {
			a.printer().Info(mountMsg{Op: "mounted", Source: src.String(), Mountpoint: mp})
		}
	}
	logFile := ""
	if readyPipe != nil {
		logFile = os.Getenv("S3SSO_MOUNT_LOG")
	}
	err = mount.Run(ctx, mount.Options{
		Store: store, Source: src, Identity: ref.String(), Mountpoint: mp, ReadOnly: o.ReadOnly,
		CacheDir: cacheDir, CacheSize: size, DirCacheTTL: o.DirCacheTTL, StateDir: stateDir, LogFile: logFile,
		Logger: logger, Prompter: p, Ready: ready, Debug: o.DebugFUSE,
	})
	if err != nil && readyPipe != nil {
		fmt.Fprintln(readyPipe, "error: "+err.Error())
		readyPipe.Close()
	}
	return err
}

// daemonize starts this command again in the background with
// --foreground and waits until it says it is mounted.
func (a *app) daemonize(ctx context.Context, stateDir, mp string) error {
	exe, err := os.Executable()
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("mount: find s3sso: %w", err), "run with --foreground")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("mount: %w", err), "")
	}
	logPath := strings.TrimSuffix(mount.InfoPath(stateDir, mp), ".json") + ".log"
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("mount: open the log: %w", err), "")
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("mount: %w", err), "")
	}
	defer r.Close()
	args := append(os.Args[1:len(os.Args):len(os.Args)], "--foreground")
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), readyFDEnv+"=3", "S3SSO_MOUNT_LOG="+logPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = daemonAttr()
	if err := cmd.Start(); err != nil {
		w.Close()
		return fault.Wrap(fault.Local, fmt.Errorf("mount: start the background mount: %w", err), "")
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	var got string
	select {
	case got = <-line:
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		return fault.Wrap(fault.Interrupted, ctx.Err(), "")
	}
	if got == "ready" {
		a.printer().Info(mountMsg{Op: "mounted", Source: "", Mountpoint: mp, Log: logPath, PID: cmd.Process.Pid})
		_ = cmd.Process.Release()
		return nil
	}
	if msg, ok := strings.CutPrefix(got, "error: "); ok {
		return fault.Newf(fault.Local, "mount: %s (log: %s)", msg, logPath)
	}
	select {
	case err := <-exited:
		return fault.Newf(fault.Local, "mount: the background mount stopped (%v); see %s:\n%s", err, logPath, tail(logPath, 20))
	case <-time.After(5 * time.Second):
		return fault.Newf(fault.Local, "mount: the background mount did not start; see %s", logPath)
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type mountMsg struct {
	Op         string `json:"operation"`
	Source     string `json:"source,omitempty"`
	Mountpoint string `json:"mountpoint"`
	Log        string `json:"log,omitempty"`
	PID        int    `json:"pid,omitempty"`
}

func (m mountMsg) String() string {
	s := m.Op + ": " + m.Mountpoint
	if m.Source != "" {
		s = m.Op + ": " + m.Source + " on " + m.Mountpoint
	}
	if m.Log != "" {
		s += " (log: " + m.Log + ")"
	}
	return s
}
func (m mountMsg) JSON() any { return m }

type statusMsg struct{ mount.Status }

func (m statusMsg) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: %s", m.Source, m.Mountpoint, m.State)
	if m.ReadOnly {
		b.WriteString(", read-only")
	}
	if m.Identity != "" {
		fmt.Fprintf(&b, ", %s", m.Identity)
	}
	fmt.Fprintf(&b, ", pid %d\n", m.PID)
	if m.SignIn != nil {
		fmt.Fprintf(&b, "  sign-in expired since %s: file operations wait; run `%s`\n", m.SignIn.Since.Format(time.TimeOnly), m.SignIn.Command)
	} else if m.State != "unreachable" {
		b.WriteString("  sign-in: ok\n")
	}
	fmt.Fprintf(&b, "  pending uploads: %d (%s); cache: %s\n", len(m.Pending), humanBytes(m.PendingBytes), humanBytes(m.CacheBytes))
	for _, p := range m.Pending {
		fmt.Fprintf(&b, "    %s (%s)", p.Key, humanBytes(p.Size))
		if p.Uploading {
			b.WriteString(" uploading")
		}
		if p.LastError != "" {
			fmt.Fprintf(&b, " attempt %d failed: %s", p.Attempts, p.LastError)
		}
		b.WriteString("\n")
	}
	if m.Log != "" {
		fmt.Fprintf(&b, "  log: %s\n", m.Log)
	}
	if m.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n", m.Error)
	}
	return strings.TrimRight(b.String(), "\n")
}
func (m statusMsg) JSON() any { return m.Status }

func (a *app) newMountStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the running mounts: pending uploads, cache, sign-in state",
		Args:  argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			stateDir, err := mountStateDir()
			if err != nil {
				return err
			}
			ms, err := mount.Mounts(stateDir)
			if err != nil {
				return err
			}
			if len(ms) == 0 && !a.opts.JSON {
				a.printer().Info(textMsg{text: "no mounts"})
				return nil
			}
			for _, i := range ms {
				st, err := mount.Query(cmd.Context(), i)
				if err != nil && !processAlive(i.PID) {
					mount.Forget(stateDir, i)
					continue
				}
				a.printer().Print(statusMsg{st})
			}
			return nil
		},
	}
}

type unmountOptions struct{ Force bool }

func (a *app) newUnmountCommand() *cobra.Command {
	var o unmountOptions
	cmd := &cobra.Command{
		Use:   "unmount [--force] MOUNTPOINT",
		Short: "Upload everything pending, then unmount",
		Long: `Unmount an s3sso mount after uploading every pending file, with progress.

If uploads keep failing, unmount says so and the mount stays: nothing is
dropped. --force unmounts at once; files not uploaded yet stay in the
write-back journal (they are listed) and the next mount of the same bucket
uploads them first.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runUnmount(cmd.Context(), o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "unmount without waiting; pending uploads stay in the journal for the next mount")
	return cmd
}

func (a *app) runUnmount(ctx context.Context, o unmountOptions, mp string) error {
	stateDir, err := mountStateDir()
	if err != nil {
		return err
	}
	i, err := mount.Find(stateDir, mp)
	if err != nil {
		return fault.WithHint(err, "see `s3sso mount status`")
	}
	last := -1
	res, err := mount.RequestUnmount(ctx, i, o.Force, func(st mount.Status) {
		if len(st.Pending) == last {
			return
		}
		last = len(st.Pending)
		if last > 0 {
			msg := fmt.Sprintf("waiting for %d uploads (%s)", last, humanBytes(st.PendingBytes))
			if st.SignIn != nil {
				msg += fmt.Sprintf("; the sign-in expired: run `%s`", st.SignIn.Command)
			}
			a.printer().Info(textMsg{text: msg, fields: map[string]any{"pending": last, "pending_bytes": st.PendingBytes}})
		}
	})
	if err != nil {
		if !processAlive(i.PID) {
			mount.Forget(stateDir, i)
			return fault.Newf(fault.NotFound, "the mount at %s is gone (its process ended); if the directory is still mounted, run `fusermount3 -u %s`", i.Mountpoint, i.Mountpoint)
		}
		return err
	}
	for _, p := range res.Dropped {
		a.printer().Warn("not uploaded: %s (%s), kept in the journal for the next mount of %s", p.Key, humanBytes(p.Size), i.Source)
	}
	// Wait for the daemon to finish (it removes its record).
	for range 100 {
		if !processAlive(i.PID) {
			break
		}
		select {
		case <-ctx.Done():
			return fault.Wrap(fault.Interrupted, ctx.Err(), "")
		case <-time.After(100 * time.Millisecond):
		}
	}
	a.printer().Info(mountMsg{Op: "unmounted", Source: i.Source, Mountpoint: i.Mountpoint})
	return nil
}
