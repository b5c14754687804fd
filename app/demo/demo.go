// Package demo seeds a new sandbox install with three plans and a handful
// of digital products whose files are generated here, so `make run` shows a
// real-looking shop without anything to download.
package demo

import (
	"context"
	"fmt"

	"vendo/app"
	"vendo/app/store"
)

// Blobs stores file content (blobs.Dir satisfies it).
type Blobs interface {
	PutBytes(ctx context.Context, b []byte) (string, int64, error)
}

// Seed fills an empty shop once: it does nothing when the settings say it
// already ran or when products exist (a merchant's own catalog wins).
func Seed(ctx context.Context, st *store.Store, files Blobs) (bool, error) {
	settings, err := st.Settings(ctx)
	if err != nil {
		return false, err
	}
	if settings.DemoSeeded {
		return false, nil
	}
	var count int
	if err := st.View(ctx, func(tx *store.Tx) (err error) { count, err = tx.CountProducts(false); return }); err != nil {
		return false, err
	}

	// Write the files first (outside the transaction: disk I/O must not
	// hold bbolt's writer), then the records in one transaction.
	type built struct {
		product app.Product
		metas   []store.FileMeta
	}
	var products []built
	if count == 0 {
		for _, d := range catalog() {
			p := app.Product{
				Slug: app.Slugify(d.title), Title: d.title, Summary: d.summary, Description: d.description,
				Price: app.Money{Amount: d.price, Currency: "usd"}, Tags: d.tags, Active: true, Licensed: d.licensed,
			}
			var metas []store.FileMeta
			for _, f := range d.files() {
				sha, size, err := files.PutBytes(ctx, f.body)
				if err != nil {
					return false, fmt.Errorf("demo file %s: %w", f.name, err)
				}
				p.Files = append(p.Files, app.FileRef{SHA256: sha, Name: f.name, Size: size, ContentType: f.contentType})
				metas = append(metas, store.FileMeta{SHA256: sha, Size: size, ContentType: f.contentType, Name: f.name})
			}
			cover := coverSVG(d.title, d.hue)
			sha, size, err := files.PutBytes(ctx, cover)
			if err != nil {
				return false, fmt.Errorf("demo cover: %w", err)
			}
			p.Cover = sha
			metas = append(metas, store.FileMeta{SHA256: sha, Size: size, ContentType: "image/svg+xml", Name: p.Slug + ".svg", Public: true})
			products = append(products, built{p, metas})
		}
	}

	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range products {
			for _, m := range products[i].metas {
				if err := tx.PutFile(m); err != nil {
					return err
				}
			}
			if err := tx.PutProduct(&products[i].product); err != nil {
				return fmt.Errorf("demo product %s: %w", products[i].product.Slug, err)
			}
		}
		existing, err := tx.Plans()
		if err != nil {
			return err
		}
		if len(existing) == 0 {
			for _, p := range plans() {
				p := p
				if err := tx.PutPlan(&p); err != nil {
					return fmt.Errorf("demo plan %s: %w", p.Slug, err)
				}
			}
		}
		s, err := tx.Settings()
		if err != nil {
			return err
		}
		s.DemoSeeded = true
		if s.ShopName == app.DefaultSettings().ShopName {
			s.ShopName = "Vendo Demo Shop"
			s.SupportEmail = "help@vendo.example"
		}
		return tx.PutSettings(s)
	})
	return err == nil, err
}

func plans() []app.Plan {
	usd := func(n int64) app.Money { return app.Money{Amount: n, Currency: "usd"} }
	return []app.Plan{
		{Slug: "starter", Name: "Starter", Tagline: "For trying things out.", Credits: 3, Position: 1,
			Monthly: app.PlanPrice{Price: usd(900)}, Yearly: app.PlanPrice{Price: usd(9000)},
			Features: []string{"Unlock any product in the catalog", "Personal license", "Email support"}},
		{Slug: "pro", Name: "Pro", Tagline: "For people who make things every week.", Credits: 10, Position: 2, Highlight: true,
			Monthly: app.PlanPrice{Price: usd(1900)}, Yearly: app.PlanPrice{Price: usd(19000)},
			Features: []string{"Everything in Starter", "Commercial license", "Priority support"}},
		{Slug: "team", Name: "Team", Tagline: "For studios that use the whole catalog.", Credits: app.Unlimited, Position: 3,
			Monthly: app.PlanPrice{Price: usd(4900)}, Yearly: app.PlanPrice{Price: usd(49000)},
			Features: []string{"Everything in Pro", "Extended license", "The whole catalog: no monthly limit"}},
	}
}
