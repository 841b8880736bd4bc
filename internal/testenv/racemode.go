package testenv

// Race reports whether the test binary was built with -race (and so
// [Binary] builds s3sso with -race): long end-to-end tests pick smaller data
// sets then, so that `make test` stays short, and run the full sizes
// without it.
func Race() bool { return raceEnabled }
