package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

func (a *app) newBucketCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bucket",
		Short: "Show and change a bucket's settings: versioning, policy, CORS, lifecycle, tags, encryption",
		Long: `Show and change a bucket's settings.

  s3sso bucket info s3://B [--json]
  s3sso bucket SETTING s3://B [get]                  print the setting's JSON document
  s3sso bucket SETTING s3://B set FILE|- [--dry-run] validate, then set it (--dry-run: show the diff only)
  s3sso bucket SETTING s3://B delete                 remove it

SETTING is versioning, policy, cors, lifecycle, tags or encryption. The
documents are the AWS API's JSON, as the AWS CLI prints and takes them:

  versioning  {"Status": "Enabled"}                 aws s3api get/put-bucket-versioning
  policy      the policy document                   aws s3api get/put-bucket-policy
  cors        {"CORSRules": [...]}                  aws s3api get/put-bucket-cors
  lifecycle   {"Rules": [...]}                      aws s3api get/put-bucket-lifecycle-configuration
  tags        {"TagSet": [{"Key":..,"Value":..}]}   aws s3api get/put-bucket-tagging
  encryption  {"Rules": [...]}                      aws s3api put-bucket-encryption

What the AWS CLI's get commands print is accepted as it is (the {"Policy":
"..."} and {"ServerSideEncryptionConfiguration": {...}} wrappers too), and
what s3sso prints is valid input for the AWS CLI's put commands
(--lifecycle-configuration file://doc.json and so on). A document is checked
before it is sent; a mistake is reported with its line and field. A setting
that is not set prints nothing and exits 0 (with --json: null).

Versioning cannot be removed, only suspended: set {"Status": "Suspended"}.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	info := &cobra.Command{
		Use:   "info s3://BUCKET",
		Short: "Show a bucket's region and settings at a glance",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runBucketInfo(cmd.Context(), args[0])
		},
	}
	cmd.AddCommand(info)
	for _, st := range objstore.Settings() {
		cmd.AddCommand(a.newBucketSettingCommand(st))
	}
	return cmd
}

// bucketName parses s3://BUCKET.
func bucketName(arg string) (string, error) {
	u, err := bucketArg(arg)
	return u.Bucket, err
}

type bucketInfoMsg struct{ objstore.BucketInfo }

func (m bucketInfoMsg) JSON() any { return m.BucketInfo }

func (m bucketInfoMsg) String() string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%-20s %s\n", k+":", v) }
	// setting is a row of a setting that may have been unreadable: then
	// the reason stands in its place, not a default ("none", "0", "off")
	// that would contradict it.
	shown := map[string]bool{}
	setting := func(label, key, v string) {
		if why, ok := m.Unavailable[key]; ok {
			v, shown[key] = "not readable: "+why, true
		}
		row(label, v)
	}
	or := func(v, none string) string {
		if v == "" {
			return none
		}
		return v
	}
	row("Bucket", "s3://"+m.Bucket)
	row("Region", or(m.Region, "unknown"))
	row("Versioning", or(m.Versioning, "never enabled")+strings.TrimSuffix(" (MFA delete "+m.MFADelete+")", " (MFA delete )"))
	enc := or(m.Encryption, "none")
	if m.KMSKeyID != "" {
		enc += " with key " + m.KMSKeyID
	}
	if m.BucketKey {
		enc += ", bucket key"
	}
	setting("Default encryption", "encryption", enc)
	pol := "none"
	if m.Policy {
		pol = "set"
		if m.PolicyPublic != nil && *m.PolicyPublic {
			pol += " (public)"
		} else if m.PolicyPublic != nil {
			pol += " (not public)"
		}
	}
	setting("Policy", "policy", pol)
	setting("Lifecycle rules", "lifecycle", fmt.Sprint(m.LifecycleRules))
	setting("CORS rules", "cors", fmt.Sprint(m.CORSRules))
	tags := make([]string, len(m.Tags))
	for i, t := range m.Tags {
		tags[i] = t.Key + "=" + t.Value
	}
	setting("Tags", "tags", or(strings.Join(tags, ", "), "none"))
	lock := "off"
	if m.ObjectLock {
		lock = "on"
		if m.ObjectLockMode != "" {
			lock += fmt.Sprintf(", default %s for %s", m.ObjectLockMode, retention(m.ObjectLockDays, m.ObjectLockYears))
		}
	}
	setting("Object lock", "object lock", lock)
	pab := "none"
	if p := m.PublicAccessBlock; p != nil {
		pab = fmt.Sprintf("BlockPublicAcls=%t IgnorePublicAcls=%t BlockPublicPolicy=%t RestrictPublicBuckets=%t",
			p.BlockPublicAcls, p.IgnorePublicAcls, p.BlockPublicPolicy, p.RestrictPublicBuckets)
	}
	setting("Public access block", "public access block", pab)
	for _, k := range sortedKeys(m.Unavailable) {
		if !shown[k] {
			row("Not readable", k+": "+m.Unavailable[k])
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func retention(days, years int32) string {
	if years > 0 {
		return fmt.Sprintf("%d years", years)
	}
	return fmt.Sprintf("%d days", days)
}

func (a *app) runBucketInfo(ctx context.Context, arg string) error {
	bucket, err := bucketName(arg)
	if err != nil {
		return err
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	info, err := store.BucketInfo(ctx, bucket)
	if err != nil {
		return err
	}
	a.out.Print(bucketInfoMsg{info})
	return nil
}

type settingOptions struct {
	DryRun bool
}

func (a *app) newBucketSettingCommand(st objstore.Setting) *cobra.Command {
	var o settingOptions
	cmd := &cobra.Command{
		Use:   string(st) + " s3://BUCKET [get | set FILE|- | delete]",
		Short: fmt.Sprintf("Get, set or delete the bucket's %s (AWS API JSON)", st.Doc()),
		Long: fmt.Sprintf(`Get, set or delete the bucket's %s, as JSON in the AWS API's shape
