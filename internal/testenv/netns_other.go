//go:build !linux

package testenv

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"testing"
)

// Namespace is a private mount and network namespace; only Linux has them.
type Namespace struct {
	Hosts string
}

// NewNamespace skips the test (fails it in CI): only Linux has namespaces.
func NewNamespace(t testing.TB, hosts map[string]string) *Namespace {
	t.Helper()
	Skipf(t, "private network namespaces need Linux")
	return nil
}

func (ns *Namespace) Listen(network, addr string) (net.Listener, error) { panic("no namespaces") }

func (ns *Namespace) Forward(t testing.TB, target string) string { panic("no namespaces") }

func (ns *Namespace) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	panic("no namespaces")
}

func (ns *Namespace) Run(t testing.TB, env []string, stdin string, args ...string) Result {
	panic("no namespaces")
}

// StartNamespace fails: only Linux has namespaces.
func StartNamespace(dir string, hosts map[string]string) (*Namespace, error) {
	return nil, errors.New("private network namespaces need Linux")
}

func (ns *Namespace) Close() error { return nil }

func (ns *Namespace) ForwardTo(target string) (string, func(), error) { panic("no namespaces") }

func (ns *Namespace) Wrap(name string, args ...string) (string, []string) { panic("no namespaces") }
