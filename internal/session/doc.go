// Package session is s3sso's core: every front end (the CLI in internal/cli,
// later a web UI and a mounted drive) resolves identities, signs in and out
// and reads sign-in state through it, and nothing else.
//
// A Manager holds many sessions at once, each cached by its Ref (a profile,
// an sso-session or a saved account) and Overrides (region, endpoint, path
// style): no process-wide state, no package globals, and the process
// environment is only read, never changed.
//
// What needs a person goes through a Prompter that the front end
// implements: open a sign-in page or show a device code, choose one of
// several AWS accounts or roles (a single choice is taken by the core
// without asking), type a role ARN, confirm a sign-in, and hear that a long
// job is paused for a new sign-in. NonInteractive is the prompter of
// front ends without a person; with it, whatever needs one fails with an
// error of kind fault.Auth (or fault.Usage for a choice) that carries data
// (fault.LoginRequiredError names the Ref to sign in to; ChoiceError the
// setting to save), which each front end renders in its own words.
//
// Errors are classified with fault.Classify; results (LoginResult,
// LogoutResult, Status, AccountStatus) are plain structs the front ends
// render.
package session
