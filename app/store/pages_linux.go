package store

import (
	"fmt"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releasePages drops the mapping's resident pages (MADV_DONTNEED): the
// map is shared and read-only, so the next read faults the page back in
// from the page cache with the same bytes.
func releasePages(db *bolt.DB, tx *bolt.Tx) error {
	// bbolt keeps the map in place, at least tx.Size() long, while tx is open.
	addr, length := db.Info().Data, uintptr(tx.Size())
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, length, syscall.MADV_DONTNEED); errno != 0 {
		return fmt.Errorf("madvise the database map: %w", errno)
	}
	return nil
}
