package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s3sso/s3sso/internal/sso"
	"github.com/s3sso/s3sso/internal/sso/ssotest"
	"github.com/s3sso/s3sso/internal/testenv"
)

// soakResult is one process of the soak.
type soakResult struct {
	who      string // "s3sso" or "aws"
	code     int
	out, err string
	took     time.Duration
}

// runSoak starts the processes of kinds at once (released together by one
// barrier) and waits for all of them. With awsFirst, the aws processes are
// released first and the s3sso ones once the first botocore refresh call has
// reached the emulator.
func (e *ssoEnv) runSoak(kinds []string, awsFirst bool) []soakResult {
	e.t.Helper()
	bin, aws := testenv.Binary(e.t), testenv.RequireTool(e.t, "aws")
	results := make([]soakResult, len(kinds))
	var ready, done sync.WaitGroup
	start, startS3sso := make(chan struct{}), make(chan struct{})
	for i, who := range kinds {
		var cmd *exec.Cmd
		if who == "aws" {
			cmd = exec.Command(aws, "s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev")
		} else {
			cmd = exec.Command(bin, "ls", "s3://"+e.bucket+"/", "--profile", "dev")
		}
		cmd.Env = append(os.Environ(), e.vars...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			if who == "s3sso" {
				<-startS3sso
			}
			t0 := time.Now()
			err := cmd.Run()
			code := -1
			if cmd.ProcessState != nil {
				code = cmd.ProcessState.ExitCode()
			}
			if err != nil && code == 0 {
				code = -1
			}
			results[i] = soakResult{who: who, code: code, out: out.String(), err: errb.String() + errString(err), took: time.Since(t0)}
		}()
	}
	ready.Wait()
	close(start)
	if awsFirst {
		deadline := time.Now().Add(2 * time.Minute)
		for e.emu.Count("CreateToken:refresh_token:arrived:botocore") == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	close(startS3sso)
	done.Wait()
	return results
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSSOConcurrentRefreshSoak races 50 processes on a token 12 minutes
// from expiry (inside the 15-minute refresh window, outside the 10-minute
// mandatory one) with a valid refresh token. The emulator spends a refresh
// token when it is used, like IAM Identity Center, so however the processes
// interleave only one refresh can succeed. Three rounds:
//
//   - mixed: 35 `s3sso ls` and 15 `aws s3 ls` (the AWS CLI v1, botocore)
//     released together;
//   - botocore first: the same 50, the aws processes released first, the
//     s3sso ones as soon as the first botocore refresh call arrives, every
//     refresh call held 5 s by the emulator, so that all of them read the
//     old token while a refresh is under way;
//   - s3sso only: 50 `s3sso ls` released together.
//
// Checked in every round: every process succeeds; exactly one refresh is
// issued; at most one s3sso process calls CreateToken (exactly one when no
// aws process races them: s3sso takes the lock file and re-reads the cache
// under it, the others go on with the still-valid token); afterwards the
// cache holds a fresh token that botocore uses as it is (one more `aws s3
// ls` succeeds without a CreateToken call). Measured and logged, not
// checked: how many botocore processes call CreateToken. botocore has no
// lock across processes, so each aws process that read the old token tries
// to refresh; those that come after the first fail with invalid_grant (the
// refresh token was spent) and go on with the still-valid token.
func TestSSOConcurrentRefreshSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test; not with -short")
	}
	e := setupSSO(t, ssotest.Options{})
	e.mustS3sso("login", "--profile", "dev")
	testenv.WriteFile(t, e.bucketObject(), "x")
	e.mustS3sso("cp", e.bucketObject(), "s3://"+e.bucket+"/soak.txt", "--profile", "dev")

	check := func(name string, kinds []string, awsFirst bool, hold time.Duration) {
		e.emu.SetRefreshDelay(hold)
		defer e.emu.SetRefreshDelay(0)
		e.setExpiry("corp", time.Now().Add(12*time.Minute).Truncate(time.Second), false)
		// Role credentials cached by an earlier step or round (s3sso shares
		// ~/.aws/cli/cache with the AWS CLI) would let every s3sso process
		// skip the token, and the round would not race for its refresh.
		if err := os.RemoveAll(filepath.Join(e.home, ".aws", "cli", "cache")); err != nil {
			t.Fatal(err)
		}
		before := map[string]int{}
		ops := []string{"CreateToken", "CreateToken:refresh_token:go", "CreateToken:refresh_token:botocore", "CreateToken:refresh_token:issued", "GetRoleCredentials"}
		for _, op := range ops {
			before[op] = e.emu.Count(op)
		}
		t0 := time.Now()
		results := e.runSoak(kinds, awsFirst)
		wall := time.Since(t0)
		delta := func(op string) int { return e.emu.Count(op) - before[op] }

		var slowest time.Duration
		per := map[string]int{}
		for i, r := range results {
			per[r.who]++
			if r.took > slowest {
				slowest = r.took
			}
			if r.code != 0 || !strings.Contains(r.out, "soak.txt") {
				t.Errorf("%s: process %d (%s) exit %d\nstdout: %s\nstderr: %s", name, i, r.who, r.code, r.out, r.err)
			}
		}
		goCalls, botoCalls := delta("CreateToken:refresh_token:go"), delta("CreateToken:refresh_token:botocore")
		t.Logf("%s: %d s3sso + %d aws processes in %s (slowest %s): refresh calls by s3sso %d, by botocore %d; refreshes issued %d; GetRoleCredentials %d",
			name, per["s3sso"], per["aws"], wall.Round(time.Millisecond), slowest.Round(time.Millisecond),
			goCalls, botoCalls, delta("CreateToken:refresh_token:issued"), delta("GetRoleCredentials"))
		if n := delta("CreateToken:refresh_token:issued"); n != 1 {
			t.Errorf("%s: %d refreshes issued, want exactly 1", name, n)
		}
		if goCalls > 1 || per["aws"] == 0 && goCalls != 1 {
			t.Errorf("%s: %d s3sso refresh calls, want %s", name, goCalls, map[bool]string{true: "exactly 1", false: "at most 1"}[per["aws"] == 0])
		}
		if awsFirst && botoCalls == 0 {
			t.Errorf("%s: no botocore refresh call: the round did not race", name)
		}
		if n := delta("CreateToken") - goCalls - botoCalls; n != 0 {
			t.Errorf("%s: %d CreateToken calls other than refreshes", name, n)
		}

		// The cache is a valid, fresh token that botocore uses as it is.
		b, err := os.ReadFile(e.tokenPath("corp"))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := sso.ParseToken(b)
		if err != nil {
			t.Fatalf("%s: cache after the race: %v", name, err)
		}
		if time.Until(tok.ExpiresAt) < 30*time.Minute || !tok.Refreshable(time.Now()) {
			t.Fatalf("%s: cache after the race: expires %v, refreshable %v", name, tok.ExpiresAt, tok.Refreshable(time.Now()))
		}
		n := e.emu.Count("CreateToken")
		if out, err := e.aws("s3", "ls", "s3://"+e.bucket+"/", "--profile", "dev"); err != nil || !strings.Contains(out, "soak.txt") {
			t.Fatalf("%s: aws after the race: %v\n%s", name, err, out)
		}
		if got := e.emu.Count("CreateToken"); got != n {
			t.Errorf("%s: the aws call after the race called CreateToken %d time(s)", name, got-n)
		}
	}

	mixed := make([]string, 0, 50)
	for i := range 50 {
		if i%10 < 3 { // 15 of 50, spread through the start order
			mixed = append(mixed, "aws")
		} else {
			mixed = append(mixed, "s3sso")
		}
	}
	check("mixed", mixed, false, 0)
	check("botocore first", mixed, true, 5*time.Second)
	only := make([]string, 50)
	for i := range only {
		only[i] = "s3sso"
	}
	check("s3sso only", only, false, 0)
}

// bucketObject is a local file for the soak's object.
func (e *ssoEnv) bucketObject() string { return e.home + "/soak.txt" }
