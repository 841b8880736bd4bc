package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/fault"
)

type credentialsOptions struct {
	Format string
}

func (a *app) newCredentialsCommand() *cobra.Command {
	var o credentialsOptions
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Print temporary credentials for other tools",
		Long: `Print the temporary credentials of the profile (or --account) in effect, so
that other tools can use the sign-in:

  --format env       export AWS_ACCESS_KEY_ID=... lines for a shell (eval "$(...)")
  --format process   the credential_process JSON (Version 1), for
                     credential_process = s3sso credentials --profile P --format process
  --format json      the same fields without Version

The output contains secrets: it is meant for a pipe or eval, not a screen.`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCredentials(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "process", "output format: env, process or json")
	return cmd
}

func (a *app) runCredentials(ctx context.Context, o credentialsOptions) error {
	switch o.Format {
	case "env", "process", "json":
	default:
		return usageError("--format must be env, process or json, not %q", o.Format)
	}
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return err
	}
	if cfg.Credentials == nil {
		return fault.New(fault.Auth, "no credentials configured", "run `s3sso login --profile P` or choose a profile with --profile")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	w := a.stdio.Out
	switch o.Format {
	case "env":
		fmt.Fprintf(w, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n", quoteArg(c.AccessKeyID), quoteArg(c.SecretAccessKey))
		if c.SessionToken != "" {
			fmt.Fprintf(w, "export AWS_SESSION_TOKEN=%s\n", quoteArg(c.SessionToken))
		}
		if c.CanExpire {
			fmt.Fprintf(w, "export AWS_CREDENTIAL_EXPIRATION=%s\n", c.Expires.UTC().Format(time.RFC3339))
		}
	default:
		out := map[string]any{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey}
		if o.Format == "process" {
			out["Version"] = 1
		}
		if c.SessionToken != "" {
			out["SessionToken"] = c.SessionToken
		}
		if c.CanExpire {
			out["Expiration"] = c.Expires.UTC().Format(time.RFC3339)
		}
		if c.AccountID != "" {
			out["AccountId"] = c.AccountID
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
	}
	return nil
}
