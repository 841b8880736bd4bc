// Package e2e holds black-box tests of the s3sso binary against a real MinIO
// server (started by internal/testenv on 127.0.0.1) and, where MinIO cannot
// produce a case (object keys it refuses to store), an in-process gofakes3.
//
// Tests are named after the command line they cover. Each test gets its own
// HOME with a profile of static keys pointing at the server, so the real
// ~/.aws is never read.
package e2e
