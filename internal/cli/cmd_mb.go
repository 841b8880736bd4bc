package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/objstore"
)

func (a *app) newMbCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "mb s3://BUCKET",
		Short: "Make a bucket (in --region, or the profile's region)",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := bucketArg(args[0])
			if err != nil {
				return err
			}
			store, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := store.MakeBucket(cmd.Context(), u.Bucket); err != nil {
				return err
			}
			a.out.Info(transferMsg{Op: "make_bucket", Src: u.String()})
			return nil
		},
	}
}

func bucketArg(arg string) (objstore.URL, error) {
	u, err := objstore.ParseURL(arg)
	if err != nil {
		return u, err
	}
	if u.Key != "" && u.Key != "/" {
		return u, usageError("%s names an object; give only s3://BUCKET", arg)
	}
	u.Key = ""
	return u, nil
}

type rbOptions struct{ Force bool }

func (a *app) newRbCommand() *cobra.Command {
	var o rbOptions
	cmd := &cobra.Command{
		Use:   "rb s3://BUCKET",
		Short: "Remove a bucket (--force deletes its objects first)",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRb(cmd.Context(), o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "delete every object in the bucket first")
	return cmd
}

func (a *app) runRb(ctx context.Context, o rbOptions, arg string) error {
	u, err := bucketArg(arg)
	if err != nil {
		return err
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	if o.Force {
		if err := store.BucketExists(ctx, u.Bucket); err != nil {
			return err
		}
		if err := a.runRm(ctx, rmOptions{Recursive: true}, []string{u.String()}); err != nil {
			return fmt.Errorf("empty %s before removing it: %w", u, err)
		}
		if err := store.AbortUploads(ctx, u.Bucket); err != nil {
			return err
		}
	}
	if err := store.RemoveBucket(ctx, u.Bucket); err != nil {
		if objstore.IsCode(err, "BucketNotEmpty") {
			return withHint(err, "the bucket still has objects: delete them with `s3sso rm -r "+u.String()+"` or pass --force")
		}
		return err
	}
	a.out.Info(transferMsg{Op: "remove_bucket", Src: u.String()})
	return nil
}
