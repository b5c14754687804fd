package web

import (
	"net/url"
	"strconv"
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
	Lead         bool // the grid's first card (render.go's lead)
}

// catalogView is what the catalog shows: the words searched, the order
// and the tag, as read from the URL.
type catalogView struct {
	Query string
	Order search.Order
	Tag   string // a tag key (search.FoldTag)
	Page  int    // 1-based, for the orders and filters the index serves
}

// maxCatalogPage bounds ?page=, so a made-up URL cannot make a search
// rank the whole catalog many times over.
const maxCatalogPage = 200

// readCatalogView reads the catalog's query string. An order or page it
// does not know falls back to the default: these are links people edit,
// and a list is a better answer than an error.
func readCatalogView(c *fiber.Ctx) catalogView {
	v := catalogView{Query: strings.TrimSpace(c.Query("q")), Tag: search.FoldTag(c.Query("tag")), Page: 1}
	if len(v.Query) > 200 {
		v.Query = v.Query[:200]
	}
	if len(v.Tag) > 100 {
		v.Tag = ""
	}
	v.Order, _ = search.ParseOrder(c.Query("sort"))
	if n, err := strconv.Atoi(c.Query("page")); err == nil && n > 1 {
		v.Page = min(n, maxCatalogPage)
	}
	return v
}

// url returns the catalog's address for v, with only the parameters that
// differ from the defaults, plus extra.
func (v catalogView) url(extra url.Values) string {
	q := url.Values{}
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	if v.Order != search.Relevance {
		q.Set("sort", v.Order.String())
	}
	if v.Tag != "" {
		q.Set("tag", v.Tag)
	}
	for k, vs := range extra {
		q[k] = vs
	}
	if len(q) == 0 {
		return "/products"
	}
	return "/products?" + q.Encode()
}

// catalogOrders are the sort choices, in the order the page offers them.
var catalogOrders = []struct {
	Order search.Order
	Label string
}{
	{search.Relevance, "Best match"},
	{search.Newest, "Newest"},
	{search.PriceLow, "Price: low to high"},
	{search.PriceHigh, "Price: high to low"},
	{search.Name, "Name"},
}

// handleCatalog lists products newest first, a page at a time; with ?q=
// the ranked search results; with ?sort= or ?tag= (alone or with ?q=) the
// products in that order or with that tag. An htmx request (search as you
// type, a changed sort or tag) gets only the results partial.
func (s *Server) handleCatalog(c *fiber.Ctx) error {
	v := readCatalogView(c)
	data := fiber.Map{"Title": "Products", "Nav": "products", "Query": v.Query, "View": v,
		"Orders": catalogOrders, "Tags": s.search.Tags(),
		"Meta": s.meta("/products", "Products", "Every product in the shop, ready to download.", "")}
	if v.Query != "" {
		data["Title"] = "Search: " + v.Query
	}
	if v.Query != "" || v.Tag != "" || (v.Order != search.Relevance && v.Order != search.Newest) {
		cards, total, err := s.findCards(c, v)
		if err != nil {
			return err
		}
		if err := s.viewerCards(c, cards); err != nil {
			return err
		}
		data["Cards"], data["Total"] = cards, total
		if v.Page > 1 {
			data["First"] = v.url(nil)
		}
		if v.Page < maxCatalogPage && v.Page*v.pageSize() < total {
			data["Next"] = v.url(url.Values{"page": {strconv.Itoa(v.Page + 1)}})
		}
		return s.page(c, "pages/products", "partials/product_results", data)
	}
	// Newest first without a filter: the store's own order, a cursor page
	// at a time, whatever the catalog's size.
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
		data["Next"] = v.url(url.Values{"before": {next}})
	}
	if before != "" {
		data["First"] = v.url(nil)
	}
	return s.page(c, "pages/products", "partials/product_results", data)
}

// pageSize is how many products a page shows: more for a search, whose
// best matches are worth seeing together.
func (v catalogView) pageSize() int {
	if v.Query != "" {
		return searchLimit
	}
	return catalogPageSize
}

// findCards asks the index for v's page and loads the hits' products (in
// one read transaction) for the cards.
func (s *Server) findCards(c *fiber.Ctx, v catalogView) ([]resultCard, int, error) {
	q := search.ParseQuery(v.Query)
	q.Tag, q.Order = v.Tag, v.Order
	hits, total := s.search.Find(q, (v.Page-1)*v.pageSize(), v.pageSize())
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
			card := resultCard{Product: p}
			if v.Query != "" {
				card.TitleSpans, card.SummarySpans = h.Title, h.Summary
			}
			cards = append(cards, card)
		}
		return nil
	})
	return cards, total, err
}

// viewerCards marks, for a signed-in viewer, the cards of products they
// own and gives the others their credit status (the unlock button).
func (s *Server) viewerCards(c *fiber.Ctx, cards []resultCard) error {
	id := s.viewerID(c)
	if id == "" || len(cards) == 0 {
		return nil
	}
	var (
		owned   map[string]bool
		credits *shop.CreditStatus
		err     error
	)
	if st := s.signed(c); st != nil {
		owned, credits = st.Owned, st.Credits // what the cached page is keyed by
	} else {
		if owned, err = s.shop.Owned(c.UserContext(), id); err != nil {
			return err
		}
		if credits, err = s.shop.Credits(c.UserContext(), id); err != nil {
			return err
		}
	}
	for i := range cards {
		cards[i].Owned, cards[i].Credits, cards[i].CSRF = owned[cards[i].ID], credits, s.csrfToken(c)
	}
	return nil
}
