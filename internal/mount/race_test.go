//go:build race && linux

package mount

const raceEnabled = true
