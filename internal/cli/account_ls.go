package cli

import (
	"context"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/objstore"
	"github.com/s3sso/s3sso/internal/session"
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

// lsAccountBuckets prints the buckets of the account in use
// (session.Session.Buckets).
func (a *app) lsAccountBuckets(ctx context.Context, _ *objstore.S3) error {
	s, err := a.session(ctx)
	if err != nil {
		return err
	}
	l, err := s.Buckets(ctx)
	if err != nil {
		return err
	}
	name := l.Account
	for _, p := range l.Problems {
		switch p.Kind {
		case session.ProblemBadExternalBucket:
			a.printer().Warn("account %s: %v", name, p.Err)
		case session.ProblemNoBuckets:
			a.printer().Warn("account %s does not list all buckets and has no external buckets; add one with `s3sso account edit %s --external-bucket BUCKET[/PATH]`",
				name, name)
		case session.ProblemCloudFrontDenied:
			a.printer().Warn("account %s may not list CloudFront distributions (cloudfront:ListDistributions denied); buckets are shown without CloudFront marks. Turn the check off with `s3sso account edit %s --check-cloudfront=false`",
				name, name)
		case session.ProblemCloudFront:
			a.printer().Warn("account %s: %v; buckets are shown without CloudFront marks", name, p.Err)
		}
	}
	for _, b := range l.Buckets {
		a.printer().Print(accountBucketMsg{Name: b.Name, Created: b.Created, Region: b.Region, External: b.External, Path: b.Path, CloudFront: b.CloudFront})
	}
	return nil
}

// externalBucketStart starts `ls s3://BUCKET` at the path of the account's
// external bucket entry BUCKET/PATH.
func (a *app) externalBucketStart(u objstore.URL) objstore.URL {
	if a.cur == nil {
		return u
	}
	return a.cur.ExternalBucketStart(u)
}
