package store

import "context"

// ReleasePages tells the OS the process is done with the database pages
// it has read through bbolt's memory map: a start-up pass over every
// product (the search index) faults the whole products bucket in, and the
// kernel counts each of those pages in the process's resident memory until
// it needs the memory back, so an idle shop of 100,000 products showed
// 200 MiB of database pages it would not read again for hours. The pages
// stay in the page cache; a later read maps them back without disk I/O.
// The read transaction keeps bbolt from remapping the file meanwhile.
func (s *Store) ReleasePages(ctx context.Context) error {
	return s.View(ctx, func(tx *Tx) error {
		return releasePages(s.db, tx.tx)
	})
}
