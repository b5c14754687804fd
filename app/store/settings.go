package store

import (
	"context"

	"vendo/app"
)

// The install's signing secret is not in the database: it lives in
// data/secret (auth.LoadSecret), which `vendo admin-link` can read while
// the running shop holds the database's lock.
var keySettings = "shop"

// Settings returns the shop's settings, or the defaults before any are saved.
func (t *Tx) Settings() (app.Settings, error) {
	s := app.DefaultSettings()
	_, err := getRecord(t.tx.Bucket(bSettings), keySettings, &s)
	return s, err
}

// PutSettings validates and stores the settings.
func (t *Tx) PutSettings(s app.Settings) error {
	t.catalogChanged()
	if err := s.Validate(); err != nil {
		return err
	}
	s.UpdatedAt = t.now
	return putRecord(t.tx.Bucket(bSettings), keySettings, s)
}

// Settings reads the settings in their own transaction.
func (s *Store) Settings(ctx context.Context) (app.Settings, error) {
	var out app.Settings
	err := s.View(ctx, func(tx *Tx) (err error) { out, err = tx.Settings(); return })
	return out, err
}

// UpdateSettings applies fn to the stored settings and saves them.
func (s *Store) UpdateSettings(ctx context.Context, fn func(*app.Settings) error) (app.Settings, error) {
	var out app.Settings
	err := s.Update(ctx, func(tx *Tx) error {
		cur, err := tx.Settings()
		if err != nil {
			return err
		}
		if err := fn(&cur); err != nil {
			return err
		}
		if err := tx.PutSettings(cur); err != nil {
			return err
		}
		out, err = tx.Settings() // with the UpdatedAt PutSettings stamped
		return err
	})
	return out, err
}
