package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/session"
)

// newDebugCommand is the hidden `s3sso debug` group.
func (a *app) newDebugCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "debug", Short: "Diagnostics", Hidden: true}
	cmd.AddCommand(&cobra.Command{
		Use:   "resolve",
		Short: "Print the profile, region, credential source and endpoints the AWS CLI would use",
		Long: `resolve prints what s3sso resolved from the environment, the flags,
~/.aws/config and ~/.aws/credentials, the AWS CLI's way (see docs/config.md),
without any network call: credentials are described, not fetched, and a
secret key appears only as a digest.`,
		Args: argsRange(0, 0),
		RunE: func(*cobra.Command, []string) error {
			res, err := session.Resolve(a.ref(), session.Overrides{Region: a.opts.Region})
			if err != nil {
				return err
			}
			b, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				return fmt.Errorf("encode resolution: %w", err)
			}
			fmt.Fprintf(a.stdio.Out, "%s\n", b)
			return nil
		},
	})
	return cmd
}
