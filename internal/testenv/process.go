package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds how long a server may take to become ready.
	readyTimeout = 30 * time.Second
	// stopGrace is how long stop waits after SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
	// startAttempts is how often a start is retried when the chosen ports
	// were taken by someone else between picking and binding them.
	startAttempts = 3
)

// errPortInUse marks a start that failed because a port was taken.
var errPortInUse = errors.New("port in use")

// process is a server child process of the test binary: its output is
// captured, it is probed until ready, and it is stopped with SIGTERM, then
// SIGKILL. On Linux it is also killed when the test binary dies without
// cleaning up (a go test timeout, a crash, SIGKILL), so that no server
// outlives its test run.
type process struct {
	name     string // for messages: "MinIO", "Dex"
	cmd      *exec.Cmd
	log      syncBuffer
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // set before exited is closed
	stopOnce sync.Once
}

// startProcess starts cmd, capturing its stdout and stderr, and waits until
// a GET of readyURL answers 200. On failure the process is stopped and the
// error includes its log; it wraps errPortInUse when the log says a port was
// taken.
func startProcess(name string, cmd *exec.Cmd, readyURL string) (*process, error) {
	p := &process{name: name, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.log, &p.log
	DieWithParent(cmd)
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is sent when the OS thread that started
		// the child exits, not the process. Keep this goroutine, and so
		// its thread, alive for as long as the child runs.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := p.waitReady(readyURL, readyTimeout); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitReady polls url until it answers 200, the process exits or timeout
// passes.
func (p *process) waitReady(url string, timeout time.Duration) error {
	client := &http.Client{Transport: &http.Transport{}, Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			log := p.log.String()
			err := fmt.Errorf("%s exited before it was ready (%w); its log:\n%s", p.name, p.waitErr, log)
			if strings.Contains(log, "address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s after %v; its log:\n%s", p.name, url, timeout, p.log.String())
		}
	}
}

// stop sends SIGTERM, and SIGKILL if the process is still running after
// stopGrace, and waits for it to exit. It is safe to call more than once.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(stopGrace):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// retryPortInUse calls start up to startAttempts times while it fails with
// errPortInUse.
func retryPortInUse[T any](start func() (T, error)) (T, error) {
	var v T
	var err error
	for range startAttempts {
		v, err = start()
		if !errors.Is(err, errPortInUse) {
			break
		}
	}
	return v, err
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are free
// when it returns; someone else may take them before they are used.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close() // keep it taken until all n are picked
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
