package objstore

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/testenv"
)

func TestBucketOfOrigin(t *testing.T) {
	for domain, want := range map[string]string{
		"media.s3.amazonaws.com":                             "media",
		"media.s3.eu-west-1.amazonaws.com":                   "media",
		"my.bucket.s3-eu-west-1.amazonaws.com":               "my.bucket",
		"site.s3-website-us-east-1.amazonaws.com":            "site",
		"site.s3-website.eu-central-1.amazonaws.com":         "site",
		"logs.s3-x.s3.amazonaws.com":                         "logs.s3-x",
		"b.s3.dualstack.us-east-1.amazonaws.com":             "b",
		"cn-bucket.s3.cn-north-1.amazonaws.com.cn":           "cn-bucket",
		"MEDIA.S3.AMAZONAWS.COM.":                            "media",
		"example.com":                                        "",
		"api.example.com.s3.example.org":                     "",
		"myalb-123.us-east-1.elb.amazonaws.com":              "",
		"s3.amazonaws.com":                                   "",
		"d111111abcdef8.cloudfront.net":                      "",
		"mediastore.data.mediastore.us-east-1.amazonaws.com": "",
	} {
		got, ok := BucketOfOrigin(domain)
		if got != want || ok != (want != "") {
			t.Errorf("BucketOfOrigin(%q) = %q, %v; want %q", domain, got, ok, want)
		}
	}
}

func motoConfig() aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		HTTPClient: awshttp.NewBuildableClient()}
}

// CreateMotoDistribution creates a distribution with the given origin
// domains on moto and returns its domain name.
func createMotoDistribution(t *testing.T, endpoint string, origins ...string) string {
	t.Helper()
	cf := cloudfront.NewFromConfig(motoConfig(), func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var items []cftypes.Origin
	for i, d := range origins {
		o := cftypes.Origin{Id: aws.String(fmt.Sprintf("o%d", i)), DomainName: aws.String(d)}
		if strings.Contains(d, ".s3.") {
			o.S3OriginConfig = &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}
		} else { // website endpoints and other servers are custom origins
			o.CustomOriginConfig = &cftypes.CustomOriginConfig{HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443),
				OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpOnly}
		}
		items = append(items, o)
	}
	out, err := cf.CreateDistribution(t.Context(), &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(fmt.Sprint(time.Now().UnixNano())), Comment: aws.String("test"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(int32(len(items))), Items: items},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("o0"),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")}, // Managed-CachingOptimized
	}})
	if err != nil {
		t.Fatalf("create a distribution on moto: %v", err)
	}
	return aws.ToString(out.Distribution.DomainName)
}

// TestCloudFrontOriginsMoto lists distributions on moto_server (a real
// ListDistributions implementation, SigV4-signed for cloudfront).
func TestCloudFrontOriginsMoto(t *testing.T) {
	ep := testenv.StartMoto(t)
	got, err := CloudFrontOrigins(t.Context(), motoConfig(), CloudFrontOptions{EndpointURL: ep})
	if err != nil || len(got) != 0 {
		t.Fatalf("no distributions: %v %v", got, err)
	}
	d1 := createMotoDistribution(t, ep, "media.s3.amazonaws.com", "example.com")
	d2 := createMotoDistribution(t, ep, "site.s3-website-eu-west-1.amazonaws.com", "media.s3.eu-west-1.amazonaws.com")
	got, err = CloudFrontOrigins(t.Context(), motoConfig(), CloudFrontOptions{EndpointURL: ep})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got["media"]) != 2 || len(got["site"]) != 1 || got["site"][0].DomainName != d2 {
		t.Fatalf("origins: %+v", got)
	}
	domains := map[string]bool{got["media"][0].DomainName: true, got["media"][1].DomainName: true}
	if !domains[d1] || !domains[d2] || got["site"][0].ID == "" {
		t.Errorf("media is served by %v, want %s and %s", domains, d1, d2)
	}
}

// TestCloudFrontOriginsDenied: an AccessDenied answer is a typed error the
// CLI turns into one warning.
func TestCloudFrontOriginsDenied(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: cloudfront:ListDistributions</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	}))
	defer srv.Close()
	_, err := CloudFrontOrigins(t.Context(), motoConfig(), CloudFrontOptions{EndpointURL: srv.URL})
	if !errors.Is(err, ErrCloudFrontDenied) || fault.KindOf(err) != fault.AccessDenied {
		t.Fatalf("err = %v", err)
	}
}
