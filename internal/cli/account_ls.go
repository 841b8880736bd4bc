package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// accountBucketMsg is a bucket in `s3sso ls` for a saved account: a bucket
// of ListBuckets or an external bucket, with the CloudFront distributions
// that serve it when the account checks them.
type accountBucketMsg struct {
	Name       string                  `json:"name"`
	Created    time.Time               `json:"created,omitzero"`
	Region     string                  `json:"region,omitempty"`
	External   bool                    `json:"external,omitempty"`
	Path       string                  `json:"path,omitempty"`
	CloudFront []objstore.Distribution `json:"cloudfront,omitempty"`
}

func (m accountBucketMsg) String() string {
	when := strings.Repeat(" ", 19)
	if !m.Created.IsZero() {
		when = m.Created.UTC().Format("2006-01-02 15:04:05")
	}
	s := when + " " + m.Name
	if m.Path != "" {
		s += "/" + m.Path
	}
	if m.External {
		s += "  (external)"
	}
	for _, d := range m.CloudFront {
		s += "  [CloudFront " + d.DomainName + "]"
	}
	return s
}

func (m accountBucketMsg) JSON() any {
	return struct {
		Type string `json:"type"`
		accountBucketMsg
	}{"bucket", m}
}

// lsAccountBuckets lists the buckets of the account in use: ListBuckets
// unless the account turned it off, then its external buckets, marked with
// their CloudFront distributions when the account checks them.
func (a *app) lsAccountBuckets(ctx context.Context, store *objstore.S3) error {
	acct := a.acct
	var out []accountBucketMsg
	index := map[string]int{}
	if acct.ListAllBuckets {
		buckets, err := store.ListBuckets(ctx)
		if err != nil {
			if fault.Classify(err) == fault.AccessDenied {
				return fault.WithHint(err, fmt.Sprintf("account %s may not list all buckets: turn that off with "+
					"`s3sso account edit %s --list-all-buckets=false` and add the buckets it can use with "+
					"`s3sso account edit %s --external-bucket BUCKET[/PATH]`", acct.Name, acct.Name, acct.Name))
			}
			return err
		}
		for _, b := range buckets {
			index[b.Name] = len(out)
			out = append(out, accountBucketMsg{Name: b.Name, Created: b.Created, Region: b.Region})
		}
	}
	for _, e := range acct.ExternalBuckets {
		bucket, path, err := accounts.ParseExternalBucket(e)
		if err != nil {
			a.printer().Warn("account %s: %v", acct.Name, err)
			continue
		}
		if i, ok := index[bucket]; ok && path == "" {
			continue // already listed
		} else if ok {
			out[i].Path = strings.TrimSuffix(path, "/")
			continue
		}
		index[bucket] = len(out)
		out = append(out, accountBucketMsg{Name: bucket, External: true, Path: strings.TrimSuffix(path, "/")})
	}
	if len(out) == 0 && !acct.ListAllBuckets {
		a.printer().Warn("account %s does not list all buckets and has no external buckets; add one with `s3sso account edit %s --external-bucket BUCKET[/PATH]`",
			acct.Name, acct.Name)
	}
	if acct.CheckCloudFront && len(out) > 0 {
		origins, err := objstore.CloudFrontOrigins(ctx, store.Config(), objstore.CloudFrontOptions{})
		switch {
		case errors.Is(err, objstore.ErrCloudFrontDenied):
			a.printer().Warn("account %s may not list CloudFront distributions (cloudfront:ListDistributions denied); buckets are shown without CloudFront marks. Turn the check off with `s3sso account edit %s --check-cloudfront=false`",
				acct.Name, acct.Name)
		case err != nil:
			a.printer().Warn("account %s: %v; buckets are shown without CloudFront marks", acct.Name, err)
		default:
			for i := range out {
				out[i].CloudFront = origins[out[i].Name]
			}
		}
	}
	for _, m := range out {
		a.printer().Print(m)
	}
	return nil
}

// externalBucketStart starts `ls s3://BUCKET` at the path of the account's
// external bucket entry BUCKET/PATH.
func (a *app) externalBucketStart(u objstore.URL) objstore.URL {
	if a.acct == nil || u.Key != "" {
		return u
	}
	for _, e := range a.acct.ExternalBuckets {
		if b, p, err := accounts.ParseExternalBucket(e); err == nil && b == u.Bucket && p != "" {
			u.Key = p
			return u
		}
	}
	return u
}
