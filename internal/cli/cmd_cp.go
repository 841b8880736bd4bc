package cli

import (
	"context"
	"fmt"
	"iter"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

// transferFlags are the engine tuning flags of cp, mv and sync.
type transferFlags struct {
	Concurrency     int
	PartSize        string
	PartConcurrency int
	Resume          bool
}

func (f *transferFlags) AddFlags(fs *pflag.FlagSet) {
	fs.IntVar(&f.Concurrency, "concurrency", 0, "objects transferred in parallel (default 32)")
	fs.StringVar(&f.PartSize, "part-size", "", "multipart part size, e.g. 16MiB (default 16MiB, grown for huge objects)")
	fs.IntVar(&f.PartConcurrency, "part-concurrency", 0, "parts of one large object transferred in parallel (default 8; downloads: 2 per CPU, 4 to 8)")
	fs.BoolVar(&f.Resume, "resume", false, "continue interrupted multipart uploads and large downloads, and keep them resumable if interrupted again")
}

func (f *transferFlags) options(a *app) (transfer.Options, error) {
	o := transfer.Options{Concurrency: f.Concurrency, PartConcurrency: f.PartConcurrency, Logger: a.logger, Resume: f.Resume}
	if f.PartSize != "" {
		n, err := parseSize(f.PartSize)
		if err != nil {
			return o, usageError("--part-size: %v", err)
		}
		if n < 5<<20 {
			return o, usageError("--part-size must be at least 5MiB (S3's minimum), got %s", f.PartSize)
		}
		o.PartSize = n
		o.MultipartThreshold = n
	}
	if f.Concurrency < 0 || f.PartConcurrency < 0 {
		return o, usageError("--concurrency and --part-concurrency must be positive")
	}
	return o, nil
}

// putFlags are the object settings of uploads and copies.
type putFlags struct {
	ContentType  string
	StorageClass string
	SSE          string
	SSEKMSKeyID  string
	Metadata     []string
	CacheControl string
	ACL          string
	Tags         string
}

func (f *putFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.ContentType, "content-type", "", "Content-Type of uploaded objects (default: detected from name and content)")
	fs.StringVar(&f.StorageClass, "storage-class", "", "storage class, e.g. STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR")
	fs.StringVar(&f.SSE, "sse", "", "server-side encryption: AES256 or aws:kms")
	fs.StringVar(&f.SSEKMSKeyID, "sse-kms-key-id", "", "KMS key ID or ARN for --sse aws:kms")
	fs.StringArrayVar(&f.Metadata, "metadata", nil, "user metadata key=value (repeatable)")
	fs.StringVar(&f.CacheControl, "cache-control", "", "Cache-Control of uploaded objects")
	fs.StringVar(&f.ACL, "acl", "", "canned ACL of the new objects: private, public-read, bucket-owner-full-control, ...")
	fs.StringVar(&f.Tags, "tags", "", "tags of the new objects, as key=value&key2=value2")
}

func (f *putFlags) options() (transfer.PutOptions, error) {
	po := transfer.PutOptions{ContentType: f.ContentType, StorageClass: strings.ToUpper(f.StorageClass), SSE: f.SSE,
		SSEKMSKeyID: f.SSEKMSKeyID, CacheControl: f.CacheControl, ACL: f.ACL}
	if f.Tags != "" {
		tags, err := objstore.ParseTags(f.Tags)
		if err != nil {
			return po, fault.Wrap(fault.Usage, fmt.Errorf("--tags: %w", err), "")
		}
		po.Tags = tags
	}
	for _, kv := range f.Metadata {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return po, usageError("--metadata wants key=value, got %q", kv)
		}
		if po.Metadata == nil {
			po.Metadata = map[string]string{}
		}
		po.Metadata[strings.ToLower(k)] = v
	}
	return po, po.Validate()
}

type cpOptions struct {
	VersionID string
	Recursive bool
	DryRun    bool
	Raw       bool
	transferFlags
	putFlags
}

