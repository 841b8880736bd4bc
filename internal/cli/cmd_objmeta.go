package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/objstore"
)

// aclOptions are the flags of acl.
type aclOptions struct {
	VersionID string
	Raw       bool
}

func (a *app) newACLCommand() *cobra.Command {
	var o aclOptions
	cmd := &cobra.Command{
		Use:   "acl get|set s3://BUCKET[/KEY] [CANNED-ACL | FILE | -]",
		Short: "Show or set the ACL of a bucket or object (canned ACLs and explicit grants)",
		Long: `Show or set the access control list of a bucket (s3://BUCKET) or an object.

  s3sso acl get s3://b/key                 the grants, as the AWS CLI's get-object-acl prints them
  s3sso acl set s3://b/key public-read     a canned ACL
  s3sso acl set s3://b/key acl.json        explicit grants: {"Owner": {...}, "Grants": [...]}
  s3sso acl set s3://b - < acl.json        the bucket's ACL from standard input

Canned ACLs: ` + strings.Join(objstore.CannedACLs(), ", ") + `.
A grant's grantee is {"Type": "CanonicalUser", "ID": ...},
{"Type": "AmazonCustomerByEmail", "EmailAddress": ...} or {"Type": "Group",
"URI": "http://acs.amazonaws.com/groups/global/AllUsers"} (or
AuthenticatedUsers, or s3/LogDelivery); its Permission is FULL_CONTROL,
READ, WRITE (buckets), READ_ACP or WRITE_ACP. Without an Owner the current
owner is kept. A document from aws s3api get-object-acl or get-bucket-acl
is valid input, and acl get's output is valid input for put-object-acl
--access-control-policy. Many S3-compatible servers (MinIO among them)
accept only the owner's FULL_CONTROL.`,
		Args: argsRange(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runACL(cmd.Context(), o, args)
		},
	}
	cmd.Flags().StringVar(&o.VersionID, "version-id", "", "the ACL of this version of the object")
	addRawFlag(cmd.Flags(), &o.Raw)
	return cmd
}

type aclMsg struct{ objstore.ACL }

func (m aclMsg) JSON() any { return m.ACL }
func (m aclMsg) String() string {
	b, _ := json.MarshalIndent(m.ACL, "", "  ")
	return string(b)
}

// aclTarget parses the URL of acl and tag: a bucket or one object.
func aclTarget(arg string, raw bool, versionID string) (objstore.URL, error) {
	u, err := parseURL(arg, raw)
	if err != nil {
		return u, err
	}
	if u.HasWildcard() {
		return u, usageError("%s: name one object (--raw for a key with a *)", arg)
	}
	if u.IsPrefix() && u.Key != "" {
		return u, usageError("%s names a prefix: give an object key or the bucket", arg)
	}
	if versionID != "" && u.Key == "" {
		return u, usageError("--version-id goes with an object, not a bucket")
	}
	u.VersionID = versionID
	return u, nil
}

