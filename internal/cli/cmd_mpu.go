package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

func (a *app) newMpuCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mpu",
		Short: "List and abort unfinished multipart uploads",
		Long: `Unfinished multipart uploads keep their parts on the server (and cost
storage) until they are completed or aborted. s3sso aborts its own uploads
when they fail, unless cp --resume keeps them to be continued.

  s3sso mpu ls                                   every bucket
  s3sso mpu ls s3://bucket/prefix/
  s3sso mpu abort s3://bucket/key --upload-id ID
  s3sso mpu abort s3://bucket/prefix --all       every upload under the prefix`,
	}
	cmd.AddCommand(a.newMpuLsCommand(), a.newMpuAbortCommand())
	return cmd
}

// uploadMsg is one unfinished multipart upload.
type uploadMsg struct {
	URL          string    `json:"url"`
	UploadID     string    `json:"upload_id"`
	Initiated    time.Time `json:"initiated"`
	StorageClass string    `json:"storage_class,omitempty"`
	Source       string    `json:"resumable_from,omitempty"`
}

func (m uploadMsg) String() string {
	s := fmt.Sprintf("%s  %s  %s", m.Initiated.UTC().Format("2006-01-02 15:04:05"), displayName(m.URL), m.UploadID)
	if m.Source != "" {
		s += "  (resumable from " + displayName(m.Source) + ")"
	}
	return s
}

func (m uploadMsg) JSON() any { return m }

func (a *app) newMpuLsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "ls [s3://BUCKET[/PREFIX]]",
		Short: "List unfinished multipart uploads",
		Long: `List unfinished multipart uploads: start time (UTC), URL and upload ID, and
the local file when this machine's journal can continue it with cp --resume.
Without an argument every bucket is searched.`,
		Args: argsRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runMpuLs(cmd.Context(), args)
		},
	}
}

func (a *app) runMpuLs(ctx context.Context, args []string) error {
	var targets []objstore.URL
	if len(args) == 1 {
		u, err := objstore.ParseURL(args[0])
		if err != nil {
			return err
		}
		targets = append(targets, u)
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		buckets, err := store.ListBuckets(ctx)
		if err != nil {
			return err
		}
		for _, b := range buckets {
			targets = append(targets, objstore.URL{Bucket: b.Name})
		}
	}
	eng := transfer.New(store, transfer.Options{Logger: a.logger})
	failed := 0
	for _, u := range targets {
		for up, err := range eng.ListUploads(ctx, u.Bucket, u.Key) {
			if err != nil {
				if len(args) == 0 && len(targets) > 1 {
					// One bucket (another region, no permission) must not
					// hide the others.
					a.out.Failure("list multipart uploads in", "s3://"+u.Bucket, err)
					failed++
					break
				}
				return err
			}
			a.out.Print(uploadMsg{URL: up.URL.String(), UploadID: up.UploadID, Initiated: up.Initiated, StorageClass: up.StorageClass, Source: up.Source})
		}
	}
	if failed > 0 {
		return fault.Wrap(fault.Partial, &transfer.BatchError{Failed: failed, Total: len(targets), First: fmt.Errorf("%d buckets could not be listed", failed)}, "")
	}
	return nil
}

type mpuAbortOptions struct {
	UploadID string
	All      bool
	DryRun   bool
}

func (a *app) newMpuAbortCommand() *cobra.Command {
	var o mpuAbortOptions
	cmd := &cobra.Command{
		Use:   "abort s3://BUCKET/KEY --upload-id ID | s3://BUCKET[/PREFIX] --all",
		Short: "Abort unfinished multipart uploads (their parts are deleted)",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runMpuAbort(cmd.Context(), o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.UploadID, "upload-id", "", "the upload to abort (see `s3sso mpu ls`)")
	cmd.Flags().BoolVar(&o.All, "all", false, "abort every upload under the key or prefix")
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "show what would be aborted, abort nothing")
	return cmd
}

func (a *app) runMpuAbort(ctx context.Context, o mpuAbortOptions, arg string) error {
	if (o.UploadID == "") == !o.All {
		return usageError("mpu abort needs either --upload-id ID or --all")
	}
	u, err := objstore.ParseURL(arg)
	if err != nil {
		return err
	}
	if o.UploadID != "" && u.Key == "" {
		return usageError("mpu abort --upload-id needs the object's key: s3://%s/KEY", u.Bucket)
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	eng := transfer.New(store, transfer.Options{Logger: a.logger})
	if o.UploadID != "" {
		if err := eng.CheckUpload(ctx, u, o.UploadID); err != nil {
			return err
		}
		if o.DryRun {
			a.out.Print(transferMsg{Op: "abort", Src: u.String() + " " + o.UploadID, DryRun: true})
			return nil
		}
		if err := eng.AbortUpload(ctx, u, o.UploadID); err != nil {
			return err
		}
		a.out.Info(transferMsg{Op: "abort", Src: u.String() + " " + o.UploadID})
		return nil
	}
	var total, failed int
	var first error
	for up, err := range eng.ListUploads(ctx, u.Bucket, u.Key) {
		if err != nil {
			return err
		}
		target := up.URL.String() + " " + up.UploadID
		total++
		if o.DryRun {
			a.out.Print(transferMsg{Op: "abort", Src: target, DryRun: true})
			continue
		}
		if err := eng.AbortUpload(ctx, up.URL, up.UploadID); err != nil {
			failed++
			if first == nil {
				first = err
			}
			a.out.Failure("abort", target, err)
			continue
		}
		a.out.Info(transferMsg{Op: "abort", Src: target})
	}
	if failed > 0 {
		return fault.Wrap(fault.Partial, &transfer.BatchError{Failed: failed, Total: total, First: first}, "")
	}
	return nil
}
