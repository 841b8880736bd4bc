package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"
)

type presignOptions struct {
	Expires     time.Duration
	Method      string
	ContentType string
	Raw         bool
	VersionID   string
}

// maxPresign is SigV4's limit for presigned URLs.
const maxPresign = 7 * 24 * time.Hour

func (a *app) newPresignCommand() *cobra.Command {
	var o presignOptions
	cmd := &cobra.Command{
		Use:   "presign s3://BUCKET/KEY",
		Short: "Print a presigned URL to download (GET) or upload (PUT) an object without credentials",
		Long: `Print a presigned URL.

  s3sso presign s3://bucket/report.pdf --expires 1h
  s3sso presign s3://bucket/upload.bin --method PUT --expires 15m
      then: curl -T file 'URL'

A URL signed with temporary credentials (SSO, web identity, assumed roles)
stops working when those credentials expire, whatever --expires says; s3sso
warns when that happens before the requested expiry.

The URL carries the access key ID (X-Amz-Credential) and the signature, never
the secret key. Made with temporary credentials, it also carries their session
token (X-Amz-Security-Token), by design: S3 needs it to check the signature.
Whoever holds the URL can do what it allows until it expires: share it like a
password.

The key is taken as written (?, [, ], # and the rest are part of it), except
that * is a wildcard, which presign refuses: pass --raw for a key with a *.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runPresign(cmd.Context(), o, args[0])
		},
	}
	cmd.Flags().DurationVar(&o.Expires, "expires", time.Hour, "how long the URL is valid (max 168h)")
	cmd.Flags().StringVar(&o.Method, "method", "GET", "GET to download, PUT to upload")
	cmd.Flags().StringVar(&o.ContentType, "content-type", "", "Content-Type the uploader must send (PUT)")
	cmd.Flags().StringVar(&o.VersionID, "version-id", "", "presign a GET of this version of the object")
	addRawFlag(cmd.Flags(), &o.Raw)
	return cmd
}

type presignMsg struct {
	URL       string    `json:"url"`
	Method    string    `json:"method"`
	Expires   time.Time `json:"expires"`
	CredsEnd  time.Time `json:"credentials_expire,omitzero"`
	Effective time.Time `json:"effective_expiry"`
}

func (m presignMsg) String() string { return m.URL }
func (m presignMsg) JSON() any      { return m }

func (a *app) runPresign(ctx context.Context, o presignOptions, arg string) error {
	u, err := parseURL(arg, o.Raw)
	if err != nil {
		return err
	}
	if err := oneObject("presign", u); err != nil {
		return err
	}
	if o.Expires <= 0 || o.Expires > maxPresign {
		return usageError("--expires must be between 1s and 168h (7 days), got %s", o.Expires)
	}
	method := strings.ToUpper(o.Method)
	store, err := a.store(ctx)
	if err != nil {
		return err
	}
	cfg := store.Config()
	if cfg.Credentials == nil {
		return usageError("presign needs credentials")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return store.Translate("presign", u.String(), fmt.Errorf("get identity: get credentials: %w", err))
	}
	now := time.Now()
	msg := presignMsg{Method: method, Expires: now.Add(o.Expires).UTC().Truncate(time.Second)}
	msg.Effective = msg.Expires
	if c.CanExpire && c.Expires.Before(msg.Expires) {
		msg.CredsEnd = c.Expires.UTC().Truncate(time.Second)
		msg.Effective = msg.CredsEnd
		a.out.Warn("the URL stops working at %s (in %s), when the temporary credentials that sign it expire, not after --expires %s",
			msg.CredsEnd.Format(time.RFC3339), time.Until(c.Expires).Round(time.Minute), o.Expires)
	}
	if o.VersionID != "" && method != "GET" {
		return usageError("--version-id goes with --method GET")
	}
	// A URL cannot follow a redirect: sign it for the bucket's region
	// (remembered, or asked with HeadBucket; without an answer, the
	// configured one).
	if _, err := store.BucketRegion(ctx, u.Bucket); err != nil {
		a.logger.Debug("presign: bucket region unknown, signing for the configured region", "bucket", u.Bucket, "error", err)
	}
	ps := s3.NewPresignClient(store.Client(), s3.WithPresignExpires(o.Expires), func(po *s3.PresignOptions) {
		// A presigned GET must not ask for checksum mode: plain clients
		// (browsers, curl) would have to send the header too.
		po.ClientOptions = append(po.ClientOptions, func(so *s3.Options) {
			so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	})
	switch method {
	case "GET":
		u.VersionID = o.VersionID
		if msg.URL, err = store.PresignGet(ctx, u, o.Expires); err != nil {
			return err
		}
	case "PUT":
		in := &s3.PutObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key)}
		if o.ContentType != "" {
			in.ContentType = aws.String(o.ContentType)
		}
		req, err := ps.PresignPutObject(ctx, in)
		if err != nil {
			return store.Translate("presign", u.String(), err)
		}
		msg.URL = req.URL
	default:
		return usageError("--method must be GET or PUT, not %q", o.Method)
	}
	a.out.Print(msg)
	return nil
}
