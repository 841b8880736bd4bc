// Package creds resolves AWS configuration and credentials the way the AWS
// CLI and SDKs do: it delegates to aws-sdk-go-v2's shared config loader
// (environment, ~/.aws/config, ~/.aws/credentials, role_arn +
// source_profile, web_identity_token_file, SSO) instead of re-implementing
// it, and adds what s3sso needs on top: an HTTP client that works with
// AWS_CA_BUNDLE, an slog-backed SDK logger, a way to plug in s3sso's own
// sign-in providers, source_profile loop detection, and its own runner for
// credential_process (ProcessProvider), which bounds the helper's time and
// output and never echoes what it printed.
package creds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	awsconfig "github.com/s3sso/s3sso/internal/config"
	"github.com/s3sso/s3sso/internal/fault"
)

// DefaultRegion is used when neither flags, environment nor profile name a
// region. S3-compatible servers ignore it; AWS redirects are handled by S3.
const DefaultRegion = "us-east-1"

// Options select the profile and overrides for Load.
type Options struct {
	Profile  string // --profile; empty means AWS_PROFILE or default
	Region   string // --region; empty means environment or profile
	Logger   *slog.Logger
	Debug    bool // log SDK requests and retries
	MaxConns int  // idle connections kept per host; 0 picks a default

	// Credentials, when set, replaces the SDK's credential chain (s3sso's
	// own sign-in methods plug in here).
	Credentials aws.CredentialsProvider
	// CABundle is the AWS_CA_BUNDLE in effect (EnvCABundle), passed to the
	// SDK explicitly; nil trusts the system's roots.
	CABundle *CABundle
}

