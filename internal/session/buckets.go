package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/accounts"
	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/objstore"
)

// Bucket is a bucket of a saved account's listing: one of ListBuckets or
// an external bucket, with the CloudFront distributions that serve it when
// the account checks them.
type Bucket struct {
	Name       string
	Created    time.Time
	Region     string
	External   bool
	Path       string // the external bucket entry's path
	CloudFront []objstore.Distribution
}

// Bucket listing problems that do not stop it (BucketList.Problems).
const (
	ProblemBadExternalBucket = "bad-external-bucket" // Err says why
	ProblemNoBuckets         = "no-buckets"          // not listing all, no external buckets
	ProblemCloudFrontDenied  = "cloudfront-denied"   // cloudfront:ListDistributions denied
	ProblemCloudFront        = "cloudfront"          // Err says why
)

// BucketProblem is something a listing could not do.
type BucketProblem struct {
	Kind string
	Err  error
}

// BucketList is a saved account's bucket listing.
type BucketList struct {
	Account  string
	Buckets  []Bucket
	Problems []BucketProblem
}

// ListAllDeniedError means an account may not list all buckets; the front
// end says how to turn that off and add the buckets it can use.
type ListAllDeniedError struct {
	Account string
	Err     error
}

func (e *ListAllDeniedError) Error() string { return e.Err.Error() }
func (e *ListAllDeniedError) Unwrap() error { return e.Err }

// Buckets lists the buckets of a saved account's session: ListBuckets
// unless the account turned it off, then its external buckets, marked with
// their CloudFront distributions when the account checks them.
func (s *Session) Buckets(ctx context.Context) (BucketList, error) {
	acct := s.Account
	if acct == nil {
		return BucketList{}, fault.Newf(fault.Usage, "%s is not a saved account", s.Ref)
	}
	store, err := s.Store()
	if err != nil {
		return BucketList{}, err
	}
	l := BucketList{Account: acct.Name}
	index := map[string]int{}
	if acct.ListAllBuckets {
		buckets, err := store.ListBuckets(ctx)
		if err != nil {
			if fault.Classify(err) == fault.AccessDenied {
				return BucketList{}, &fault.Error{Kind: fault.AccessDenied, Err: &ListAllDeniedError{Account: acct.Name, Err: err}}
			}
			return BucketList{}, err
		}
		for _, b := range buckets {
			index[b.Name] = len(l.Buckets)
			l.Buckets = append(l.Buckets, Bucket{Name: b.Name, Created: b.Created, Region: b.Region})
		}
	}
	for _, e := range acct.ExternalBuckets {
		bucket, path, err := accounts.ParseExternalBucket(e)
		if err != nil {
			l.Problems = append(l.Problems, BucketProblem{Kind: ProblemBadExternalBucket, Err: err})
			continue
		}
		if i, ok := index[bucket]; ok && path == "" {
			continue // already listed
		} else if ok {
			l.Buckets[i].Path = strings.TrimSuffix(path, "/")
			continue
		}
		index[bucket] = len(l.Buckets)
		l.Buckets = append(l.Buckets, Bucket{Name: bucket, External: true, Path: strings.TrimSuffix(path, "/")})
	}
	if len(l.Buckets) == 0 && !acct.ListAllBuckets {
		l.Problems = append(l.Problems, BucketProblem{Kind: ProblemNoBuckets})
	}
	if acct.CheckCloudFront && len(l.Buckets) > 0 {
		origins, err := objstore.CloudFrontOrigins(ctx, store.Config(), objstore.CloudFrontOptions{})
		switch {
		case errors.Is(err, objstore.ErrCloudFrontDenied):
			l.Problems = append(l.Problems, BucketProblem{Kind: ProblemCloudFrontDenied, Err: err})
		case err != nil:
			l.Problems = append(l.Problems, BucketProblem{Kind: ProblemCloudFront, Err: err})
		default:
			for i := range l.Buckets {
				l.Buckets[i].CloudFront = origins[l.Buckets[i].Name]
			}
		}
	}
	return l, nil
}

// ExternalBucketStart starts a listing of s3://BUCKET at the path of the
// account's external bucket entry BUCKET/PATH.
func (s *Session) ExternalBucketStart(u objstore.URL) objstore.URL {
	if s.Account == nil || u.Key != "" {
		return u
	}
	for _, e := range s.Account.ExternalBuckets {
		if b, p, err := accounts.ParseExternalBucket(e); err == nil && b == u.Bucket && p != "" {
			u.Key = p
			return u
		}
	}
	return u
}
