package ssotest

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// MinIOCredentials mints role credentials that are valid on a MinIO server:
// it calls MinIO's STS AssumeRole signed with the root keys, for duration
// (at least 15 minutes; 0 means an hour). The account and role only name
// the session.
func MinIOCredentials(endpoint, accessKey, secretKey string, duration time.Duration) CredentialsFunc {
	if duration < 15*time.Minute {
		duration = time.Hour
	}
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		HTTPClient:   awshttp.NewBuildableClient(),
	})
	return func(ctx context.Context, account, role string) (RoleCredentials, error) {
		out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String("arn:aws:iam::" + account + ":role/" + role),
			RoleSessionName: aws.String("s3sso-emu-" + role),
			DurationSeconds: aws.Int32(int32(duration.Seconds())),
		})
		if err != nil {
			return RoleCredentials{}, fmt.Errorf("MinIO AssumeRole: %w", err)
		}
		c := out.Credentials
		return RoleCredentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken: aws.ToString(c.SessionToken), Expiration: aws.ToTime(c.Expiration)}, nil
	}
}
