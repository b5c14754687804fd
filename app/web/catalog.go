package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/search"
	"vendo/app/shop"
	"vendo/app/store"
)

const (
	catalogPageSize = 12
	searchLimit     = 48
)

// resultCard is a product in the results grid; Title and Summary carry
// the highlighted spans of a search (nil when browsing). For a signed-in
// viewer, Owned marks a product in their library and Credits, with the
// form's CSRF token, offers to unlock the others.
type resultCard struct {
	app.Product
	TitleSpans   []search.Span
	SummarySpans []search.Span
	Owned        bool
	Credits      *shop.CreditStatus
	CSRF         string
}

// handleCatalog lists products newest first, a page at a time, or, with ?q=, the ranked
// search results; an htmx request (search as you type) gets only the
// results partial.
func (s *Server) handleCatalog(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	data := fiber.Map{"Title": "Products", "Nav": "products", "Query": q,
		"Meta": s.meta("/products", "Products", "Every product in the shop, ready to download.", "")}
	if q != "" {
		cards, err := s.searchCards(c, q)
		if err != nil {
			return err
		}
		if err := s.viewerCards(c, cards); err != nil {
			return err
		}
		data["Cards"] = cards
		data["Title"] = "Search: " + q
		return s.page(c, "pages/products", "partials/product_results", data)
	}
	before := c.Query("before")
	products, next, err := s.store.Products(c.UserContext(), store.ProductFilter{Status: store.ProductActive, Before: before, Limit: catalogPageSize})
	if err != nil {
		return err
	}
	cards := make([]resultCard, len(products))
	for i, p := range products {
		cards[i] = resultCard{Product: p}
	}
	if err := s.viewerCards(c, cards); err != nil {
		return err
	}
	data["Cards"] = cards
	if next != "" {
		data["Next"] = url.Values{"before": {next}}.Encode()
	}
	if before != "" {
		data["First"] = true
	}
	return s.page(c, "pages/products", "partials/product_results", data)
}

// searchCards runs the query on the index and loads the hits' products
// (in one read transaction) for the cards.
func (s *Server) searchCards(c *fiber.Ctx, q string) ([]resultCard, error) {
	hits := s.search.Search(q, searchLimit)
	cards := make([]resultCard, 0, len(hits))
	err := s.store.View(c.UserContext(), func(tx *store.Tx) error {
		for _, h := range hits {
			p, err := tx.Product(h.ID)
			if app.IsNotFound(err) || (err == nil && !p.Active) {
				continue // changed since the index saw it
			}
			if err != nil {
				return err
			}
			cards = append(cards, resultCard{Product: p, TitleSpans: h.Title, SummarySpans: h.Summary})
		}
		return nil
	})
	return cards, err
}

// viewerCards marks, for a signed-in viewer, the cards of products they
// own and gives the others their credit status (the unlock button).
func (s *Server) viewerCards(c *fiber.Ctx, cards []resultCard) error {
	id := s.viewerID(c)
	if id == "" || len(cards) == 0 {
		return nil
	}
	owned, err := s.shop.Owned(c.UserContext(), id)
	if err != nil {
		return err
	}
	credits, err := s.shop.Credits(c.UserContext(), id)
	if err != nil {
		return err
	}
	for i := range cards {
		cards[i].Owned, cards[i].Credits, cards[i].CSRF = owned[cards[i].ID], credits, s.csrfToken(c)
	}
	return nil
}
