package ui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/s3sso/s3sso/internal/testenv"
)

// bigFileSize is the file uploaded and downloaded through the page: 200
// MiB, or 24 MiB when s3sso and the test are built with -race.
func bigFileSize() int {
	if testenv.RaceEnabled {
		return 24 << 20
	}
	return 200 << 20
}

// TestBrowserSSOWorkflow is a newcomer's session in the real browser:
// add an IAM Identity Center account through the dialog (with its advanced
// settings: the S3 endpoint, list all buckets, an external bucket), sign
// in with PKCE (the emulator's authorization page opens in the browser and
// redirects to s3sso's loopback listener), pick the role from the portal's
// list, browse, upload a folder and a big file, download it and compare
// the bytes, rename, edit metadata, share a presigned link and fetch it,
// delete. Screenshots of each main screen are taken on the way.
func TestBrowserSSOWorkflow(t *testing.T) {
	e := setup(t, envOptions{})
	e.putObject(e.bucket, "docs/readme.txt", []byte("read me"))
	ext := e.minio.NewBucket(t) // shown as an external bucket with a path
	e.putObject(ext, "shared/team.txt", []byte("team"))
	e.start()

	// No accounts yet: the welcome state offers to add one.
	e.tab.Do(chromedp.WaitVisible(tid("empty-add-account")))
	e.click("add-account")
	e.tab.Do(chromedp.WaitVisible(tid("account-dialog")))
	if p := testenv.TabRun(e.tab, chromedp.AttributeValue(tid("type-sso"), "aria-pressed")); p.Value != "true" {
		t.Errorf("the dialog opens on %q for SSO, want the SSO form first", p.Value)
	}
	e.fill("field-name", "work")
	e.fill("field-start-url", startURL)
	e.fill("field-sso-region", "us-east-1")
	// Account ID and role name stay empty: picked after sign-in.
	e.click("advanced-toggle")
	e.tab.Do(chromedp.WaitVisible(tid("advanced-settings")))
	e.fill("field-endpoint-url", e.minio.Endpoint)
	e.fill("field-region", "us-east-1")
	e.fill("field-external-bucket", ext+"/shared")
	if !testenv.Eval[bool](e.tab, `document.querySelector('[data-testid="field-list-all-buckets"]').checked`) {
		t.Error("list all my buckets is off by default")
	}
	e.shot("add-account-dialog")
	e.click("dialog-save")
	e.tab.Do(chromedp.WaitNotVisible(tid("account-dialog")))
	e.tab.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="account"][data-name="work"]`)))
	saved := e.s3sso("", "account", "list")
	if !strings.Contains(saved, "work") {
		t.Fatalf("the CLI does not see the account added in the page:\n%s", saved)
	}

	// Sign in: PKCE in the browser, then the role from the portal's list.
	e.tab.Do(chromedp.WaitVisible(tidIn("account-card", "sign-in")))
	e.tab.Do(chromedp.Click(tidIn("account-card", "sign-in")))
	e.tab.Do(chromedp.WaitVisible(tid("choice-dialog")))
	// The sign-in page opened in a new tab, in front.
	e.tab.BringToFront()
	labels := testenv.Eval[[]string](e.tab, `[...document.querySelectorAll('[data-testid="choice"]')].map(e => e.textContent)`)
	i := slices.IndexFunc(labels, func(l string) bool { return strings.Contains(l, "Admin") })
	if len(labels) != 2 || i < 0 {
		t.Fatalf("roles offered %q, want ReadOnly and Admin", labels)
	}
	e.shot("role-choice")
	e.tab.Do(chromedp.Click(chromedp.CSS(`[data-testid="choice"][data-index="` + string(rune('0'+i)) + `"]`)))
	e.click("dialog-confirm")
	e.waitText("account-state", "signed in")
	if n := e.emu.Count("CreateToken:authorization_code"); n != 1 {
		t.Errorf("%d PKCE token exchanges, want 1", n)
	}
	if n := e.emu.Count("Authorize"); n != 1 {
		t.Errorf("the browser visited the authorization page %d times, want 1", n)
	}
	// The sign-in serves the CLI: same token cache, no second sign-in.
	if out := e.s3sso("", "ls", "--account", "work", "s3://"+e.bucket+"/docs/"); !strings.Contains(out, "readme.txt") {
		t.Errorf("the CLI after the page's sign-in: %s", out)
	}
	if n := e.emu.Count("CreateToken:authorization_code"); n != 1 {
		t.Errorf("the CLI signed in again (%d PKCE exchanges)", n)
	}

	// Buckets: the listed one and the external one with its path.
	e.tab.Do(chromedp.WaitVisible(chromedp.CSS(`[data-testid="bucket"][data-name="` + e.bucket + `"]`)))
	e.waitText("bucket-list", ext+"/shared")
	if b := e.text("banners"); b != "" {
		t.Errorf("banners after the sign-in: %q", b)
	}
	e.shot("account-list")

	// Browse: open the bucket, then the folder through its row.
	e.tab.Do(chromedp.Click(chromedp.CSS(`[data-testid="bucket"][data-name="` + e.bucket + `"] .name`)))
	e.waitListed()
	e.waitRow("docs/")
	e.tab.Do(chromedp.DoubleClick(row("docs/")))
	e.waitRow("readme.txt")
	if loc := testenv.TabRun(e.tab, chromedp.Location()); loc != e.routeURL("work", e.bucket, "docs/") {
		t.Errorf("location %s, want the deep link %s", loc, e.routeURL("work", e.bucket, "docs/"))
	}
	e.tab.Do(chromedp.Click(chromedp.CSS(`[data-testid="crumb"][data-prefix=""]`)))
	e.waitRow("docs/")

	// Upload a folder (the folder picker).
	local := filepath.Join(e.home, "photos")
	tree := map[string][]byte{
		"a.txt":          []byte("alpha"),
		"sub/b.bin":      randomData(300<<10, 1),
		"sub/deep/c.txt": []byte("gamma"),
	}
	writeTree(t, local, tree)
	e.tab.Do(chromedp.SetUploadFiles(tid("folder-input"), []string{local}))
	eventually(t, 2*time.Minute, "the folder's files in the bucket", func() bool {
		return len(e.keys(e.bucket, "photos/")) == len(tree)
	})
	for rel, want := range tree {
		if got := e.getObject(e.bucket, "photos/"+rel); !bytes.Equal(got, want) {
			t.Errorf("photos/%s: %d bytes differ from the %d uploaded", rel, len(got), len(want))
		}
	}
	e.waitRow("photos/")

	// Upload a big file (the file picker), then download it and compare.
	big := filepath.Join(e.home, "big.bin")
	data := randomData(bigFileSize(), 2)
	if err := os.WriteFile(big, data, 0o600); err != nil {
		t.Fatal(err)
	}
	e.tab.Do(chromedp.SetUploadFiles(tid("upload-input"), []string{big}))
	e.waitTransfer("upload", "s3://"+e.bucket+"/big.bin", 5*time.Minute)
	e.shot("transfers")
	if got := e.getObject(e.bucket, "big.bin"); sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("big.bin on the server: %d bytes, not the %d uploaded", len(got), len(data))
	}
	e.waitRow("big.bin")
	dl := filepath.Join(e.home, "downloads")
	e.tab.AllowDownloads(dl)
	e.selectRow("big.bin")
	e.click("download")
	d := e.tab.WaitDownload("/api/download", 5*time.Minute)
	got, err := os.ReadFile(filepath.Join(dl, d.GUID))
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("downloaded %d bytes, not the %d uploaded", len(got), len(data))
	}
	if d.SuggestedName != "big.bin" {
		t.Errorf("download named %q, want big.bin", d.SuggestedName)
	}
	e.waitTransfer("download", "s3://"+e.bucket+"/big.bin", time.Minute)

	// Properties, metadata.
	e.selectRow("photos/")
	e.selectRow("big.bin")
	e.waitText("props-general", "ETag")
	e.shot("properties")
	e.click("edit-metadata")
	e.tab.Do(chromedp.WaitVisible(tid("metadata-dialog")))
	e.fill("field-content-type", "text/plain")
	e.fill("field-cache-control", "max-age=60")
	e.click("meta-add")
	e.tab.Do(chromedp.SendKeys(chromedp.CSS(`[data-testid="metadata-row"]:last-child [data-testid="meta-key"]`), "team"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="metadata-row"]:last-child [data-testid="meta-value"]`), "blue"))
	e.click("dialog-save")
	e.tab.Do(chromedp.WaitNotVisible(tid("metadata-dialog")))
	e.waitText("props-metadata", "blue")
	head, err := e.minio.Client(t).HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(e.bucket), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "text/plain" || aws.ToString(head.CacheControl) != "max-age=60" || head.Metadata["team"] != "blue" {
		t.Errorf("after editing: content type %q, cache control %q, metadata %v", aws.ToString(head.ContentType), aws.ToString(head.CacheControl), head.Metadata)
	}
	if got := e.getObject(e.bucket, "big.bin"); sha256.Sum256(got) != sha256.Sum256(data) {
		t.Errorf("editing the metadata changed the bytes")
	}

	// Share: a presigned GET link that works without the page.
	e.selectRow("photos/")
	e.tab.Do(chromedp.DoubleClick(row("photos/")))
	e.waitRow("a.txt")
	e.selectRow("a.txt")
	e.click("share")
	e.tab.Do(chromedp.WaitVisible(tid("share-dialog")))
	e.click("share-create")
	e.tab.Do(chromedp.WaitVisible(tid("share-url")))
	e.shot("share-dialog")
	link := testenv.TabRun(e.tab, chromedp.Value(tid("share-url")))
	if body := fetch(t, link); body != "alpha" {
		t.Errorf("the presigned link gave %q, want alpha", body)
	}
	e.click("dialog-cancel")

	// Rename a file and a folder.
	e.selectRow("a.txt")
	e.click("rename")
	e.tab.Do(chromedp.WaitVisible(tid("rename-input")))
	e.fill("rename-input", "renamed.txt")
	e.click("dialog-confirm")
	e.waitRow("renamed.txt")
	e.waitNoRow("a.txt")
	if got := e.getObject(e.bucket, "photos/renamed.txt"); string(got) != "alpha" {
		t.Errorf("renamed.txt holds %q", got)
	}
	if e.getObject(e.bucket, "photos/a.txt") != nil {
		t.Error("a.txt is still there after the rename")
	}
	e.selectRow("sub/")
	e.click("rename")
	e.tab.Do(chromedp.WaitVisible(tid("rename-input")))
	e.fill("rename-input", "moved")
	e.click("dialog-confirm")
	e.waitRow("moved/")
	e.waitNoRow("sub/")
	if k := e.keys(e.bucket, "photos/moved/"); len(k) != 2 {
		t.Errorf("the renamed folder holds %q, want b.bin and deep/c.txt", k)
	}
	if k := e.keys(e.bucket, "photos/sub/"); len(k) != 0 {
		t.Errorf("the old folder still holds %q", k)
	}

	// Delete the folder: the dialog names it, Cancel is the default.
	e.selectRow("moved/")
	e.click("delete")
	e.tab.Do(chromedp.WaitVisible(tid("confirm-dialog")))
	if title := e.text("confirm-dialog"); !strings.Contains(title, "folder") {
		t.Errorf("the delete dialog says %q", title)
	}
	e.click("dialog-confirm")
	e.waitNoRow("moved/")
	eventually(t, 30*time.Second, "the folder deleted on the server", func() bool { return len(e.keys(e.bucket, "photos/moved/")) == 0 })

	// Dark mode.
	e.tab.ColorScheme("dark")
	e.tab.Do(chromedp.Click(chromedp.CSS(`[data-testid="crumb"][data-prefix=""]`)))
	e.waitRow("big.bin")
	e.selectRow("big.bin")
	e.waitText("props-general", "ETag")
	e.shot("dark-mode")
	e.tab.ColorScheme("light")
}

// waitTransfer waits until the queue's item op of title (s3://bucket/key)
// is done; it fails at once when the item failed.
func (e *uiEnv) waitTransfer(op, title string, d time.Duration) {
	e.t.Helper()
	state := `(() => { const li = [...document.querySelectorAll('[data-testid="transfer"][data-op="` + op + `"]')].find(li => li.querySelector('.title').title === ` + js(title) + `); return li ? li.dataset.state : ""; })()`
	ctx, cancel := context.WithTimeout(e.t.Context(), d)
	defer cancel()
	for {
		s := testenv.Eval[string](e.tab, state)
		switch s {
		case "done":
			return
		case "failed", "cancelled":
			e.t.Fatalf("%s of %s: %s: %s", op, title, s, testenv.Eval[string](e.tab, `document.querySelector('[data-testid="transfer-list"]').innerText`))
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("%s of %s not done within %v (state %q)", op, title, d, s)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fetch GETs u with a plain HTTP client and returns the body.
func fetch(t *testing.T, u string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatalf("GET the link: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET the link: HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b)
}
