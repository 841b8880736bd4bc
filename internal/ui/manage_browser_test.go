package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/chromedp"

	"github.com/s3sso/s3sso/internal/testenv"
)

// The bucket Properties dialog, the Permissions (ACL grid) and Versions
// dialogs and the account dialog's upload header rules (issue 15), driven
// in headless Chromium; the results are checked on the server with the SDK
// or with the CLI.

// clickIn clicks the element with data-testid id inside the one with
// data-testid outer.
func (e *uiEnv) clickIn(outer, id string) {
	e.t.Helper()
	e.tab.Do(chromedp.Click(tidIn(outer, id)))
}

// fillIn replaces the value of a field inside the element outer.
func (e *uiEnv) fillIn(outer, id, value string) {
	e.t.Helper()
	sel := `document.querySelector('[data-testid="` + outer + `"] [data-testid="` + id + `"]')`
	e.tab.WaitJS(`!!` + sel)
	// Set the value as typing would, then tell the page.
	e.tab.WaitJS(`(() => { const el = ` + sel + `; el.value = ` + js(value) + `; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
}

// goTo loads the page at a folder's deep link (without waiting for the
// listing's end: the rows and buttons these tests need are waited for).
func (e *uiEnv) goTo(acct, bucket, prefix string) {
	e.t.Helper()
	e.tab.Do(chromedp.Navigate(e.routeURL(acct, bucket, prefix)))
	e.waitApp()
}

// TestBrowserBucketProperties: every tab of the bucket Properties dialog
// changes the bucket on MinIO (with its static KMS key for encryption): the
// versioning switch, the policy editor (a mistake named with its line and
// field, a diff before applying), the lifecycle form, tags and default
// encryption.
func TestBrowserBucketProperties(t *testing.T) {
	home := testenv.Home(t)
	m := testenv.StartMinIOWith(t, testenv.MinIOOptions{KMS: true})
	e := &uiEnv{t: t, home: home, minio: m, bucket: m.NewBucket(t), vars: []string{"S3SSO_KEYRING=off", "BROWSER=/bin/false"}}
	e.addKeysAccount("lab")
	e.start("--account", "lab")
	e.goTo("lab", e.bucket, "")
	e.tab.Do(chromedp.WaitVisible(tid("bucket-properties")))
	client := m.Client(t)
	ctx := t.Context()

	e.click("bucket-properties")
	e.waitText("bucket-overview", "never enabled")

	// Versioning.
	e.click("btab-versioning")
	e.click("versioning-switch")
	e.click("versioning-apply")
	e.waitText("versioning-saved", "Saved.")
	e.waitText("versioning-status", "Enabled")
	if v, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(e.bucket)}); err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning after the switch: %v %v", v.Status, err)
	}

	// Policy: a mistake is named with its line and field; a valid one shows
	// its diff, then applies.
	e.click("btab-policy")
	e.tab.Allow(`/api/bucket/setting`) // the refused document below: a 400 the page shows
	e.fillIn("bpane-policy", "policy-doc", "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\n  \"Effect\": \"Allow\",\n  \"Principal\": \"*\",\n  \"Action\": \"s3:GetObject\"}]}")
	e.clickIn("bpane-policy", "policy-check")
	e.waitText("policy-error", "line 2, Statement[0].Resource")
	policy := fmt.Sprintf(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/public/*"}]}`, e.bucket)
	e.fillIn("bpane-policy", "policy-doc", policy)
	e.clickIn("bpane-policy", "policy-check")
	e.waitText("policy-diff", "+   \"Version\": \"2012-10-17\"")
	if _, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(e.bucket)}); err == nil {
		t.Fatal("Check set the policy")
	}
	e.clickIn("bpane-policy", "policy-apply")
	e.waitText("policy-saved", "Saved.")
	if p, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(e.bucket)}); err != nil || !strings.Contains(aws.ToString(p.Policy), "/public/*") {
		t.Fatalf("policy on the server: %v", err)
	}

	// Lifecycle: the form for the common rules, the JSON behind it.
	e.click("btab-lifecycle")
	e.clickIn("bpane-lifecycle", "lc-add")
	e.fillIn("bpane-lifecycle", "lc-id", "logs")
	e.fillIn("bpane-lifecycle", "lc-prefix", "logs/")
	e.fillIn("bpane-lifecycle", "lc-expire", "30")
	e.fillIn("bpane-lifecycle", "lc-noncurrent", "7")
	if doc := testenv.Eval[string](e.tab, `document.querySelector('[data-testid="lifecycle-doc"]').value`); !strings.Contains(doc, `"Days": 30`) || !strings.Contains(doc, `"NoncurrentDays": 7`) {
		t.Fatalf("the JSON behind the form: %s", doc)
	}
	e.clickIn("bpane-lifecycle", "lifecycle-apply")
	e.waitText("lifecycle-saved", "Saved.")
	lc, err := client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(e.bucket)})
	if err != nil || len(lc.Rules) != 1 || aws.ToString(lc.Rules[0].ID) != "logs" || aws.ToInt32(lc.Rules[0].Expiration.Days) != 30 ||
		aws.ToInt32(lc.Rules[0].NoncurrentVersionExpiration.NoncurrentDays) != 7 || aws.ToString(lc.Rules[0].Filter.Prefix) != "logs/" {
		t.Fatalf("lifecycle on the server: %+v %v", lc, err)
	}
	// Drawn again from the server, the rule is in the form.
	if n := testenv.Eval[int](e.tab, `document.querySelectorAll('[data-testid="bpane-lifecycle"] [data-testid="lc-rule"]').length`); n != 1 {
		t.Fatalf("%d rules in the form after saving", n)
	}

	// Tags.
	e.click("btab-tags")
	e.clickIn("bpane-tags", "tag-add")
	e.fillIn("bpane-tags", "tag-key", "team")
	e.fillIn("bpane-tags", "tag-value", "storage")
	e.clickIn("bpane-tags", "tags-apply")
	e.waitText("tags-saved", "Saved.")
	tags, err := client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(e.bucket)})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "team" || aws.ToString(tags.TagSet[0].Value) != "storage" {
		t.Fatalf("tags on the server: %+v %v", tags, err)
	}

	// Default encryption with MinIO's KMS key.
	e.click("btab-encryption")
	e.fillIn("bpane-encryption", "encryption-algorithm", "aws:kms")
	e.fillIn("bpane-encryption", "encryption-key", m.KMSKeyID)
	e.clickIn("bpane-encryption", "encryption-apply")
	e.waitText("encryption-saved", "Saved.")
	enc, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(e.bucket)})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAwsKms {
		t.Fatalf("encryption on the server: %v", err)
	}

	// The overview, drawn again, shows it all.
	e.click("btab-overview")
	e.waitText("bucket-overview", "aws:kms")
	for _, want := range []string{"Enabled", "team=storage"} {
		e.waitText("bucket-overview", want)
	}
	e.tab.Screenshot("bucket-properties")
	e.click("dialog-close")
}