func (a *app) newCpCommand() *cobra.Command {
	var o cpOptions
	cmd := &cobra.Command{
		Use:   "cp SRC DST",
		Short: "Copy objects and files: local to S3, S3 to local, S3 to S3 (server-side)",
		Long: `Copy objects and files.

  s3sso cp file.txt s3://bucket/dir/          upload (keeps the name)
  s3sso cp s3://bucket/key local.txt          download
  s3sso cp s3://a/key s3://b/key              server-side copy
  s3sso cp -r dir s3://bucket/prefix/         upload a tree
  s3sso cp 's3://bucket/logs/*.gz' ./logs/    wildcard (quote it from the shell)
  s3sso cp --raw 's3://bucket/a*b' ./ab       the key "a*b" itself
  s3sso cp - s3://bucket/key < data           upload standard input
  s3sso cp s3://bucket/key -                  write to standard output

Only * is a wildcard, in keys (where it matches any characters, / included)
and in local paths; ?, [, ] and every other character are part of the name.
--raw makes * an ordinary character too. A wildcard source copies into
DST as a directory; --dry-run shows the matches.

Large objects are transferred as parallel parts. Every upload carries a
CRC32C checksum (full-object, also for multipart uploads) and every download
is verified against the stored checksum or MD5 ETag; a mismatch is an error
(exit code 9) and the file is not kept. Downloads go to a temporary file
that is renamed into place only when complete and verified, so an
interrupted download never leaves a truncated file. Keys that would escape
the destination directory (../x, /abs, a//b) are refused and reported.

Resume: with --resume an interrupted (Ctrl-C, crash, lost network) multipart
upload is kept open and continued by running the same command again with
--resume: only the parts the server lacks are sent. Large downloads keep
their finished ranges beside the destination (.NAME.s3sso-partial.tmp) and
continue from them. Abandoned uploads: s3sso mpu ls, s3sso mpu abort.`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCopy(cmd.Context(), "cp", o, args[0], args[1], false)
		},
	}
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "r", false, "copy every object under a prefix or directory")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "show what would be copied, change nothing")
	cmd.Flags().StringVar(&o.VersionID, "version-id", "", "copy this version of the source object")
	addRawFlag(cmd.Flags(), &o.Raw)
	o.transferFlags.AddFlags(cmd.Flags())
	o.putFlags.AddFlags(cmd.Flags())
	return cmd
}

func (a *app) newMvCommand() *cobra.Command {
	var o cpOptions
	cmd := &cobra.Command{
		Use:   "mv SRC DST",
		Short: "Move objects and files (copy, then delete the source once the copy succeeded)",
		Long: `Move objects and files. Takes the same arguments as cp. The source is deleted
only after its copy succeeded; a failed copy leaves the source in place.

Only * is a wildcard (see cp --help); --raw makes it an ordinary character.
--dry-run shows what would be moved.`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCopy(cmd.Context(), "mv", o, args[0], args[1], true)
		},
	}
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "r", false, "move every object under a prefix or directory")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "show what would be moved, change nothing")
	addRawFlag(cmd.Flags(), &o.Raw)
	o.transferFlags.AddFlags(cmd.Flags())
	o.putFlags.AddFlags(cmd.Flags())
	return cmd
}

