package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// StartMoto runs moto_server (S3 + CloudFront ListDistributions, used for
// CloudFront origin marking, which MinIO lacks) on a free loopback port and
// returns its URL. It is stopped when the test ends. Requests must be
// SigV4-signed with service cloudfront for moto to route them to CloudFront.
func StartMoto(t testing.TB) string {
	t.Helper()
	bin := RequireTool(t, "moto_server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Transport: &http.Transport{}, Timeout: time.Second}
	// moto_server imports much of boto on start: seconds of CPU, and more
	// than 30 s on a loaded 2-core machine.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("moto_server exited before it answered: %v", err)
		default:
		}
		resp, err := client.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
