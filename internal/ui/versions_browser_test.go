package ui_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/chromedp/chromedp"
)

// TestBrowserRestoreVersion: in a versioned bucket, the Versions tab lists
// an object's versions and Restore makes an older one the current one
// again (a new version with its bytes).
func TestBrowserRestoreVersion(t *testing.T) {
	e := setup(t, envOptions{})
	e.addKeysAccount("work")
	_, err := e.minio.Client(t).PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(e.bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	if err != nil {
		t.Fatal(err)
	}
	e.putObject(e.bucket, "notes.txt", []byte("first draft"))
	e.putObject(e.bucket, "notes.txt", []byte("second draft"))
	e.start("--account", "work")
	e.open("work", e.bucket, "")
	e.selectRow("notes.txt")
	e.click("tab-versions")
	e.tab.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="version"][data-latest="false"] [data-testid="version-restore"]`)))
	if n := len(testenvNodes(e, `[data-testid="version"]`)); n != 2 {
		t.Fatalf("%d versions listed, want 2", n)
	}
	e.tab.Do(chromedp.Click(chromedp.CSS(`[data-testid="version"][data-latest="false"] [data-testid="version-restore"]`)))
	eventually(t, 30*time.Second, "the first draft current again", func() bool { return string(e.getObject(e.bucket, "notes.txt")) == "first draft" })
	e.tab.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="versions"]`)))
	eventually(t, 30*time.Second, "three versions listed", func() bool { return len(testenvNodes(e, `[data-testid="version"]`)) == 3 })
}

// testenvNodes returns the data-testid attributes of the elements matching
// the CSS selector sel (empty when none).
func testenvNodes(e *uiEnv, sel string) []string {
	e.t.Helper()
	return evalStrings(e, `[...document.querySelectorAll(`+js(sel)+`)].map(e => e.dataset.testid)`)
}
