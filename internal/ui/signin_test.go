package ui

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/session"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

const startURL = "https://d-1234567890.awsapps.com/start"

// TestSSOSignInInThePage: an "Amazon S3 via SSO" account added without an
// account or role signs in from the page: the PKCE sign-in shows as a
// panel with the authorization link (the browser's redirect reaches the
// core's loopback listener), the portal's two roles come as a choice the
// page answers, the token lands in the AWS CLI's cache, and the account
// then lists buckets. Sign-out ends it.
func TestSSOSignInInThePage(t *testing.T) {
	m := testenv.SharedMinIO(t)
	bucket := m.NewBucket(t)
	e := startUI(t)
	emu := ssotest.Start(t, ssotest.Options{Credentials: ssotest.MinIOCredentials(m.Endpoint, m.AccessKey, m.SecretKey, 0)})
	t.Setenv("AWS_ENDPOINT_URL_SSO", emu.URL)
	t.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", emu.URL)

	form := map[string]any{"name": "work", "type": "sso", "settings": map[string]any{"start-url": startURL, "sso-region": "us-east-1",
		"endpoint-url": m.Endpoint, "region": m.Region, "path-style": true, "list-all-buckets": false, "external-bucket": bucket}}
	if st := e.do("POST", "/api/accounts", form, nil); st != http.StatusCreated {
		t.Fatalf("add: %d", st)
	}
	// Browsing before the sign-in: the error names the account to sign in to.
	// (No page is connected yet: the core must not start a sign-in by itself.)
	var errOut map[string]apiErr
	if st := e.do("GET", "/api/buckets?acct=work", nil, &errOut); st != http.StatusUnauthorized || errOut["error"].Login != "work" {
		t.Errorf("buckets before sign-in: %d %+v", st, errOut)
	}
	e.watch()

	if st := e.do("POST", "/api/accounts/work/login", map[string]any{}, nil); st != http.StatusAccepted {
		t.Fatalf("login: %d", st)
	}
	var signin Prompt
	json.Unmarshal(e.waitEvent("prompt", func(d json.RawMessage) bool { return strings.Contains(string(d), `"signin"`) }), &signin)
	if signin.Flow != "pkce" || signin.Ref != "work" || !strings.HasPrefix(signin.URL, emu.URL) || !signin.OpenHere {
		t.Fatalf("sign-in panel: %+v", signin)
	}
	// The person's browser: the authorization page redirects to the
	// loopback listener.
	go func() {
		res, err := http.Get(signin.URL)
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}()
	var choice Prompt
	json.Unmarshal(e.waitEvent("prompt", func(d json.RawMessage) bool { return strings.Contains(string(d), `"choose"`) }), &choice)
	if choice.Ref != "work" || len(choice.Labels) != 2 || !strings.Contains(strings.Join(choice.Labels, ","), "Admin") {
		t.Fatalf("role choice: %+v", choice)
	}
	admin := 0
	for i, l := range choice.Labels {
		if strings.Contains(l, "Admin") {
			admin = i
		}
	}
	if st := e.do("POST", "/api/prompts/"+choice.ID, map[string]any{"index": admin}, nil); st != 200 {
		t.Fatalf("answer: %d", st)
	}
	var done loginState
	json.Unmarshal(e.waitEvent("login", nil), &done)
	if done.State != "done" || done.Role != "Admin" || done.Account != "111122223333" || done.Expires == "" {
		t.Fatalf("login: %+v", done)
	}
	if st := e.do("POST", "/api/prompts/"+choice.ID, map[string]any{"index": 0}, &errOut); st != http.StatusNotFound {
		t.Errorf("answering twice: %d", st)
	}
	if len(e.srv.prompter.pending()) != 0 {
		t.Errorf("prompts left: %+v", e.srv.prompter.pending())
	}
	// The token is in the AWS CLI's start-URL cache, shared with the CLI.
	home, _ := os.UserHomeDir()
	matches, _ := filepath.Glob(filepath.Join(home, ".aws", "sso", "cache", "*.json"))
	if len(matches) == 0 {
		t.Error("no token in ~/.aws/sso/cache")
	}
	var accts accountList
	e.do("GET", "/api/accounts", nil, &accts)
	if a := accts.Accounts[0]; !a.SignedIn || !a.Usable || !strings.HasPrefix(a.State, "signed in until") || a.Settings.RoleName != "Admin" {
		t.Errorf("after sign-in: %+v %+v", a, a.Settings)
	}
	if s := mustJSON(accts); strings.Contains(s, "accessToken") {
		t.Error("a token reached the page")
	}
	var bl struct{ Buckets []bucketView }
	if st := e.do("GET", "/api/buckets?acct=work", nil, &bl); st != 200 || len(bl.Buckets) != 1 || bl.Buckets[0].Name != bucket || !bl.Buckets[0].External {
		t.Errorf("buckets after sign-in: %d %+v", st, bl)
	}
	if rows, end := e.list("/api/list?" + q("acct", "work", "bucket", bucket, "prefix", "")); end.Error != nil || len(rows) != 0 {
		t.Errorf("listing with the role's credentials: %v %+v", rows, end.Error)
	}

	// Sign out.
	if st := e.do("POST", "/api/accounts/work/logout", nil, nil); st != 200 {
		t.Fatalf("logout: %d", st)
	}
	e.do("GET", "/api/accounts", nil, &accts)
	if a := accts.Accounts[0]; a.Usable || a.State != "needs sign-in" {
		t.Errorf("after sign-out: %+v", a)
	}
}

