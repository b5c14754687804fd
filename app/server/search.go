package server

import (
	"context"

	"vendo/app/store"
)

// reindex rebuilds the catalog search index from the store: at start-up,
// and after every catalog change (rebuilding 10,000 products takes
// milliseconds; catalog changes are rare).
func (s *Server) reindex(ctx context.Context) error {
	products, _, err := s.Store.Products(ctx, store.ProductFilter{Status: store.ProductActive})
	if err != nil {
		return err
	}
	s.index.Build(products)
	return nil
}

// catalogChanged runs after every commit that changed products, plans or
// settings: the search index is rebuilt and cached pages are dropped.
func (s *Server) catalogChanged() {
	if s.index == nil || s.Web == nil {
		return // still starting: both are built from the store afterwards
	}
	if err := s.reindex(context.Background()); err != nil {
		s.log.Error("rebuild the search index", "err", err)
	}
	s.Web.InvalidatePages()
}
