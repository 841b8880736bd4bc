package objstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3sso/s3sso/internal/fault"
)

// Setting is a bucket setting that is read and written as a JSON document
// in the AWS API's shape, so that what `aws s3api get-bucket-…` prints is
// valid input here, and what GetSetting returns is valid input for
// `aws s3api put-bucket-…`.
type Setting string

// The bucket settings, with the AWS CLI commands whose JSON they share.
const (
	// {"Status": "Enabled"|"Suspended", "MFADelete": …}: get/put-bucket-versioning.
	SettingVersioning Setting = "versioning"
	// The policy document itself (put-bucket-policy --policy); the
	// {"Policy": "…"} of get-bucket-policy is accepted too.
	SettingPolicy Setting = "policy"
	// {"CORSRules": […]}: get/put-bucket-cors.
	SettingCORS Setting = "cors"
	// {"Rules": […]}: get/put-bucket-lifecycle-configuration.
	SettingLifecycle Setting = "lifecycle"
	// {"TagSet": […]}: get/put-bucket-tagging.
	SettingTags Setting = "tags"
	// {"Rules": […]} (put-bucket-encryption); the
	// {"ServerSideEncryptionConfiguration": {…}} of get-bucket-encryption
	// is accepted too.
	SettingEncryption Setting = "encryption"
)

// Settings lists the bucket settings in the order front ends show them.
func Settings() []Setting {
	return []Setting{SettingVersioning, SettingPolicy, SettingCORS, SettingLifecycle, SettingTags, SettingEncryption}
}

// ParseSetting returns the setting of a name ("versioning", "policy", ...).
func ParseSetting(name string) (Setting, error) {
	for _, s := range Settings() {
		if string(s) == name {
			return s, nil
		}
	}
	return "", fault.New(fault.Usage, fmt.Sprintf("unknown bucket setting %q", name), "")
}

// Doc names the setting's document in messages.
func (st Setting) Doc() string {
	switch st {
	case SettingVersioning:
		return "versioning configuration"
	case SettingPolicy:
		return "bucket policy"
	case SettingCORS:
		return "CORS configuration"
	case SettingLifecycle:
		return "lifecycle configuration"
	case SettingTags:
		return "bucket tags"
	case SettingEncryption:
		return "encryption configuration"
	}
	return string(st)
}

// Permission is the IAM action that reading (put false) or writing the
// setting needs, named in access-denied errors.
func (st Setting) Permission(put bool) string {
	verb := "Get"
	if put {
		verb = "Put"
	}
	switch st {
	case SettingVersioning:
		return "s3:" + verb + "BucketVersioning"
	case SettingPolicy:
		return "s3:" + verb + "BucketPolicy"
	case SettingCORS:
		return "s3:" + verb + "BucketCORS"
	case SettingLifecycle:
		return "s3:" + verb + "LifecycleConfiguration"
	case SettingTags:
		return "s3:" + verb + "BucketTagging"
	case SettingEncryption:
		return "s3:" + verb + "EncryptionConfiguration"
	}
	return ""
}

// notSetCodes are the error codes that mean a setting is not set.
var notSetCodes = []string{"NoSuchBucketPolicy", "NoSuchCORSConfiguration", "NoSuchLifecycleConfiguration", "NoSuchTagSet",
	"NoSuchTagSetError", "ServerSideEncryptionConfigurationNotFoundError", "ObjectLockConfigurationNotFoundError",
	"NoSuchPublicAccessBlockConfiguration", "NoSuchObjectLockConfiguration"}

func isNotSet(err error) bool {
	for _, c := range notSetCodes {
		if isCode(err, c) {
			return true
		}
	}
	return false
}

// translatePerm is Translate that says, on an access-denied error whose
// message does not name it already, which permission the request needed.
func (s *S3) translatePerm(op, target, perm string, err error) error {
	terr := s.Translate(op, target, err)
	if perm == "" || !isCode(err, "AccessDenied") && !isCode(err, "Forbidden") {
		return terr
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorMessage(), perm) {
		return terr // S3 said it
	}
	return fault.WithHint(terr, fmt.Sprintf("this needs the %s permission on %s", perm, target))
}

