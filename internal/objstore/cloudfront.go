package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3sso/s3sso/internal/fault"
)

// Distribution is a CloudFront distribution that serves a bucket.
type Distribution struct {
	ID         string `json:"id"`
	DomainName string `json:"domain"`
}

// CloudFrontOptions configure CloudFrontOrigins.
type CloudFrontOptions struct {
	// EndpointURL overrides the CloudFront endpoint (AWS_ENDPOINT_URL_CLOUDFRONT
	// and the profile's services section are honoured without it).
	EndpointURL string
}

// ErrCloudFrontDenied matches the error of CloudFrontOrigins when the
// caller may not call cloudfront:ListDistributions.
var ErrCloudFrontDenied = errors.New("cloudfront:ListDistributions denied")

// CloudFrontOrigins calls cloudfront:ListDistributions (all pages) and
// returns, for each S3 bucket that is an origin of a distribution, the
// distributions that serve it. A denied call is a fault.AccessDenied error
// matching ErrCloudFrontDenied.
func CloudFrontOrigins(ctx context.Context, cfg aws.Config, o CloudFrontOptions) (map[string][]Distribution, error) {
	client := cloudfront.NewFromConfig(cfg, func(co *cloudfront.Options) {
		// CloudFront is global; its API lives in us-east-1.
		co.Region = "us-east-1"
		if o.EndpointURL != "" {
			co.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	out := map[string][]Distribution{}
	p := cloudfront.NewListDistributionsPaginator(client, &cloudfront.ListDistributionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, cloudFrontError(err)
		}
		if page.DistributionList == nil {
			break
		}
		for _, d := range page.DistributionList.Items {
			dist := Distribution{ID: aws.ToString(d.Id), DomainName: aws.ToString(d.DomainName)}
			origins := d.Origins
			if origins == nil {
				// AWS always sends the origins in the summary; servers that
				// leave them out (moto) have them in GetDistributionConfig.
				cfg, err := client.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Id})
				if err != nil {
					return nil, cloudFrontError(err)
				}
				if cfg.DistributionConfig == nil || cfg.DistributionConfig.Origins == nil {
					continue
				}
				origins = cfg.DistributionConfig.Origins
			}
			seen := map[string]bool{}
			for _, origin := range origins.Items {
				b, ok := BucketOfOrigin(aws.ToString(origin.DomainName))
				if ok && !seen[b] {
					seen[b] = true
					out[b] = append(out[b], dist)
				}
			}
		}
	}
	return out, nil
}

func cloudFrontError(err error) error {
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	denied := errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException")
	if !denied && errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden {
		denied = true
	}
	if denied {
		return &fault.Error{Kind: fault.AccessDenied, Msg: "list CloudFront distributions",
			Err: fmt.Errorf("%w: %w", ErrCloudFrontDenied, err)}
	}
	return fmt.Errorf("list CloudFront distributions: %w", err)
}

// BucketOfOrigin returns the bucket an S3 origin domain names:
// BUCKET.s3.amazonaws.com, BUCKET.s3.REGION.amazonaws.com,
// BUCKET.s3-REGION.amazonaws.com, BUCKET.s3-website-REGION.amazonaws.com,
// BUCKET.s3-website.REGION.amazonaws.com, BUCKET.s3.dualstack.REGION...
// (and the .amazonaws.com.cn forms). Other origins report false.
func BucketOfOrigin(domain string) (string, bool) {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	if !strings.HasSuffix(d, ".amazonaws.com") && !strings.HasSuffix(d, ".amazonaws.com.cn") {
		return "", false
	}
	// The bucket ends at the last ".s3." or ".s3-" (bucket names may
	// contain either).
	best := max(strings.LastIndex(d, ".s3."), strings.LastIndex(d, ".s3-"))
	if best <= 0 {
		return "", false
	}
	return d[:best], true
}
