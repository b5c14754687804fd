package web

import (
	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
)

// handleProduct shows one product with its files and the buy box: for a
// signed-in customer who owns it, "In your library" with its downloads;
// for a subscriber, the button that unlocks it with a credit.
func (s *Server) handleProduct(c *fiber.Ctx) error {
	p, err := s.store.ProductBySlug(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	if !p.Active {
		return fiber.ErrNotFound
	}
	return s.productPage(c, p, nil)
}

// productPage renders a product's page, with extra data (a form's values
// and messages) when given.
func (s *Server) productPage(c *fiber.Ctx, p app.Product, extra fiber.Map) error {
	meta := s.meta("/products/"+p.Slug, p.Title, p.Summary, p.Cover)
	meta.Type = "product"
	data := fiber.Map{"Title": p.Title, "Description": p.Summary, "Nav": "products", "Meta": meta, "JSONLD": s.productLD(p, meta),
		"Email": "", "EmailError": "", "Amount": "", "AmountError": ""}
	if err := s.buyBox(c, p, data); err != nil {
		return err
	}
	if code := s.currentCode(c); code != "" {
		if cd, ok := s.shop.ProductPrice(c.UserContext(), code, p); ok {
			data["CodePrice"] = cd
		}
	}
	for k, v := range extra {
		data[k] = v
	}
	return s.page(c, "pages/product", "", data)
}

// buyBox adds what the buy box (partials/buy_box) shows the viewer to
// data: the product, whether plans include it, and for a signed-in
// customer whether it is theirs and what their credits allow.
func (s *Server) buyBox(c *fiber.Ctx, p app.Product, data fiber.Map) error {
	plans, err := s.store.Plans(c.UserContext())
	if err != nil {
		return err
	}
	data["Product"], data["InPlans"] = p, plansInclude(plans)
	id := s.viewerID(c)
	if id == "" {
		return nil
	}
	if st := s.signed(c); st != nil && !st.Owned[p.ID] {
		// Cached under the standing read for this request: render that.
		data["Owned"], data["Credits"] = (*shop.LibraryItem)(nil), st.Credits
		return nil
	}
	a, err := s.shop.Access(c.UserContext(), id, p)
	if err != nil {
		return err
	}
	data["Owned"], data["Credits"] = a.Owned, a.Credits
	return nil
}

// plansInclude reports whether a plan includes every product: a plan's
// credits unlock any product in the catalog, so any plan with credits
// (a number or unlimited) does.
func plansInclude(plans []app.Plan) bool {
	for _, p := range plans {
		if p.Credits != 0 && p.Monthly.Price.Amount > 0 {
			return true
		}
	}
	return false
}
