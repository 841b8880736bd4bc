package accounts

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// SSO holds the settings of an IAM Identity Center account (`--type sso`):
// what S3 Browser's "Amazon S3 via SSO" account asks. It needs no
// ~/.aws/config: the token is cached in the AWS CLI's legacy start-URL cache
// file (~/.aws/sso/cache/sha1(start URL).json).
type SSO struct {
	StartURL  string `json:"start_url"`
	Region    string `json:"sso_region"`
	AccountID string `json:"account_id,omitempty"` // empty: chosen from the portal at sign-in
	RoleName  string `json:"role_name,omitempty"`  // empty: chosen from the portal at sign-in

	extra map[string]json.RawMessage
}

// Profile is an account that uses an AWS config profile (`--type profile`),
// of any kind (sso-session, legacy SSO, role, keys, credential_process).
type Profile struct {
	Name string `json:"name"`

	extra map[string]json.RawMessage
}

// Keys is an access key account (`--type keys`). The secret key is never in
// the accounts file: it is in the OS keyring or a 0600 file (SecretStore).
type Keys struct {
	AccessKeyID string `json:"access_key_id"`
	// SecretStore says where the secret key is: "keyring" or "file".
	SecretStore string `json:"secret_store,omitempty"`

	extra map[string]json.RawMessage
}

// ListsAllBuckets reports the "list all my buckets" setting (default on).
func (a *Account) ListsAllBuckets() bool { return a.ListAllBuckets == nil || *a.ListAllBuckets }

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	anyRegionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	roleNameRE  = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	bucketRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ValidRegion reports whether r looks like an AWS region (us-east-1,
// us-gov-west-1, cn-north-1).
func ValidRegion(r string) bool { return regionRE.MatchString(r) }

func (a *Account) validateCommon() error {
	if a.EndpointURL != "" {
		u, err := url.Parse(a.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fault.Newf(fault.Usage, "account %q: --endpoint-url %q must be an http:// or https:// URL", a.Name, a.EndpointURL)
		}
	}
	if a.DualStack && a.EndpointURL != "" {
		return fault.Newf(fault.Usage, "account %q: --dual-stack selects AWS's dual-stack endpoints and cannot be combined with --endpoint-url", a.Name)
	}
	if a.Region != "" {
		// S3-compatible servers name their regions freely; AWS does not.
		if (a.EndpointURL == "" && !ValidRegion(a.Region)) || !anyRegionRE.MatchString(a.Region) {
			return fault.Newf(fault.Usage, "account %q: --region %q is not a region name like us-east-1", a.Name, a.Region)
		}
	}
	for _, e := range a.ExternalBuckets {
		if _, _, err := ParseExternalBucket(e); err != nil {
			return fault.Newf(fault.Usage, "account %q: %v", a.Name, err)
		}
	}
	for _, r := range a.HeaderRules {
		if err := r.Validate(); err != nil {
			return fault.Newf(fault.Usage, "account %q: %v", a.Name, err)
		}
	}
	return nil
}

func (s *SSO) validate(name string) error {
	if s.StartURL == "" {
		return fault.Newf(fault.Usage, "account %q: --start-url is required for --type sso", name)
	}
	if err := ValidStartURL(s.StartURL); err != nil {
		return fault.Newf(fault.Usage, "account %q: %v", name, err)
	}
	if s.Region == "" {
		return fault.Newf(fault.Usage, "account %q: --sso-region is required for --type sso (the region of your IAM Identity Center instance)", name)
	}
	if !ValidRegion(s.Region) {
		return fault.Newf(fault.Usage, "account %q: --sso-region %q is not a region name like us-east-1", name, s.Region)
	}
	if s.AccountID != "" && !accountIDRE.MatchString(s.AccountID) {
		return fault.Newf(fault.Usage, "account %q: --account-id %q must be 12 digits", name, s.AccountID)
	}
	if s.RoleName != "" && !roleNameRE.MatchString(s.RoleName) {
		return fault.Newf(fault.Usage, "account %q: --role-name %q is not an IAM role name", name, s.RoleName)
	}
	return nil
}

// ValidStartURL checks an IAM Identity Center start URL: an https URL with a
// host (https://d-1234567890.awsapps.com/start).
func ValidStartURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--start-url %q is not an https:// URL like https://d-1234567890.awsapps.com/start", s)
	}
	return nil
}

// ParseExternalBucket splits an external bucket entry, "bucket" or
// "bucket/optional/path" (an s3:// prefix is accepted), into the bucket and
// the path ("" or ending in "/").
func ParseExternalBucket(entry string) (bucket, path string, err error) {
	e := strings.TrimPrefix(entry, "s3://")
	bucket, path, _ = strings.Cut(e, "/")
	if !bucketRE.MatchString(bucket) || strings.Contains(bucket, "..") {
		return "", "", fmt.Errorf("external bucket %q: %q is not a bucket name (3-63 lowercase letters, digits, '.' or '-')", entry, bucket)
	}
	path = strings.TrimLeft(path, "/")
	if strings.Contains(path, "//") {
		return "", "", fmt.Errorf("external bucket %q: the path has an empty segment", entry)
	}
	if path != "" && !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return bucket, path, nil
}

// NormalizeExternalBucket returns the canonical form of an entry
// ("bucket" or "bucket/path/").
func NormalizeExternalBucket(entry string) (string, error) {
	b, p, err := ParseExternalBucket(entry)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(b+"/"+p, "/"), nil
}

// --- JSON with unknown fields preserved ---

func (s *SSO) UnmarshalJSON(b []byte) error {
	type plain SSO
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	var err error
	s.extra, err = unknownFields(b, []string{"start_url", "sso_region", "account_id", "role_name"})
	return err
}

func (s SSO) MarshalJSON() ([]byte, error) {
	type plain SSO
	return withExtra(plain(s), s.extra)
}

func (p *Profile) UnmarshalJSON(b []byte) error {
	type plain Profile
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	var err error
	p.extra, err = unknownFields(b, []string{"name"})
	return err
}

func (p Profile) MarshalJSON() ([]byte, error) {
	type plain Profile
	return withExtra(plain(p), p.extra)
}

func (k *Keys) UnmarshalJSON(b []byte) error {
	type plain Keys
	if err := json.Unmarshal(b, (*plain)(k)); err != nil {
		return err
	}
	var err error
	k.extra, err = unknownFields(b, []string{"access_key_id", "secret_store"})
	return err
}

func (k Keys) MarshalJSON() ([]byte, error) {
	type plain Keys
	return withExtra(plain(k), k.extra)
}
