package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/ui"
)

type uiOptions struct {
	Port      int
	NoBrowser bool
}

func (a *app) newUICommand() *cobra.Command {
	var o uiOptions
	cmd := &cobra.Command{
		Use:   "ui [--account A] [--port N] [--no-browser]",
		Short: "Open the web app: browse, upload, download and share, with sign-in in the page",
		Long: `Serve s3sso's web app on 127.0.0.1 and open it in the browser ($BROWSER is
honoured; the address is printed as well). It stops on Ctrl-C.

The address carries a one-time token, exchanged for a session cookie when the
page opens: open it once, in the browser that should use the app. Every S3
and sign-in call is made by this process; credentials never reach the page.
Sign-ins made in the page land in the same caches as "s3sso login" and the
AWS CLI's.

  s3sso ui
  s3sso ui --account work --port 8765 --no-browser`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runUI(cmd.Context(), o)
		},
	}
	cmd.Flags().IntVar(&o.Port, "port", 0, "port on 127.0.0.1 to listen on (default: a free one)")
	cmd.Flags().BoolVar(&o.NoBrowser, "no-browser", false, "print the address only; do not open a browser")
	return cmd
}

func (a *app) runUI(ctx context.Context, o uiOptions) error {
	if o.Port < 0 || o.Port > 65535 {
		return usageError("--port must be between 0 and 65535, got %d", o.Port)
	}
	account := a.opts.Account
	if account == "" && a.opts.Profile != "" {
		account = "profile:" + a.opts.Profile
	}
	srv, err := ui.New(ui.Options{Logger: a.logger, Account: account})
	if err != nil {
		return err
	}
	if err := srv.Listen(o.Port); err != nil {
		return err
	}
	url := srv.URL()
	fmt.Fprintf(a.stdio.Err, "s3sso ui: open %s\n(the address works once; press Ctrl-C to stop)\n", url)
	if !o.NoBrowser {
		if err := authflow.OpenBrowser(ctx, url); err != nil {
			a.out.Warn("could not open a browser (%v): open the address above", err)
		}
	}
	return srv.Serve(ctx)
}
