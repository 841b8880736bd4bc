// Package harness runs s3sso and peer S3 clients (s5cmd, rclone, mc, the AWS
// CLI) side by side against one local MinIO on the workloads of issue 6
// (W1-W8, W8p: W8 with the portal 100 ms away, and W2e/W4e/W4e8: downloads
// of objects whose only integrity data is an MD5 ETag), measures wall time, throughput, time to first byte and peak RSS of
// each child process, measures the server's ceiling with an in-process load
// generator, and writes the results as markdown.
//
// It is used by bench/cmd/s3bench (make bench) and by a smoke test that runs
// it in a tiny mode inside make test.
package harness

import (
	"fmt"
	"time"
)

// Workload names, in report order.
const (
	W1 = "W1"
	W2 = "W2"
	W3 = "W3"
	W4 = "W4"
	W5 = "W5"
	W6 = "W6"
	W7 = "W7"
	W8 = "W8"
	// W8p is W8 with a distant IAM Identity Center portal (see w8p.go).
	W8p = "W8p"

	// The downloads of W2 and W4 for objects written without a checksum
	// (by s5cmd, mc, rclone, older SDKs): their only integrity data is the
	// ETag, the MD5 of a single-part object or the MD5 of the part MD5s.
	W2e  = "W2e"  // 1000 × 64 KiB, plain PUT
	W4e  = "W4e"  // 1 GiB multipart, parts of 50 MiB (s5cmd's)
	W4e8 = "W4e8" // 1 GiB multipart, parts of 8 MiB (the AWS CLI's)
)

// Workloads lists every workload in report order.
var Workloads = []string{W1, W2, W2e, W3, W4, W4e, W4e8, W5, W6, W7, W8, W8p}

// base is the workload whose commands w runs (W2e runs W2's, W4e and W4e8
// W4's, on other objects).
func base(w string) string {
	switch w {
	case W2e:
		return W2
	case W4e, W4e8:
		return W4
	}
	return w
}

// Client names.
const (
	S3sso     = "s3sso"
	S5cmd     = "s5cmd"
	Rclone    = "rclone"
	MC        = "mc"
	AWS       = "aws"
	S3ssoKeys = "s3sso-keys" // s3sso with static keys, W8 only
	S3ssoBase = "s3sso-base" // another s3sso build (Config.S3ssoBase), for before/after
)

// Sizes are the data set sizes of a run.
type Sizes struct {
	SmallFiles  int   // W1/W2/W2e file count
	SmallSize   int64 // W1/W2/W2e file size
	BigSize     int64 // W3/W4/W4e/W4e8 file size
	PartSizeE   int64 // W4e part size
	PartSizeE8  int64 // W4e8 part size
	ListObjects int   // W5 object count
	DeleteObjs  int   // W6 object count
	SyncFiles   int   // W7 tree size
	TTFBRepeats int   // W8 and W8p samples per client per round
}

// FullSizes are the sizes of issue 6.
var FullSizes = Sizes{
	SmallFiles:  1000,
	SmallSize:   64 << 10,
	BigSize:     1 << 30,
	PartSizeE:   50 << 20,
	PartSizeE8:  8 << 20,
	ListObjects: 20000,
	DeleteObjs:  1000,
	SyncFiles:   10000,
	TTFBRepeats: 5,
}

// TinySizes make a smoke run that exercises every code path in seconds.
var TinySizes = Sizes{
	SmallFiles:  12,
	SmallSize:   64 << 10,
	BigSize:     17 << 20,
	PartSizeE:   5 << 20,
	PartSizeE8:  8 << 20,
	ListObjects: 60,
	DeleteObjs:  25,
	SyncFiles:   30,
	TTFBRepeats: 1,
}

// Server says how to reach the S3 server with its root keys (the keys are
// also used to mint SSO role credentials through MinIO's STS).
type Server struct {
	Endpoint, AccessKey, SecretKey, Region string
	Version                                string // for the report
}

// Config configures a [Run].
type Config struct {
	Server  Server
	Sizes   Sizes
	Rounds  int
	WorkDir string // data sets, client homes, downloads; must exist

	// Binaries: S3sso is required; an empty peer path leaves the peer out.
	// AWS is the AWS CLI v1, AWSv2 the v2 (W8p only).
	S3sso, S5cmd, Rclone, MC, AWS, AWSv2 string

	// QuietWait is how long each timed run waits, after sync(2), for the
	// CPUs to be idle (0: neither syncs nor waits; the smoke test).
	QuietWait time.Duration

	// PortalLatency is how long the IAM Identity Center emulator takes to
	// answer in W8p (0 means 100 ms, the real portal's round trip).
	PortalLatency time.Duration

	// S3ssoBase, when set, is another s3sso build (e.g. main's) run beside
	// the others as "s3sso-base": a before/after in the same run. It is no
	// peer (never the fastest peer).
	S3ssoBase string

	// Workloads to run; nil means all.
	Workloads []string

	// CeilingDuration is how long each of the four ceiling phases runs;
	// zero skips the ceiling.
	CeilingDuration time.Duration

	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

func (c *Config) validate() error {
	if c.Server.Endpoint == "" || c.Server.AccessKey == "" || c.Server.SecretKey == "" {
		return fmt.Errorf("bench: server endpoint and keys are required")
	}
	if c.S3sso == "" {
		return fmt.Errorf("bench: the s3sso binary is required")
	}
	if c.WorkDir == "" {
		return fmt.Errorf("bench: a work directory is required")
	}
	if c.Rounds < 1 {
		c.Rounds = 1
	}
	if c.Server.Region == "" {
		c.Server.Region = "us-east-1"
	}
	if c.Workloads == nil {
		c.Workloads = Workloads
	}
	if c.PortalLatency <= 0 {
		c.PortalLatency = 100 * time.Millisecond
	}
	return nil
}

func (c *Config) wants(w string) bool {
	for _, x := range c.Workloads {
		if x == w {
			return true
		}
	}
	return false
}
