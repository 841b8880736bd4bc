package objstore

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// BucketInfo is an overview of a bucket's settings. A setting the server
// does not implement or the caller may not read is left out and named in
// Unavailable with the reason.
type BucketInfo struct {
	Bucket            string            `json:"bucket"`
	Region            string            `json:"region,omitempty"`
	Versioning        string            `json:"versioning"` // Enabled, Suspended or "" (never enabled)
	MFADelete         string            `json:"mfa_delete,omitempty"`
	Encryption        string            `json:"encryption,omitempty"` // AES256, aws:kms, ...
	KMSKeyID          string            `json:"kms_key_id,omitempty"`
	BucketKey         bool              `json:"bucket_key,omitempty"`
	Policy            bool              `json:"policy"`
	PolicyPublic      *bool             `json:"policy_public,omitempty"`
	LifecycleRules    int               `json:"lifecycle_rules"`
	CORSRules         int               `json:"cors_rules"`
	Tags              []Tag             `json:"tags,omitempty"`
	ObjectLock        bool              `json:"object_lock"`
	ObjectLockMode    string            `json:"object_lock_mode,omitempty"`
	ObjectLockDays    int32             `json:"object_lock_days,omitempty"`
	ObjectLockYears   int32             `json:"object_lock_years,omitempty"`
	PublicAccessBlock *PublicAccess     `json:"public_access_block,omitempty"`
	Unavailable       map[string]string `json:"unavailable,omitempty"`
}

// PublicAccess is a bucket's public access block.
type PublicAccess struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// BucketInfo gathers the bucket's region and settings. Only a failure of
// the first request (the bucket is missing, access is denied to it all) is
// an error; settings that cannot be read are listed in Unavailable.
func (s *S3) BucketInfo(ctx context.Context, bucket string) (BucketInfo, error) {
	info := BucketInfo{Bucket: bucket, Unavailable: map[string]string{}}
	b := aws.String(bucket)
	target := "s3://" + bucket
	v, err := s.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	if err != nil {
		return info, s.translatePerm("get the versioning of", target, "s3:GetBucketVersioning", err)
	}
	info.Versioning, info.MFADelete = string(v.Status), string(v.MFADelete)
	if r, err := s.BucketRegion(ctx, bucket); err == nil {
		info.Region = r
	}
	skip := func(what string, err error) {
		if ctx.Err() == nil && err != nil && !isNotSet(err) {
			info.Unavailable[what] = s.Translate("get", what, err).Error()
		}
	}
	if out, err := s.client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b}); err == nil {
		if c := out.ServerSideEncryptionConfiguration; c != nil && len(c.Rules) > 0 {
			r := c.Rules[0]
			if d := r.ApplyServerSideEncryptionByDefault; d != nil {
				info.Encryption, info.KMSKeyID = string(d.SSEAlgorithm), aws.ToString(d.KMSMasterKeyID)
			}
			info.BucketKey = aws.ToBool(r.BucketKeyEnabled)
		}
	} else {
		skip("encryption", err)
	}
	if out, err := s.client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}); err == nil {
		info.Policy = aws.ToString(out.Policy) != ""
		if st, err := s.client.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b}); err == nil && st.PolicyStatus != nil {
			info.PolicyPublic = st.PolicyStatus.IsPublic
		}
	} else {
		skip("policy", err)
	}
	if out, err := s.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); err == nil {
		info.LifecycleRules = len(out.Rules)
	} else {
		skip("lifecycle", err)
	}
	if out, err := s.client.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b}); err == nil {
		info.CORSRules = len(out.CORSRules)
	} else {
		skip("cors", err)
	}
	if out, err := s.client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}); err == nil {
		info.Tags = toTags(out.TagSet)
	} else {
		skip("tags", err)
	}
	if out, err := s.client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b}); err == nil {
		if c := out.ObjectLockConfiguration; c != nil {
			info.ObjectLock = c.ObjectLockEnabled == types.ObjectLockEnabledEnabled
			if c.Rule != nil && c.Rule.DefaultRetention != nil {
				d := c.Rule.DefaultRetention
				info.ObjectLockMode, info.ObjectLockDays, info.ObjectLockYears = string(d.Mode), aws.ToInt32(d.Days), aws.ToInt32(d.Years)
			}
		}
	} else {
		skip("object lock", err)
	}
	if out, err := s.client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b}); err == nil {
		if c := out.PublicAccessBlockConfiguration; c != nil {
			info.PublicAccessBlock = &PublicAccess{BlockPublicAcls: aws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(c.IgnorePublicAcls),
				BlockPublicPolicy: aws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(c.RestrictPublicBuckets)}
		}
	} else {
		skip("public access block", err)
	}
	if err := ctx.Err(); err != nil {
		return info, s.Translate("get the settings of", target, err)
	}
	if len(info.Unavailable) == 0 {
		info.Unavailable = nil
	}
	return info, nil
}
