package harness

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

// MinIO is a MinIO server started by [StartMinIO].
type MinIO struct {
	Server
	cmd  *exec.Cmd
	done chan struct{}
	log  *tailWriter
}

// StartMinIO starts the minio binary on free 127.0.0.1 ports with its data
// in dir and waits until it is ready. Stop it with [MinIO.Stop].
func StartMinIO(bin, dir string) (*MinIO, error) {
	key := make([]byte, 20)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	data, home := filepath.Join(dir, "minio-data"), filepath.Join(dir, "minio-home")
	for _, d := range []string{data, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	m := &MinIO{Server: Server{
		Endpoint:  fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		AccessKey: "bench-admin",
		SecretKey: hex.EncodeToString(key),
		Region:    "us-east-1",
	}, done: make(chan struct{}), log: &tailWriter{}}
	// scripts/tools.sh installs minio as a symlink to minio-VERSION (the
	// pinned module version); a binary built that way says only
	// "DEVELOPMENT.GOGET" itself.
	if target, err := os.Readlink(bin); err == nil && strings.HasPrefix(filepath.Base(target), "minio-") {
		m.Version = strings.TrimPrefix(filepath.Base(target), "minio-")
	} else if out, err := exec.Command(bin, "--version").Output(); err == nil {
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		m.Version = strings.TrimPrefix(line, "minio version ")
	}
	m.cmd = exec.Command(bin, "server", data,
		"--address", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), "--quiet")
	m.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + dir,
		"MINIO_ROOT_USER=" + m.AccessKey, "MINIO_ROOT_PASSWORD=" + m.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off",
	}
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	testenv.DieWithParent(m.cmd)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start MinIO: %w", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	hc := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-m.done:
			return nil, fmt.Errorf("MinIO exited at start: %s", tail(m.log.String(), 1000))
		default:
		}
		resp, err := hc.Get(m.Endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
	}
	m.Stop()
	return nil, fmt.Errorf("MinIO not ready after 30 s: %s", tail(m.log.String(), 1000))
}

// Stop sends SIGTERM, and SIGKILL if the server still runs 5 s later.
func (m *MinIO) Stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