// TestBrowserHeaderRules: the account dialog's upload header rules are
// saved to the account (the CLI shows them), a bad one is named beside its
// field, and an upload from the page gets the rule's headers.
func TestBrowserHeaderRules(t *testing.T) {
	e := setup(t, envOptions{})
	e.addKeysAccount("work")
	client := e.minio.Client(t)
	ctx := t.Context()
	e.start("--account", "work")
	e.goTo("work", e.bucket, "")
	e.tab.Do(chromedp.WaitVisible(tid("edit-account")))

	// Header rules in the account dialog's advanced settings.
	e.click("edit-account")
	e.click("advanced-toggle")
	e.fillIn("dialog", "field-header-rule", "*.css:Cache-Control=max-age=600\n*.css:x-amz-meta-kind=style")
	e.click("dialog-save")
	e.tab.WaitJS(`!document.querySelector('[data-testid="dialog"]').open`)
	show := e.s3sso("", "account", "show", "work")
	if !strings.Contains(show, "*.css:Cache-Control=max-age=600") || !strings.Contains(show, "*.css:x-amz-meta-kind=style") {
		t.Fatalf("account show after the dialog:\n%s", show)
	}
	// A bad rule is named beside its field.
	e.tab.Allow(`/api/accounts/work`) // a 400 the dialog shows
	e.click("edit-account")
	e.click("advanced-toggle")
	e.fillIn("dialog", "field-header-rule", "*.css:Authorization=x")
	e.click("dialog-save")
	e.waitText("field-error", "cannot be set by a rule")
	e.click("dialog-cancel")

	// An upload from the page gets the rule's headers.
	path := e.home + "/site.css"
	testenv.WriteFile(t, path, "body{}")
	e.tab.Do(chromedp.SetUploadFiles(tid("upload-input"), []string{path}, chromedp.NodeReady))
	e.waitRow("site.css")
	eventually(t, 10*time.Second, "the upload", func() bool { return e.getObject(e.bucket, "site.css") != nil })
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("site.css")})
	if err != nil || aws.ToString(head.CacheControl) != "max-age=600" || head.Metadata["kind"] != "style" {
		t.Fatalf("uploaded site.css: cache-control %q metadata %v (%v)", aws.ToString(head.CacheControl), head.Metadata, err)
	}
}

