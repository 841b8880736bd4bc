package objstore

import (
	"fmt"
	"net/textproto"
	"path"
	"slices"
	"strings"

	"github.com/s3sso/s3sso/internal/fault"
)

// HeaderRule sets default HTTP headers on uploads whose key matches
// Pattern (S3 Browser's "automatically apply HTTP headers"): a glob
// (path.Match: * and ? do not cross "/", [a-z] classes) matched against
// the key's last element when the pattern has no "/" ("*.css"), else
// against the whole key ("assets/*.js").
type HeaderRule struct {
	Pattern string `json:"pattern"`
	// Headers maps a header name (Cache-Control, Content-Type,
	// Content-Disposition, Content-Encoding, Content-Language, Expires, or
	// x-amz-meta-NAME for user metadata) to its value.
	Headers map[string]string `json:"headers"`
}

// RuleHeaders are the headers a rule may set (besides x-amz-meta-*).
var RuleHeaders = []string{"Cache-Control", "Content-Type", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// CanonicalRuleHeader returns the canonical spelling of a header a rule
// may set, or an error naming the ones it may.
func CanonicalRuleHeader(name string) (string, error) {
	c := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
	if slices.Contains(RuleHeaders, c) {
		return c, nil
	}
	if meta, ok := strings.CutPrefix(strings.ToLower(c), "x-amz-meta-"); ok && meta != "" {
		return "x-amz-meta-" + meta, nil
	}
	return "", fault.New(fault.Usage, fmt.Sprintf("header %q cannot be set by a rule; use %s or x-amz-meta-NAME", name, strings.Join(RuleHeaders, ", ")), "")
}

// Validate checks the pattern and the headers.
func (r HeaderRule) Validate() error {
	if r.Pattern == "" {
		return fault.New(fault.Usage, "a header rule needs a pattern such as *.css", "")
	}
	if _, err := path.Match(r.Pattern, ""); err != nil {
		return fault.New(fault.Usage, fmt.Sprintf("header rule pattern %q: %v", r.Pattern, err), "")
	}
	for k := range r.Headers {
		if c, err := CanonicalRuleHeader(k); err != nil {
			return err
		} else if c != k {
			return fault.New(fault.Usage, fmt.Sprintf("header rule %q: write the header as %s", r.Pattern, c), "")
		}
	}
	return nil
}

// Matches reports whether the rule applies to key.
func (r HeaderRule) Matches(key string) bool {
	name := key
	if !strings.Contains(r.Pattern, "/") {
		name = BaseName(key)
	}
	ok, _ := path.Match(r.Pattern, name)
	return ok
}

// ParseHeaderRule parses PATTERN:Header=Value (for example
// "*.css:Cache-Control=max-age=86400"). The pattern ends at the first ':'.
func ParseHeaderRule(s string) (pattern, header, value string, err error) {
	pattern, hv, ok := strings.Cut(s, ":")
	h, v, ok2 := strings.Cut(hv, "=")
	if !ok || !ok2 || pattern == "" || strings.TrimSpace(h) == "" {
		return "", "", "", fault.New(fault.Usage, fmt.Sprintf("header rule %q: write PATTERN:Header=Value, e.g. '*.css:Cache-Control=max-age=86400'", s), "")
	}
	if header, err = CanonicalRuleHeader(h); err != nil {
		return "", "", "", err
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return "", "", "", fault.New(fault.Usage, fmt.Sprintf("header rule pattern %q: %v", pattern, err), "")
	}
	return pattern, header, v, nil
}

// SetRuleHeader adds (or replaces) one header of the rule with the
// pattern, adding the rule at the end when there is none.
func SetRuleHeader(rules []HeaderRule, pattern, header, value string) []HeaderRule {
	for i := range rules {
		if rules[i].Pattern == pattern {
			if rules[i].Headers == nil {
				rules[i].Headers = map[string]string{}
			}
			rules[i].Headers[header] = value
			return rules
		}
	}
	return append(rules, HeaderRule{Pattern: pattern, Headers: map[string]string{header: value}})
}

// RemoveRule removes the rule with the pattern, or only its header when
// header is not empty (and the rule when none is left). It reports whether
// anything was removed.
func RemoveRule(rules []HeaderRule, pattern, header string) ([]HeaderRule, bool) {
	for i := range rules {
		if rules[i].Pattern != pattern {
			continue
		}
		if header != "" {
			if _, ok := rules[i].Headers[header]; !ok {
				return rules, false
			}
			delete(rules[i].Headers, header)
			if len(rules[i].Headers) > 0 {
				return rules, true
			}
		}
		return slices.Delete(rules, i, i+1), true
	}
	return rules, false
}

// RuleDefaults returns the headers the rules give key: those of every
// matching rule, a later rule's value winning over an earlier one's.
func RuleDefaults(rules []HeaderRule, key string) map[string]string {
	var out map[string]string
	for _, r := range rules {
		if !r.Matches(key) {
			continue
		}
		for k, v := range r.Headers {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
