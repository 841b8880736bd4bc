package creds

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// processPlan is how credentials come from a credential_process: the
// helper's profile and command, and the roles assumed on top of its
// credentials, innermost first.
type processPlan struct {
	Profile string
	Command string
	Roles   []*config.SharedConfig
}

// planProcess reports whether the SDK would get the profile's credentials
// from a credential_process (the profile's own, or the one at the end of
// its source_profile chain), reading the files exactly as the SDK does.
// Chains with mfa_serial are left to the SDK (which refuses them: s3sso
// sets no MFA token provider).
func planProcess(ctx context.Context, profile string) (processPlan, bool) {
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = []string{configFileName()}
		o.CredentialsFiles = []string{credentialsFileName()}
	})
	if err != nil {
		return processPlan{}, false // the SDK reports it
	}
	var chain []*config.SharedConfig // top first
	cur := &sc
	for cur.Source != nil {
		chain = append(chain, cur)
		cur = cur.Source
	}
	// The SDK's order of credential sources in a profile
	// (resolveCredsFromProfile): credential_process comes last.
	if cur.Credentials.HasKeys() || cur.CredentialSource != "" || cur.WebIdentityTokenFile != "" ||
		cur.SSOSessionName != "" || cur.SSORegion != "" || cur.SSOAccountID != "" || cur.SSOStartURL != "" || cur.SSORoleName != "" ||
		cur.LoginSession != "" || cur.CredentialProcess == "" {
		return processPlan{}, false
	}
	plan := processPlan{Profile: cur.Profile, Command: cur.CredentialProcess}
	if cur.RoleARN != "" {
		plan.Roles = append(plan.Roles, cur)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if chain[i].RoleARN != "" {
			plan.Roles = append(plan.Roles, chain[i])
		}
	}
	for _, r := range plan.Roles {
		if r.MFASerial != "" {
			return processPlan{}, false
		}
	}
	return plan, true
}

// assumeRoles wraps base in the plan's AssumeRole calls, as the SDK's
// credsFromAssumeRole does: every STS client is built from cfg (the
// selected profile's region and endpoints) with the credentials of the
// level below.
func (plan processPlan) assumeRoles(cfg aws.Config, base aws.CredentialsProvider) aws.CredentialsProvider {
	prov := base
	for _, r := range plan.Roles {
		c := cfg.Copy()
		c.Credentials = prov
		r := r
		ar := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(c), r.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = r.RoleSessionName
			if r.RoleDurationSeconds != nil && *r.RoleDurationSeconds/time.Minute > 15 {
				o.Duration = *r.RoleDurationSeconds
			}
			if r.ExternalID != "" {
				o.ExternalID = aws.String(r.ExternalID)
			}
		})
		prov = aws.NewCredentialsCache(ar, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = processExpiryWindow })
	}
	return prov
}

func credentialsFileName() string {
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedCredentialsFilename()
}