// transferMsg reports one finished transfer.
type transferMsg struct {
	Op     string `json:"operation"`
	Src    string `json:"source"`
	Dst    string `json:"destination,omitempty"`
	Size   int64  `json:"size"`
	DryRun bool   `json:"dry_run,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (m transferMsg) String() string {
	prefix := ""
	if m.DryRun {
		prefix = "(dry run) "
	}
	if m.Dst == "" {
		return fmt.Sprintf("%s%s: %s", prefix, m.Op, displayName(m.Src))
	}
	return fmt.Sprintf("%s%s: %s -> %s", prefix, m.Op, displayName(m.Src), displayName(m.Dst))
}

func (m transferMsg) JSON() any { return m }

func (a *app) runCopy(ctx context.Context, verb string, o cpOptions, srcArg, dstArg string, move bool) error {
	src, err := parseLocation(srcArg, o.Raw)
	if err != nil {
		return err
	}
	dst, err := parseLocation(dstArg, o.Raw)
	if err != nil {
		return err
	}
	if err := noWildcardTarget(verb, dst); err != nil {
		return err
	}
	if src.S3 == nil && dst.S3 == nil && !(src.Stdio || dst.Stdio) {
		return usageError("%s: one of SRC and DST must be an s3:// URL", verb)
	}
	if src.Stdio && dst.Stdio || src.Stdio && dst.S3 == nil || dst.Stdio && src.S3 == nil {
		return usageError("%s: \"-\" (stdin/stdout) pairs with an s3:// URL", verb)
	}
	if move && (src.Stdio || dst.Stdio) {
		return usageError("mv does not take \"-\"; use cp")
	}
	if o.VersionID != "" {
		if src.S3 == nil || o.Recursive || src.S3.HasWildcard() || src.S3.IsPrefix() {
			return usageError("--version-id names a version of one source object: give SRC as s3://BUCKET/KEY, without -r or *")
		}
		src.S3.VersionID = o.VersionID
	}
	topts, err := o.transferFlags.options(a)
	if err != nil {
		return err
	}
	po, err := o.putFlags.options()
	if err != nil {
		return err
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	po.HeaderRules = a.headerRules()
	eng := transfer.New(store, topts)
	tuneGC()

	switch {
	case src.Stdio:
		if dst.S3.IsPrefix() {
			return usageError("cp - needs a full object key as destination, not %s", dst.S3)
		}
		if o.DryRun {
			a.out.Print(transferMsg{Op: "upload", Src: "-", Dst: dst.S3.String(), DryRun: true})
			return nil
		}
		if err := eng.UploadStream(ctx, a.stdio.In, *dst.S3, po); err != nil {
			return err
		}
		a.out.Info(transferMsg{Op: "upload", Src: "-", Dst: dst.S3.String(), Size: eng.Stats.BytesDone.Load()})
		return nil
	case dst.Stdio:
		if o.Recursive {
			return usageError("cp to \"-\" takes one object, not -r")
		}
		if err := oneObject("cp to \"-\"", *src.S3); err != nil {
			return err
		}
		return eng.Stream(ctx, *src.S3, a.stdio.Out)
	}

	plan := eng.CopyJobs(ctx, transfer.CopyPlan{Src: src, Dst: dst, Recursive: o.Recursive, Move: move, Put: po,
		Skipped: func(path, reason string) { a.out.Warn("skipping %s: %s", path, reason) }})
	if o.DryRun {
		for job, err := range plan {
			if err != nil {
				return err
			}
			a.out.Print(transferMsg{Op: job.Op, Src: job.Src, Dst: job.Dst, Size: job.Size, DryRun: true})
		}
		return nil
	}
	return a.runJobs(ctx, eng, plan)
}

// runJobs runs a batch on the engine with the progress bar, reporting each
// finished job as a result line and each failure on stderr, once (see
// failureLog).
func (a *app) runJobs(ctx context.Context, eng *transfer.Engine, jobs iter.Seq2[transfer.Job, error]) error {
	bar := a.newProgressBar()
	defer bar.stop()
	fl := newFailureLog(a.out)
	err := eng.RunEvents(ctx, fl.count(jobs), func(ev transfer.Event) {
		switch ev := ev.(type) {
		case transfer.Progress:
			bar.update(ev)
		case transfer.Result:
			fl.result(ev.Job.Op, ev.Job.Src, ev.Err)
			if ev.Err == nil {
				a.out.Info(transferMsg{Op: ev.Job.Op, Src: ev.Job.Src, Dst: ev.Job.Dst, Size: ev.Job.Size})
			}
		}
	})
	return fl.done(err)
}

// tuneGC trades a little memory for CPU in cp and mv, whose live heap is
// small and flat (the listing streams): the SDK allocates heavily per
// request, and at the default GOGC=100 the collector took about a third of
// the client's CPU when downloading many small objects. A soft limit keeps
// the heap well under 64 MiB. GOGC and GOMEMLIMIT in the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
}

// parseSize parses "16MiB", "16MB", "16M", "1GiB", "1048576".
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (examples: 16MiB, 64M, 1GiB)", s)
	}
	return int64(n * float64(mult)), nil
}

// headerRules are the upload header rules of the saved account in use.
func (a *app) headerRules() []objstore.HeaderRule {
	if a.acct == nil {
		return nil
	}
	return a.acct.HeaderRules
}
