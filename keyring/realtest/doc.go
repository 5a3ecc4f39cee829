// Package realtest holds tests of keyring.NewOS against the real OS keyring
// (on Linux the freedesktop Secret Service). They live in their own test
// binary because go-keyring's mock, used by ../mocktest, cannot be undone.
//
// The tests skip when no Secret Service is reachable; with
// SIGNDECK_REQUIRE_KEYRING=1 they fail instead. To run them on a headless
// machine with gnome-keyring installed:
//
//	SIGNDECK_REQUIRE_KEYRING=1 scripts/with-secret-service.sh go test ./keyring/...
//
// Run on a desktop, they use the user's own keyring: every item they write
// is under service "signdeck" with a unique "signdeck-test-..." account,
// and is deleted again.
package realtest
