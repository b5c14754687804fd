package shop

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// Download is a file a customer may fetch now.
type Download struct {
	Name          string
	ContentType   string
	Size          int64
	ETag          string
	CustomerID    string
	EntitlementID string
	ProductID     string
	FileSHA256    string
}

// OpenDownload checks a download link, in this order: signature (forged
// → 403), expiry (410), the viewer (a signed-in customer may not use
// someone else's link → 403), the entitlement still active (revoked by a
// refund → 403) and the file still part of the product. It charges
// nothing: the caller knows what it will send only after reading the
// request's Range against the file, and then calls SpendDownload.
func (s *Shop) OpenDownload(ctx context.Context, token, viewerCustomerID string) (Download, error) {
	claim, err := s.Signer.Verify(token, s.now())
	if err != nil {
		return Download{}, err
	}
	var d Download
	err = s.Store.View(ctx, func(tx *store.Tx) error {
		e, err := tx.Entitlement(claim.EntitlementID)
		if err == nil && viewerCustomerID != "" && viewerCustomerID != e.CustomerID {
			return app.Errorf(app.EFORBIDDEN, "This download link belongs to another account. Open your own library to download your files.")
		}
		if app.IsNotFound(err) || (err == nil && !e.Active()) {
			return errNoAccess
		}
		if err != nil {
			return err
		}
		p, err := tx.Product(e.ProductID)
		if err != nil {
			return err
		}
		var ref *app.FileRef
		for i := range p.Files {
			if p.Files[i].SHA256 == claim.FileSHA256 {
				ref = &p.Files[i]
			}
		}
		if ref == nil {
			return app.Errorf(app.EGONE, "This file was replaced. Open your library for the current version.")
		}
		d = Download{Name: ref.Name, ContentType: ref.ContentType, Size: ref.Size, ETag: `"` + ref.SHA256[:32] + `"`,
			CustomerID: e.CustomerID, EntitlementID: e.ID, ProductID: e.ProductID, FileSHA256: ref.SHA256}
		return nil
	})
	if err != nil {
		return Download{}, err
	}
	size, err := s.Files.Stat(ctx, d.FileSHA256)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err != nil && ctx.Err() != nil):
		return Download{}, fmt.Errorf("file of %s: %w", d.ProductID, err)
	case err != nil:
		// The bucket is down or refuses: say so, before anything is
		// charged to the download budget.
		s.Log.Error("file store", "file", d.FileSHA256, "err", err)
		return Download{}, ErrFilesUnavailable
	}
	d.Size = size
	return d, nil
}

// ErrFilesUnavailable is a download that could not start because the
// file store (a bucket) did not answer; nothing was counted.
var ErrFilesUnavailable = app.Errorf(app.EUNAVAILABLE, "The download could not start because the shop's file storage is not answering. Try the link again in a few minutes; this attempt was not counted.")

var errNoAccess = app.Errorf(app.EFORBIDDEN, "You no longer have access to this file. If you think this is a mistake, contact the shop.")

// SpendDownload charges a response of n bytes of d's file to its
// entitlement, before a byte is sent, in the transaction that checks the
// budget: a file may be sent up to the download limit × its size in bytes
// in total (issue 17, hole 3). Counting the bytes of the response really
// sent — after If-Range and the Range read against the file — leaves no
// header that gets a file uncounted, and charging before sending means
// requests made at once cannot share one last download. LogDownload gives
// back what a cut-off transfer did not send, so resuming is free.
func (s *Shop) SpendDownload(ctx context.Context, d Download, n int64) error {
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Entitlement(d.EntitlementID)
		if app.IsNotFound(err) || (err == nil && !e.Active()) {
			return errNoAccess
		}
		if err != nil {
			return err
		}
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		if e.Served[d.FileSHA256]+n > int64(settings.DownloadLimit)*d.Size {
			return app.Errorf(app.EFORBIDDEN, "This file was downloaded %d times, the most this shop allows. Contact the shop if you need it again.", settings.DownloadLimit)
		}
		e.AddServed(d.FileSHA256, d.Size, n)
		return tx.PutEntitlement(&e)
	})
}

