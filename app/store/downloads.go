package store

import (
	"context"

	"vendo/app"
)

// RecordDownload logs a download and counts it against its entitlement.
func (t *Tx) RecordDownload(d *app.DownloadRecord) error {
	d.ID = t.NewID("dl_")
	if d.At.IsZero() {
		d.At = t.now
	}
	return putRecord(t.tx.Bucket(bDownloads), d.ID, d)
}

// Downloads lists download records newest first, optionally for one
// customer, at most limit.
func (t *Tx) Downloads(customerID string, limit int) ([]app.DownloadRecord, error) {
	var out []app.DownloadRecord
	c := t.tx.Bucket(bDownloads).Cursor()
	for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
		var d app.DownloadRecord
		if err := decode(v, &d); err != nil {
			return nil, err
		}
		if customerID != "" && d.CustomerID != customerID {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// Downloads lists download records in their own transaction.
func (s *Store) Downloads(ctx context.Context, customerID string, limit int) (ds []app.DownloadRecord, err error) {
	err = s.View(ctx, func(tx *Tx) error { ds, err = tx.Downloads(customerID, limit); return err })
	return
}
