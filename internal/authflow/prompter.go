package authflow

import "context"

// Flows of a SignIn.
const (
	FlowPKCE   = "pkce"   // authorization code with PKCE: open URL; the browser redirects to 127.0.0.1
	FlowDevice = "device" // device authorization: open URL on any device, confirm UserCode
)

// SignIn is what a person must do in a browser to finish a sign-in. It is
// data, not text: a terminal prints it, a web page draws a link or a
// device-code panel.
type SignIn struct {
	Flow     string // FlowPKCE or FlowDevice
	Provider string // who asks: "IAM Identity Center" or the OpenID provider's issuer
	// URL is the page to open. In the device flow it carries the user code
	// when the provider offers that (CodeInURL), so the person only confirms.
	URL string
	// VerificationURL is the device flow's page without the code, for typing
	// on another device.
	VerificationURL string
	UserCode        string // device flow: the code to confirm or enter
	CodeInURL       bool   // URL already carries UserCode
	// OpenHere: the page is meant for a browser on this machine (PKCE
	// always: its redirect goes to 127.0.0.1 here; IAM Identity Center's
	// device flow too). When false, the person opens URL on any device and
	// nothing should open a browser here.
	OpenHere bool
}

// Prompter is what a sign-in needs from the person in front of the front
// end. Implementations belong to front ends (the CLI's terminal, a web UI's
// page); the sign-in flows of internal/sso and internal/federation call it
// and never print.
//
// SignIn shows the request and, where the front end can, opens the page; it
// returns once the request is shown, not when the person has finished: the
// flow itself waits for the redirect or polls for the token. It must honour
// ctx. An error ends the sign-in.
//
// Warn reports a problem that does not stop the sign-in (e.g. a start URL
// naming another region than sso_region); Info something worth knowing
// (a setting the sign-in updated). Neither may block.
type Prompter interface {
	SignIn(ctx context.Context, s SignIn) error
	Warn(msg string)
	Info(msg string)
}

// OpenerPrompter is a Prompter that only opens each sign-in's URL with open
// (tests drive a flow this way; a headless front end passes a no-op) and
// drops warnings.
type OpenerPrompter Opener

// SignIn implements Prompter.
func (o OpenerPrompter) SignIn(ctx context.Context, s SignIn) error {
	if o == nil {
		return nil
	}
	return o(ctx, s.URL)
}

// Warn implements Prompter.
func (OpenerPrompter) Warn(string) {}

// Info implements Prompter.
func (OpenerPrompter) Info(string) {}

var _ Prompter = OpenerPrompter(nil)
