// Package testenv provides the shared test environment for s3sso's tests:
// pinned external tools (MinIO and friends, built by scripts/tools.sh), real
// MinIO servers on loopback ports, an isolated HOME with no AWS credentials or
// configuration leaking in from the developer's machine, a race-enabled
// s3sso binary for black-box command tests (run with GORACE
// atexit_sleep_ms=0, see [RaceEnv]), and private mount and network
// namespaces in which the real AWS host names lead to local servers
// ([NewNamespace], with [NewTLSCert] and [AWSCLIv2]).
//
// Tests that depend on something external (a tool binary, a server) skip when
// it is missing on a developer machine, but fail in CI: when CI=true or
// S3SSO_TEST_DISALLOW_SKIP is set, [Skipf] and [RequireTool] call t.Fatal
// instead of t.Skip, so a missing prerequisite can never turn a CI run green
// by skipping tests silently.
//
// A package that uses [SharedMinIO] or [Binary] should run its tests through
// [Main]:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// Environment variables read by this package:
//
//	S3SSO_<NAME>_BIN          path of tool NAME (e.g. S3SSO_MINIO_BIN)
//	S3SSO_TOOLS_DIR           directory of tools built by scripts/tools.sh
//	                          (default $HOME/.cache/s3sso/tools)
//	S3SSO_BIN                 prebuilt s3sso binary used by [Binary]
//	S3SSO_AWSCLIV2_BIN        the AWS CLI v2 (default /usr/bin/aws, from
//	                          Debian's awscli; scripts/apt.sh installs it)
//	S3SSO_TEST_DISALLOW_SKIP  turn skips for missing prerequisites into failures
//	CI                        when true, same as S3SSO_TEST_DISALLOW_SKIP
//	S3SSO_TEST_ENDPOINT_URL   run [SharedMinIO] tests against this S3 endpoint
//	                          instead of a local MinIO, with the keys in
//	                          S3SSO_TEST_ACCESS_KEY_ID and
//	                          S3SSO_TEST_SECRET_ACCESS_KEY
//
// HOME and the XDG directories are read once, when the package is
// initialised, so that tools and the Go build cache are still found after a
// test has called [Home].
package testenv
