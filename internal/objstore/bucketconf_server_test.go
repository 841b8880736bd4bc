package objstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

// sameJSON reports whether two JSON documents hold the same values.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%v in %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

// roundTrip sets a document, reads it back and compares, then deletes it
// (unless it is versioning) and checks that it is gone.
func roundTrip(t *testing.T, s *S3, bucket string, st Setting, doc string) {
	t.Helper()
	ctx := t.Context()
	if err := s.PutSetting(ctx, bucket, st, []byte(doc)); err != nil {
		t.Fatalf("%s: put: %v", st, err)
	}
	got, err := s.GetSetting(ctx, bucket, st)
	if err != nil {
		t.Fatalf("%s: get: %v", st, err)
	}
	want, err := CheckSetting(st, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, got, want) {
		t.Fatalf("%s: read back\n%s\nwant\n%s", st, got, want)
	}
	if st == SettingVersioning {
		return
	}
	if err := s.DeleteSetting(ctx, bucket, st); err != nil {
		t.Fatalf("%s: delete: %v", st, err)
	}
	if got, err := s.GetSetting(ctx, bucket, st); err != nil || got != nil {
		t.Fatalf("%s: after delete: %s, %v", st, got, err)
	}
	// Deleting what is not set is no error.
	if err := s.DeleteSetting(ctx, bucket, st); err != nil {
		t.Fatalf("%s: second delete: %v", st, err)
	}
}

// TestBucketSettingsMinIO round-trips versioning, policy, lifecycle, tags
// and default encryption (SSE-KMS with MinIO's static key, and SSE-S3)
// through MinIO, and reads the overview with object lock.
func TestBucketSettingsMinIO(t *testing.T) {
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{KMS: true})
	cfg := aws.Config{Region: m.Region, Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
		HTTPClient: awshttp.NewBuildableClient()}
	s, err := NewS3(cfg, S3Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	b := m.NewBucket(t)
	ctx := t.Context()

	for _, st := range Settings() {
		if got, err := s.GetSetting(ctx, b, st); err != nil || got != nil {
			t.Fatalf("%s of a new bucket: %s, %v", st, got, err)
		}
	}
	roundTrip(t, s, b, SettingVersioning, `{"Status": "Enabled"}`)
	roundTrip(t, s, b, SettingVersioning, `{"Status": "Suspended"}`)
	roundTrip(t, s, b, SettingPolicy, `{"Version": "2012-10-17", "Statement": [{"Sid": "read", "Effect": "Allow", "Principal": {"AWS": ["*"]},
		"Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::`+b+`/public/*"]}]}`)
	roundTrip(t, s, b, SettingLifecycle, `{"Rules": [
		{"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
		{"ID": "old-versions", "Status": "Enabled", "Filter": {"Prefix": ""}, "NoncurrentVersionExpiration": {"NoncurrentDays": 7}},
		{"ID": "archive", "Status": "Disabled", "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "keep", "Value": "no"}]}}, "Expiration": {"Days": 2}}]}`)
	roundTrip(t, s, b, SettingTags, `{"TagSet": [{"Key": "team", "Value": "storage"}, {"Key": "cost-center", "Value": "42"}]}`)
	roundTrip(t, s, b, SettingEncryption, `{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "`+m.KMSKeyID+`"}}]}`)
	roundTrip(t, s, b, SettingEncryption, `{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}`)

	if err := s.DeleteSetting(ctx, b, SettingVersioning); err == nil || !strings.Contains(err.Error(), "suspended") {
		t.Fatalf("delete versioning: %v", err)
	}

	// The overview, with settings in place.
	for st, doc := range map[Setting]string{
		SettingVersioning: `{"Status": "Enabled"}`,
		SettingLifecycle:  `{"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]}`,
		SettingTags:       `{"TagSet": [{"Key": "a", "Value": "b"}]}`,
		SettingEncryption: `{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "` + m.KMSKeyID + `"}}]}`,
		SettingPolicy:     `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::` + b + `/*"}]}`,
	} {
		if err := s.PutSetting(ctx, b, st, []byte(doc)); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	info, err := s.BucketInfo(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if info.Versioning != "Enabled" || info.LifecycleRules != 1 || len(info.Tags) != 1 || info.Encryption != "aws:kms" ||
		!strings.HasSuffix(info.KMSKeyID, m.KMSKeyID) || !info.Policy || info.ObjectLock || info.Region == "" {
		t.Fatalf("bucket info = %+v", info)
	}

	// A bucket made with object lock, and a default retention.
	lb := "objlock-" + strings.ToLower(strings.ReplaceAll(t.Name(), "Test", ""))
	c := m.Client(t)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(lb), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(lb)}) })
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(lb), ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(3)}}}})
	if err != nil {
		t.Fatal(err)
	}
	info, err = s.BucketInfo(ctx, lb)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ObjectLock || info.ObjectLockMode != "GOVERNANCE" || info.ObjectLockDays != 3 || info.Versioning != "Enabled" {
		t.Fatalf("object lock bucket info = %+v", info)
	}
	if _, err := s.BucketInfo(ctx, "no-such-bucket-here"); !IsNotFound(err) {
		t.Fatalf("info of a missing bucket: %v", err)
	}
}

