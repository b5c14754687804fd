package server

import (
	"context"
	"runtime/debug"

	"vendo/app"
	"vendo/app/search"
	"vendo/app/store"
)

// buildIndex builds the search index in the background at start-up: it
// is most of the start-up's work on a large catalog (reading every
// product, then indexing it), and the shop's other pages do not need it.
// Searches wait for it (search.Index.Building), and so do catalog changes,
// which hold catalogMu.
func (s *Server) buildIndex(ctx context.Context) {
	s.catalogMu.Lock()
	s.indexing.Add(1)
	go func() {
		defer s.indexing.Done()
		defer s.catalogMu.Unlock()
		// The build decoded the whole catalog; what the index does not
		// keep is garbage once it is built, and the runtime would hand it
		// back to the OS only slowly: an idle shop kept it (make bench,
		// growth table). It also read every product's pages through the
		// database's memory map, which the kernel counts as the shop's
		// memory until it needs it back. Both are handed back before
		// searches are let through, so a shop whose search answers has
		// finished starting.
		settle := func(products int) {
			// A full collection of the whole process: worth it after a
			// large catalog, only CPU after a small one (whose build left
			// a few KiB): a test process starting hundreds of demo shops
			// collected its whole heap each time.
			if products >= freeAfterProducts {
				debug.FreeOSMemory()
			}
			if err := s.Store.ReleasePages(ctx); err != nil {
				s.log.Warn("release the database pages read for the search index", "err", err)
			}
		}
		if err := s.reindex(ctx, settle); err != nil {
			s.log.Error("build the search index: the catalog search finds nothing until the next catalog change", "err", err)
			s.index.Build(nil)
		}
	}()
}

// productTexts reads the text of a search's hits from the store: the
// index keeps none (search.NewReading).
func (s *Server) productTexts(ids []string) ([]search.Text, error) {
	texts, err := s.Store.ProductTexts(context.Background(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]search.Text, len(texts))
	for i, t := range texts {
		out[i] = search.Text(t)
	}
	return out, nil
}

// reindex rebuilds the catalog search index from the store: at start-up
// (buildIndex), and after a commit that changed more than single products (an import).
// then, when set, runs with the number of products indexed before
// searches are let through.
func (s *Server) reindex(ctx context.Context, then func(products int)) error {
	products, _, err := s.Store.Products(ctx, store.ProductFilter{Status: store.ProductActive})
	if err != nil {
		return err
	}
	var built func()
	if then != nil {
		built = func() { then(len(products)) }
	}
	s.index.BuildThen(products, built)
	return nil
}

// freeAfterProducts is the catalog size from which start-up hands the
// index build's garbage back to the OS at once (make bench's smallest
// shop has 1,000 products).
const freeAfterProducts = 1000

// catalogChanged runs after every commit that changed products, plans or
// settings. A product edit updates that product in the search index and
// drops the cached pages that show it (its own page, the lists); plans
// and settings drop every page (the index holds products only); an
// import rebuilds the index and drops every page.
//
// The products are read again here rather than taken from the
// transaction, under catalogMu: hooks of two commits may run in either
// order, but the last one to run reads the last commit, so the index ends
// in the store's state whatever the order.
func (s *Server) catalogChanged(ch store.CatalogChange) {
	if s.index == nil || s.Web == nil {
		return // still starting: both are built from the store afterwards
	}
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	ctx := context.Background()
	if ch.All {
		if err := s.reindex(ctx, nil); err != nil {
			s.log.Error("rebuild the search index", "err", err)
		}
		s.Web.InvalidatePages()
		return
	}
	slugs := make([]string, 0, 2*len(ch.Products))
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		for _, id := range ch.Products {
			if old, ok := s.index.Slug(id); ok {
				slugs = append(slugs, old)
			}
			p, err := tx.Product(id)
			switch {
			case app.IsNotFound(err):
				s.index.Remove(id)
				continue
			case err != nil:
				return err
			}
			s.index.Upsert(p)
			slugs = append(slugs, p.Slug)
		}
		return nil
	})
	if err != nil {
		s.log.Error("update the search index; rebuilding it", "err", err)
		if err := s.reindex(ctx, nil); err != nil {
			s.log.Error("rebuild the search index", "err", err)
		}
		s.Web.InvalidatePages()
		return
	}
	if ch.Pages {
		s.Web.InvalidatePages()
		return
	}
	s.Web.ProductsChanged(slugs...)
}
