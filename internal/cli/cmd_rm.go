package cli

import (
	"context"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

type rmOptions struct {
	VersionID string
	Recursive bool
	DryRun    bool
	Raw       bool
}

func (a *app) newRmCommand() *cobra.Command {
	var o rmOptions
	cmd := &cobra.Command{
		Use:   "rm s3://BUCKET/KEY...",
		Short: "Delete objects (recursively and by wildcard in batches of 1000)",
		Long: `Delete objects.

  s3sso rm s3://bucket/key
  s3sso rm -r s3://bucket/prefix/        every object under the prefix
  s3sso rm 's3://bucket/logs/*.tmp'      every match of the wildcard
  s3sso rm -r --dry-run s3://bucket/p/   list what would be deleted
  s3sso rm --raw 's3://bucket/a*b'       the key "a*b" itself

Only * is a wildcard (it matches any characters, / included); ?, [, ] and
every other character are part of the key, and --raw makes * one too. rm
deletes exactly the named key, the keys under the prefix with -r, or the
matches of the wildcard: run it with --dry-run first to see them.

Many objects are deleted with DeleteObjects, 1000 keys per request, while the
listing continues. A key the server refuses is reported and the rest go on;
the exit code is then 3.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("rm needs at least one s3:// URL")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRm(cmd.Context(), o, args)
		},
	}
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "r", false, "delete every object under the prefix")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "show what would be deleted, delete nothing")
	cmd.Flags().StringVar(&o.VersionID, "version-id", "", "delete this version of the object for good (or a delete marker, which brings the object back)")
	addRawFlag(cmd.Flags(), &o.Raw)
	return cmd
}

func (a *app) runRm(ctx context.Context, o rmOptions, args []string) error {
	urls := make([]objstore.URL, 0, len(args))
	for _, arg := range args {
		u, err := parseURL(arg, o.Raw)
		if err != nil {
			return err
		}
		if u.Key == "" && !o.Recursive {
			return usageError("rm %s: that is a whole bucket; use rm -r to empty it or rb to remove it", u)
		}
		if o.VersionID != "" {
			if len(args) != 1 || o.Recursive {
				return usageError("rm --version-id deletes one version of one object: give one s3://BUCKET/KEY, without -r")
			}
			if err := oneObject("rm --version-id", u); err != nil {
				return err
			}
			u.VersionID = o.VersionID
		}
		urls = append(urls, u)
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	eng := transfer.New(store, transfer.Options{Logger: a.logger, Concurrency: 8})
	fl := newFailureLog(a.out)
	var total, failed atomic.Int64
	report := func(target string, size int64, err error) {
		total.Add(1)
		if err != nil {
			failed.Add(1)
		}
		fl.result("delete", target, err)
		if err == nil {
			a.out.Info(transferMsg{Op: "delete", Src: target, Size: size})
		}
	}
	for _, u := range urls {
		if !o.Recursive && !u.HasWildcard() {
			// One object: a missing key is an error.
			if err := eng.DeleteOne(ctx, u, o.DryRun); err != nil {
				if len(urls) == 1 {
					return err
				}
				report(u.String(), 0, err)
				continue
			}
			if o.DryRun {
				total.Add(1)
				a.out.Print(transferMsg{Op: "delete", Src: versionName(u), DryRun: true})
				continue
			}
			report(versionName(u), 0, nil)
			continue
		}
		objs := eng.Matching(ctx, u, o.Recursive)
		if o.DryRun {
			for obj, err := range objs {
				if err != nil {
					return err
				}
				a.out.Print(transferMsg{Op: "delete", Src: objstore.URL{Bucket: u.Bucket, Key: obj.Key}.String(), Size: obj.Size, DryRun: true})
			}
			continue
		}
		jobs := eng.DeleteJobs(ctx, u.Bucket, objs, func(key string, size int64, err error) {
			report(objstore.URL{Bucket: u.Bucket, Key: key}.String(), size, err)
		})
		if err := eng.Run(ctx, jobs, nil); err != nil {
			return fl.done(err)
		}
	}
	if f := failed.Load(); f > 0 {
		if total.Load() == 1 {
			// The one object's own error, reported once by the caller.
			return fl.done(fl.firstErr())
		}
		return fl.done(fault.Wrap(fault.Partial, &transfer.BatchError{Failed: int(f), Total: int(total.Load()), First: fl.firstErr()}, ""))
	}
	return nil
}

// versionName is u's URL, with its version when it names one.
func versionName(u objstore.URL) string {
	if u.VersionID == "" {
		return u.String()
	}
	return u.String() + " (version " + u.VersionID + ")"
}