// TestBrowserPermissionsGrid: the ACL grid on moto (MinIO keeps only the
// owner's full control): granting Everyone read on an object and on the
// bucket, checked with the CLI, then a canned preset.
func TestBrowserPermissionsGrid(t *testing.T) {
	home := testenv.Home(t)
	ep := testenv.StartMoto(t)
	e := &uiEnv{t: t, home: home, bucket: "grid-bucket", vars: []string{"S3SSO_KEYRING=off", "BROWSER=/bin/false"}}
	e.s3sso("testing\n", "account", "add", "moto", "--type", "keys", "--access-key-id", "testing", "--secret-access-key", "-",
		"--endpoint-url", ep, "--region", "us-east-1")
	e.s3sso("", "mb", "s3://grid-bucket", "--account", "moto")
	testenv.WriteFile(t, home+"/o.txt", "o")
	e.s3sso("", "cp", home+"/o.txt", "s3://grid-bucket/o.txt", "--account", "moto")
	e.start("--account", "moto")
	e.goTo("moto", "grid-bucket", "")
	e.waitRow("o.txt")
	e.selectRow("o.txt")
	e.click("props-permissions")
	everyone := `[data-testid="acl-row"][data-grantee="Everyone"]`
	everyoneRow := chromedp.CSS(everyone)
	e.tab.Do(chromedp.WaitVisible(everyoneRow))
	if n := testenv.Eval[int](e.tab, `document.querySelectorAll('[data-testid="acl-row"]').length`); n != 3 {
		t.Fatalf("%d rows in the grid, want owner, everyone, authenticated users", n)
	}
	e.tab.Do(chromedp.Click(chromedp.CSS(everyone + ` [data-testid="acl-READ"]`)))
	e.click("acl-save")
	e.waitText("acl-saved", "Saved.")
	if acl := e.s3sso("", "acl", "get", "s3://grid-bucket/o.txt", "--account", "moto"); !strings.Contains(acl, "global/AllUsers") || !strings.Contains(acl, `"READ"`) {
		t.Fatalf("object ACL after the grid:\n%s", acl)
	}
	e.fillIn("dialog", "acl-canned", "private")
	e.click("acl-apply-canned")
	e.tab.WaitJS(`!document.querySelector('[data-testid="acl-row"][data-grantee="Everyone"] [data-testid="acl-READ"]').checked`)
	if acl := e.s3sso("", "acl", "get", "s3://grid-bucket/o.txt", "--account", "moto"); strings.Contains(acl, "AllUsers") {
		t.Fatalf("object ACL after private:\n%s", acl)
	}
	e.click("dialog-close")

	// The bucket's grid has Write too.
	e.goTo("moto", "grid-bucket", "")
	e.tab.Do(chromedp.WaitVisible(tid("bucket-permissions")))
	e.click("bucket-permissions")
	e.tab.Do(chromedp.WaitVisible(everyoneRow))
	e.tab.Do(chromedp.Click(chromedp.CSS(everyone + ` [data-testid="acl-WRITE"]`)))
	e.click("acl-save")
	e.waitText("acl-saved", "Saved.")
	if acl := e.s3sso("", "acl", "get", "s3://grid-bucket", "--account", "moto"); !strings.Contains(acl, `"WRITE"`) {
		t.Fatalf("bucket ACL after the grid:\n%s", acl)
	}
}