(see s3sso bucket --help). set reads FILE, or standard input for -, checks
the document and shows, with --dry-run, what would change (a diff against the
current one) without changing anything.`, st.Doc()),
		Args: argsRange(1, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runBucketSetting(cmd.Context(), st, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "set: check the document and show the diff, change nothing")
	return cmd
}

// docMsg is a JSON document printed as it is (compacted with --json).
type docMsg struct{ doc []byte }

func (m docMsg) String() string { return strings.TrimSuffix(string(m.doc), "\n") }
func (m docMsg) JSON() any {
	if m.doc == nil {
		return nil
	}
	return json.RawMessage(m.doc)
}

type diffMsg struct {
	Setting string `json:"setting"`
	Bucket  string `json:"bucket"`
	Changed bool   `json:"changed"`
	Diff    string `json:"diff"`
	DryRun  bool   `json:"dry_run"`
}

func (m diffMsg) String() string {
	head := fmt.Sprintf("(dry run) %s of s3://%s", m.Setting, m.Bucket)
	if !m.Changed {
		return head + ": no change"
	}
	return head + ":\n" + strings.TrimSuffix(m.Diff, "\n")
}
func (m diffMsg) JSON() any { return m }

func (a *app) runBucketSetting(ctx context.Context, st objstore.Setting, o settingOptions, args []string) error {
	bucket, err := bucketName(args[0])
	if err != nil {
		return err
	}
	action := "get"
	if len(args) > 1 {
		action = args[1]
	}
	switch {
	case action != "get" && action != "set" && action != "delete":
		return usageError("bucket %s: unknown action %q; use get, set FILE or delete", st, action)
	case action == "set" && len(args) != 3:
		return usageError("bucket %s set needs a FILE (or - for standard input)", st)
	case action != "set" && len(args) > 2:
		return usageError("bucket %s %s takes no more arguments", st, action)
	case o.DryRun && action != "set":
		return usageError("--dry-run goes with set")
	}
	var data []byte
	var want []byte
	if action == "set" {
		if data, err = a.readDoc(args[2]); err != nil {
			return err
		}
		// Check before signing in: a malformed document fails fast.
		if want, err = objstore.CheckSetting(st, data); err != nil {
			return withDocSource(err, args[2])
		}
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	switch action {
	case "get":
		doc, err := store.GetSetting(ctx, bucket, st)
		if err != nil {
			return err
		}
		if doc != nil || a.out.JSON() {
			a.out.Print(docMsg{doc})
		}
		return nil
	case "delete":
		if err := store.DeleteSetting(ctx, bucket, st); err != nil {
			return err
		}
		a.out.Info(textMsg{text: fmt.Sprintf("deleted the %s of s3://%s", st.Doc(), bucket),
			fields: map[string]string{"op": "delete", "setting": string(st), "bucket": bucket}})
		return nil
	}
	if o.DryRun {
		cur, err := store.GetSetting(ctx, bucket, st)
		if err != nil {
			return err
		}
		if cur != nil {
			// The server's form, normalized as the new one is.
			if n, err := objstore.CheckSetting(st, cur); err == nil {
				cur = n
			}
		}
		a.out.Print(diffMsg{Setting: string(st), Bucket: bucket, Changed: !bytes.Equal(cur, want),
			Diff: objstore.Diff(string(cur), string(want)), DryRun: true})
		return nil
	}
	if err := store.PutSetting(ctx, bucket, st, data); err != nil {
		return err
	}
	a.out.Info(textMsg{text: fmt.Sprintf("set the %s of s3://%s", st.Doc(), bucket),
		fields: map[string]string{"op": "set", "setting": string(st), "bucket": bucket}})
	return nil
}

// readDoc reads a document from a file, or from standard input for "-".
func (a *app) readDoc(name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdio.In, 20<<20))
		if err != nil {
			return nil, fault.Wrap(fault.Local, fmt.Errorf("read the document from standard input: %w", err), "")
		}
		return b, nil
	}
	name = strings.TrimPrefix(name, "file://") // the AWS CLI's habit
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read the document: %w", err)
	}
	return b, nil
}

// withDocSource names the file a malformed document came from.
func withDocSource(err error, name string) error {
	if name == "-" {
		name = "standard input"
	}
	return &fault.Error{Kind: fault.Usage, Msg: name, Err: err}
}
