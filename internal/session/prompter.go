package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/authflow"
	"github.com/s3sso/s3sso/internal/fault"
)

// SignIn is a sign-in to show (see authflow.SignIn).
type SignIn = authflow.SignIn

// Sign-in flows.
const (
	FlowPKCE   = authflow.FlowPKCE
	FlowDevice = authflow.FlowDevice
)

// Choice is a question with several answers: an AWS account or a role.
type Choice struct {
	Ref     Ref
	What    string   // "AWS account", "role in AWS account 111122223333"
	Setting string   // the account setting the answer is saved as: SettingAccountID, SettingRoleName
	IDs     []string // the values
	Labels  []string // what to show for each value (same length as IDs)
}

// Settings a Choice fills in.
const (
	SettingAccountID = "account-id"
	SettingRoleName  = "role-name"
)

// Question asks for one line of text.
type Question struct {
	Ref     Ref
	What    string // "IAM role ARN to assume"
	Example string // "arn:aws:iam::ACCOUNT:role/NAME"
}

// Notice kinds.
const (
	// NoticeSignInExpired: a running job met refused credentials that could
	// not be renewed silently; it is paused (no new requests are sent,
	// refused ones are retried afterwards) while a new sign-in runs.
	NoticeSignInExpired = "sign-in-expired"
	// NoticeJobResumed: the new sign-in worked; the paused job goes on.
	NoticeJobResumed = "job-resumed"
	// NoticeRoleChosen: a saved account now uses the chosen account and
	// role (AccountID, RoleName).
	NoticeRoleChosen = "role-chosen"
	// NoticeSignInWaiting: credentials need a new sign-in that this front
	// end cannot start; Renew waits (see SignInWaiter) for one made
	// elsewhere (`s3sso login` in another terminal). NoticeJobResumed
	// follows when it comes.
	NoticeSignInWaiting = "sign-in-waiting"
)

// SignInWaiter is implemented by the prompters of front ends without a
// person at hand that can still wait for one: a mounted drive, whose file
// operations should pause rather than fail while the person signs in from
// another terminal or the web UI. When refused credentials need a new
// sign-in and the prompter cannot start one, Session.Renew notifies
// NoticeSignInWaiting and then tries the credentials again every few
// seconds (they come from the shared token and credential caches, which a
// sign-in elsewhere rewrites) for up to SignInWait. A zero duration means
// do not wait.
type SignInWaiter interface {
	SignInWait() time.Duration
}

// Notice tells the person something that needs no answer.
type Notice struct {
	Kind      string
	Ref       Ref
	Cause     error  // NoticeSignInExpired: the refused request's error
	AccountID string // NoticeRoleChosen
	RoleName  string // NoticeRoleChosen
}

// Prompter is what the core needs from the person in front of a front end.
// The CLI implements it on the terminal, a web UI on its page.
//
// Every method that waits for the person honours ctx: when ctx ends it
// returns ctx's error at once. Choose is called only with two or more
// choices. Implementations may be called from several goroutines, but
// the core never has two questions open at once per Manager.
type Prompter interface {
	authflow.Prompter
	// Interactive reports whether a person can answer questions (Choose,
	// Ask, Confirm) now.
	Interactive() bool
	// CanSignIn reports whether a browser sign-in started without asking
	// can be completed (a person at a terminal, or $BROWSER for scripts).
	CanSignIn() bool
	// Choose returns the index of the chosen item of c.
	Choose(ctx context.Context, c Choice) (int, error)
	// Ask returns the answer to q.
	Ask(ctx context.Context, q Question) (string, error)
	// Confirm asks whether to sign in now, after cause (a refused or
	// missing sign-in to ref); true means yes.
	Confirm(ctx context.Context, ref Ref, cause error) (bool, error)
	// Notify tells the person n. It must not block for long.
	Notify(ctx context.Context, n Notice)
}

// ErrNoPerson is returned by NonInteractive's questions.
var ErrNoPerson = errors.New("no one to ask")

// NonInteractive is the Prompter of a front end without a person: sign-ins
// that need a browser fail with the sign-in-required error, questions with
// ErrNoPerson, notices are dropped.
type NonInteractive struct{}

var _ Prompter = NonInteractive{}

func (NonInteractive) SignIn(context.Context, SignIn) error {
	return fault.New(fault.Auth, "sign-in required", "")
}
func (NonInteractive) Warn(string)       {}
func (NonInteractive) Info(string)       {}
func (NonInteractive) Interactive() bool { return false }
func (NonInteractive) CanSignIn() bool   { return false }
func (NonInteractive) Choose(context.Context, Choice) (int, error) {
	return -1, ErrNoPerson
}
func (NonInteractive) Ask(context.Context, Question) (string, error) { return "", ErrNoPerson }
func (NonInteractive) Confirm(context.Context, Ref, error) (bool, error) {
	return false, nil
}
func (NonInteractive) Notify(context.Context, Notice) {}

// ChoiceError means a saved account lacks a setting that only a person can
// choose (there are several answers). The front end says how to save it.
type ChoiceError struct {
	Choice Choice
}

func (e *ChoiceError) Error() string {
	return fmt.Sprintf("%s: choose a %s: %s", e.Choice.Ref, e.Choice.What, strings.Join(e.Choice.Labels, ", "))
}

// choose returns the only value, or asks the prompter.
func choose(ctx context.Context, p Prompter, c Choice) (string, error) {
	switch len(c.IDs) {
	case 0:
		return "", fault.New(fault.AccessDenied, fmt.Sprintf("%s: IAM Identity Center offers you no %s", c.Ref, c.What),
			"ask your administrator for an assignment")
	case 1:
		return c.IDs[0], nil
	}
	if !p.Interactive() {
		return "", &fault.Error{Kind: fault.Usage, Err: &ChoiceError{Choice: c}}
	}
	i, err := p.Choose(ctx, c)
	if err != nil {
		if ctx.Err() != nil {
			return "", fault.Wrap(fault.Interrupted, ctx.Err(), "")
		}
		return "", fault.Wrap(fault.Usage, fmt.Errorf("read the %s choice: %w", c.What, err), "")
	}
	if i < 0 || i >= len(c.IDs) {
		return "", fault.Newf(fault.Usage, "no %s chosen", c.What)
	}
	return c.IDs[i], nil
}
