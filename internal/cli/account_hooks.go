package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3sso/s3sso/internal/fault"
)

// accountSettings is what a saved account (`s3sso account`, --account NAME)
// contributes to every S3 command: credentials and connection settings.
type accountSettings struct {
	// Credentials signs requests; nil means: use Profile's credential chain.
	Credentials aws.CredentialsProvider
	Profile     string // an AWS config profile (accounts of type profile)
	EndpointURL string
	Region      string
	PathStyle   bool
	DualStack   bool
}

// loginOptions are the flags of `s3sso login` shared by every sign-in kind.
type loginOptions struct {
	UseDeviceCode bool
	NoBrowser     bool
	RedirectPort  int
}

// accountConfig resolves a saved account for S3 commands.
//
// It is replaced when the accounts store lands (federation and accounts
// issues); until then no account can exist.
func (a *app) accountConfig(_ context.Context, name string) (accountSettings, error) {
	return accountSettings{}, fault.New(fault.NotFound, "account "+quote(name)+" not found",
		"saved accounts are not available in this build; use --profile")
}

func quote(s string) string { return "\"" + s + "\"" }

// loginAccount signs in to a saved account (`s3sso login --account NAME`).
// Replaced by the accounts implementation.
func (a *app) loginAccount(_ context.Context, name string, _ loginOptions) error {
	_, err := a.accountConfig(context.Background(), name)
	return err
}

// logoutAccount forgets a saved account's cached tokens.
// Replaced by the accounts implementation.
func (a *app) logoutAccount(_ context.Context, name string) error {
	_, err := a.accountConfig(context.Background(), name)
	return err
}

// whoamiAccount describes a saved account's identity and token state.
// Replaced by the accounts implementation.
func (a *app) whoamiAccount(_ context.Context, name string) error {
	_, err := a.accountConfig(context.Background(), name)
	return err
}
