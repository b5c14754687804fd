package store

import (
	"vendo/app"
)

// RecordDownload logs a download and counts it against its entitlement.
func (t *Tx) RecordDownload(d *app.DownloadRecord) error {
	d.ID = t.NewID("dl_")
	t.customerChanged(d.CustomerID)
	if d.At.IsZero() {
		d.At = t.now
	}
	return putRecord(t.tx.Bucket(bDownloads), d.ID, d)
}

// DownloadFilter narrows Downloads.
type DownloadFilter struct {
	CustomerID string
	Before     string // cursor: the last id of the previous page
	Limit      int    // 0 means all
}

// Downloads lists download records newest first, a page at a time.
func (t *Tx) Downloads(f DownloadFilter) ([]app.DownloadRecord, string, error) {
	return newestFirst(t.tx.Bucket(bDownloads), f.Before, f.Limit, func(d *app.DownloadRecord) bool {
		return f.CustomerID == "" || d.CustomerID == f.CustomerID
	}, nil, func(d *app.DownloadRecord) string { return d.ID })
}
