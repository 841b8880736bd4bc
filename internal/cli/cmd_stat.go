package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/transfer"
)

func (a *app) newStatCommand() *cobra.Command {
	var raw bool
	var versionID string
	cmd := &cobra.Command{
		Use:   "stat s3://BUCKET/KEY",
		Short: "Show an object's size, ETag, checksums, metadata, storage class and version",
		Long: `Show an object's size, ETag, checksums, metadata, storage class and version.

The key is taken as written (?, [, ], # and the rest are part of it), except
that * is a wildcard, which stat refuses: pass --raw for a key with a *.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runStat(cmd.Context(), args[0], raw, versionID)
		},
	}
	cmd.Flags().StringVar(&versionID, "version-id", "", "show this version of the object")
	addRawFlag(cmd.Flags(), &raw)
	return cmd
}

type statMsg struct{ objstore.ObjectInfo }

func (m statMsg) String() string {
	var b strings.Builder
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-15s %s\n", k+":", v)
		}
	}
	row("URL", displayName(objstore.URL{Bucket: m.Bucket, Key: m.Key}.String()))
	row("Size", fmt.Sprintf("%d (%s)", m.Size, humanBytes(m.Size)))
	row("Last modified", m.LastModified.UTC().Format("2006-01-02 15:04:05 UTC"))
	row("ETag", m.ETag)
	row("Content-Type", m.ContentType)
	row("Storage class", m.StorageClass)
	row("Version", m.VersionID)
	row("Encryption", strings.TrimSpace(m.SSE+" "+m.SSEKMSKeyID))
	if m.PartsCount > 0 {
		row("Parts", fmt.Sprint(m.PartsCount))
	}
	for _, k := range sortedKeys(m.Checksums) {
		row("Checksum "+k, m.Checksums[k]+strings.TrimSuffix(" ("+strings.ToLower(m.ChecksumType)+")", " ()"))
	}
	for _, k := range sortedKeys(m.Metadata) {
		row("Metadata", k+"="+m.Metadata[k])
	}
	row("Cache-Control", m.CacheControl)
	row("Content-Encoding", m.ContentEncode)
	return strings.TrimSuffix(b.String(), "\n")
}

func (m statMsg) JSON() any { return m.ObjectInfo }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (a *app) runStat(ctx context.Context, arg string, raw bool, versionID string) error {
	u, err := parseURL(arg, raw)
	if err != nil {
		return err
	}
	if u.Key == "" {
		return usageError("stat needs an object key: s3://%s/KEY", u.Bucket)
	}
	if u.HasWildcard() {
		return oneObject("stat", u)
	}
	u.VersionID = versionID
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	info, err := store.Head(ctx, u)
	if err != nil {
		return err
	}
	a.out.Print(statMsg{info})
	return nil
}

func (a *app) newCatCommand() *cobra.Command {
	var raw bool
	var versionID string
	cmd := &cobra.Command{
		Use:   "cat s3://BUCKET/KEY",
		Short: "Write an object to standard output",
		Long: `Write an object to standard output, verified like a download.

The key is taken as written (?, [, ], # and the rest are part of it), except
that * is a wildcard, which cat refuses: pass --raw for a key with a *.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := parseURL(args[0], raw)
			if err != nil {
				return err
			}
			if err := oneObject("cat", u); err != nil {
				return err
			}
			u.VersionID = versionID
			store, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			return transfer.New(store, transfer.Options{Logger: a.logger}).Stream(cmd.Context(), u, a.stdio.Out)
		},
	}
	cmd.Flags().StringVar(&versionID, "version-id", "", "write this version of the object")
	addRawFlag(cmd.Flags(), &raw)
	return cmd
}
