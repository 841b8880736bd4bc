// Command testsummary reads `go test -json` output on stdin and prints a
// short report as the events arrive: each package's result line (ok, FAIL,
// "no test files"), the full output of every failed test, build errors, the
// reasons of skipped tests, and finally one line "N passed, N failed,
// N skipped". It exits 1 when a test or a package failed.
//
// Usage:
//
//	go test -json ./... | go run ./internal/testenv/cmd/testsummary
//
// Lines that are not JSON events are copied through unchanged.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// event is one record of `go test -json` (see go doc test2json).
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string
}

// summary accumulates test results and prints as it goes.
type summary struct {
	w                       io.Writer
	passed, failed, skipped int
	failedPkgs              []string
	pkgOutput               map[string][]string // package-level output lines
	testOutput              map[string][]string // by package + "\x00" + test
}

func newSummary(w io.Writer) *summary {
	return &summary{w: w, pkgOutput: map[string][]string{}, testOutput: map[string][]string{}}
}

func main() {
	s := newSummary(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		s.line(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: read: %v\n", err)
		os.Exit(1)
	}
	if !s.finish() {
		os.Exit(1)
	}
}

// line handles one input line.
func (s *summary) line(b []byte) {
	var e event
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil || e.Action == "" {
		fmt.Fprintf(s.w, "%s\n", b)
		return
	}
	switch {
	case e.Action == "build-output":
		fmt.Fprint(s.w, e.Output)
	case e.Action == "build-fail":
		// The package's own "fail" event follows and reports it.
	case e.Test == "":
		s.packageEvent(e)
	default:
		s.testEvent(e)
	}
}

// packageEvent handles an event about a whole package.
func (s *summary) packageEvent(e event) {
	switch e.Action {
	case "output":
		s.pkgOutput[e.Package] = append(s.pkgOutput[e.Package], e.Output)
	case "pass", "skip", "fail":
		for _, out := range s.pkgOutput[e.Package] {
			if out != "PASS\n" && out != "FAIL\n" {
				fmt.Fprint(s.w, out)
			}
		}
		delete(s.pkgOutput, e.Package)
		if e.Action == "fail" {
			s.failedPkgs = append(s.failedPkgs, e.Package)
		}
	}
}

// testEvent handles an event about one test or subtest.
func (s *summary) testEvent(e event) {
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "output":
		if isFraming(e.Output) {
			return
		}
		s.testOutput[key] = append(s.testOutput[key], e.Output)
	case "pass":
		s.passed++
		delete(s.testOutput, key)
	case "skip":
		s.skipped++
		s.printTest(e, "SKIP")
	case "fail":
		s.failed++
		s.printTest(e, "FAIL")
	}
}

// printTest prints the finished test's output with its result line
// ("--- FAIL: TestX (0.01s)", which go test prints after a failed test's
// log) first, followed by the package's import path.
func (s *summary) printTest(e event, result string) {
	key := e.Package + "\x00" + e.Test
	lines := s.testOutput[key]
	delete(s.testOutput, key)
	head := fmt.Sprintf("--- %s: %s", result, e.Test)
	for i, l := range slices.Backward(lines) {
		if l := strings.TrimSpace(l); strings.HasPrefix(l, head+" ") {
			head = l
			lines = slices.Delete(slices.Clone(lines), i, i+1)
			break
		}
	}
	fmt.Fprintf(s.w, "%s in %s\n%s", head, e.Package, strings.Join(lines, ""))
}

// isFraming reports whether out is one of go test's progress lines, which
// add nothing to a failure report.
func isFraming(out string) bool {
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
		if strings.HasPrefix(out, p) {
			return true
		}
	}
	return false
}

// finish prints what is left and the final count, and reports success.
func (s *summary) finish() bool {
	// Output of packages or tests that never finished (a crash, a killed
	// go test): show it rather than lose it.
	for _, pkg := range slices.Sorted(maps.Keys(s.pkgOutput)) {
		fmt.Fprintf(s.w, "%s (unfinished):\n%s", pkg, strings.Join(s.pkgOutput[pkg], ""))
	}
	for _, key := range slices.Sorted(maps.Keys(s.testOutput)) {
		pkg, test, _ := strings.Cut(key, "\x00")
		fmt.Fprintf(s.w, "%s %s (unfinished):\n%s", pkg, test, strings.Join(s.testOutput[key], ""))
	}
	ok := s.failed == 0 && len(s.failedPkgs) == 0
	if !ok {
		fmt.Fprintf(s.w, "\nFAIL: %s\n", strings.Join(s.failedPkgs, " "))
	}
	fmt.Fprintf(s.w, "%d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
	return ok
}
