// Command dexbrowser is a scripted browser for Dex, for the demo
// (scripts/demo-oidc.sh) and manual tests: use it as $BROWSER. It follows
// the authorization URL with a cookie jar, submits Dex's login form with the
// static user's login and password, and follows the redirects to the
// client's loopback callback, exactly as the tests do ([testenv.Dex.SignIn]).
//
//	dexbrowser [-login alice@example.com] [-log FILE] URL
//
// The password is read from $DEX_PASSWORD (default [testenv.DexPassword]),
// never from a flag. It exits 1 when the sign-in does not end at an HTTP 200
// page without a login form (a rejected password shows the form again).
// -log appends one line per sign-in to FILE (s3sso discards a browser's own
// output).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/s3sso/s3sso/internal/testenv"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stderr))
}

// run is the program: args without the program name, getenv for
// $DEX_PASSWORD, stderr for usage and (without -log) the result line. It
// returns the exit code.
func run(args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("dexbrowser", flag.ContinueOnError)
	fs.SetOutput(stderr)
	login := fs.String("login", "alice@example.com", "login (email) of Dex's static user")
	logFile := fs.String("log", "", "append a line per sign-in to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: dexbrowser [-login EMAIL] [-log FILE] URL")
		return 2
	}
	out := stderr
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "dexbrowser:", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	password := getenv("DEX_PASSWORD")
	if password == "" {
		password = testenv.DexPassword
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := &testenv.Dex{Email: *login, Password: password}
	status, body, err := d.SignIn(ctx, fs.Arg(0))
	switch {
	case err != nil:
	case strings.Contains(body, `name="password"`):
		err = fmt.Errorf("dex rejected the login of %s (the login form came back)", *login)
	case status != http.StatusOK:
		err = fmt.Errorf("sign-in ended at HTTP %d: %.300s", status, body)
	}
	if err != nil {
		fmt.Fprintln(out, "dexbrowser:", err)
		return 1
	}
	fmt.Fprintf(out, "(fake browser: signed in at Dex as %s, redirected to the loopback callback)\n", *login)
	return 0
}
