package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/s3sso/s3sso/internal/testenv"
)

// awsCLI runs the AWS CLI (v1, botocore) in the test's HOME, with its
// --endpoint-url at the test's server, and returns stdout; a failure ends
// the test unless allowFail.
func (e *env) awsCLI(endpoint string, args ...string) string {
	e.t.Helper()
	out, err := e.awsCLIErr(endpoint, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) awsCLIErr(endpoint string, args ...string) (string, error) {
	e.t.Helper()
	bin := testenv.RequireTool(e.t, "aws")
	cmd := exec.Command(bin, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), append(e.vars, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String() + errb.String(), fmt.Errorf("aws %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// decode parses JSON, failing the test on an error.
func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in %q", err, s)
	}
	return v
}

// member returns m[k] of a decoded JSON object.
func member(t *testing.T, v any, k string) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %v", v)
	}
	return m[k]
}

func sortTagSet(v any) any {
	list, _ := v.([]any)
	sort.Slice(list, func(i, j int) bool {
		return fmt.Sprint(list[i].(map[string]any)["Key"]) < fmt.Sprint(list[j].(map[string]any)["Key"])
	})
	return list
}

// TestBucketSettingsWithAWSCLI round-trips each bucket setting MinIO
// implements (versioning, policy, lifecycle, tags, encryption with MinIO's
// static KMS key): s3sso sets a document and reads it back, the AWS CLI
// reads what s3sso wrote, s3sso takes the AWS CLI's get output as input,
// and the AWS CLI's put takes s3sso's get output. --dry-run shows a diff
// and changes nothing; delete removes the setting.
func TestBucketSettingsWithAWSCLI(t *testing.T) {
	e := setupKMS(t)
	ep := e.minio.Endpoint
	b := "s3://" + e.bucket
	type view func(t *testing.T, v any) any
	field := func(k string) view { return func(t *testing.T, v any) any { return member(t, v, k) } }
	cases := []struct {
		setting, doc  string
		get, put, arg string
		// awsView picks what to compare from the AWS CLI's get output,
		// oursView from s3sso's.
		awsView, oursView view
	}{
		{"versioning", `{"Status": "Enabled"}`, "get-bucket-versioning", "put-bucket-versioning", "--versioning-configuration",
			field("Status"), field("Status")},
		{"policy", `{"Version": "2012-10-17", "Statement": [{"Sid": "pub", "Effect": "Allow", "Principal": {"AWS": ["*"]},
			"Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::` + e.bucket + `/pub/*"]}]}`, "get-bucket-policy", "put-bucket-policy", "--policy",
			func(t *testing.T, v any) any { return decode(t, member(t, v, "Policy").(string)) }, func(_ *testing.T, v any) any { return v }},
		{"lifecycle", `{"Rules": [{"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
			{"ID": "versions", "Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 5}}]}`,
			"get-bucket-lifecycle-configuration", "put-bucket-lifecycle-configuration", "--lifecycle-configuration",
			field("Rules"), field("Rules")},
		{"tags", `{"TagSet": [{"Key": "team", "Value": "storage"}, {"Key": "cost", "Value": "42"}]}`, "get-bucket-tagging", "put-bucket-tagging", "--tagging",
			func(t *testing.T, v any) any { return sortTagSet(member(t, v, "TagSet")) }, func(t *testing.T, v any) any { return sortTagSet(member(t, v, "TagSet")) }},
		{"encryption", `{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "` + e.minio.KMSKeyID + `"}}]}`,
			"get-bucket-encryption", "put-bucket-encryption", "--server-side-encryption-configuration",
			func(t *testing.T, v any) any {
				return member(t, member(t, v, "ServerSideEncryptionConfiguration"), "Rules")
			}, field("Rules")},
	}
	for _, c := range cases {
		t.Run(c.setting, func(t *testing.T) {
			file := e.file(c.setting+".json", []byte(c.doc))
			// Not set yet: get prints nothing; a dry run shows only additions.
			if r := e.ok("bucket", c.setting, b); r.Stdout != "" {
				t.Fatalf("get of an unset %s printed %q", c.setting, r.Stdout)
			}
			dry := e.ok("bucket", c.setting, b, "set", file, "--dry-run")
			if !strings.Contains(dry.Stdout, "(dry run)") || !strings.Contains(dry.Stdout, "\n+ ") || strings.Contains(dry.Stdout, "\n- ") {
				t.Fatalf("dry run diff:\n%s", dry.Stdout)
			}
			if r := e.ok("bucket", c.setting, b); r.Stdout != "" {
				t.Fatalf("--dry-run changed the %s: %q", c.setting, r.Stdout)
			}

			// s3sso sets and reads back; the AWS CLI reads what s3sso wrote.
			e.ok("bucket", c.setting, b, "set", file)
			ours := e.ok("bucket", c.setting, b).Stdout
			aws := e.awsCLI(ep, "s3api", c.get, "--bucket", e.bucket)
			oursView := c.oursView(t, decode(t, ours))
			if got := c.awsView(t, decode(t, aws)); !reflect.DeepEqual(got, oursView) {
				t.Fatalf("the AWS CLI reads\n%v\ns3sso reads\n%v", got, oursView)
			}
			if want := c.oursView(t, decode(t, c.doc)); !reflect.DeepEqual(oursView, want) {
				t.Fatalf("read back %s, set %s", ours, c.doc)
			}
			// The same document again: the dry run says no change.
			if dry := e.ok("bucket", c.setting, b, "set", file, "--dry-run"); !strings.Contains(dry.Stdout, "no change") {
				t.Fatalf("dry run of the same document:\n%s", dry.Stdout)
			}

			// s3sso's output is valid input for the AWS CLI's put, and the
			// AWS CLI's get output is valid input for s3sso (from stdin).
			outFile := e.file(c.setting+".out.json", []byte(ours))
			e.awsCLI(ep, "s3api", c.put, "--bucket", e.bucket, c.arg, "file://"+outFile)
			if again := c.awsView(t, decode(t, e.awsCLI(ep, "s3api", c.get, "--bucket", e.bucket))); !reflect.DeepEqual(again, oursView) {
				t.Fatalf("after the AWS CLI put s3sso's output back: %v", again)
			}
			if r := e.runIn(aws, "bucket", c.setting, b, "set", "-"); r.Code != 0 {
				t.Fatalf("s3sso set from the AWS CLI's get output:\n%s\n%s", aws, r)
			}
			if got := e.ok("bucket", c.setting, b).Stdout; got != ours {
				t.Fatalf("after set from the AWS CLI's output:\n%s\nwant\n%s", got, ours)
			}

			if c.setting == "versioning" {
				e.fails(2, "only suspended", "bucket", c.setting, b, "delete")
				return
			}
			e.ok("bucket", c.setting, b, "delete")
			if r := e.ok("bucket", c.setting, b); r.Stdout != "" {
				t.Fatalf("after delete: %q", r.Stdout)
			}
			if out, err := e.awsCLIErr(ep, "s3api", c.get, "--bucket", e.bucket); err == nil && strings.TrimSpace(out) != "" {
				t.Fatalf("the AWS CLI still reads the %s after delete: %s", c.setting, out)
			}
		})
	}

	// Malformed documents name the line and field; nothing is sent.
	bad := e.file("bad.json", []byte("{\n  \"Rules\": [\n    {\n      \"ID\": \"x\",\n      \"Status\": \"enabled\",\n      \"Expiration\": {\"Days\": 1}\n    }\n  ]\n}\n"))
	r := e.fails(2, "line 5, Rules[0].Status", "bucket", "lifecycle", b, "set", bad)
	if !strings.Contains(r.Stderr, "bad.json") || !strings.Contains(r.Stderr, "Enabled, Disabled") {
		t.Fatalf("malformed lifecycle: %s", r.Stderr)
	}
	e.fails(2, "line 2, Statement[0].Effect", "bucket", "policy", b, "set", e.file("badpol.json", []byte("{\"Statement\": [{\n\"Effect\": \"Permit\"}]}")))
	e.fails(2, "unknown action", "bucket", "cors", b, "put", "x")
	e.fails(2, "give only s3://BUCKET", "bucket", "tags", b+"/key")

	// The overview.
	e.ok("bucket", "encryption", b, "set", e.file("enc.json", []byte(`{"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "`+e.minio.KMSKeyID+`"}}]}`)))
	e.ok("bucket", "tags", b, "set", e.file("tags.json", []byte(`{"TagSet": [{"Key": "a", "Value": "b"}]}`)))
	info := decode(t, e.ok("bucket", "info", b, "--json").Stdout)
	if member(t, info, "versioning") != "Enabled" || member(t, info, "encryption") != "aws:kms" || member(t, info, "object_lock") != false ||
		member(t, info, "lifecycle_rules") != float64(0) || member(t, info, "region") != "us-east-1" {
		t.Fatalf("bucket info --json: %v", info)
	}
	text := e.ok("bucket", "info", b).Stdout
	for _, want := range []string{"Versioning:          Enabled", "Default encryption:  aws:kms with key", "Tags:                a=b", "Object lock:         off"} {
		if !strings.Contains(text, want) {
			t.Errorf("bucket info lacks %q:\n%s", want, text)
		}
	}
	e.fails(4, "", "bucket", "info", "s3://no-such-bucket-e2e")
}