// TestPrompterQuestions: the page's prompter turns the core's questions
// into pending prompts that wait for an answer or for ctx, and sign-ins
// into panels; notices pause and resume the account's transfers.
func TestPrompterQuestions(t *testing.T) {
	h := newHub()
	c, unsub := h.subscribe()
	defer unsub()
	p := newPrompter(h)
	if !p.Interactive() || !p.CanSignIn() {
		t.Fatal("a page is connected")
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 1)
	go func() {
		v, err := p.Ask(ctx, session.Question{Ref: session.Ref{Account: "lab"}, What: "IAM role ARN to assume"})
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- v
	}()
	ev := <-c
	pr := ev.Data.(*Prompt)
	if ev.Type != "prompt" || pr.Kind != "ask" || pr.Ref != "lab" {
		t.Fatalf("prompt: %+v", ev)
	}
	if err := p.Answer(pr.ID, answer{Text: "arn:aws:iam::111122223333:role/x"}); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "arn:aws:iam::111122223333:role/x" {
		t.Errorf("answer: %s", v)
	}
	// Cancelled by ctx: returns at once, and the prompt is gone.
	go func() {
		_, err := p.Choose(ctx, session.Choice{Ref: session.Ref{Account: "lab"}, What: "role", Labels: []string{"a", "b"}})
		got <- errString(err)
	}()
	for ev := range c {
		if ev.Type == "prompt" {
			break
		}
	}
	cancel()
	if v := <-got; !strings.Contains(v, "canceled") {
		t.Errorf("cancelled choice: %s", v)
	}
	if len(p.pending()) != 0 {
		t.Errorf("pending after cancel: %v", p.pending())
	}
	// Cancelled in the page.
	go func() {
		_, err := p.Confirm(context.Background(), session.Ref{Profile: "dev"}, errors.New("expired"))
		got <- errString(err)
	}()
	var id string
	for ev := range c {
		if ev.Type == "prompt" {
			id = ev.Data.(*Prompt).ID
			if ev.Data.(*Prompt).Ref != "profile:dev" {
				t.Errorf("ref: %+v", ev.Data)
			}
			break
		}
	}
	p.Answer(id, answer{Cancel: true})
	if v := <-got; !strings.Contains(v, "cancelled in the page") {
		t.Errorf("cancel: %s", v)
	}
	// A sign-in is a panel until it ends.
	p.SignIn(withSignInRef(context.Background(), "work"), session.SignIn{Flow: session.FlowDevice, URL: "https://x/device?code=ABCD", UserCode: "ABCD-EFGH"})
	if ps := p.pending(); len(ps) != 1 || ps[0].UserCode != "ABCD-EFGH" || ps[0].Ref != "work" {
		t.Fatalf("sign-in panel: %+v", ps)
	}
	p.clearSignIns("work")
	if len(p.pending()) != 0 {
		t.Error("panel not cleared")
	}
	// Notices: a paused job's transfers are marked, then go on.
	q := newQueue(h)
	var marks []bool
	p.onNotice = func(n session.Notice) { q.setPaused(refName(n.Ref), n.Kind == session.NoticeSignInExpired) }
	release := make(chan struct{})
	q.start(context.Background(), &Transfer{Op: "upload", Ref: "work"}, false, func(ctx context.Context, tr *Transfer) error {
		<-release
		return nil
	})
	p.Notify(context.Background(), session.Notice{Kind: session.NoticeSignInExpired, Ref: session.Ref{Account: "work"}})
	marks = append(marks, q.list()[0].Paused)
	p.Notify(context.Background(), session.Notice{Kind: session.NoticeJobResumed, Ref: session.Ref{Account: "work"}})
	marks = append(marks, q.list()[0].Paused)
	close(release)
	if len(marks) != 2 || !marks[0] || marks[1] {
		t.Errorf("paused marks: %v", marks)
	}
	// No page: no person.
	unsub()
	if p.Interactive() || p.CanSignIn() {
		t.Error("no page is connected")
	}
	_ = time.Second
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
