//go:build race

package dropboxsigntest

const raceEnabled = true
