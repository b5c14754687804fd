package shop

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/stripeapi"
)

// The admin's catalog use cases: products saved with their Stripe Prices
// kept right (plans, in plans.go, follow the same rules), every change
// audited in its own transaction and announced by the store's catalog hook
// once committed (the search index and the page cache follow at once).
//
// Stripe Prices are immutable, so a new amount is a new Price: it is
// created before the write (a network call never holds bbolt's writer),
// the write stores it, and only then is the old one deactivated, so a
// product or plan never points at a deactivated Price.

// SaveProduct creates (empty ID) or updates a product from the admin's
// form. Only the form's fields are taken from p (title, slug, summary,
// description, price, tags, active, licensed, activation limit); files, cover and Stripe ids
// stay as stored, so an upload in another tab is never lost. A changed
// price of a product already in Stripe creates a new Price and deactivates
// the old one. p is updated to what was stored.
func (s *Shop) SaveProduct(ctx context.Context, p *app.Product, actor string) error {
	if p.ID == "" {
		np := app.Product{}
		copyProductForm(&np, p)
		err := s.Store.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutProduct(&np); err != nil {
				return err
			}
			return tx.Audit(app.AuditEntry{Actor: actor, Action: "product.create", Target: np.ID,
				Detail: fmt.Sprintf("created “%s” at /products/%s, %s", np.Title, np.Slug, np.Price)})
		})
		if err != nil {
			return err
		}
		*p = np
		return nil
	}

	cur, err := s.Store.Product(ctx, p.ID)
	if err != nil {
		return err
	}
	want := cur
	copyProductForm(&want, p)
	if err := want.Validate(); err != nil {
		return err // before asking Stripe for anything
	}
	oldPrice, newPrice := "", ""
	// A Price's tax_behavior is as immutable as its amount: including tax
	// or not is a new Price too.
	if cur.StripePriceID != "" && (cur.Price != want.Price || cur.TaxInclusive != want.TaxInclusive) {
		oldPrice = cur.StripePriceID
		// The old Price id is part of the key: going back to an earlier
		// amount makes a fresh Price rather than replaying the old one.
		tb := stripeapi.TaxBehavior(want.TaxInclusive)
		key := fmt.Sprintf("%s-%d-%s-%s-from-%s", cur.ID, want.Price.Amount, want.Price.Currency, tb, oldPrice)
		newPrice, err = s.Stripe.CreatePrice(ctx, cur.StripeProductID, stripeapi.PriceSpec{Amount: want.Price.Amount, Currency: want.Price.Currency, TaxBehavior: tb}, cur.ID, key)
		if err != nil {
			return fmt.Errorf("create the new Stripe price: %w", err)
		}
	}
	var saved app.Product
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		now, err := tx.Product(p.ID)
		if err != nil {
			return err
		}
		if now.StripePriceID != cur.StripePriceID && newPrice != "" {
			return app.Errorf(app.ECONFLICT, "The product's price changed while you were editing it. Reload the page and try again.")
		}
		before := now
		copyProductForm(&now, p)
		if newPrice != "" {
			now.StripePriceID = newPrice
		}
		if err := tx.PutProduct(&now); err != nil {
			return err
		}
		saved = now
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "product.update", Target: now.ID, Detail: productDiff(before, now)})
	})
	if err != nil {
		return err
	}
	*p = saved
	if oldPrice != "" {
		if err := s.Stripe.DeactivatePrice(ctx, oldPrice); err != nil {
			// Harmless to customers (Vendo no longer uses it); the admin
			// may archive it in Stripe's dashboard.
			s.Log.Warn("deactivate the old Stripe price", "product", p.ID, "price", oldPrice, "err", err)
		}
	}
	return nil
}

// copyProductForm copies the fields the admin's product form edits.
func copyProductForm(dst, src *app.Product) {
	dst.Title = strings.TrimSpace(src.Title)
	dst.Slug = src.Slug
	dst.Summary = strings.TrimSpace(src.Summary)
	dst.Description = strings.TrimSpace(src.Description)
	dst.Price = src.Price
	dst.Tags = src.Tags
	dst.Active = src.Active
	dst.Licensed = src.Licensed
	dst.ActivationLimit = src.ActivationLimit
	dst.PayWhatYouWant = src.PayWhatYouWant
	dst.Suggested = src.Suggested
	dst.TaxInclusive = src.TaxInclusive
}

// productDiff describes an edit for the audit log: "price $12.00 →
// $15.00; title “A” → “B”".
func productDiff(a, b app.Product) string {
	var d diff
	d.quoted("title", a.Title, b.Title)
	d.plain("slug", a.Slug, b.Slug)
	if a.Price != b.Price {
		d.add("price %s → %s", a.Price, b.Price)
	}
	if a.StripePriceID != b.StripePriceID && a.StripePriceID != "" {
		d.add("Stripe price %s → %s", a.StripePriceID, b.StripePriceID)
	}
	d.changed("summary", a.Summary, b.Summary)
	d.changed("description", a.Description, b.Description)
	d.plain("tags", strings.Join(a.Tags, ", "), strings.Join(b.Tags, ", "))
	d.flag("active", a.Active, b.Active)
	d.flag("license keys", a.Licensed, b.Licensed)
	d.flag("price includes tax", a.TaxInclusive, b.TaxInclusive)
	if a.ActivationLimit != b.ActivationLimit {
		d.add("activation limit %s → %s", activationLimit(a.ActivationLimit), activationLimit(b.ActivationLimit))
	}
	d.flag("pay what you want", a.PayWhatYouWant, b.PayWhatYouWant)
	if a.Suggested != b.Suggested && b.PayWhatYouWant {
		d.add("suggested %s → %s", a.Suggested, b.Suggested)
	}
	return d.String()
}

