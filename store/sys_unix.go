//go:build !windows

package store

import (
	"io/fs"
	"syscall"
)

// oNoFollow makes opening a symlink fail.
const oNoFollow = syscall.O_NOFOLLOW

// fileUID is the owner of a file, when the platform says.
func fileUID(st fs.FileInfo) (int, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(sys.Uid), true
}