func (a *app) runACL(ctx context.Context, o aclOptions, args []string) error {
	action := args[0]
	u, err := aclTarget(args[1], o.Raw, o.VersionID)
	if err != nil {
		return err
	}
	var acl *objstore.ACL
	var canned string
	switch {
	case action == "get" && len(args) == 2:
	case action == "set" && len(args) == 3:
		if objstore.CheckCannedACL(args[2]) == nil {
			canned = args[2]
			break
		}
		if !strings.HasPrefix(args[2], "-") && !strings.ContainsAny(args[2], "./\\") && !fileExists(args[2]) {
			return objstore.CheckCannedACL(args[2])
		}
		data, err := a.readDoc(args[2])
		if err != nil {
			return err
		}
		p, err := objstore.ParseACL(data)
		if err != nil {
			return withDocSource(err, args[2])
		}
		acl = &p
	case action == "set":
		return usageError("acl set needs a canned ACL, a FILE or - (standard input)")
	default:
		return usageError("acl: use get s3://BUCKET[/KEY] or set s3://BUCKET[/KEY] CANNED|FILE|-")
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	target := u.String()
	switch {
	case action == "get":
		got, err := store.GetACL(ctx, u)
		if err != nil {
			return err
		}
		a.out.Print(aclMsg{got})
		return nil
	case canned != "":
		err = store.PutCannedACL(ctx, u, canned)
	default:
		err = store.PutACL(ctx, u, *acl)
	}
	if err != nil {
		return err
	}
	what := "grants"
	if canned != "" {
		what = canned
	}
	a.out.Info(textMsg{text: fmt.Sprintf("set the ACL of %s (%s)", displayName(target), what),
		fields: map[string]string{"op": "acl_set", "url": target, "acl": what}})
	return nil
}

type tagOptions struct {
	VersionID string
	Raw       bool
}

func (a *app) newTagCommand() *cobra.Command {
	var o tagOptions
	cmd := &cobra.Command{
		Use:   "tag get|set|delete s3://BUCKET/KEY [k=v&k2=v2 | FILE | -]",
		Short: "Show, replace or remove an object's tags",
		Long: `Show, replace or remove an object's tags (bucket tags: s3sso bucket tags).

  s3sso tag get s3://b/key
  s3sso tag set s3://b/key 'project=blue&owner=ann'   replaces all tags
  s3sso tag set s3://b/key tags.json                   {"TagSet": [{"Key": "project", "Value": "blue"}]}
  s3sso tag delete s3://b/key

get prints {"TagSet": [...]} as aws s3api get-object-tagging does, which is
valid input for set and for aws s3api put-object-tagging --tagging. At most
10 tags; keys up to 128 characters, values up to 256.`,
		Args: argsRange(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTag(cmd.Context(), o, args)
		},
	}
	cmd.Flags().StringVar(&o.VersionID, "version-id", "", "the tags of this version of the object")
	addRawFlag(cmd.Flags(), &o.Raw)
	return cmd
}

type tagsMsg struct {
	TagSet []objstore.Tag `json:"TagSet"`
}

func (m tagsMsg) JSON() any { return m }
func (m tagsMsg) String() string {
	b, _ := json.MarshalIndent(m, "", "  ")
	return string(b)
}

func (a *app) runTag(ctx context.Context, o tagOptions, args []string) error {
	action := args[0]
	u, err := aclTarget(args[1], o.Raw, o.VersionID)
	if err != nil {
		return err
	}
	if u.Key == "" {
		return usageError("tag works on objects; for a bucket's tags use s3sso bucket tags s3://%s", u.Bucket)
	}
	var tags []objstore.Tag
	switch {
	case (action == "get" || action == "delete") && len(args) == 2:
	case action == "set" && len(args) == 3:
		if tags, err = a.parseTagsArg(args[2]); err != nil {
			return err
		}
	default:
		return usageError("tag: use get|delete s3://BUCKET/KEY or set s3://BUCKET/KEY k=v&k2=v2|FILE|-")
	}
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	switch action {
	case "get":
		got, err := store.ObjectTags(ctx, u.Bucket, u.Key, u.VersionID)
		if err != nil {
			return err
		}
		a.out.Print(tagsMsg{got})
		return nil
	case "delete":
		err = store.DeleteObjectTags(ctx, u.Bucket, u.Key, u.VersionID)
	default:
		err = store.PutObjectTags(ctx, u.Bucket, u.Key, u.VersionID, tags)
	}
	if err != nil {
		return err
	}
	a.out.Info(textMsg{text: fmt.Sprintf("%s the tags of %s", map[string]string{"set": "set", "delete": "deleted"}[action], displayName(u.String())),
		fields: map[string]string{"op": "tag_" + action, "url": u.String()}})
	return nil
}

// parseTagsArg reads tags given as k=v&k2=v2, or as a {"TagSet": [...]}
// document in a file or on standard input.
func (a *app) parseTagsArg(arg string) ([]objstore.Tag, error) {
	if arg != "-" && !fileExists(strings.TrimPrefix(arg, "file://")) {
		return objstore.ParseTags(arg)
	}
	data, err := a.readDoc(arg)
	if err != nil {
		return nil, err
	}
	tags, err := objstore.ParseTagSet(data)
	if err != nil {
		return nil, withDocSource(err, arg)
	}
	return tags, nil
}

func (a *app) newRestoreVersionCommand() *cobra.Command {
	var versionID string
	var raw bool
	cmd := &cobra.Command{
		Use:   "restore-version s3://BUCKET/KEY --version-id V",
		Short: "Make an older version of an object the current one (a server-side copy on top)",
		Long: `Make an older version of an object the current one: the version is copied on
the server (no bytes pass through s3sso, objects above 5 GiB in parts) on
top of the object, keeping its metadata and tags. The versions in between
stay. List versions with s3sso ls --versions.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := parseURL(args[0], raw)
			if err != nil {
				return err
			}
			if err := oneObject("restore-version", u); err != nil {
				return err
			}
			if versionID == "" {
				return usageError("restore-version needs --version-id (see s3sso ls --versions)")
			}
			store, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			nv, err := store.RestoreVersion(cmd.Context(), u.Bucket, u.Key, versionID)
			if err != nil {
				return err
			}
			a.out.Info(textMsg{text: fmt.Sprintf("restored %s version %s (new version %s)", displayName(u.String()), versionID, nv),
				fields: map[string]string{"op": "restore_version", "url": u.String(), "version_id": versionID, "new_version_id": nv}})
			return nil
		},
	}
	cmd.Flags().StringVar(&versionID, "version-id", "", "the version to restore")
	addRawFlag(cmd.Flags(), &raw)
	return cmd
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
