//go:build windows

package store

import "io/fs"

// oNoFollow is 0 on Windows, which has no O_NOFOLLOW; the Lstat checks
// before opening still refuse a symlink.
const oNoFollow = 0

// fileUID: Windows files have no Unix owner; ownership is not checked.
func fileUID(fs.FileInfo) (int, bool) { return 0, false }
