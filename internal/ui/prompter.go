package ui

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/s3sso/s3sso/internal/fault"
	"github.com/s3sso/s3sso/internal/session"
)

// Prompt is a question or a sign-in the page shows: the web side of
// session.Prompter. Questions (choose, ask, confirm) wait for the page's
// answer (POST /api/prompts/{id}); a sign-in stays shown until it ends.
type Prompt struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // "signin", "choose", "ask", "confirm"
	Ref  string `json:"ref,omitempty"`

	// signin
	Flow            string `json:"flow,omitempty"`
	Provider        string `json:"provider,omitempty"`
	URL             string `json:"url,omitempty"`
	VerificationURL string `json:"verification_url,omitempty"`
	UserCode        string `json:"user_code,omitempty"`
	OpenHere        bool   `json:"open_here,omitempty"`

	// choose, ask, confirm
	What    string   `json:"what,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Example string   `json:"example,omitempty"`
	Cause   string   `json:"cause,omitempty"`

	answer chan answer
}

type answer struct {
	Index  int    `json:"index"`
	Text   string `json:"text"`
	Yes    bool   `json:"yes"`
	Cancel bool   `json:"cancel"`
}

// Notice is a message the page shows as a toast or banner.
type Notice struct {
	Kind    string `json:"kind"` // session notice kinds, "warning", "info"
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message"`
}

// Prompter is the page's session.Prompter. A person is there while a page
// is connected to the event stream.
type Prompter struct {
	hub *hub
	seq atomic.Int64

	mu      sync.Mutex
	prompts map[string]*Prompt
	order   []string

	// onNotice, when set, sees every notice first (the server pauses and
	// resumes the account's transfers in the queue).
	onNotice func(n session.Notice)
}

var _ session.Prompter = (*Prompter)(nil)

func newPrompter(h *hub) *Prompter { return &Prompter{hub: h, prompts: map[string]*Prompt{}} }

// refName renders a session.Ref the way the page names accounts: the
// account name, or "profile:NAME".
func refName(r session.Ref) string {
	switch {
	case r.Account != "":
		return r.Account
	case r.SSOSession != "":
		return "sso-session:" + r.SSOSession
	}
	p := r.Profile
	if p == "" {
		p = "default"
	}
	return "profile:" + p
}

func (p *Prompter) add(pr *Prompt) {
	pr.ID = "p" + itoa(p.seq.Add(1))
	p.mu.Lock()
	p.prompts[pr.ID] = pr
	p.order = append(p.order, pr.ID)
	p.mu.Unlock()
	p.hub.send("prompt", pr)
}

func (p *Prompter) remove(id string) {
	p.mu.Lock()
	_, ok := p.prompts[id]
	delete(p.prompts, id)
	for i, v := range p.order {
		if v == id {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	if ok {
		p.hub.send("prompt-done", map[string]string{"id": id})
	}
}

// pending returns the prompts shown now, oldest first.
func (p *Prompter) pending() []*Prompt {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Prompt, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.prompts[id])
	}
	return out
}

// clearSignIns removes the sign-in panels of ref ("" : all).
func (p *Prompter) clearSignIns(ref string) {
	for _, pr := range p.pending() {
		if pr.Kind == "signin" && (ref == "" || pr.Ref == ref) {
			p.remove(pr.ID)
		}
	}
}

// Answer gives the page's answer to a waiting question.
func (p *Prompter) Answer(id string, a answer) error {
	p.mu.Lock()
	pr := p.prompts[id]
	p.mu.Unlock()
	if pr == nil || pr.answer == nil {
		return fault.New(fault.NotFound, "this question was answered already or is no longer asked", "")
	}
	select {
	case pr.answer <- a:
		return nil
	default:
		return fault.New(fault.Conflict, "this question was answered already", "")
	}
}

// SignIn shows a sign-in: a link to open (PKCE) or a device-code panel. The
// sign-in flow itself waits for the redirect or polls.
func (p *Prompter) SignIn(ctx context.Context, s session.SignIn) error {
	ref := signInRef(ctx)
	p.clearSignIns(ref)
	pr := &Prompt{Kind: "signin", Ref: ref, Flow: s.Flow, Provider: s.Provider, URL: s.URL,
		VerificationURL: s.VerificationURL, UserCode: s.UserCode, OpenHere: s.OpenHere}
	p.add(pr)
	if tr, ok := ctx.Value(signInTrackKey{}).(*signInTrack); ok {
		tr.add(pr.ID)
	}
	return nil
}

