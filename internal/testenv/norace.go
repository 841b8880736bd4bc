//go:build !race

package testenv

// raceEnabled reports whether the test binary was built with -race; Binary
// then builds s3sso with -race too.
const raceEnabled = false