// TestVersionsCLI covers versions end to end on MinIO: ls --versions with
// a delete marker, cat/cp/stat/presign of an old version, restore-version,
// rm --version-id of the marker; the AWS CLI lists the same versions.
func TestVersionsCLI(t *testing.T) {
	e := setup(t)
	ep := e.minio.Endpoint
	b := "s3://" + e.bucket
	e.runIn(`{"Status": "Enabled"}`, "bucket", "versioning", b, "set", "-")
	if r := e.ok("bucket", "versioning", b); !strings.Contains(r.Stdout, `"Enabled"`) {
		t.Fatalf("versioning: %s", r)
	}
	e.ok("cp", e.file("v1.txt", []byte("first")), e.url("doc.txt"))
	e.ok("cp", e.file("v2.txt", []byte("second!")), e.url("doc.txt"))
	e.ok("rm", e.url("doc.txt"))

	type ver struct {
		Key          string `json:"key"`
		VersionID    string `json:"version_id"`
		IsLatest     bool   `json:"is_latest"`
		DeleteMarker bool   `json:"delete_marker"`
		Size         int64  `json:"size"`
	}
	list := func() []ver {
		var vs []ver
		for _, line := range strings.Split(strings.TrimSpace(e.ok("ls", "--versions", "--json", b+"/").Stdout), "\n") {
			var v ver
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			vs = append(vs, v)
		}
		return vs
	}
	vs := list()
	if len(vs) != 3 || !vs[0].DeleteMarker || !vs[0].IsLatest || vs[1].Size != 7 || vs[2].Size != 5 {
		t.Fatalf("ls --versions: %+v", vs)
	}
	marker, v2, v1 := vs[0].VersionID, vs[1].VersionID, vs[2].VersionID
	text := e.ok("ls", "--versions", b).Stdout
	if !strings.Contains(text, "DEL doc.txt  "+marker+" (latest, delete marker)") || !strings.Contains(text, v1) {
		t.Fatalf("ls --versions text:\n%s", text)
	}
	// The AWS CLI sees the same versions.
	awsList := decode(t, e.awsCLI(ep, "s3api", "list-object-versions", "--bucket", e.bucket))
	if n := len(member(t, awsList, "Versions").([]any)); n != 2 {
		t.Fatalf("the AWS CLI lists %d versions", n)
	}
	if dm := member(t, awsList, "DeleteMarkers").([]any); len(dm) != 1 || member(t, dm[0], "VersionId") != marker {
		t.Fatalf("the AWS CLI's delete markers: %v", dm)
	}

	// Old versions read back.
	if r := e.ok("cat", "--version-id", v1, e.url("doc.txt")); r.Stdout != "first" {
		t.Fatalf("cat --version-id: %q", r.Stdout)
	}
	out := filepath.Join(e.home, "old.txt")
	e.ok("cp", "--version-id", v2, e.url("doc.txt"), out)
	if string(readFile(t, out)) != "second!" {
		t.Fatal("cp --version-id downloaded the wrong bytes")
	}
	e.ok("cp", "--version-id", v1, e.url("doc.txt"), e.url("copy-of-v1.txt"))
	if string(e.get("copy-of-v1.txt")) != "first" {
		t.Fatal("server-side cp --version-id copied the wrong version")
	}
	if st := decode(t, e.ok("stat", "--json", "--version-id", v1, e.url("doc.txt")).Stdout); member(t, st, "version_id") != v1 || member(t, st, "size") != float64(5) {
		t.Fatalf("stat --version-id: %v", st)
	}
	url := strings.TrimSpace(e.ok("presign", "--version-id", v2, e.url("doc.txt")).Stdout)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "second!" {
		t.Fatalf("presigned GET of a version: %d %q", resp.StatusCode, body)
	}
	e.fails(2, "--version-id names a version of one source object", "cp", "-r", "--version-id", v1, b+"/", out)
	e.fails(2, "--version-id goes with --method GET", "presign", "--method", "PUT", "--version-id", v1, e.url("doc.txt"))

	// Restore v1 on top; the AWS CLI reads the restored bytes.
	r := e.ok("restore-version", e.url("doc.txt"), "--version-id", v1)
	if !strings.Contains(r.Stdout, "restored") {
		t.Fatalf("restore-version: %s", r)
	}
	got := filepath.Join(e.home, "via-aws.txt")
	e.awsCLI(ep, "s3api", "get-object", "--bucket", e.bucket, "--key", "doc.txt", got)
	if string(readFile(t, got)) != "first" {
		t.Fatalf("after restore the AWS CLI reads %q", readFile(t, got))
	}
	if vs := list(); len(vs) != 5 || !vs[0].IsLatest || vs[0].Size != 5 {
		t.Fatalf("after restore: %+v", vs)
	}
	e.fails(2, "delete marker", "restore-version", e.url("doc.txt"), "--version-id", marker)
	e.fails(2, "needs --version-id", "restore-version", e.url("doc.txt"))

	// rm --version-id deletes versions for good, the marker included.
	e.ok("rm", "--version-id", marker, e.url("doc.txt"))
	e.ok("rm", "--version-id", v2, e.url("doc.txt"))
	vs = list()
	for _, v := range vs {
		if v.VersionID == marker || v.VersionID == v2 {
			t.Fatalf("version %s still listed: %+v", v.VersionID, vs)
		}
	}
	if len(vs) != 3 {
		t.Fatalf("after rm --version-id: %+v", vs)
	}
	e.fails(2, "one version of one object", "rm", "-r", "--version-id", v1, b+"/")
}