// GetSetting returns the bucket's document of the setting in the AWS API's
// JSON (indented, ending in a newline), or nil when the setting is not set.
func (s *S3) GetSetting(ctx context.Context, bucket string, st Setting) ([]byte, error) {
	b := aws.String(bucket)
	target := "s3://" + bucket
	op := "get the " + st.Doc() + " of"
	var v any
	var err error
	switch st {
	case SettingVersioning:
		var out *s3.GetBucketVersioningOutput
		if out, err = s.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b}); err == nil {
			if out.Status == "" {
				return nil, nil
			}
			v = struct {
				Status    types.BucketVersioningStatus
				MFADelete types.MFADeleteStatus
			}{out.Status, out.MFADelete}
		}
	case SettingPolicy:
		var out *s3.GetBucketPolicyOutput
		if out, err = s.client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}); err == nil {
			p := aws.ToString(out.Policy)
			if strings.TrimSpace(p) == "" {
				return nil, nil
			}
			var buf bytes.Buffer
			if json.Indent(&buf, []byte(p), "", "  ") != nil {
				return []byte(p), nil
			}
			return append(buf.Bytes(), '\n'), nil
		}
	case SettingCORS:
		var out *s3.GetBucketCorsOutput
		if out, err = s.client.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: b}); err == nil {
			v = types.CORSConfiguration{CORSRules: out.CORSRules}
		}
	case SettingLifecycle:
		var out *s3.GetBucketLifecycleConfigurationOutput
		if out, err = s.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b}); err == nil {
			v = struct{ Rules []types.LifecycleRule }{out.Rules}
		}
	case SettingTags:
		var out *s3.GetBucketTaggingOutput
		if out, err = s.client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}); err == nil {
			if len(out.TagSet) == 0 {
				return nil, nil
			}
			v = struct{ TagSet []Tag }{sortTags(toTags(out.TagSet))}
		}
	case SettingEncryption:
		var out *s3.GetBucketEncryptionOutput
		if out, err = s.client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b}); err == nil {
			if out.ServerSideEncryptionConfiguration == nil || len(out.ServerSideEncryptionConfiguration.Rules) == 0 {
				return nil, nil
			}
			v = struct {
				Rules []types.ServerSideEncryptionRule
			}{out.ServerSideEncryptionConfiguration.Rules}
		}
	default:
		return nil, fault.New(fault.Usage, fmt.Sprintf("unknown bucket setting %q", st), "")
	}
	if err != nil {
		if isNotSet(err) {
			return nil, nil
		}
		return nil, s.translatePerm(op, target, st.Permission(false), err)
	}
	out, err := encodeDoc(v)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", op, target, err)
	}
	return out, nil
}

// parsed is a validated setting document, ready to send.
type parsed struct {
	st         Setting
	versioning *types.VersioningConfiguration
	policy     string
	cors       *types.CORSConfiguration
	lifecycle  *lifecycleDoc
	tags       []Tag
	encryption *types.ServerSideEncryptionConfiguration
	normalized []byte
}

type lifecycleDoc struct {
	Rules                              []types.LifecycleRule
	TransitionDefaultMinimumObjectSize types.TransitionDefaultMinimumObjectSize
}

// CheckSetting validates a document of the setting (the JSON of the AWS
// API, as described at Setting) without sending it, and returns it in the
// form GetSetting returns (so a front end can show a diff). A malformed
// document is a fault.Usage error whose *DocError names the line and field.
func CheckSetting(st Setting, data []byte) ([]byte, error) {
	p, err := parseSetting(st, data)
	if err != nil {
		return nil, err
	}
	return p.normalized, nil
}

