package ssotest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3sso/s3sso/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestMinIOCredentials: role credentials minted by the emulator work on
// MinIO.
func TestMinIOCredentials(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	rc, err := MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0)(t.Context(), "111122223333", "ReadOnly")
	if err != nil {
		t.Fatal(err)
	}
	if rc.SessionToken == "" || time.Until(rc.Expiration) < 50*time.Minute {
		t.Fatalf("credentials %+v", rc.Expiration)
	}
	client := s3.New(s3.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(rc.AccessKeyID, rc.SecretAccessKey, rc.SessionToken)})
	if _, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("list with emulator credentials: %v", err)
	}
}