type signInTrackKey struct{}

// signInTrack collects the sign-in panels shown under one context (see
// trackSignIns).
type signInTrack struct {
	mu    sync.Mutex
	ids   []string
	ended bool
}

func (tr *signInTrack) add(id string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !tr.ended {
		tr.ids = append(tr.ids, id)
	}
}

// trackSignIns returns ctx noting the sign-in panels shown under it, and a
// function that removes them: a sign-in the core started by itself (an
// Open that needed one) has ended when the call that started it returns.
func (p *Prompter) trackSignIns(ctx context.Context) (context.Context, func()) {
	tr := &signInTrack{}
	return context.WithValue(ctx, signInTrackKey{}, tr), func() {
		tr.mu.Lock()
		ids := tr.ids
		tr.ended = true
		tr.mu.Unlock()
		for _, id := range ids {
			p.remove(id)
		}
	}
}

// Warn shows a configuration problem.
func (p *Prompter) Warn(msg string) {
	p.hub.send("notice", Notice{Kind: "warning", Message: msg})
}

// Info shows something worth knowing.
func (p *Prompter) Info(msg string) { p.hub.send("notice", Notice{Kind: "info", Message: msg}) }

// Interactive: a page is connected.
func (p *Prompter) Interactive() bool { return p.hub.count() > 0 }

// CanSignIn: a page is connected to show the sign-in.
func (p *Prompter) CanSignIn() bool { return p.hub.count() > 0 }

// ask shows pr and waits for its answer.
func (p *Prompter) ask(ctx context.Context, pr *Prompt) (answer, error) {
	pr.answer = make(chan answer, 1)
	p.add(pr)
	defer p.remove(pr.ID)
	select {
	case <-ctx.Done():
		return answer{}, ctx.Err()
	case a := <-pr.answer:
		if a.Cancel {
			return a, errCancelled
		}
		return a, nil
	}
}

var errCancelled = errors.New("cancelled in the page")

// Choose asks the page to pick one of c's items.
func (p *Prompter) Choose(ctx context.Context, c session.Choice) (int, error) {
	a, err := p.ask(ctx, &Prompt{Kind: "choose", Ref: refName(c.Ref), What: c.What, Labels: c.Labels})
	if err != nil {
		return -1, err
	}
	return a.Index, nil
}

// Ask asks the page for a line of text.
func (p *Prompter) Ask(ctx context.Context, q session.Question) (string, error) {
	a, err := p.ask(ctx, &Prompt{Kind: "ask", Ref: refName(q.Ref), What: q.What, Example: q.Example})
	if err != nil {
		return "", err
	}
	return a.Text, nil
}

// Confirm asks whether to sign in now.
func (p *Prompter) Confirm(ctx context.Context, ref session.Ref, cause error) (bool, error) {
	pr := &Prompt{Kind: "confirm", Ref: refName(ref), What: "Sign in to " + refName(ref) + " now?"}
	if cause != nil {
		pr.Cause = cause.Error()
	}
	a, err := p.ask(ctx, pr)
	if err != nil {
		return false, err
	}
	return a.Yes, nil
}

// Notify shows a notice: a paused or resumed job, a chosen role.
func (p *Prompter) Notify(_ context.Context, n session.Notice) {
	ref := refName(n.Ref)
	if p.onNotice != nil {
		p.onNotice(n)
	}
	msg := ""
	switch n.Kind {
	case session.NoticeSignInExpired:
		msg = "Sign-in expired for " + ref + ". Transfers are paused until you sign in again."
	case session.NoticeJobResumed:
		msg = "Signed in again to " + ref + ". Transfers continue."
		p.clearSignIns(ref)
	case session.NoticeRoleChosen:
		msg = "Account " + ref + " now uses AWS account " + n.AccountID + ", role " + n.RoleName + "."
	default:
		msg = n.Kind
	}
	p.hub.send("notice", Notice{Kind: n.Kind, Ref: ref, Message: msg})
}

type signInRefKey struct{}

// withSignInRef marks ctx with the reference a sign-in started from it is
// for, so that the page can show the panel beside that account.
func withSignInRef(ctx context.Context, ref string) context.Context {
	return context.WithValue(ctx, signInRefKey{}, ref)
}

func signInRef(ctx context.Context) string {
	s, _ := ctx.Value(signInRefKey{}).(string)
	return s
}