// TestObjectTagsCLI: tag get/set/delete and cp --tags on MinIO, checked
// with the AWS CLI both ways.
func TestObjectTagsCLI(t *testing.T) {
	e := setup(t)
	ep := e.minio.Endpoint
	src := e.file("a.txt", []byte("a"))
	e.ok("cp", "--tags", "project=blue&owner=ann", src, e.url("a.txt"))
	tags := decode(t, e.awsCLI(ep, "s3api", "get-object-tagging", "--bucket", e.bucket, "--key", "a.txt"))
	want := []any{map[string]any{"Key": "owner", "Value": "ann"}, map[string]any{"Key": "project", "Value": "blue"}}
	if got := sortTagSet(member(t, tags, "TagSet")); !reflect.DeepEqual(got, want) {
		t.Fatalf("the AWS CLI reads the tags of cp --tags as %v", got)
	}
	e.ok("tag", "set", e.url("a.txt"), "env=prod")
	ours := e.ok("tag", "get", e.url("a.txt")).Stdout
	if got := sortTagSet(member(t, decode(t, ours), "TagSet")); !reflect.DeepEqual(got, []any{map[string]any{"Key": "env", "Value": "prod"}}) {
		t.Fatalf("tag get after set: %s", ours)
	}
	// Our output is the AWS CLI's input and the reverse.
	e.awsCLI(ep, "s3api", "put-object-tagging", "--bucket", e.bucket, "--key", "a.txt", "--tagging", "file://"+e.file("t.json", []byte(ours)))
	e.awsCLI(ep, "s3api", "put-object-tagging", "--bucket", e.bucket, "--key", "a.txt", "--tagging", `{"TagSet": [{"Key": "from", "Value": "aws"}]}`)
	awsOut := e.awsCLI(ep, "s3api", "get-object-tagging", "--bucket", e.bucket, "--key", "a.txt")
	if got := e.ok("tag", "get", e.url("a.txt")).Stdout; !strings.Contains(got, `"from"`) {
		t.Fatalf("tag get of the AWS CLI's tags: %s", got)
	}
	if r := e.runIn(awsOut, "tag", "set", e.url("a.txt"), "-"); r.Code != 0 {
		t.Fatalf("tag set from get-object-tagging's output: %s", r)
	}
	e.ok("tag", "delete", e.url("a.txt"))
	if got := member(t, decode(t, e.awsCLI(ep, "s3api", "get-object-tagging", "--bucket", e.bucket, "--key", "a.txt")), "TagSet"); len(got.([]any)) != 0 {
		t.Fatalf("after tag delete: %v", got)
	}
	e.fails(2, "write tags as key=value", "tag", "set", e.url("a.txt"), "novalue")
	e.fails(2, "bucket tags", "tag", "get", "s3://"+e.bucket)
	e.fails(4, "", "tag", "get", e.url("missing.txt"))
}

