package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/transfer"
)

type syncOptions struct {
	Delete   bool
	DryRun   bool
	Checksum bool
	SizeOnly bool
	Raw      bool
	transferFlags
	putFlags
}

func (a *app) newSyncCommand() *cobra.Command {
	var o syncOptions
	cmd := &cobra.Command{
		Use:   "sync SRC DST",
		Short: "Make DST match SRC: transfer new and changed files (local <-> S3, S3 -> S3)",
		Long: `Make DST match SRC.

  s3sso sync ./site s3://bucket/site/
  s3sso sync s3://bucket/backup/ ./restore
  s3sso sync s3://a/data/ s3://b/data/ --delete

By default a file is transferred when it is missing at DST, its size differs,
or SRC is newer than DST. --checksum compares content instead (MD5 and
multipart ETags; slower, reads every local file), --size-only compares sizes.
--delete removes what DST has and SRC does not. --dry-run changes nothing.

SRC and DST are prefixes or directories taken as written (?, [, ] and the
rest are part of them); sync refuses the wildcard *, and --raw makes * an
ordinary character.`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSync(cmd.Context(), o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Delete, "delete", false, "delete files at DST that are not in SRC")
	f.BoolVar(&o.DryRun, "dry-run", false, "show what would change, change nothing")
	f.BoolVar(&o.Checksum, "checksum", false, "compare content instead of modification times")
	f.BoolVar(&o.SizeOnly, "size-only", false, "compare sizes only")
	addRawFlag(f, &o.Raw)
	o.transferFlags.AddFlags(f)
	o.putFlags.AddFlags(f)
	return cmd
}

func (a *app) runSync(ctx context.Context, o syncOptions, srcArg, dstArg string) error {
	if o.Checksum && o.SizeOnly {
		return usageError("--checksum and --size-only exclude each other")
	}
	src, err := parseLocation(srcArg, o.Raw)
	if err != nil {
		return err
	}
	dst, err := parseLocation(dstArg, o.Raw)
	if err != nil {
		return err
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
	// The sync plan merges the two listings as they stream, so the live
	// heap is as small and flat as cp's: the same GC setting applies.
	tuneGC()
	eng := transfer.New(store, topts)
	actions := eng.Sync(ctx, src, dst, transfer.SyncOptions{Delete: o.Delete, Checksum: o.Checksum, SizeOnly: o.SizeOnly, Put: po})
	jobs := func(yield func(transfer.Job, error) bool) {
		for act, err := range actions {
			if err != nil {
				yield(transfer.Job{}, err)
				return
			}
			if act.Op == "skip" {
				a.out.Warn("skipping %s: %s", act.Src, act.Reason)
				continue
			}
			if o.DryRun && act.Op != "read" {
				a.out.Print(transferMsg{Op: act.Op, Src: act.Src, Dst: act.Dst, Size: act.Size, DryRun: true})
				continue
			}
			if !yield(transfer.Job{Op: act.Op, Src: act.Src, Dst: act.Dst, Size: act.Size, Run: act.Run}, nil) {
				return
			}
		}
	}
	return a.runJobs(ctx, eng, jobs)
}
