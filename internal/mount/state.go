package mount

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/atomicfile"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Info is a running mount's entry in the state directory (one JSON file
// per mount, beside the daemon's control socket).
type Info struct {
	Mountpoint string    `json:"mountpoint"`
	Source     string    `json:"source"`
	Identity   string    `json:"identity,omitempty"`
	PID        int       `json:"pid"`
	Socket     string    `json:"socket"`
	Log        string    `json:"log,omitempty"`
	CacheDir   string    `json:"cache_dir"`
	ReadOnly   bool      `json:"read_only,omitempty"`
	Started    time.Time `json:"started"`
}

// Status is what a running mount reports.
type Status struct {
	Info
	State        string       `json:"state"` // mounted, flushing, unmounting, unreachable
	Pending      []Pending    `json:"pending"`
	PendingBytes int64        `json:"pending_bytes"`
	CacheBytes   int64        `json:"cache_bytes"`
	SignIn       *SignInState `json:"sign_in_waiting,omitempty"`
	Error        string       `json:"error,omitempty"`
}

// Pending is an upload not yet done.
type Pending struct {
	Key       string    `json:"key"`
	Size      int64     `json:"size"`
	Uploading bool      `json:"uploading"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"modified"`
}

// reply is one line from the control socket.
type reply struct {
	Status  *Status   `json:"status,omitempty"`
	Done    bool      `json:"done,omitempty"`
	Dropped []Pending `json:"dropped,omitempty"`
	Error   string    `json:"error,omitempty"`
}

type request struct {
	Op    string `json:"op"` // status, unmount
	Force bool   `json:"force,omitempty"`
}

// stateName is the name of a mount's files in the state directory.
func stateName(mountpoint string) string {
	return strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(strings.Trim(mountpoint, "/"))
}

// InfoPath and SocketPath are the files of the mount at mountpoint.
func InfoPath(stateDir, mountpoint string) string {
	return filepath.Join(stateDir, stateName(mountpoint)+".json")
}

// SocketPath is the control socket of the mount at mountpoint. Unix
// sockets have short paths: a long one is replaced by a hash under /tmp.
func SocketPath(stateDir, mountpoint string) string {
	p := filepath.Join(stateDir, stateName(mountpoint)+".sock")
	if len(p) < 100 {
		return p
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("s3sso-%d-%s.sock", os.Getuid(), JournalID("", stateDir, objstore.URL{Bucket: "mnt", Key: mountpoint})))
}

func writeInfo(stateDir string, i Info) error {
	b, _ := json.MarshalIndent(i, "", "  ")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("record the mount: %w", err), "")
	}
	if err := atomicfile.WriteFile(InfoPath(stateDir, i.Mountpoint), b, 0o600); err != nil {
		return fault.Wrap(fault.Local, fmt.Errorf("record the mount: %w", err), "")
	}
	return nil
}

// Mounts lists the mounts recorded in stateDir, by mountpoint.
func Mounts(stateDir string) ([]Info, error) {
	ents, err := os.ReadDir(stateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Wrap(fault.Local, fmt.Errorf("list the mounts: %w", err), "")
	}
	var out []Info
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(stateDir, e.Name()))
		var i Info
		if err == nil && json.Unmarshal(b, &i) == nil && i.Mountpoint != "" {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Mountpoint < out[b].Mountpoint })
	return out, nil
}

// Find returns the recorded mount at mountpoint.
func Find(stateDir, mountpoint string) (Info, error) {
	abs, err := filepath.Abs(mountpoint)
	if err == nil {
		mountpoint = abs
	}
	ms, err := Mounts(stateDir)
	if err != nil {
		return Info{}, err
	}
	for _, i := range ms {
		if i.Mountpoint == mountpoint {
			return i, nil
		}
	}
	return Info{}, fault.Newf(fault.NotFound, "no s3sso mount at %s", mountpoint)
}

// Forget removes a mount's record (a daemon that is gone).
func Forget(stateDir string, i Info) {
	os.Remove(InfoPath(stateDir, i.Mountpoint))
	os.Remove(i.Socket)
}

func dial(ctx context.Context, i Info, req request) (net.Conn, *bufio.Scanner, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", i.Socket)
	if err != nil {
		return nil, nil, fault.Wrap(fault.Local, fmt.Errorf("reach the mount at %s: %w", i.Mountpoint, err), "")
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	_ = stop
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		c.Close()
		return nil, nil, fault.Wrap(fault.Local, fmt.Errorf("reach the mount at %s: %w", i.Mountpoint, err), "")
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return c, sc, nil
}

// Query asks the mount i for its status.
func Query(ctx context.Context, i Info) (Status, error) {
	c, sc, err := dial(ctx, i, request{Op: "status"})
	if err != nil {
		return Status{Info: i, State: "unreachable", Error: err.Error()}, err
	}
	defer c.Close()
	for sc.Scan() {
		var r reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			break
		}
		if r.Status != nil {
			return *r.Status, nil
		}
	}
	err = fault.Newf(fault.Local, "the mount at %s did not answer", i.Mountpoint)
	return Status{Info: i, State: "unreachable", Error: err.Error()}, err
}

// UnmountResult is the end of an unmount.
type UnmountResult struct {
	Dropped []Pending // with force: not uploaded (kept in the journal)
}

// RequestUnmount asks the mount i to upload everything pending and
// unmount (with force: at once, keeping pending uploads in the journal for
// the next mount); progress gets status updates meanwhile. Cancelling ctx
// stops waiting; the mount then stays.
func RequestUnmount(ctx context.Context, i Info, force bool, progress func(Status)) (UnmountResult, error) {
	c, sc, err := dial(ctx, i, request{Op: "unmount", Force: force})
	if err != nil {
		return UnmountResult{}, err
	}
	defer c.Close()
	for sc.Scan() {
		var r reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return UnmountResult{}, fault.Wrap(fault.Local, fmt.Errorf("unmount %s: %w", i.Mountpoint, err), "")
		}
		if r.Status != nil && progress != nil {
			progress(*r.Status)
		}
		if r.Done {
			if r.Error != "" {
				return UnmountResult{Dropped: r.Dropped}, fault.Newf(fault.Conflict, "unmount %s: %s", i.Mountpoint, r.Error)
			}
			return UnmountResult{Dropped: r.Dropped}, nil
		}
	}
	if ctx.Err() != nil {
		return UnmountResult{}, fault.Wrap(fault.Interrupted, ctx.Err(), "")
	}
	return UnmountResult{}, fault.Newf(fault.Local, "unmount %s: the mount stopped answering", i.Mountpoint)
}