// setupMoto is setup on a moto_server, which implements what MinIO does
// not: ACL grants and CORS.
func setupMoto(t *testing.T) (*env, string) {
	t.Helper()
	home := testenv.Home(t)
	ep := testenv.StartMoto(t)
	e := &env{t: t, home: home, bucket: "manage-moto"}
	testenv.WriteFile(t, filepath.Join(home, ".aws", "config"), fmt.Sprintf("[profile e2e]\nregion = us-east-1\nservices = moto\n\n[services moto]\ns3 =\n  endpoint_url = %s\n", ep))
	testenv.WriteFile(t, filepath.Join(home, ".aws", "credentials"), "[e2e]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
	e.vars = []string{"AWS_PROFILE=e2e"}
	e.ok("mb", "s3://"+e.bucket)
	return e, ep
}

// TestACLAndCORSOnMoto: bucket and object ACLs (canned and explicit grants)
// and CORS, set by s3sso and read by the AWS CLI, and the reverse.
func TestACLAndCORSOnMoto(t *testing.T) {
	e, ep := setupMoto(t)
	b := "s3://" + e.bucket
	e.ok("cp", "--acl", "public-read", e.file("o.txt", []byte("o")), b+"/o.txt")
	hasAllUsersRead := func(acl any) bool {
		for _, g := range member(t, acl, "Grants").([]any) {
			if member(t, member(t, g, "Grantee"), "URI") == "http://acs.amazonaws.com/groups/global/AllUsers" && member(t, g, "Permission") == "READ" {
				return true
			}
		}
		return false
	}
	if acl := decode(t, e.awsCLI(ep, "s3api", "get-object-acl", "--bucket", e.bucket, "--key", "o.txt")); !hasAllUsersRead(acl) {
		t.Fatalf("cp --acl public-read: the AWS CLI reads %v", acl)
	}
	for _, target := range []string{b, b + "/o.txt"} {
		e.ok("acl", "set", target, "private")
		cur := decode(t, e.ok("acl", "get", target).Stdout)
		if hasAllUsersRead(cur) || len(member(t, cur, "Grants").([]any)) != 1 {
			t.Fatalf("%s after private: %v", target, cur)
		}
		owner := member(t, member(t, cur, "Owner"), "ID").(string)
		doc := fmt.Sprintf(`{"Owner": {"ID": %q}, "Grants": [
  {"Grantee": {"Type": "CanonicalUser", "ID": %q}, "Permission": "FULL_CONTROL"},
  {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"},
  {"Grantee": {"Type": "CanonicalUser", "ID": "%s"}, "Permission": "READ_ACP"}]}`, owner, owner, strings.Repeat("ab", 32))
		e.ok("acl", "set", target, e.file("acl.json", []byte(doc)))
		var aws any
		if target == b {
			aws = decode(t, e.awsCLI(ep, "s3api", "get-bucket-acl", "--bucket", e.bucket))
		} else {
			aws = decode(t, e.awsCLI(ep, "s3api", "get-object-acl", "--bucket", e.bucket, "--key", "o.txt"))
		}
		grants := member(t, aws, "Grants").([]any)
		if len(grants) != 3 || !hasAllUsersRead(aws) || member(t, grants[2], "Permission") != "READ_ACP" {
			t.Fatalf("%s: the AWS CLI reads the grants s3sso set as %v", target, aws)
		}
		ours := e.ok("acl", "get", target).Stdout
		if !reflect.DeepEqual(member(t, decode(t, ours), "Grants"), grants) {
			t.Fatalf("%s: s3sso reads %s, the AWS CLI %v", target, ours, grants)
		}
		// The reverse: the AWS CLI sets from s3sso's output (after a canned
		// ACL in between), and s3sso takes the AWS CLI's output.
		e.ok("acl", "set", target, "private")
		f := e.file("acl.out.json", []byte(ours))
		if target == b {
			e.awsCLI(ep, "s3api", "put-bucket-acl", "--bucket", e.bucket, "--access-control-policy", "file://"+f)
			aws = decode(t, e.awsCLI(ep, "s3api", "get-bucket-acl", "--bucket", e.bucket))
		} else {
			e.awsCLI(ep, "s3api", "put-object-acl", "--bucket", e.bucket, "--key", "o.txt", "--grant-read", "uri=http://acs.amazonaws.com/groups/global/AllUsers",
				"--grant-full-control", "id="+owner)
			aws = decode(t, e.awsCLI(ep, "s3api", "get-object-acl", "--bucket", e.bucket, "--key", "o.txt"))
		}
		if !hasAllUsersRead(decode(t, e.ok("acl", "get", target).Stdout)) {
			t.Fatalf("%s: s3sso does not read the grants the AWS CLI set", target)
		}
		e.ok("acl", "set", target, "private")
		awsJSON, _ := json.Marshal(aws)
		if r := e.runIn(string(awsJSON), "acl", "set", target, "-"); r.Code != 0 || !hasAllUsersRead(decode(t, e.ok("acl", "get", target).Stdout)) {
			t.Fatalf("%s: acl set from the AWS CLI's output: %s", target, r)
		}
	}
	e.fails(2, "Grants[0].Grantee.URI", "acl", "set", b, e.file("badacl.json", []byte(`{"Grants": [{"Grantee": {"Type": "Group"}, "Permission": "READ"}]}`)))
	e.fails(2, "unknown canned ACL", "acl", "set", b, "world-readable")
	e.fails(2, "unknown canned ACL", "cp", "--acl", "world-readable", e.file("x", []byte("x")), b+"/x")

	// CORS, both ways.
	cors := `{"CORSRules": [{"ID": "web", "AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]}`
	e.ok("bucket", "cors", b, "set", e.file("cors.json", []byte(cors)))
	awsCORS := e.awsCLI(ep, "s3api", "get-bucket-cors", "--bucket", e.bucket)
	if got, want := member(t, decode(t, awsCORS), "CORSRules"), member(t, decode(t, cors), "CORSRules"); !reflect.DeepEqual(got, want) {
		t.Fatalf("the AWS CLI reads the CORS s3sso set as %v", got)
	}
	ours := e.ok("bucket", "cors", b).Stdout
	e.ok("bucket", "cors", b, "delete")
	e.awsCLI(ep, "s3api", "put-bucket-cors", "--bucket", e.bucket, "--cors-configuration", "file://"+e.file("cors.out.json", []byte(ours)))
	if got := e.ok("bucket", "cors", b).Stdout; got != ours {
		t.Fatalf("after the AWS CLI put s3sso's output: %s", got)
	}
	e.fails(2, "AllowedMethods[0]", "bucket", "cors", b, "set", e.file("badcors.json", []byte(`{"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["FETCH"]}]}`)))
}

// TestAccessDeniedNamesPermission: a session whose policy allows only
// object reads gets AccessDenied for bucket settings, and the error names
// the permission that was missing.
func TestAccessDeniedNamesPermission(t *testing.T) {
	e := setup(t)
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.minio.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(e.minio.AccessKey, e.minio.SecretKey, ""), HTTPClient: awshttp.NewBuildableClient()})
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/r"),
		RoleSessionName: aws.String("reader"), DurationSeconds: aws.Int32(3600),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetBucketVersioning"],"Resource":["arn:aws:s3:::*"]}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	testenv.WriteFile(t, filepath.Join(e.home, ".aws", "credentials"), fmt.Sprintf("[e2e]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n",
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	r := e.fails(5, "s3:PutBucketPolicy", "bucket", "policy", "s3://"+e.bucket, "set", e.file("p.json", []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::`+e.bucket+`/*"}]}`)))
	e.fails(5, "s3:GetLifecycleConfiguration", "bucket", "lifecycle", "s3://"+e.bucket)
	e.fails(5, "s3:PutObjectAcl", "acl", "set", "s3://"+e.bucket+"/k", "private")
	t.Logf("access denied:\n%s", r.Stderr)
	// The overview shows what it could read and, in the row of each
	// setting it could not read, why: not a default ("none") that would
	// contradict it (both were shown before).
	r = e.ok("bucket", "info", "s3://"+e.bucket)
	if !regexp.MustCompile(`(?m)^Policy:\s+not readable: .*AccessDenied`).MatchString(r.Stdout) ||
		regexp.MustCompile(`(?m)^Policy:\s+none$`).MatchString(r.Stdout) || strings.Contains(r.Stdout, "Not readable: policy") {
		t.Fatalf("bucket info with a narrow policy: %s", r)
	}
}

// TestHeaderRules: a saved account's upload header rules are applied by cp
// and sync (explicit flags win), shown by account show, removable; the AWS
// CLI reads the headers s3sso stored.
func TestHeaderRules(t *testing.T) {
	e := setup(t)
	m := e.minio
	if r := e.runIn(m.SecretKey+"\n", "account", "add", "site", "--type", "keys", "--access-key-id", m.AccessKey,
		"--secret-access-key", "-", "--endpoint-url", m.Endpoint, "--region", "us-east-1"); r.Code != 0 {
		t.Fatalf("account add: %s", r)
	}
	e.ok("account", "edit", "site", "--header-rule", "*.css:Cache-Control=max-age=86400",
		"--header-rule", "*.css:content-type=text/css; charset=utf-8", "--header-rule", "reports/*:x-amz-meta-team=finance",
		"--header-rule", "*.gz:Content-Encoding=gzip", "--header-rule", "*.pdf:Content-Disposition=attachment")
	show := e.ok("account", "show", "site").Stdout
	for _, want := range []string{"header-rule:       *.css:Cache-Control=max-age=86400", "header-rule:       *.css:Content-Type=text/css; charset=utf-8",
		"header-rule:       reports/*:x-amz-meta-team=finance", "header-rule:       *.gz:Content-Encoding=gzip"} {
		if !strings.Contains(show, want) {
			t.Fatalf("account show lacks %q:\n%s", want, show)
		}
	}
	if js := decode(t, e.ok("account", "show", "site", "--json").Stdout); len(member(t, js, "header_rules").([]any)) != 4 {
		t.Fatalf("account show --json: %v", js)
	}
	e.fails(2, "PATTERN:Header=Value", "account", "edit", "site", "--header-rule", "nope")
	e.fails(2, "cannot be set by a rule", "account", "edit", "site", "--header-rule", "*.x:Authorization=secret")
	e.fails(2, "no such rule", "account", "edit", "site", "--remove-header-rule", "*.nothing")

	dir := filepath.Join(e.home, "site")
	testenv.WriteFile(t, filepath.Join(dir, "style.css"), "body{}")
	testenv.WriteFile(t, filepath.Join(dir, "app.js"), "x()")
	testenv.WriteFile(t, filepath.Join(dir, "reports", "q1.css"), "q{}")
	testenv.WriteFile(t, filepath.Join(dir, "data.gz"), "gz")
	testenv.WriteFile(t, filepath.Join(dir, "doc.pdf"), "%PDF")
	e.ok("cp", "-r", "--account", "site", dir, e.url(""))
	head := func(key string) map[string]any {
		t.Helper()
		return decode(t, e.awsCLI(m.Endpoint, "s3api", "head-object", "--bucket", e.bucket, "--key", key)).(map[string]any)
	}
	if h := head("style.css"); h["CacheControl"] != "max-age=86400" || h["ContentType"] != "text/css; charset=utf-8" {
		t.Errorf("style.css: %v", h)
	}
	if h := head("reports/q1.css"); h["CacheControl"] != "max-age=86400" || member(t, h["Metadata"], "team") != "finance" {
		t.Errorf("reports/q1.css (*.css matches its name, reports/* its key): %v", h)
	}
	if h := head("data.gz"); h["ContentEncoding"] != "gzip" {
		t.Errorf("data.gz: %v", h)
	}
	if h := head("doc.pdf"); h["ContentDisposition"] != "attachment" {
		t.Errorf("doc.pdf: %v", h)
	}
	if h := head("app.js"); h["CacheControl"] != nil || h["ContentEncoding"] != nil {
		t.Errorf("app.js matches no rule: %v", h)
	}
	// Explicit flags win over the rules.
	e.ok("cp", "--account", "site", "--cache-control", "no-cache", filepath.Join(dir, "style.css"), e.url("flag.css"))
	if h := head("flag.css"); h["CacheControl"] != "no-cache" || h["ContentType"] != "text/css; charset=utf-8" {
		t.Errorf("flag.css: %v", h)
	}
	// Without the account (a profile), no rules apply.
	e.ok("cp", filepath.Join(dir, "style.css"), e.url("plain.css"))
	if h := head("plain.css"); h["CacheControl"] != nil {
		t.Errorf("plain.css uploaded without the account: %v", h)
	}
	// sync applies them too; a removed header is no longer set.
	e.ok("account", "edit", "site", "--remove-header-rule", "*.css:Cache-Control")
	testenv.WriteFile(t, filepath.Join(dir, "new.css"), "n{}")
	e.ok("sync", "--account", "site", dir, e.url("synced/"))
	if h := head("synced/new.css"); h["CacheControl"] != nil || h["ContentType"] != "text/css; charset=utf-8" {
		t.Errorf("synced/new.css: %v", h)
	}
	if h := head("synced/data.gz"); h["ContentEncoding"] != "gzip" {
		t.Errorf("synced/data.gz: %v", h)
	}
	e.ok("account", "edit", "site", "--remove-header-rule", "*.css")
	if show := e.ok("account", "show", "site").Stdout; strings.Contains(show, "*.css") {
		t.Fatalf("after removing the *.css rule:\n%s", show)
	}
}