// motoStore returns a store on a fresh moto_server and a bucket there.
func motoStore(t *testing.T) (*S3, *s3.Client, string) {
	t.Helper()
	ep := testenv.StartMoto(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		HTTPClient: awshttp.NewBuildableClient()}
	s, err := NewS3(cfg, S3Options{EndpointURL: ep})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MakeBucket(t.Context(), "acl-bucket"); err != nil {
		t.Fatal(err)
	}
	return s, s.Client(), "acl-bucket"
}

// TestCORSAndACLMoto round-trips CORS (which MinIO does not implement) and
// ACLs with explicit grants (MinIO answers every ACL with the owner's
// FULL_CONTROL) through moto.
func TestCORSAndACLMoto(t *testing.T) {
	s, c, b := motoStore(t)
	ctx := t.Context()
	roundTrip(t, s, b, SettingCORS, `{"CORSRules": [{"ID": "web", "AllowedOrigins": ["https://example.com"], "AllowedMethods": ["GET", "PUT"],
		"AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]}`)
	// Lifecycle rules MinIO refuses without a remote tier (transitions) or
	// on their own (abort incomplete multipart uploads).
	roundTrip(t, s, b, SettingLifecycle, `{"Rules": [
		{"ID": "archive", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
		 "NoncurrentVersionTransitions": [{"NoncurrentDays": 10, "StorageClass": "STANDARD_IA"}]},
		{"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}`)

	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []URL{{Bucket: b}, {Bucket: b, Key: "k"}} {
		acl, err := s.GetACL(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if acl.Owner == nil || acl.Owner.ID == "" || len(acl.Grants) != 1 || acl.Grants[0].Permission != "FULL_CONTROL" {
			t.Fatalf("%s: default ACL = %+v", u, acl)
		}
		owner := acl.Owner.ID
		want := ACL{Grants: []Grant{
			{Grantee: Grantee{Type: "CanonicalUser", ID: owner}, Permission: "FULL_CONTROL"},
			{Grantee: Grantee{Type: "Group", URI: GroupAllUsers}, Permission: "READ"},
			{Grantee: Grantee{Type: "CanonicalUser", ID: strings.Repeat("ab", 32)}, Permission: "READ_ACP"},
		}}
		if err := s.PutACL(ctx, u, want); err != nil { // no owner: the current one is kept
			t.Fatal(err)
		}
		got, err := s.GetACL(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner == nil || got.Owner.ID != owner || len(got.Grants) != 3 {
			t.Fatalf("%s: ACL after set = %+v", u, got)
		}
		for i, g := range want.Grants {
			if got.Grants[i].Permission != g.Permission || got.Grants[i].Grantee.Type != g.Grantee.Type ||
				got.Grants[i].Grantee.URI != g.Grantee.URI || got.Grants[i].Grantee.ID != g.Grantee.ID {
				t.Errorf("%s: grant %d = %+v, want %+v", u, i, got.Grants[i], g)
			}
		}
		if err := s.PutCannedACL(ctx, u, "private"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetACL(ctx, u); len(got.Grants) != 1 {
			t.Fatalf("%s: after private: %+v", u, got)
		}
		if err := s.PutCannedACL(ctx, u, "public-read"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetACL(ctx, u)
		if len(got.Grants) != 2 || got.Grants[1].Grantee.URI != GroupAllUsers || got.Grants[1].Permission != "READ" {
			t.Fatalf("%s: after public-read: %+v", u, got)
		}
	}
	if err := s.PutCannedACL(ctx, URL{Bucket: b}, "world-readable"); err == nil || !strings.Contains(err.Error(), "public-read") {
		t.Fatalf("unknown canned ACL: %v", err)
	}
}