func parseSetting(st Setting, data []byte) (*parsed, error) {
	doc := st.Doc()
	p := &parsed{st: st}
	var err error
	switch st {
	case SettingVersioning:
		p.versioning = &types.VersioningConfiguration{}
		var lines map[string]int
		if lines, err = decodeDoc(doc, data, p.versioning); err == nil && p.versioning.Status == "" {
			err = docErr(doc, lines[""], "Status", "the field is missing: set it to Enabled or Suspended")
		}
		if err == nil {
			p.normalized, err = encodeDoc(struct {
				Status    types.BucketVersioningStatus
				MFADelete types.MFADelete
			}{p.versioning.Status, p.versioning.MFADelete})
		}
	case SettingPolicy:
		p.policy, err = checkPolicy(data)
		if err == nil {
			var buf bytes.Buffer
			_ = json.Indent(&buf, []byte(p.policy), "", "  ")
			p.normalized = append(buf.Bytes(), '\n')
		}
	case SettingCORS:
		p.cors = &types.CORSConfiguration{}
		var lines map[string]int
		if lines, err = decodeDoc(doc, data, p.cors); err == nil {
			err = checkCORS(doc, p.cors, lines)
		}
		if err == nil {
			p.normalized, err = encodeDoc(p.cors)
		}
	case SettingLifecycle:
		p.lifecycle = &lifecycleDoc{}
		var lines map[string]int
		if lines, err = decodeDoc(doc, data, p.lifecycle); err == nil {
			err = checkLifecycle(doc, p.lifecycle.Rules, lines)
		}
		if err == nil {
			p.normalized, err = encodeDoc(struct{ Rules []types.LifecycleRule }{p.lifecycle.Rules})
		}
	case SettingTags:
		var t struct{ TagSet []types.Tag }
		var lines map[string]int
		if lines, err = decodeDoc(doc, data, &t); err == nil {
			if _, ok := lines[".TagSet"]; !ok {
				err = docErr(doc, lines[""], "TagSet", "the field is missing")
			}
		}
		if err == nil {
			p.tags = toTags(t.TagSet)
			if verr := ValidateTags(p.tags, true); verr != nil {
				err = docErr(doc, lines[".TagSet"], "TagSet", "%s", verr.Error())
			}
		}
		if err == nil {
			p.normalized, err = encodeDoc(struct{ TagSet []Tag }{sortTags(slices.Clone(p.tags))})
		}
	case SettingEncryption:
		data, err = unwrap(doc, data, "ServerSideEncryptionConfiguration")
		if err == nil {
			p.encryption = &types.ServerSideEncryptionConfiguration{}
			var lines map[string]int
			if lines, err = decodeDoc(doc, data, p.encryption); err == nil {
				err = checkEncryption(doc, p.encryption, lines)
			}
		}
		if err == nil {
			p.normalized, err = encodeDoc(struct {
				Rules []types.ServerSideEncryptionRule
			}{p.encryption.Rules})
		}
	default:
		return nil, fault.New(fault.Usage, fmt.Sprintf("unknown bucket setting %q", st), "")
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// unwrap returns the value of the one member name of data's top object,
// re-indented so that lines still count from the document's start, when the
// document is wrapped so (the output of an AWS CLI get command); else data.
func unwrap(doc string, data []byte, name string) ([]byte, error) {
	n, err := parseNodes(doc, data)
	if err != nil {
		return nil, err
	}
	if n.kind == '{' && len(n.keys) == 1 && n.keys[0] == name {
		// Blank out the wrapper so that line numbers stay true.
		inner := n.vals[name]
		if inner.kind != '{' {
			return nil, docErr(doc, inner.line, name, "want an object, found %s", kindName(inner))
		}
		pad := bytes.Repeat([]byte("\n"), inner.line-1)
		return append(pad, inner.marshalIndented(inner.line)...), nil
	}
	return data, nil
}

// marshalIndented writes the node with each member on its original line
// (when lines only grow, which holds for a parsed document) so that the
// re-parsed lines match the original ones.
func (n *node) marshalIndented(line int) []byte {
	var b bytes.Buffer
	cur := line
	var write func(n *node)
	write = func(n *node) {
		for cur < n.line {
			b.WriteByte('\n')
			cur++
		}
		switch n.kind {
		case '{':
			b.WriteByte('{')
			for i, k := range n.keys {
				if i > 0 {
					b.WriteByte(',')
				}
				v := n.vals[k]
				for cur < v.line {
					b.WriteByte('\n')
					cur++
				}
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteByte(':')
				write(v)
			}
			b.WriteByte('}')
		case '[':
			b.WriteByte('[')
			for i, e := range n.arr {
				if i > 0 {
					b.WriteByte(',')
				}
				write(e)
			}
			b.WriteByte(']')
		default:
			n.write(&b)
		}
	}
	write(n)
	return b.Bytes()
}

func checkCORS(doc string, c *types.CORSConfiguration, lines map[string]int) error {
	if len(c.CORSRules) == 0 {
		return docErr(doc, lines[""], "CORSRules", "at least one rule is needed (to remove CORS, delete the configuration)")
	}
	if len(c.CORSRules) > 100 {
		return docErr(doc, lines[".CORSRules"], "CORSRules", "%d rules: at most 100 are allowed", len(c.CORSRules))
	}
	for i, r := range c.CORSRules {
		path := fmt.Sprintf(".CORSRules[%d]", i)
		if len(r.AllowedMethods) == 0 {
			return docErr(doc, lines[path], path[1:]+".AllowedMethods", "the field is missing: list GET, PUT, POST, DELETE or HEAD")
		}
		for j, m := range r.AllowedMethods {
			if !contains([]string{"GET", "PUT", "POST", "DELETE", "HEAD"}, m) {
				f := fmt.Sprintf("%s.AllowedMethods[%d]", path, j)
				return docErr(doc, lines[f], f[1:], "%q is not one of GET, PUT, POST, DELETE, HEAD", m)
			}
		}
		if len(r.AllowedOrigins) == 0 {
			return docErr(doc, lines[path], path[1:]+".AllowedOrigins", "the field is missing: list the origins (or \"*\")")
		}
	}
	return nil
}

func checkLifecycle(doc string, rules []types.LifecycleRule, lines map[string]int) error {
	if len(rules) == 0 {
		return docErr(doc, lines[""], "Rules", "at least one rule is needed (to remove the lifecycle, delete the configuration)")
	}
	if len(rules) > 1000 {
		return docErr(doc, lines[".Rules"], "Rules", "%d rules: at most 1000 are allowed", len(rules))
	}
	ids := map[string]bool{}
	for i, r := range rules {
		path := fmt.Sprintf(".Rules[%d]", i)
		at := func(f string) (int, string) {
			if l, ok := lines[path+f]; ok {
				return l, (path + f)[1:]
			}
			return lines[path], (path + f)[1:]
		}
		if r.Status == "" {
			l, f := at(".Status")
			return docErr(doc, l, f, "the field is missing: set it to Enabled or Disabled")
		}
		if id := aws.ToString(r.ID); id != "" {
			if len(id) > 255 {
				l, f := at(".ID")
				return docErr(doc, l, f, "the ID is longer than 255 characters")
			}
			if ids[id] {
				l, f := at(".ID")
				return docErr(doc, l, f, "the ID %q is used by another rule", id)
			}
			ids[id] = true
		}
		if r.Filter != nil && r.Prefix != nil { //nolint:staticcheck // the older Prefix is still accepted, and checked
			l, f := at(".Prefix")
			return docErr(doc, l, f, "give Filter or the older Prefix, not both")
		}
		if r.Expiration == nil && len(r.Transitions) == 0 && r.NoncurrentVersionExpiration == nil &&
			len(r.NoncurrentVersionTransitions) == 0 && r.AbortIncompleteMultipartUpload == nil {
			l, f := at("")
			return docErr(doc, l, f, "the rule does nothing: give Expiration, Transitions, NoncurrentVersionExpiration, NoncurrentVersionTransitions or AbortIncompleteMultipartUpload")
		}
		if e := r.Expiration; e != nil {
			n := 0
			for _, set := range []bool{e.Days != nil, e.Date != nil, e.ExpiredObjectDeleteMarker != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				l, f := at(".Expiration")
				return docErr(doc, l, f, "give exactly one of Days, Date and ExpiredObjectDeleteMarker")
			}
			if e.Days != nil && *e.Days <= 0 {
				l, f := at(".Expiration.Days")
				return docErr(doc, l, f, "Days must be a positive number, not %d", *e.Days)
			}
		}
		if e := r.NoncurrentVersionExpiration; e != nil && e.NoncurrentDays != nil && *e.NoncurrentDays <= 0 {
			l, f := at(".NoncurrentVersionExpiration.NoncurrentDays")
			return docErr(doc, l, f, "NoncurrentDays must be a positive number, not %d", *e.NoncurrentDays)
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil && aws.ToInt32(a.DaysAfterInitiation) <= 0 {
			l, f := at(".AbortIncompleteMultipartUpload.DaysAfterInitiation")
			return docErr(doc, l, f, "DaysAfterInitiation must be a positive number")
		}
		for j, tr := range r.Transitions {
			if tr.StorageClass == "" {
				l, f := at(fmt.Sprintf(".Transitions[%d]", j))
				return docErr(doc, l, f+".StorageClass", "the field is missing")
			}
		}
		for j, tr := range r.NoncurrentVersionTransitions {
			if tr.StorageClass == "" {
				l, f := at(fmt.Sprintf(".NoncurrentVersionTransitions[%d]", j))
				return docErr(doc, l, f+".StorageClass", "the field is missing")
			}
		}
	}
	return nil
}

func checkEncryption(doc string, c *types.ServerSideEncryptionConfiguration, lines map[string]int) error {
	if len(c.Rules) == 0 {
		return docErr(doc, lines[""], "Rules", "at least one rule is needed (to remove default encryption, delete the configuration)")
	}
	for i, r := range c.Rules {
		path := fmt.Sprintf(".Rules[%d]", i)
		d := r.ApplyServerSideEncryptionByDefault
		if d == nil {
			return docErr(doc, lines[path], path[1:]+".ApplyServerSideEncryptionByDefault", "the field is missing")
		}
		if d.SSEAlgorithm == "" {
			f := path + ".ApplyServerSideEncryptionByDefault"
			return docErr(doc, lines[f], f[1:]+".SSEAlgorithm", "the field is missing: AES256 or aws:kms")
		}
		if d.KMSMasterKeyID != nil && d.SSEAlgorithm == types.ServerSideEncryptionAes256 {
			f := path + ".ApplyServerSideEncryptionByDefault.KMSMasterKeyID"
			return docErr(doc, lines[f], f[1:], "a KMS key goes with SSEAlgorithm aws:kms, not AES256")
		}
	}
	return nil
}

// checkPolicy validates a bucket policy (or the {"Policy": "…"} output of
// get-bucket-policy) and returns the policy text to send.
func checkPolicy(data []byte) (string, error) {
	doc := SettingPolicy.Doc()
	n, err := parseNodes(doc, data)
	if err != nil {
		return "", err
	}
	if n.kind == '{' && len(n.keys) == 1 && n.keys[0] == "Policy" && n.vals["Policy"].kind == 's' {
		inner := []byte(n.vals["Policy"].str)
		if n, err = parseNodes(doc+" (inside Policy)", inner); err != nil {
			return "", err
		}
		data, doc = inner, doc+" (inside Policy)"
	}
	if n.kind != '{' {
		return "", docErr(doc, n.line, "", "want a JSON object, found %s", kindName(n))
	}
	for _, k := range n.keys {
		if !contains([]string{"Version", "Id", "Statement"}, k) {
			return "", docErr(doc, n.vals[k].line, k, "unknown field %q (known: Version, Id, Statement)", k)
		}
	}
	if v, ok := n.vals["Version"]; ok && (v.kind != 's' || !contains([]string{"2012-10-17", "2008-10-17"}, v.str)) {
		return "", docErr(doc, v.line, "Version", "want \"2012-10-17\", found %s", kindName(v))
	}
	st, ok := n.vals["Statement"]
	if !ok {
		return "", docErr(doc, n.line, "Statement", "the field is missing")
	}
	stmts := []*node{st}
	if st.kind == '[' {
		stmts = st.arr
		if len(stmts) == 0 {
			return "", docErr(doc, st.line, "Statement", "the list is empty (to remove the policy, delete it)")
		}
	}
	for i, s := range stmts {
		path := "Statement"
		if st.kind == '[' {
			path = fmt.Sprintf("Statement[%d]", i)
		}
		if s.kind != '{' {
			return "", docErr(doc, s.line, path, "want an object, found %s", kindName(s))
		}
		for _, k := range s.keys {
			if !contains([]string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}, k) {
				return "", docErr(doc, s.vals[k].line, path+"."+k, "unknown field %q (known: Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)", k)
			}
		}
		e, ok := s.vals["Effect"]
		switch {
		case !ok:
			return "", docErr(doc, s.line, path+".Effect", "the field is missing: Allow or Deny")
		case e.kind != 's' || (e.str != "Allow" && e.str != "Deny"):
			return "", docErr(doc, e.line, path+".Effect", "want Allow or Deny, found %s", kindName(e))
		}
		for _, pair := range [][2]string{{"Principal", "NotPrincipal"}, {"Action", "NotAction"}, {"Resource", "NotResource"}} {
			_, a := s.vals[pair[0]]
			_, b := s.vals[pair[1]]
			if !a && !b {
				return "", docErr(doc, s.line, path+"."+pair[0], "the field is missing")
			}
			if a && b {
				return "", docErr(doc, s.vals[pair[1]].line, path+"."+pair[1], "give %s or %s, not both", pair[0], pair[1])
			}
		}
		for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
			v, ok := s.vals[k]
			if !ok {
				continue
			}
			items := []*node{v}
			if v.kind == '[' {
				items = v.arr
			}
			for _, it := range items {
				if it.kind != 's' {
					return "", docErr(doc, it.line, path+"."+k, "want a string or a list of strings, found %s", kindName(it))
				}
				if strings.HasPrefix(k, "Action") || strings.HasPrefix(k, "NotAction") {
					if it.str != "*" && !strings.HasPrefix(strings.ToLower(it.str), "s3:") {
						return "", docErr(doc, it.line, path+"."+k, "%q is not an S3 action (s3:GetObject, s3:*, ...)", it.str)
					}
				}
			}
		}
	}
	return string(bytes.TrimSpace(data)), nil
}

// PutSetting validates the document (see CheckSetting) and sets it on the
// bucket.
func (s *S3) PutSetting(ctx context.Context, bucket string, st Setting, data []byte) error {
	p, err := parseSetting(st, data)
	if err != nil {
		return err
	}
	b := aws.String(bucket)
	switch st {
	case SettingVersioning:
		_, err = s.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: p.versioning})
	case SettingPolicy:
		_, err = s.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(p.policy)})
	case SettingCORS:
		_, err = s.client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: b, CORSConfiguration: p.cors})
	case SettingLifecycle:
		_, err = s.client.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: b,
			LifecycleConfiguration:             &types.BucketLifecycleConfiguration{Rules: p.lifecycle.Rules},
			TransitionDefaultMinimumObjectSize: p.lifecycle.TransitionDefaultMinimumObjectSize})
	case SettingTags:
		_, err = s.client.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: b, Tagging: &types.Tagging{TagSet: fromTags(p.tags)}})
	case SettingEncryption:
		_, err = s.client.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: b, ServerSideEncryptionConfiguration: p.encryption})
	}
	if err != nil {
		return s.translatePerm("set the "+st.Doc()+" of", "s3://"+bucket, st.Permission(true), err)
	}
	return nil
}

// DeleteSetting removes the setting from the bucket. Versioning cannot be
// removed, only suspended.
func (s *S3) DeleteSetting(ctx context.Context, bucket string, st Setting) error {
	b := aws.String(bucket)
	var err error
	perm := st.Permission(true)
	switch st {
	case SettingVersioning:
		return fault.New(fault.Usage, "versioning cannot be removed from a bucket, only suspended",
			`set {"Status": "Suspended"} instead (s3sso bucket versioning s3://BUCKET set -)`)
	case SettingPolicy:
		_, err = s.client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
		perm = "s3:DeleteBucketPolicy"
	case SettingCORS:
		_, err = s.client.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: b})
	case SettingLifecycle:
		_, err = s.client.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: b})
	case SettingTags:
		_, err = s.client.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: b})
	case SettingEncryption:
		_, err = s.client.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: b})
	default:
		return fault.New(fault.Usage, fmt.Sprintf("unknown bucket setting %q", st), "")
	}
	if err != nil && !isNotSet(err) {
		return s.translatePerm("delete the "+st.Doc()+" of", "s3://"+bucket, perm, err)
	}
	return nil
}

// sortTags sorts tags by key (servers keep no order), for comparisons.
func sortTags(tags []Tag) []Tag {
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return tags
}
