// Package mocktest holds tests of keyring.NewOS against go-keyring's
// in-memory mock (keyring.MockInit). The mock replaces go-keyring's
// provider for the whole process and cannot be undone, so these tests live
// in their own test binary, apart from the real-keyring tests in
// ../realtest.
package mocktest
