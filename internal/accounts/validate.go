package accounts

import (
	"net/url"
	"sort"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// The checks below are the ones a front end makes on a person's input
// before Validate (which checks a whole account): the CLI's flags and the
// web UI's account dialog share them, and both name fields by the CLI's
// flag names ("--issuer").

// CheckURLs checks that each non-empty value of urls (keyed by the field's
// flag name, "--issuer") is an http(s) URL with a host.
func CheckURLs(urls map[string]string) error {
	names := make([]string, 0, len(urls))
	for n := range urls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, flag := range names {
		v := urls[flag]
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fault.Newf(fault.Usage, "%s %q is not an http(s) URL", flag, v)
		}
	}
	return nil
}

// CheckRoleARN checks an oidc account's role ARN ("" is allowed: none is
// sent, for MinIO's claim-based policies).
func CheckRoleARN(arn string) error {
	if arn != "" && (!strings.HasPrefix(arn, "arn:") || len(arn) < 20) {
		return fault.Newf(fault.Usage, "--role-arn %q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME or arn:minio:iam:::role/ID)", arn)
	}
	return nil
}

// CheckName checks a new account's name.
func CheckName(name string) error {
	if !ValidName(name) {
		return fault.Newf(fault.Usage, "invalid account name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// CheckType checks a new account's type.
func CheckType(t string) error {
	switch Type(t) {
	case TypeSSO, TypeProfile, TypeOIDC, TypeKeys:
		return nil
	case "":
		return fault.Newf(fault.Usage, "account add: --type is required (supported: sso, profile, oidc, keys)")
	}
	return fault.Newf(fault.Usage, "account add: unsupported --type %q (supported: sso, profile, oidc, keys)", t)
}

// AddExternalBuckets normalises entries and adds the new ones to list.
func AddExternalBuckets(list []string, entries []string) ([]string, error) {
	for _, e := range entries {
		n, err := NormalizeExternalBucket(e)
		if err != nil {
			return list, fault.Newf(fault.Usage, "--external-bucket: %v", err)
		}
		dup := false
		for _, v := range list {
			dup = dup || v == n
		}
		if !dup {
			list = append(list, n)
		}
	}
	return list, nil
}
