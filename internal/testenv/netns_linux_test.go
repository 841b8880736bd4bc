package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNamespace: inside the namespace the hosts file maps the names, a
// listener opened by the test from inside answers, Forward reaches a server
// outside; the machine's /etc/hosts is untouched; and namespace work leaves
// the test process's threads alive, so that children started with a
// parent-death signal (as servers are) survive it.
func TestNamespace(t *testing.T) {
	curl := RequireTool(t, "curl")
	hostsBefore, _ := os.ReadFile("/etc/hosts")
	var sleepers []*exec.Cmd
	for range 8 {
		c := exec.Command("sleep", "60")
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		sleepers = append(sleepers, c)
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}

	ns := NewNamespace(t, map[string]string{"portal.s3sso.test": "127.0.0.1"})
	ln, err := ns.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inside := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "inside") })}
	go func() { _ = inside.Serve(ln) }()
	t.Cleanup(func() { _ = inside.Close() })
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "outside") }))
	t.Cleanup(outside.Close)
	fwd := ns.Forward(t, strings.TrimPrefix(outside.URL, "http://"))
	for range 30 { // namespace work on many threads
		l, err := ns.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
	}

	get := func(url string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		out, err := ns.Command(ctx, curl, "-sS", "--max-time", "10", url).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("error %v: %s", err, out)
		}
		return string(out)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if got := get("http://portal.s3sso.test:" + port + "/"); got != "inside" {
		t.Errorf("the listener inside, by the mapped name: %s", got)
	}
	if got := get("http://" + fwd + "/"); got != "outside" {
		t.Errorf("forwarded to the server outside: %s", got)
	}
	if got := get(outside.URL); strings.Contains(got, "outside") {
		t.Errorf("a loopback port outside is reachable from inside: %s", got)
	}
	if after, _ := os.ReadFile("/etc/hosts"); string(after) != string(hostsBefore) {
		t.Errorf("/etc/hosts changed outside the namespace:\n%s", after)
	}
	for i, c := range sleepers {
		// A killed child stays a zombie (state Z) until waited for.
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Process.Pid))
		if f := strings.Fields(string(stat)); err != nil || len(f) < 3 || f[2] == "Z" {
			t.Fatalf("child %d with a parent-death signal was killed by namespace work: %v %s", i, err, stat)
		}
	}
}