// LogDownload records a finished (or interrupted) transfer of sent bytes
// out of the charged ones SpendDownload took, and gives back the rest.
func (s *Shop) LogDownload(ctx context.Context, d Download, sent, charged int64, rng, ip string) {
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		if unsent := charged - sent; unsent > 0 {
			e, err := tx.Entitlement(d.EntitlementID)
			if err != nil {
				return err
			}
			e.AddServed(d.FileSHA256, d.Size, -unsent)
			if err := tx.PutEntitlement(&e); err != nil {
				return err
			}
		}
		return tx.RecordDownload(&app.DownloadRecord{CustomerID: d.CustomerID, EntitlementID: d.EntitlementID, ProductID: d.ProductID,
			FileSHA256: d.FileSHA256, FileName: d.Name, Bytes: sent, Range: rng, IP: ip})
	})
	if err != nil {
		s.Log.Error("log download", "entitlement", d.EntitlementID, "err", err)
	}
}

// Library is a customer's products with fresh download links.
type LibraryItem struct {
	Product     app.Product
	Entitlement app.Entitlement
	Links       []DownloadLink
}

// Library lists what a customer may download, newest first.
func (s *Shop) Library(ctx context.Context, customerID string) ([]LibraryItem, error) {
	var out []LibraryItem
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		settings, err := tx.Settings()
		if err != nil {
			return err
		}
		es, err := tx.EntitlementsOf(customerID, true)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i := len(es) - 1; i >= 0; i-- {
			e := es[i]
			if seen[e.ProductID] {
				continue
			}
			seen[e.ProductID] = true
			p, err := tx.Product(e.ProductID)
			if app.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, LibraryItem{Product: p, Entitlement: e, Links: s.linksOf(p, e, settings.DownloadExpiry)})
		}
		return nil
	})
	return out, err
}

// DownloadLink is a signed link to one file, for pages and emails.
type DownloadLink struct {
	ProductTitle string
	FileName     string
	Size         int64
	URL          string
}

// LinksFor signs download links for an entitlement's product files.
func (s *Shop) LinksFor(tx *store.Tx, e app.Entitlement, expiry time.Duration) ([]DownloadLink, error) {
	p, err := tx.Product(e.ProductID)
	if err != nil {
		return nil, err
	}
	return s.linksOf(p, e, expiry), nil
}

// linksOf is LinksFor with the product already read.
func (s *Shop) linksOf(p app.Product, e app.Entitlement, expiry time.Duration) []DownloadLink {
	var out []DownloadLink
	exp := s.now().Add(expiry)
	for _, f := range p.Files {
		tok := s.Signer.Sign(DownloadClaim{EntitlementID: e.ID, FileSHA256: f.SHA256, Expires: exp})
		out = append(out, DownloadLink{ProductTitle: p.Title, FileName: f.Name, Size: f.Size, URL: s.BaseURL + DownloadPath + tok})
	}
	return out
}

// ProductAccess is what a signed-in customer may do with a product: it
// is theirs (Owned, with fresh download links), or their plan's credits
// may unlock it (Credits, nil without a current plan).
type ProductAccess struct {
	Owned   *LibraryItem
	Credits *CreditStatus
}

// Access reads a customer's access to a product for its page; it writes
// nothing.
func (s *Shop) Access(ctx context.Context, customerID string, p app.Product) (ProductAccess, error) {
	var a ProductAccess
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		e, err := tx.ActiveEntitlement(customerID, p.ID)
		switch {
		case err == nil:
			settings, err := tx.Settings()
			if err != nil {
				return err
			}
			links, err := s.LinksFor(tx, e, settings.DownloadExpiry)
			if err != nil {
				return err
			}
			a.Owned = &LibraryItem{Product: p, Entitlement: e, Links: links}
		case !app.IsNotFound(err):
			return err
		}
		a.Credits, err = s.creditsIn(tx, customerID)
		return err
	})
	return a, err
}

// Owned is the set of product ids in a customer's library, for catalog
// cards.
func (s *Shop) Owned(ctx context.Context, customerID string) (map[string]bool, error) {
	es, err := s.Store.EntitlementsOf(ctx, customerID, true)
	out := make(map[string]bool, len(es))
	for _, e := range es {
		out[e.ProductID] = true
	}
	return out, err
}