// Load resolves the AWS configuration. Errors name the profile and carry a
// fault kind (a missing profile is fault.NotFound, a source_profile loop
// fault.Config).
//
// The profile, region, credential source and endpoints are resolved by
// s3sso's own reader of the shared files (Resolve), which follows the AWS
// CLI; the SDK is handed the results. Its loader still reads the files for
// the settings s3sso does not resolve (retries, dual-stack, checksums).
//
// When the profile's credentials come from a credential_process (its own or
// at the end of its source_profile chain), s3sso runs the helper itself
// with a ProcessProvider; ctx bounds those runs, so pass the command's
// context (which Ctrl-C cancels).
func Load(ctx context.Context, opts Options) (aws.Config, error) {
	res, err := Resolve(opts)
	if err != nil {
		return aws.Config{}, err
	}
	var plan processPlan
	useProcess := false
	if opts.Credentials == nil && endsInProcess(res.Credentials) {
		plan, useProcess = planProcess(ctx, awsconfig.ProfileName(opts.Profile))
	}
	var process aws.CredentialsProvider
	if useProcess {
		timeout, err := ProcessTimeout()
		if err != nil {
			return aws.Config{}, err
		}
		process = NewProcessCredentials(NewProcessProvider(ctx, plan.Profile, plan.Command, timeout))
		opts.Credentials = process
	}
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		// Sized to the transfer engine: 32 objects in flight, or a few
		// large objects with 8 parts each, all on kept-alive connections.
		maxConns = 256
	}
	// The SDK can only apply a CA bundle to a client it can rebuild, so the
	// client must be a BuildableClient (see infra.md). The bundle itself is
	// applied by NewHTTPClient, on the first TLS connection.
	httpClient := NewHTTPClient(maxConns, opts.CABundle)

	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithLogger(SlogLogger(opts.Logger)),
	}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	region := res.RegionName()
	if region == "" {
		region = DefaultRegion
	}
	loadOpts = append(loadOpts, config.WithRegion(region),
		config.WithSharedConfigFiles([]string{res.ConfigPath}),
		config.WithSharedCredentialsFiles([]string{res.CredentialsPath}))
	own := opts.Credentials == nil && buildable(res.Credentials)
	if own {
		// Replaced below; the SDK's chain must not read the files.
		loadOpts = append(loadOpts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	if opts.Debug {
		loadOpts = append(loadOpts, config.WithClientLogMode(aws.LogRetries|aws.LogRequest|aws.LogResponse))
	}
	if opts.Credentials != nil {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(opts.Credentials))
	}
	if opts.CABundle.lazy() {
		// Handed a bundle explicitly, the SDK's config loader neither reads
		// AWS_CA_BUNDLE (a missing file must not matter to a plain-HTTP
		// endpoint) nor parses a few hundred certificates up front; the
		// environment is left alone (see placeholderRoot).
		loadOpts = append(loadOpts, config.WithCustomCABundle(strings.NewReader(placeholderRoot)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil && (own || opts.Credentials != nil) {
		// The AWS CLI accepts the files (Resolve did), the SDK's loader does
		// not (a quoted profile name, a key combination it rejects): the
		// settings only it reads keep their defaults.
		SlogLogger(opts.Logger).Logf(logging.Debug, "the SDK cannot read the shared config files; its own settings keep their defaults: %v", err)
		cfg, err = config.LoadDefaultConfig(ctx, append(loadOpts, config.WithSharedConfigProfile(""),
			config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))...)
	}
	if err != nil {
		return aws.Config{}, classifyLoadError(opts.Profile, err)
	}
	if own {
		cfg.Credentials = aws.NewCredentialsCache(provider(ctx, cfg, res.Credentials, nil))
	}
	if useProcess && len(plan.Roles) > 0 {
		cfg.Credentials = plan.assumeRoles(cfg, process)
	}
	cfg.ConfigSources = append([]any{resolvedEndpoints(res.Endpoints)}, cfg.ConfigSources...)
	return cfg, nil
}

func classifyLoadError(profile string, err error) error {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		name := missing.Profile
		if name == "" {
			name = profile
		}
		return &fault.Error{
			Kind: fault.NotFound,
			Msg:  fmt.Sprintf("profile %q not found in %s", name, configFileName()),
			Hint: "check the name with `aws configure list-profiles` (or in the file), or unset AWS_PROFILE",
		}
	}
	var noSource config.SharedConfigAssumeRoleError
	if errors.As(err, &noSource) && noSource.Err == nil {
		return &fault.Error{Kind: fault.Config,
			Msg:  fmt.Sprintf("load AWS configuration: profile %s, the source_profile of role %s, has no credentials", noSource.Profile, noSource.RoleARN),
			Hint: "give the source profile credentials (static keys, credential_process, sso_session or web_identity_token_file), or point source_profile at one that has them"}
	}
	return &fault.Error{Kind: fault.Config, Msg: "load AWS configuration", Err: err,
		Hint: "check ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)"}
}

func configFileName() string {
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedConfigFilename()
}

// SlogLogger adapts an slog.Logger to the SDK's logger interface. SDK
// warnings are logged at debug level: they are diagnostics, not results.
func SlogLogger(l *slog.Logger) logging.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		l.Debug(Scrub(fmt.Sprintf(format, v...)), "source", "aws-sdk", "class", string(c))
	})
}

// Explain describes where the credentials came from, without secrets.
func Explain(ctx context.Context, cfg aws.Config) (Description, error) {
	if cfg.Credentials == nil {
		return Description{}, fault.New(fault.Auth, "no credentials configured",
			"set a profile with --profile, run `s3sso login`, or set AWS_ACCESS_KEY_ID")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return Description{}, err
	}
	d := Description{Source: c.Source, AccessKeyID: RedactKey(c.AccessKeyID), CanExpire: c.CanExpire, Temporary: c.SessionToken != ""}
	if c.CanExpire {
		d.Expires = c.Expires
	}
	return d, nil
}

// Description is what Explain reports.
type Description struct {
	Source      string    `json:"source"`
	AccessKeyID string    `json:"access_key_id"`
	Temporary   bool      `json:"temporary"`
	CanExpire   bool      `json:"can_expire"`
	Expires     time.Time `json:"expires,omitzero"`
}

// RedactKey shows only the last four characters of an access key ID.
func RedactKey(k string) string {
	if len(k) <= 4 {
		return "****"
	}
	return "****" + k[len(k)-4:]
}
