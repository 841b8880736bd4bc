package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SecretService is a real Secret Service (gnome-keyring) on a private D-Bus
// session bus, started by [StartSecretService]. Programs reach it through
// Env; nothing of the user's own session is used.
type SecretService struct {
	// Env holds the variables a program needs to use it:
	// DBUS_SESSION_BUS_ADDRESS (the private bus) and XDG_RUNTIME_DIR.
	Env []string
	// Home is the HOME of the bus and the keyring daemon; the keyring
	// files are under Home/data/keyrings.
	Home string
}

// secretServiceScript runs inside dbus-run-session: it starts the keyring
// daemon with only the secrets component, its login keyring unlocked (or
// created) with the password from $KEYRING_PASSWORD, waits until the bus
// knows org.freedesktop.secrets, prints the bus address and then waits for
// its standard input to close before it stops the daemon.
const secretServiceScript = `
printf '%s' "$KEYRING_PASSWORD" | gnome-keyring-daemon --foreground --unlock --components=secrets >"$HOME/daemon.log" 2>&1 &
kpid=$!
i=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
	i=$((i+1))
	if [ $i -gt 200 ]; then echo "the Secret Service did not start" >&2; cat "$HOME/daemon.log" >&2; kill $kpid; exit 1; fi
	sleep 0.05
done
echo "DBUS_SESSION_BUS_ADDRESS=$DBUS_SESSION_BUS_ADDRESS"
cat >/dev/null
kill $kpid
wait $kpid
`

// StartSecretService starts dbus-run-session with gnome-keyring-daemon
// (--unlock --components=secrets) in its own HOME and XDG directories, and
// stops both when the test ends. When dbus-run-session, dbus-send,
// gnome-keyring-daemon or secret-tool is missing (scripts/apt.sh keyring
// installs them) it skips the test, or fails it when skips are disallowed.
func StartSecretService(t testing.TB) *SecretService {
	t.Helper()
	for _, tool := range []string{"dbus-run-session", "dbus-send", "gnome-keyring-daemon", "secret-tool"} {
		if _, ok := lookPath(tool); !ok {
			Skipf(t, "%s not found: run scripts/apt.sh keyring (Debian: gnome-keyring dbus-x11 libsecret-tools)", tool)
		}
	}
	home := t.TempDir()
	run := filepath.Join(home, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c", secretServiceScript)
	cmd.Env = []string{
		"PATH=" + initialGetenv("PATH"),
		"HOME=" + home,
		"XDG_RUNTIME_DIR=" + run,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"KEYRING_PASSWORD=" + randomHex(8),
	}
	ownProcessGroup(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-run-session: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			killProcessGroup(cmd) // the group this test started
			<-done
		}
	}
	t.Cleanup(stop)

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "DBUS_SESSION_BUS_ADDRESS=") {
				lines <- sc.Text()
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(lines)
	}()
	var addr string
	select {
	case addr = <-lines:
	case <-time.After(readyTimeout):
	}
	if addr == "" {
		stop()
		t.Fatalf("the Secret Service did not start: %s", stderr.String())
	}
	return &SecretService{Env: []string{addr, "XDG_RUNTIME_DIR=" + run}, Home: home}
}

// ErrNoSecret is what [SecretService.Lookup] returns when no item matches.
var ErrNoSecret = errors.New("no such secret in the Secret Service")

// Lookup returns the secret of the item with these attributes (name, value,
// name, value, ...), asked with `secret-tool lookup` on the private bus: an
// independent reader of what a program stored.
func (s *SecretService) Lookup(t testing.TB, attrs ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("secret-tool", append([]string{"lookup"}, attrs...)...)
	cmd.Env = append([]string{"PATH=" + initialGetenv("PATH"), "HOME=" + s.Home}, s.Env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && stdout.Len() == 0 && stderr.Len() == 0 {
			return "", ErrNoSecret
		}
		return "", fmt.Errorf("secret-tool lookup %s: %v: %s", strings.Join(attrs, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// Store saves secret under the attributes with `secret-tool store` on the
// private bus (replacing an item with the same attributes).
func (s *SecretService) Store(t testing.TB, secret string, attrs ...string) error {
	t.Helper()
	cmd := exec.Command("secret-tool", append([]string{"store", "--label=s3sso test"}, attrs...)...)
	cmd.Env = append([]string{"PATH=" + initialGetenv("PATH"), "HOME=" + s.Home}, s.Env...)
	cmd.Stdin = strings.NewReader(secret)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("secret-tool store %s: %v: %s", strings.Join(attrs, " "), err, out)
	}
	return nil
}
