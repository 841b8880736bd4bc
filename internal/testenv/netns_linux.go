package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Namespace is a private mount and network namespace made by one test, so
// that programs which only talk to the real AWS host names (the AWS CLI v2
// from Debian has no per-service endpoint settings) can be pointed at local
// servers without touching the machine: inside it, /etc/hosts is replaced
// by a file of the test's choosing and only a loopback interface exists,
// so nothing inside can reach any other address.
//
// The test process straddles both worlds: [Namespace.Listen] opens a socket
// inside (for a server the test runs in process, e.g. the IAM Identity
// Center emulator on 127.0.0.1:443), [Namespace.Forward] relays a port
// inside to a server outside (e.g. the shared MinIO), and
// [Namespace.Command] runs a program inside (through nsenter).
//
// It needs Linux, root (CAP_SYS_ADMIN) and util-linux's unshare and
// nsenter; without them [NewNamespace] skips the test (fails it in CI, see
// [Skipf]). Programs that are not tests (the benchmark) use
// [StartNamespace].
type Namespace struct {
	// Hosts is the hosts file bind-mounted over /etc/hosts inside.
	Hosts string

	pid     int      // the process holding the namespaces
	netns   *os.File // its network namespace
	nsenter string
	stdin   io.Closer     // closing it ends the holder
	exited  chan struct{} // closed when the holder has exited
	kill    func() error
}

// NewNamespace makes a namespace for the test: lo up, and /etc/hosts
// mapping each name in hosts to its address (plus localhost). It is torn
// down when the test ends.
func NewNamespace(t testing.TB, hosts map[string]string) *Namespace {
	t.Helper()
	if os.Geteuid() != 0 {
		Skipf(t, "a private network namespace needs root (CI runs as root)")
	}
	if _, ok := lookPath("unshare"); !ok {
		Skipf(t, "unshare (util-linux) is needed for a private network namespace")
	}
	if _, ok := lookPath("nsenter"); !ok {
		Skipf(t, "nsenter (util-linux) is needed for a private network namespace")
	}
	ns, err := StartNamespace(t.TempDir(), hosts)
	if err != nil {
		Skipf(t, "%v", err)
	}
	t.Cleanup(func() { _ = ns.Close() })
	return ns
}

// StartNamespace makes a namespace as [NewNamespace] does, for programs
// that are not tests; dir holds the hosts file. Close tears it down.
func StartNamespace(dir string, hosts map[string]string) (*Namespace, error) {
	unshare, ok1 := lookPath("unshare")
	nsenter, ok2 := lookPath("nsenter")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("unshare and nsenter (util-linux) are needed for a private network namespace")
	}
	ns := &Namespace{Hosts: filepath.Join(dir, "hosts"), nsenter: nsenter, exited: make(chan struct{})}
	if err := os.WriteFile(ns.Hosts, []byte(hostsFile(hosts)), 0o644); err != nil {
		return nil, err
	}
	// The holder: unshare makes the namespaces (with private mount
	// propagation, so the bind mount never reaches the machine), the shell
	// mounts the hosts file, says so, and waits for its stdin to close:
	// on Close, or when this process dies.
	cmd := exec.Command(unshare, "--mount", "--net", "--propagation", "private", "--",
		"/bin/sh", "-c", `mount --bind "$1" /etc/hosts && echo ready && exec cat >/dev/null`, "sh", ns.Hosts)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the namespace holder: %w", err)
	}
	ns.stdin, ns.kill = stdin, cmd.Process.Kill
	go func() { _ = cmd.Wait(); close(ns.exited) }()
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "ready" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("not ready after 30s")
	}
	if err != nil {
		_ = ns.Close()
		return nil, fmt.Errorf("cannot make a private mount and network namespace (%v): %s", err, strings.TrimSpace(errb.String()))
	}
	ns.pid = cmd.Process.Pid
	if ns.netns, err = os.Open(fmt.Sprintf("/proc/%d/ns/net", ns.pid)); err != nil {
		_ = ns.Close()
		return nil, err
	}
	if err := ns.do(loopbackUp); err != nil {
		_ = ns.Close()
		return nil, fmt.Errorf("bring lo up in the namespace: %w", err)
	}
	return ns, nil
}

