package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/objstore"
)

type lsOptions struct {
	Recursive bool
	Human     bool
	Summarize bool
	Raw       bool
	Versions  bool
}

func (a *app) newLsCommand() *cobra.Command {
	var o lsOptions
	cmd := &cobra.Command{
		Use:   "ls [s3://BUCKET[/PREFIX]]",
		Short: "List buckets, or objects and prefixes under a prefix",
		Long: `List buckets (no argument), or the objects and prefixes (PRE lines) one level
under a prefix. With -r every object under the prefix is listed. A key with
the wildcard * (s3://b/logs/*.gz) lists its matches; * matches any
characters, / included. No other character is special (?, [ and ] are part
of the key); --raw makes * an ordinary character too.

Text output: date, time (UTC), size and key, like the AWS CLI. A key with a
character that is not printable (a newline, a tab, an escape) or that starts
with a double quote is shown as a Go double-quoted string: "a\nb". --json writes
one object per line: {"type":"object","key":...,"size":...} and
{"type":"prefix","key":...} or {"type":"bucket","name":...}.`,
		Args: argsRange(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return a.runLsBuckets(cmd.Context(), o)
			}
			return a.runLs(cmd.Context(), o, args[0])
		},
	}
	cmd.Flags().BoolVarP(&o.Recursive, "recursive", "r", false, "list every object under the prefix")
	cmd.Flags().BoolVarP(&o.Human, "human", "H", false, "sizes in KiB, MiB, GiB")
	cmd.Flags().BoolVar(&o.Summarize, "summarize", false, "end with the number of objects and their total size")
	cmd.Flags().BoolVar(&o.Versions, "versions", false, "list every version and delete marker under the prefix (newest first per key)")
	addRawFlag(cmd.Flags(), &o.Raw)
	return cmd
}

type bucketMsg struct {
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Region  string    `json:"region,omitempty"`
}

func (m bucketMsg) String() string {
	return fmt.Sprintf("%s %s", m.Created.UTC().Format("2006-01-02 15:04:05"), m.Name)
}

func (m bucketMsg) JSON() any {
	return struct {
		Type string `json:"type"`
		bucketMsg
	}{"bucket", m}
}

