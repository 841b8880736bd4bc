package objstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/s3sso/s3sso/internal/fault"
)

// TestCheckSettingErrors feeds malformed documents and checks that the
// error names the line and the field.
func TestCheckSettingErrors(t *testing.T) {
	cases := []struct {
		st          Setting
		doc         string
		line        int
		field, want string
	}{
		{SettingLifecycle, "{\n  \"Rules\": [\n    {\n      \"ID\": \"x\",\n      \"Status\": \"enabled\"\n    }\n  ]\n}", 5, "Rules[0].Status", `"enabled" is not one of Enabled, Disabled`},
		{SettingLifecycle, "{\n  \"Rules\": [\n    {\n      \"Status\": \"Enabled\",\n      \"Expiration\": {\"Dayz\": 3}\n    }\n  ]\n}", 5, "Rules[0].Expiration.Dayz", `unknown field "Dayz"`},
		{SettingLifecycle, "{\"Rules\": [\n {\"Status\": \"Enabled\",\n  \"Expiration\": {\"Days\": \"3\"}}]}", 3, "Rules[0].Expiration.Days", "want a whole number"},
		{SettingLifecycle, "{\"Rules\": [\n {\"Status\": \"Enabled\", \"Filter\": {}}]}", 2, "Rules[0]", "the rule does nothing"},
		{SettingLifecycle, "{\"Rules\": [\n {\"Filter\": {},\n \"Expiration\": {\"Days\": 1}}]}", 2, "Rules[0].Status", "the field is missing"},
		{SettingLifecycle, "{\"Rules\": [\n {\"Status\": \"Enabled\", \"Filter\": {},\n \"Expiration\": {\n\"Days\": 0}}]}", 4, "Rules[0].Expiration.Days", "positive"},
		{SettingLifecycle, "{\"Rules\": [\n {\"Status\": \"Enabled\",\n \"Expiration\": {\"Days\": 1}\n ]}", 4, "", "not valid JSON"},
		{SettingLifecycle, "{\"Rules\": [\n", 2, "", "ends too early"},
		{SettingLifecycle, "", 0, "", "empty"},
		{SettingCORS, "{\"CORSRules\": [\n  {\"AllowedOrigins\": [\"*\"],\n   \"AllowedMethods\": [\"GET\",\n \"PATCH\"]}]}", 4, "CORSRules[0].AllowedMethods[1]", `"PATCH" is not one of`},
		{SettingCORS, "{\"CORSRules\": [\n  {\"AllowedMethods\": [\"GET\"]}]}", 2, "CORSRules[0].AllowedOrigins", "missing"},
		{SettingVersioning, "{\"Status\": \"On\"}", 1, "Status", "not one of Enabled, Suspended"},
		{SettingVersioning, "{\n\"MFADelete\": \"Disabled\"}", 1, "Status", "missing"},
		{SettingTags, "{\"TagSet\": [\n{\"Key\": \"a\", \"Value\": \"1\"},\n{\"Key\": \"a\", \"Value\": 2}]}", 3, "TagSet[1].Value", "want a string"},
		{SettingTags, "{\"TagSet\": [\n{\"Key\": \"a\", \"Value\": \"1\"},\n{\"Key\": \"a\", \"Value\": \"2\"}]}", 1, "TagSet", "given twice"},
		{SettingEncryption, "{\"Rules\": [\n{\"ApplyServerSideEncryptionByDefault\": {\n\"SSEAlgorithm\": \"AES128\"}}]}", 3, "Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm", "not one of"},
		{SettingEncryption, "{\"ServerSideEncryptionConfiguration\": {\n  \"Rules\": [\n{\"BucketKeyEnabled\": true}]}}", 3, "Rules[0].ApplyServerSideEncryptionByDefault", "missing"},
		{SettingPolicy, "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\n  \"Effect\": \"Allow\",\n  \"Principal\": \"*\",\n  \"Action\": \"s3:GetObject\"}]}", 2, "Statement[0].Resource", "missing"},
		{SettingPolicy, "{\"Statement\": [{\n  \"Effect\": \"allow\"}]}", 2, "Statement[0].Effect", "want Allow or Deny"},
		{SettingPolicy, "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Resource\": \"*\",\n \"Action\": [\"s3:GetObject\",\n \"ec2:Run\"]}}", 3, "Statement.Action", "not an S3 action"},
		{SettingPolicy, "{\"Version\": \"2012-10-17\",\n \"Statemnts\": []}", 2, "Statemnts", "unknown field"},
	}
	for _, c := range cases {
		_, err := CheckSetting(c.st, []byte(c.doc))
		var de *DocError
		if !errors.As(err, &de) {
			t.Errorf("%s %q: error %v, want a DocError", c.st, c.doc, err)
			continue
		}
		if fault.KindOf(err) != fault.Usage {
			t.Errorf("%s: kind %v, want usage", c.st, fault.KindOf(err))
		}
		if de.Line != c.line || de.Field != c.field || !strings.Contains(de.Msg, c.want) {
			t.Errorf("%s %q:\n got line %d field %q: %s\nwant line %d field %q: ...%s...", c.st, c.doc, de.Line, de.Field, de.Msg, c.line, c.field, c.want)
		}
	}
}

