package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	in := `go: downloading example.com/m v1.0.0
{"Action":"start","Package":"p/a"}
{"Action":"run","Package":"p/a","Test":"TestOK"}
{"Action":"output","Package":"p/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"p/a","Test":"TestOK","Output":"    a_test.go:1: noise\n"}
{"Action":"output","Package":"p/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"p/a","Test":"TestOK"}
{"Action":"output","Package":"p/a","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"p/a","Test":"TestBad","Output":"    a_test.go:2: boom\n"}
{"Action":"output","Package":"p/a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"p/a","Test":"TestBad"}
{"Action":"output","Package":"p/a","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}
{"Action":"output","Package":"p/a","Test":"TestSkip","Output":"    a_test.go:3: no minio\n"}
{"Action":"skip","Package":"p/a","Test":"TestSkip"}
{"Action":"output","Package":"p/a","Test":"TestSub/x","Output":"        a_test.go:4: sub boom\n"}
{"Action":"output","Package":"p/a","Test":"TestSub/x","Output":"    --- FAIL: TestSub/x (0.00s)\n"}
{"Action":"fail","Package":"p/a","Test":"TestSub/x"}
{"Action":"fail","Package":"p/a","Test":"TestSub"}
{"Action":"output","Package":"p/a","Output":"FAIL\n"}
{"Action":"output","Package":"p/a","Output":"FAIL\tp/a\t0.1s\n"}
{"Action":"fail","Package":"p/a"}
{"ImportPath":"p/b","Action":"build-output","Output":"# p/b\nb.go:1:1: syntax error\n"}
{"ImportPath":"p/b","Action":"build-fail"}
{"Action":"output","Package":"p/b","Output":"FAIL\tp/b [build failed]\n"}
{"Action":"fail","Package":"p/b","FailedBuild":"p/b"}
{"Action":"output","Package":"p/c","Output":"PASS\n"}
{"Action":"output","Package":"p/c","Output":"ok  \tp/c\t0.2s\n"}
{"Action":"pass","Package":"p/c"}
{"Action":"output","Package":"p/d","Output":"?   \tp/d\t[no test files]\n"}
{"Action":"skip","Package":"p/d"}
`
	want := `go: downloading example.com/m v1.0.0
--- FAIL: TestBad (0.00s) in p/a
    a_test.go:2: boom
--- SKIP: TestSkip (0.00s) in p/a
    a_test.go:3: no minio
--- FAIL: TestSub/x (0.00s) in p/a
        a_test.go:4: sub boom
--- FAIL: TestSub in p/a
FAIL	p/a	0.1s
# p/b
b.go:1:1: syntax error
FAIL	p/b [build failed]
ok  	p/c	0.2s
?   	p/d	[no test files]

FAIL: p/a p/b
1 passed, 3 failed, 1 skipped
`
	var out bytes.Buffer
	s := newSummary(&out)
	for line := range strings.Lines(in) {
		s.line([]byte(strings.TrimSuffix(line, "\n")))
	}
	if s.finish() {
		t.Error("finish() = true, want false after failures")
	}
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestSummaryAllPassed(t *testing.T) {
	var out bytes.Buffer
	s := newSummary(&out)
	s.line([]byte(`{"Action":"pass","Package":"p","Test":"TestX"}`))
	s.line([]byte(`{"Action":"pass","Package":"p"}`))
	if !s.finish() || out.String() != "1 passed, 0 failed, 0 skipped\n" {
		t.Errorf("finish() output %q", out.String())
	}
}
