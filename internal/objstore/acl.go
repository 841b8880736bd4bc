package objstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3sso/s3sso/internal/fault"
)

// ACL is an access control list in the AWS API's JSON shape (the
// AccessControlPolicy of get/put-bucket-acl and get/put-object-acl).
type ACL struct {
	Owner  *Owner  `json:"Owner,omitempty"`
	Grants []Grant `json:"Grants"`
}

// Owner is the owner of a bucket or object.
type Owner struct {
	DisplayName string `json:"DisplayName,omitempty"`
	ID          string `json:"ID,omitempty"`
}

// Grant gives a grantee one permission: FULL_CONTROL, READ, WRITE,
// READ_ACP or WRITE_ACP.
type Grant struct {
	Grantee    Grantee `json:"Grantee"`
	Permission string  `json:"Permission"`
}

// Grantee is a canonical user (ID), an e-mail address (AmazonCustomerByEmail)
// or a group (URI: AllUsers, AuthenticatedUsers, LogDelivery).
type Grantee struct {
	Type         string `json:"Type"`
	ID           string `json:"ID,omitempty"`
	DisplayName  string `json:"DisplayName,omitempty"`
	EmailAddress string `json:"EmailAddress,omitempty"`
	URI          string `json:"URI,omitempty"`
}

// The groups S3 grants to, by URI.
const (
	GroupAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	GroupAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	GroupLogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// CannedACLs lists the canned ACLs S3 accepts for objects (buckets take
// the first four and log-delivery-write).
func CannedACLs() []string {
	return []string{"private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
		"bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"}
}

// CheckCannedACL returns an error naming the choices unless acl is a canned
// ACL.
func CheckCannedACL(acl string) error {
	if !contains(CannedACLs(), acl) {
		return fault.New(fault.Usage, fmt.Sprintf("unknown canned ACL %q; choose one of %s", acl, strings.Join(CannedACLs(), ", ")), "")
	}
	return nil
}

func aclTarget(u URL) string {
	if u.Key == "" {
		return "s3://" + u.Bucket
	}
	return u.String()
}

// GetACL returns the ACL of the bucket (u.Key empty) or of the object (its
// version when u.VersionID is set).
func (s *S3) GetACL(ctx context.Context, u URL) (ACL, error) {
	var owner *types.Owner
	var grants []types.Grant
	if u.Key == "" {
		out, err := s.client.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(u.Bucket)})
		if err != nil {
			return ACL{}, s.translatePerm("get the ACL of", aclTarget(u), "s3:GetBucketAcl", err)
		}
		owner, grants = out.Owner, out.Grants
	} else {
		out, err := s.client.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), VersionId: VersionParam(u.VersionID)})
		if err != nil {
			return ACL{}, s.translatePerm("get the ACL of", aclTarget(u), "s3:GetObjectAcl", err)
		}
		owner, grants = out.Owner, out.Grants
	}
	acl := ACL{Grants: []Grant{}}
	if owner != nil {
		acl.Owner = &Owner{DisplayName: aws.ToString(owner.DisplayName), ID: aws.ToString(owner.ID)}
	}
	for _, g := range grants {
		gr := Grant{Permission: string(g.Permission)}
		if g.Grantee != nil {
			gr.Grantee = Grantee{Type: string(g.Grantee.Type), ID: aws.ToString(g.Grantee.ID), DisplayName: aws.ToString(g.Grantee.DisplayName),
				EmailAddress: aws.ToString(g.Grantee.EmailAddress), URI: aws.ToString(g.Grantee.URI)}
		}
		acl.Grants = append(acl.Grants, gr)
	}
	return acl, nil
}

// ParseACL validates an ACL document (the JSON of get-object-acl or
// get-bucket-acl: {"Owner": {...}, "Grants": [...]}); a malformed one is a
// usage error that names the line and field.
func ParseACL(data []byte) (ACL, error) {
	const doc = "ACL"
	var p types.AccessControlPolicy
	lines, err := decodeDoc(doc, data, &p)
	if err != nil {
		return ACL{}, err
	}
	if _, ok := lines[".Grants"]; !ok {
		return ACL{}, docErr(doc, lines[""], "Grants", "the field is missing (an empty list removes every grant)")
	}
	acl := ACL{Grants: []Grant{}}
	if p.Owner != nil {
		acl.Owner = &Owner{DisplayName: aws.ToString(p.Owner.DisplayName), ID: aws.ToString(p.Owner.ID)}
	}
	for i, g := range p.Grants {
		path := fmt.Sprintf(".Grants[%d]", i)
		if g.Permission == "" {
			return ACL{}, docErr(doc, lines[path], path[1:]+".Permission", "the field is missing: FULL_CONTROL, READ, WRITE, READ_ACP or WRITE_ACP")
		}
		if g.Grantee == nil || g.Grantee.Type == "" {
			return ACL{}, docErr(doc, lines[path], path[1:]+".Grantee.Type", "the field is missing: CanonicalUser, AmazonCustomerByEmail or Group")
		}
		ge := g.Grantee
		need := map[types.Type][2]string{
			types.TypeCanonicalUser:         {"ID", aws.ToString(ge.ID)},
			types.TypeAmazonCustomerByEmail: {"EmailAddress", aws.ToString(ge.EmailAddress)},
			types.TypeGroup:                 {"URI", aws.ToString(ge.URI)},
		}[ge.Type]
		if need[1] == "" {
			return ACL{}, docErr(doc, lines[path+".Grantee"], path[1:]+".Grantee."+need[0], "a %s grantee needs %s", ge.Type, need[0])
		}
		acl.Grants = append(acl.Grants, Grant{Permission: string(g.Permission), Grantee: Grantee{Type: string(ge.Type),
			ID: aws.ToString(ge.ID), DisplayName: aws.ToString(ge.DisplayName), EmailAddress: aws.ToString(ge.EmailAddress), URI: aws.ToString(ge.URI)}})
	}
	return acl, nil
}