// Close ends the namespace's holder process. Listeners the caller opened
// inside keep working until closed.
func (ns *Namespace) Close() error {
	if ns.netns != nil {
		ns.netns.Close()
	}
	ns.stdin.Close()
	select {
	case <-ns.exited:
	case <-time.After(5 * time.Second):
		_ = ns.kill()
		<-ns.exited
	}
	return nil
}

// hostsFile renders an /etc/hosts with localhost and hosts (name → address).
func hostsFile(hosts map[string]string) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s\t%s\n", hosts[n], n)
	}
	return b.String()
}

// do runs fn on an OS thread that has joined the namespace's network
// namespace, then moves the thread back to its own network namespace
// before other goroutines may run on it. Sockets made by fn stay in the
// namespace after it returns.
//
// The thread must not simply be left to die with its goroutine: a child
// started with a parent-death signal (Pdeathsig) from that thread earlier
// would be killed when it ends.
func (ns *Namespace) do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open this thread's network namespace: %w", err)
			return
		}
		defer home.Close()
		if err := unix.Setns(int(ns.netns.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("join the network namespace: %w", err)
			return
		}
		err = fn()
		if rerr := unix.Setns(int(home.Fd()), unix.CLONE_NEWNET); rerr != nil {
			// Stay locked: the thread ends with this goroutine rather
			// than run others inside the namespace.
			errc <- errors.Join(err, fmt.Errorf("leave the network namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// loopbackUp sets the IFF_UP flag of lo (ip link set lo up).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// Listen opens a listener inside the namespace, e.g. on "127.0.0.1:443"
// (the namespace has its own ports, so privileged and well-known ones are
// free). Accepted connections come from inside.
func (ns *Namespace) Listen(network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := ns.do(func() error {
		var err error
		ln, err = net.Listen(network, addr)
		return err
	})
	return ln, err
}

// Forward listens on a free port of 127.0.0.1 inside the namespace and
// relays every connection to target, an address outside (e.g. a MinIO of
// [SharedMinIO]). It returns the inside address (host:port) and stops when
// the test ends.
func (ns *Namespace) Forward(t testing.TB, target string) string {
	t.Helper()
	addr, stop, err := ns.ForwardTo(target)
	if err != nil {
		t.Fatalf("listen in the namespace: %v", err)
	}
	t.Cleanup(stop)
	return addr
}

// ForwardTo is [Namespace.Forward] for programs that are not tests: stop
// ends the relay.
func (ns *Namespace) ForwardTo(target string) (addr string, stop func(), err error) {
	ln, err := ns.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	stop = func() {
		close(done)
		ln.Close()
		wg.Wait()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				relay(in, target, done)
			}()
		}
	}()
	return ln.Addr().String(), stop, nil
}

// relay copies between in and a new connection to target until either side
// closes or done is closed.
func relay(in net.Conn, target string, done <-chan struct{}) {
	defer in.Close()
	out, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		return
	}
	defer out.Close()
	finished := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		finished <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	for range 2 {
		select {
		case <-finished:
		case <-done:
			return
		}
	}
}

// Command returns a command that runs name with args inside the namespace,
// with the test's environment (os.Environ(), so after [Home] the isolated
// one).
func (ns *Namespace) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	bin, full := ns.Wrap(name, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = os.Environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Wrap returns the program and arguments that run name with args inside
// the namespace: nsenter joins the namespaces and execs name in its own
// process, so wait4 and timings see name itself.
func (ns *Namespace) Wrap(name string, args ...string) (string, []string) {
	return ns.nsenter, append([]string{"--target", strconv.Itoa(ns.pid), "--net", "--mount", "--", name}, args...)
}

// Run runs the s3sso [Binary] inside the namespace, like [Run].
func (ns *Namespace) Run(t testing.TB, env []string, stdin string, args ...string) Result {
	t.Helper()
	return runCmd(t, func(ctx context.Context) *exec.Cmd { return ns.Command(ctx, Binary(t), args...) }, env, stdin, args)
}
