package server

import "vendo/app/search"

// SearchIndex is the index the catalog pages search, for tests that check
// it follows the store.
func (s *Server) SearchIndex() *search.Index { return s.index }