type objectMsg struct {
	URL          string    `json:"url"`
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"last_modified"`
	ETag         string    `json:"etag"`
	StorageClass string    `json:"storage_class,omitempty"`
	display      string
	human        bool
}

func (m objectMsg) String() string {
	size := fmt.Sprintf("%10d", m.Size)
	if m.human {
		size = fmt.Sprintf("%10s", humanBytes(m.Size))
	}
	return fmt.Sprintf("%s %s %s", m.LastModified.UTC().Format("2006-01-02 15:04:05"), size, displayName(m.display))
}

func (m objectMsg) JSON() any {
	return struct {
		Type string `json:"type"`
		objectMsg
	}{"object", m}
}

type prefixMsg struct {
	URL     string `json:"url"`
	Key     string `json:"key"`
	display string
}

func (m prefixMsg) String() string { return fmt.Sprintf("%30s %s", "PRE", displayName(m.display)) }
func (m prefixMsg) JSON() any {
	return struct {
		Type string `json:"type"`
		prefixMsg
	}{"prefix", m}
}

type summaryMsg struct {
	Objects int64 `json:"objects"`
	Size    int64 `json:"total_size"`
	human   bool
}

func (m summaryMsg) String() string {
	size := fmt.Sprint(m.Size)
	if m.human {
		size = humanBytes(m.Size)
	}
	return fmt.Sprintf("\nTotal Objects: %d\n   Total Size: %s", m.Objects, size)
}
func (m summaryMsg) JSON() any {
	return struct {
		Type string `json:"type"`
		summaryMsg
	}{"summary", m}
}

func (a *app) runLsBuckets(ctx context.Context, _ lsOptions) error {
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	if a.acct != nil {
		return a.lsAccountBuckets(ctx, store)
	}
	buckets, err := store.ListBuckets(ctx)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		a.out.Print(bucketMsg{Name: b.Name, Created: b.Created, Region: b.Region})
	}
	return nil
}

func (a *app) runLs(ctx context.Context, o lsOptions, arg string) error {
	u, err := parseURL(arg, o.Raw)
	if err != nil {
		return err
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	u = a.externalBucketStart(u)
	if o.Versions {
		return a.runLsVersions(ctx, store, o, u)
	}
	prefix := u.Key
	wild := u.HasWildcard()
	if wild {
		prefix = objstore.WildcardPrefix(u.Key)
	}
	// Names are shown relative to the listed "directory", as the AWS CLI does;
	// recursive listings show full keys.
	base := prefix[:strings.LastIndexByte(prefix, '/')+1]
	var count, total int64
	for obj, err := range store.List(ctx, u.Bucket, prefix, !o.Recursive && !wild) {
		if err != nil {
			return err
		}
		if wild && !objstore.MatchKey(u.Key, obj.Key) {
			continue
		}
		display := strings.TrimPrefix(obj.Key, base)
		if o.Recursive {
			display = obj.Key
		}
		ou := objstore.URL{Bucket: u.Bucket, Key: obj.Key}.String()
		if obj.IsPrefix {
			a.out.Print(prefixMsg{URL: ou, Key: obj.Key, display: display})
			continue
		}
		count++
		total += obj.Size
		a.out.Print(objectMsg{URL: ou, Key: obj.Key, Size: obj.Size, LastModified: obj.LastModified, ETag: obj.ETag,
			StorageClass: obj.StorageClass, display: display, human: o.Human})
	}
	if count == 0 && u.Key != "" && !wild {
		// Distinguish "empty prefix" from "no such bucket": List already
		// failed for a missing bucket, so an empty result is not an error,
		// but a key that names nothing is worth saying.
		a.logger.Debug("nothing under prefix", "url", u.String())
	}
	if o.Summarize {
		a.out.Print(summaryMsg{Objects: count, Size: total, human: o.Human})
	}
	return nil
}

type objVersionMsg struct {
	URL string `json:"url"`
	objstore.Version
	human bool
}

func (m objVersionMsg) String() string {
	size := fmt.Sprintf("%10d", m.Size)
	if m.human {
		size = fmt.Sprintf("%10s", humanBytes(m.Size))
	}
	var flags []string
	if m.IsLatest {
		flags = append(flags, "latest")
	}
	if m.DeleteMarker {
		size = fmt.Sprintf("%10s", "DEL")
		flags = append(flags, "delete marker")
	}
	line := fmt.Sprintf("%s %s %s  %s", m.LastModified.UTC().Format("2006-01-02 15:04:05"), size, displayName(m.Key), m.VersionID)
	if len(flags) > 0 {
		line += " (" + strings.Join(flags, ", ") + ")"
	}
	return line
}

func (m objVersionMsg) JSON() any {
	return struct {
		Type string `json:"type"`
		URL  string `json:"url"`
		objstore.Version
	}{"version", m.URL, m.Version}
}

// runLsVersions lists every version and delete marker under the prefix
// (or matching the wildcard), with full keys.
func (a *app) runLsVersions(ctx context.Context, store *objstore.S3, o lsOptions, u objstore.URL) error {
	prefix := u.Key
	wild := u.HasWildcard()
	if wild {
		prefix = objstore.WildcardPrefix(u.Key)
	}
	var count, total int64
	err := store.ListVersions(ctx, u.Bucket, prefix, func(v objstore.Version) error {
		if wild && !objstore.MatchKey(u.Key, v.Key) {
			return nil
		}
		count++
		total += v.Size
		a.out.Print(objVersionMsg{URL: objstore.URL{Bucket: u.Bucket, Key: v.Key}.String(), Version: v, human: o.Human})
		return nil
	})
	if err != nil {
		return err
	}
	if o.Summarize {
		a.out.Print(summaryMsg{Objects: count, Size: total, human: o.Human})
	}
	return nil
}
