package store

import (
	"context"
	"time"
)

// FileMeta describes a stored file; the bytes live on disk under
// data/files/, named by their SHA-256.
type FileMeta struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Name        string `json:"name"` // first name it was uploaded under
	// Public files (cover images) may be served to anyone at /media/{sha}.
	Public    bool      `json:"public,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// File returns a file's metadata.
func (t *Tx) File(sha string) (FileMeta, error) {
	var f FileMeta
	found, err := getRecord(t.tx.Bucket(bFiles), sha, &f)
	if err == nil && !found {
		err = notFound("file")
	}
	return f, err
}

// PutFile records a file's metadata; storing the same content twice keeps
// the first record (content addressing makes them the same file).
func (t *Tx) PutFile(f FileMeta) error {
	b := t.tx.Bucket(bFiles)
	var old FileMeta
	if found, err := getRecord(b, f.SHA256, &old); err != nil || found {
		if err != nil || old.Public || !f.Public {
			return err
		}
		// The same bytes became a cover: publishing is the one change kept.
		old.Public = true
		return putRecord(b, f.SHA256, old)
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = t.now
	}
	return putRecord(b, f.SHA256, f)
}

// File reads a file's metadata in its own transaction.
func (s *Store) File(ctx context.Context, sha string) (f FileMeta, err error) {
	err = s.View(ctx, func(tx *Tx) error { f, err = tx.File(sha); return err })
	return
}

// PutFile records a file's metadata in its own transaction.
func (s *Store) PutFile(ctx context.Context, f FileMeta) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutFile(f) })
}