func activationLimit(n int) string {
	if n == 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

// SetProductActive archives (active=false) or restores a product.
func (s *Shop) SetProductActive(ctx context.Context, id string, active bool, actor string) error {
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Product(id)
		if err != nil {
			return err
		}
		if p.Active == active {
			return nil
		}
		p.Active = active
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		action := "product.archive"
		if active {
			action = "product.restore"
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: action, Target: id, Detail: fmt.Sprintf("“%s”", p.Title)})
	})
	return err
}

// DeleteProduct deletes a product that was never sold nor granted. One
// that was is archived instead (its buyers' orders and libraries still
// name it), and archived says so with the reason.
func (s *Shop) DeleteProduct(ctx context.Context, id, actor string) (archived bool, reason string, err error) {
	var gone app.Product
	err = s.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Product(id)
		if err != nil {
			return err
		}
		lines, ents, err := tx.ProductReferences(id)
		if err != nil {
			return err
		}
		if lines > 0 || ents > 0 {
			archived = true
			switch {
			case lines > 0:
				reason = fmt.Sprintf("It was sold (%d order line%s name it), so it was archived instead: buyers keep their downloads and it leaves the catalog.", lines, plural(lines))
			default:
				reason = fmt.Sprintf("%d customer%s have it in their library, so it was archived instead: it leaves the catalog and they keep their downloads.", ents, plural(ents))
			}
			p.Active = false
			if err := tx.PutProduct(&p); err != nil {
				return err
			}
			return tx.Audit(app.AuditEntry{Actor: actor, Action: "product.archive", Target: id,
				Detail: fmt.Sprintf("asked to delete “%s”; archived because %d order lines and %d entitlements name it", p.Title, lines, ents)})
		}
		if err := tx.DeleteProduct(id); err != nil {
			return err
		}
		gone = p
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "product.delete", Target: id,
			Detail: fmt.Sprintf("deleted “%s” (/products/%s, %s)", p.Title, p.Slug, p.Price)})
	})
	if err != nil {
		return false, "", err
	}
	if gone.StripePriceID != "" {
		if err := s.Stripe.DeactivatePrice(ctx, gone.StripePriceID); err != nil {
			s.Log.Warn("deactivate a deleted product's Stripe price", "product", id, "price", gone.StripePriceID, "err", err)
		}
	}
	return archived, reason, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// AddProductFiles attaches uploaded files (already on disk, content-
// addressed) to a product and records their metadata, in one transaction.
// A file the product already has is not added twice.
func (s *Shop) AddProductFiles(ctx context.Context, id string, files []store.FileMeta, actor string) error {
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Product(id)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := tx.PutFile(f); err != nil {
				return err
			}
			if slices.ContainsFunc(p.Files, func(r app.FileRef) bool { return r.SHA256 == f.SHA256 }) {
				continue
			}
			p.Files = append(p.Files, app.FileRef{SHA256: f.SHA256, Name: f.Name, Size: f.Size, ContentType: f.ContentType})
			if err := tx.Audit(app.AuditEntry{Actor: actor, Action: "product.file_add", Target: id,
				Detail: fmt.Sprintf("added %s (%d bytes, sha256 %s…) to “%s”", f.Name, f.Size, f.SHA256[:12], p.Title)}); err != nil {
				return err
			}
		}
		return tx.PutProduct(&p)
	})
	return err
}

// RemoveProductFile detaches a file from a product. The bytes stay on
// disk: another product or an older backup may name the same content.
func (s *Shop) RemoveProductFile(ctx context.Context, id, sha, actor string) error {
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Product(id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(p.Files, func(r app.FileRef) bool { return r.SHA256 == sha })
		if i < 0 {
			return app.Errorf(app.ENOTFOUND, "That file is not part of this product.")
		}
		name := p.Files[i].Name
		p.Files = slices.Delete(p.Files, i, i+1)
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "product.file_remove", Target: id,
			Detail: fmt.Sprintf("removed %s from “%s”", name, p.Title)})
	})
	return err
}

// SetProductCover makes an uploaded image the product's cover; covers are
// public (served at /media/{sha}). An empty SHA256 removes the cover.
func (s *Shop) SetProductCover(ctx context.Context, id string, f store.FileMeta, actor string) error {
	var set []app.Image
	var renditions []store.FileMeta
	if f.SHA256 != "" {
		var err error
		if set, renditions, err = s.storeCoverSet(ctx, f); err != nil {
			return err
		}
	}
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.Product(id)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("removed the cover of “%s”", p.Title)
		if f.SHA256 != "" {
			f.Public = true
			if err := tx.PutFile(f); err != nil {
				return err
			}
			for _, r := range renditions {
				if err := tx.PutFile(r); err != nil {
					return err
				}
			}
			detail = fmt.Sprintf("set the cover of “%s” to %s (sha256 %s…)", p.Title, f.Name, f.SHA256[:12])
		}
		p.Cover, p.CoverSet = f.SHA256, set
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "product.cover", Target: id, Detail: detail})
	})
	return err
}
