//go:build !linux && !darwin

package mount

import (
	"context"
	"errors"

	"github.com/s3sso/s3sso/internal/fault"
)

// Supported reports whether this build can mount.
const Supported = false

// Run returns an error: mounting needs FUSE (Linux, macOS with macFUSE);
// Windows (WinFsp) is the next step, see docs/mount.md.
func Run(ctx context.Context, o Options) error {
	return fault.Wrap(fault.Usage, errNotSupported, "s3sso mount works on Linux and macOS (macFUSE); Windows support (WinFsp) is planned")
}

// errNotSupported is returned by Run where the mount is not built.
var errNotSupported = errors.New("s3sso mount is not supported on this platform yet")
