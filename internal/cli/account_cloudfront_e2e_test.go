package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/s3sso/s3sso/internal/testenv"
)

// TestAccountCloudFrontMarks: with --check-cloudfront, `s3sso ls` marks the
// buckets that are origins of a distribution (moto_server serves S3 and
// CloudFront); a denied ListDistributions is one warning, not a failure.
func TestAccountCloudFrontMarks(t *testing.T) {
	testenv.Home(t)
	moto := testenv.StartMoto(t)
	env := []string{"S3SSO_KEYRING=off", "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL_CLOUDFRONT=" + moto}
	must := func(stdin string, args ...string) testenv.Result {
		t.Helper()
		r := testenv.Run(t, env, stdin, args...)
		if r.Code != 0 {
			t.Fatalf("s3sso %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	must("testing\n", "account", "add", "moto", "--type", "keys", "--access-key-id", "testing", "--secret-access-key", "-",
		"--endpoint-url", moto, "--region", "us-east-1", "--check-cloudfront")
	must("", "mb", "s3://media", "--account", "moto")
	must("", "mb", "s3://plain", "--account", "moto")

	cf := cloudfront.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: awshttp.NewBuildableClient(),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")},
		func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(moto) })
	out, err := cf.CreateDistribution(t.Context(), &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("ref1"), Comment: aws.String("media"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{Id: aws.String("s3"),
			DomainName: aws.String("media.s3.amazonaws.com"), S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")}, // Managed-CachingOptimized
	}})
	if err != nil {
		t.Fatalf("create a distribution: %v", err)
	}
	domain := aws.ToString(out.Distribution.DomainName)

	ls := must("", "ls", "--account", "moto")
	var mediaLine, plainLine string
	for _, l := range strings.Split(ls.Stdout, "\n") {
		switch {
		case strings.Contains(l, " media"):
			mediaLine = l
		case strings.Contains(l, " plain"):
			plainLine = l
		}
	}
	if !strings.Contains(mediaLine, "[CloudFront "+domain+"]") || plainLine == "" || strings.Contains(plainLine, "CloudFront") {
		t.Errorf("CloudFront marks:\n%s", ls)
	}
	js := must("", "ls", "--account", "moto", "--json")
	marked := 0
	for _, l := range strings.Split(strings.TrimSpace(js.Stdout), "\n") {
		var b struct {
			Name       string `json:"name"`
			CloudFront []struct {
				ID     string `json:"id"`
				Domain string `json:"domain"`
			} `json:"cloudfront"`
		}
		if err := json.Unmarshal([]byte(l), &b); err != nil {
			t.Fatal(err)
		}
		if len(b.CloudFront) > 0 {
			marked++
			if b.Name != "media" || b.CloudFront[0].Domain != domain || b.CloudFront[0].ID == "" {
				t.Errorf("json: %s", l)
			}
		}
	}
	if marked != 1 {
		t.Errorf("%d buckets marked in --json:\n%s", marked, js.Stdout)
	}

	// AccessDenied from CloudFront: one warning, the buckets still listed.
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	}))
	defer deny.Close()
	r := testenv.Run(t, append(env, "AWS_ENDPOINT_URL_CLOUDFRONT="+deny.URL), "", "ls", "--account", "moto")
	if r.Code != 0 || !strings.Contains(r.Stdout, "media") || strings.Count(r.Stderr, "warning") != 1 ||
		!strings.Contains(r.Stderr, "--check-cloudfront=false") {
		t.Errorf("denied ListDistributions: %s", r)
	}
	// Turned off: no CloudFront call at all.
	must("", "account", "edit", "moto", "--check-cloudfront=false")
	if r := testenv.Run(t, append(env, "AWS_ENDPOINT_URL_CLOUDFRONT="+deny.URL), "", "ls", "--account", "moto"); r.Code != 0 || r.Stderr != "" {
		t.Errorf("check-cloudfront off: %s", r)
	}
}