// TestCheckSettingAWSCLIShapes accepts what the AWS CLI's get commands
// print (wrappers and extra members included) and normalizes it to what
// the put commands take.
func TestCheckSettingAWSCLIShapes(t *testing.T) {
	cases := []struct {
		st       Setting
		in, want string
	}{
		{SettingEncryption, `{"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}]}}`,
			"{\n  \"Rules\": [\n    {\n      \"ApplyServerSideEncryptionByDefault\": {\n        \"SSEAlgorithm\": \"AES256\"\n      },\n      \"BucketKeyEnabled\": false\n    }\n  ]\n}\n"},
		{SettingPolicy, `{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}"}`,
			"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": \"*\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::b/*\"\n    }\n  ]\n}\n"},
		{SettingLifecycle, `{"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K", "Rules": [{"ID": "logs", "Prefix": "", "Status": "Enabled", "Expiration": {"Date": "2030-01-01T00:00:00+00:00"}}]}`,
			"{\n  \"Rules\": [\n    {\n      \"Expiration\": {\n        \"Date\": \"2030-01-01T00:00:00Z\"\n      },\n      \"ID\": \"logs\",\n      \"Status\": \"Enabled\"\n    }\n  ]\n}\n"},
		{SettingVersioning, `{"Status": "Enabled", "MFADelete": "Disabled"}`, "{\n  \"MFADelete\": \"Disabled\",\n  \"Status\": \"Enabled\"\n}\n"},
	}
	for _, c := range cases {
		got, err := CheckSetting(c.st, []byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.st, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.st, got, c.want)
		}
	}
}

func TestDiff(t *testing.T) {
	got := Diff("a\nb\nc\n", "a\nc\nd\n")
	want := "  a\n- b\n  c\n+ d\n"
	if got != want {
		t.Fatalf("diff:\n%s\nwant\n%s", got, want)
	}
	if got := Diff("", "x\n"); got != "+ x\n" {
		t.Fatalf("diff from nothing: %q", got)
	}
}

func TestParseACLErrors(t *testing.T) {
	cases := []struct {
		doc, field, want string
		line             int
	}{
		{"{\"Grants\": [\n {\"Grantee\": {\"Type\": \"Group\"},\n  \"Permission\": \"READ\"}]}", "Grants[0].Grantee.URI", "needs URI", 2},
		{"{\"Grants\": [\n {\"Grantee\": {\"Type\": \"CanonicalUser\", \"ID\": \"x\"},\n  \"Permission\": \"READ_ALL\"}]}", "Grants[0].Permission", "not one of", 3},
		{"{\"Owner\": {\"ID\": \"x\"}}", "Grants", "missing", 1},
	}
	for _, c := range cases {
		_, err := ParseACL([]byte(c.doc))
		var de *DocError
		if !errors.As(err, &de) || de.Field != c.field || de.Line != c.line || !strings.Contains(de.Msg, c.want) {
			t.Errorf("%q: %v (want line %d field %s: %s)", c.doc, err, c.line, c.field, c.want)
		}
	}
	acl, err := ParseACL([]byte(`{"Owner": {"DisplayName": "me", "ID": "abc"}, "Grants": [{"Grantee": {"Type": "Group", "URI": "` + GroupAllUsers + `"}, "Permission": "READ"}]}`))
	if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Grantee.URI != GroupAllUsers || acl.Owner.ID != "abc" {
		t.Fatalf("%+v %v", acl, err)
	}
}