func (acl ACL) sdk() *types.AccessControlPolicy {
	p := &types.AccessControlPolicy{Grants: []types.Grant{}}
	if acl.Owner != nil {
		p.Owner = &types.Owner{ID: aws.String(acl.Owner.ID)}
		if acl.Owner.DisplayName != "" {
			p.Owner.DisplayName = aws.String(acl.Owner.DisplayName)
		}
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return aws.String(s)
	}
	for _, g := range acl.Grants {
		p.Grants = append(p.Grants, types.Grant{Permission: types.Permission(g.Permission), Grantee: &types.Grantee{
			Type: types.Type(g.Grantee.Type), ID: opt(g.Grantee.ID), DisplayName: opt(g.Grantee.DisplayName),
			EmailAddress: opt(g.Grantee.EmailAddress), URI: opt(g.Grantee.URI)}})
	}
	return p
}

// PutACL replaces the ACL of the bucket (u.Key empty) or object. Without
// an owner, the current owner is kept (S3 requires one).
func (s *S3) PutACL(ctx context.Context, u URL, acl ACL) error {
	if acl.Owner == nil || acl.Owner.ID == "" {
		cur, err := s.GetACL(ctx, u)
		if err != nil {
			return err
		}
		acl.Owner = cur.Owner
	}
	var err error
	perm := "s3:PutObjectAcl"
	if u.Key == "" {
		perm = "s3:PutBucketAcl"
		_, err = s.client.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(u.Bucket), AccessControlPolicy: acl.sdk()})
	} else {
		// An object's grants travel as x-amz-grant-* headers: S3 takes
		// them as it takes the body, and servers that read only the
		// headers (moto) do too.
		in := &s3.PutObjectAclInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key), VersionId: VersionParam(u.VersionID)}
		if err := acl.grantHeaders(in); err != nil {
			return err
		}
		_, err = s.client.PutObjectAcl(ctx, in)
	}
	if err != nil {
		return s.translatePerm("set the ACL of", aclTarget(u), perm, err)
	}
	return nil
}

// grantHeaders sets the grant parameters (x-amz-grant-read: id="…",
// uri="…", emailAddress="…") of a PutObjectAcl request.
func (acl ACL) grantHeaders(in *s3.PutObjectAclInput) error {
	lists := map[string][]string{}
	for _, g := range acl.Grants {
		var who string
		switch g.Grantee.Type {
		case "CanonicalUser":
			who = fmt.Sprintf("id=%q", g.Grantee.ID)
		case "AmazonCustomerByEmail":
			who = fmt.Sprintf("emailAddress=%q", g.Grantee.EmailAddress)
		case "Group":
			who = fmt.Sprintf("uri=%q", g.Grantee.URI)
		default:
			return fault.New(fault.Usage, fmt.Sprintf("grantee type %q: want CanonicalUser, AmazonCustomerByEmail or Group", g.Grantee.Type), "")
		}
		lists[g.Permission] = append(lists[g.Permission], who)
	}
	join := func(p string) *string {
		if len(lists[p]) == 0 {
			return nil
		}
		return aws.String(strings.Join(lists[p], ", "))
	}
	for p := range lists {
		if !contains([]string{"FULL_CONTROL", "READ", "READ_ACP", "WRITE_ACP"}, p) {
			return fault.New(fault.Usage, fmt.Sprintf("permission %q cannot be granted on an object: use FULL_CONTROL, READ, READ_ACP or WRITE_ACP", p), "")
		}
	}
	in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWriteACP = join("FULL_CONTROL"), join("READ"), join("READ_ACP"), join("WRITE_ACP")
	return nil
}

// PutCannedACL sets a canned ACL ("private", "public-read", ...) on the
// bucket (u.Key empty) or object.
func (s *S3) PutCannedACL(ctx context.Context, u URL, canned string) error {
	if err := CheckCannedACL(canned); err != nil {
		return err
	}
	var err error
	perm := "s3:PutObjectAcl"
	if u.Key == "" {
		perm = "s3:PutBucketAcl"
		_, err = s.client.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(u.Bucket), ACL: types.BucketCannedACL(canned)})
	} else {
		_, err = s.client.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(u.Bucket), Key: aws.String(u.Key),
			VersionId: VersionParam(u.VersionID), ACL: types.ObjectCannedACL(canned)})
	}
	if err != nil {
		return s.translatePerm("set the ACL of", aclTarget(u), perm, err)
	}
	return nil
}
