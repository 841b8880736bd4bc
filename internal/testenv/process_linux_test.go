package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestServerDiesWithTestBinary checks that a server started by this package
// does not outlive a test binary that is killed before its cleanups run (as
// on a go test timeout): the test runs itself as a helper process that
// starts MinIO, kills the helper, and waits for MinIO to go away.
func TestServerDiesWithTestBinary(t *testing.T) {
	if os.Getenv("S3SSO_TEST_HELPER_MINIO") == "1" {
		m, err := startMinIO(RequireTool(t, "minio"), MinIOOptions{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("MINIO %d %s\n", m.proc.cmd.Process.Pid, m.tmp)
		select {} // until killed
	}
	RequireTool(t, "minio")

	helper := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithTestBinary$")
	helper.Env = append(os.Environ(), "S3SSO_TEST_HELPER_MINIO=1")
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var tmp string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "MINIO %d %s", &pid, &tmp); err == nil {
			break
		}
	}
	_ = helper.Process.Kill()
	_ = helper.Wait()
	if pid == 0 {
		t.Fatal("the helper did not start MinIO")
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })

	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("MinIO (pid %d) still runs 10 s after its test binary was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processAlive reports whether pid is a running process (not a zombie that
// nobody has reaped yet).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || !strings.HasPrefix(s[i+1:], " Z")
}

// TestStartWithoutDAC: a directory of mode 000 is unreadable to a command
// started by startWithoutDAC, also when the tests run as root, and the
// capabilities of the test process itself are unchanged.
func TestStartWithoutDAC(t *testing.T) {
	dir := t.TempDir()
	locked := dir + "/locked"
	if err := os.Mkdir(locked, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o700) })
	cmd := exec.Command("ls", locked)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startWithoutDAC(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(out.String(), "Permission denied") {
		t.Fatalf("ls of a mode-000 directory without DAC capabilities: %v\n%s", err, out.String())
	}
	if os.Geteuid() == 0 {
		if _, err := os.ReadDir(locked); err != nil {
			t.Fatalf("the test process lost its capabilities: %v", err)
		}
	}
}
