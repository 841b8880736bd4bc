package creds

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awsconfig "github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
)

// Resolve resolves the profile, region, credential source and endpoints the
// AWS CLI's way (internal/config), for the --profile and --region in opts.
// A configuration the CLI refuses is a fault.Config error (fault.NotFound
// for a missing profile) naming the file, line and fix.
func Resolve(opts Options) (*awsconfig.Resolution, error) {
	res, err := awsconfig.Resolve(awsconfig.Input{Profile: opts.Profile, Region: opts.Region})
	if err != nil {
		return res, resolveFault(err)
	}
	return res, nil
}

func resolveFault(err error) error {
	var re *awsconfig.ResolveError
	if !errors.As(err, &re) {
		return fault.Wrap(fault.Config, err, "")
	}
	kind := fault.Config
	if re.Kind == awsconfig.ErrProfileNotFound {
		kind = fault.NotFound
	}
	return &fault.Error{Kind: kind, Msg: re.Error(), Hint: re.Hint}
}

// buildable reports whether s3sso builds the provider for c itself (every
// source but the container and instance metadata, which the SDK's chain
// fetches).
func buildable(c *awsconfig.Credentials) bool {
	if c == nil {
		return false
	}
	switch c.Method {
	case "container-role", "iam-role":
		return false
	case "assume-role":
		// An instance-metadata source is built here too; a container source
		// leaves the whole chain to the SDK.
		return c.Source != nil && (buildable(c.Source) || c.Source.Method == "iam-role")
	}
	return true
}

// provider builds the credentials provider for a resolved source; cfg is
// the loaded configuration (HTTP client, region, logger). Sources the SDK
// fetches itself (container, instance metadata) as a role's source come
// from the SDK's chain in base.
func provider(ctx context.Context, cfg aws.Config, c *awsconfig.Credentials, base aws.CredentialsProvider) aws.CredentialsProvider {
	switch c.Method {
	case "env", "shared-credentials-file", "config-file":
		return credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey(), c.SessionToken())
	case "custom-process":
		timeout, err := ProcessTimeout()
		if err != nil {
			return failingProvider{err}
		}
		return NewProcessProvider(ctx, c.Profile, c.Process, timeout)
	case "sso":
		s := c.SSO
		key := s.StartURL
		if s.Session != nil {
			key = *s.Session
		}
		path, err := ssocreds.StandardCachedTokenFilepath(key)
		if err != nil {
			return failingProvider{err}
		}
		ssoCfg := cfg.Copy()
		ssoCfg.Region = s.Region
		ssoCfg.Credentials = aws.AnonymousCredentials{}
		return ssocreds.New(sso.NewFromConfig(ssoCfg), s.AccountID, s.RoleName, s.StartURL, func(o *ssocreds.Options) {
			o.CachedTokenFilepath = path
			if s.Session != nil {
				o.SSOTokenProvider = ssocreds.NewSSOTokenProvider(ssooidc.NewFromConfig(ssoCfg), path)
			}
		})
	case "assume-role-with-web-identity":
		stsCfg := cfg.Copy()
		stsCfg.Credentials = aws.AnonymousCredentials{}
		return stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(stsCfg), c.RoleARN, stscreds.IdentityTokenFile(c.WebIdentityTokenFile),
			func(o *stscreds.WebIdentityRoleOptions) {
				if c.RoleSessionName != "" {
					o.RoleSessionName = c.RoleSessionName
				}
			})
	case "assume-role":
		var src aws.CredentialsProvider = ec2rolecreds.New()
		if buildable(c.Source) {
			src = provider(ctx, cfg, c.Source, base)
		}
		stsCfg := cfg.Copy()
		stsCfg.Credentials = aws.NewCredentialsCache(src)
		return stscreds.NewAssumeRoleProvider(sts.NewFromConfig(stsCfg), c.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if c.RoleSessionName != "" {
				o.RoleSessionName = c.RoleSessionName
			}
			if c.ExternalID != "" {
				o.ExternalID = aws.String(c.ExternalID)
			}
			if c.MFASerial != "" {
				o.SerialNumber = aws.String(c.MFASerial)
				o.TokenProvider = stscreds.StdinTokenProvider
			}
			if c.DurationSeconds != nil {
				o.Duration = time.Duration(*c.DurationSeconds) * time.Second
			}
		})
	}
	return base
}

// endsInProcess reports whether the credentials come from a
// credential_process, directly or at the end of a role chain.
func endsInProcess(c *awsconfig.Credentials) bool {
	for ; c != nil; c = c.Source {
		if c.Method == "custom-process" {
			return true
		}
	}
	return false
}

type failingProvider struct{ err error }

func (p failingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, p.err
}

// resolvedEndpoints hands the service clients the endpoints resolved the
// AWS CLI's way (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, [services],
// endpoint_url). It goes first in aws.Config.ConfigSources, so it wins over
// the SDK's own reading of the files.
type resolvedEndpoints map[string]string

// GetServiceBaseEndpoint implements the SDK's ServiceBaseEndpointProvider.
func (e resolvedEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	key := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(sdkID))
	v, ok := e[key]
	return v, ok && v != "", nil
}
