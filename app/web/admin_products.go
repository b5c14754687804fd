package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// productForm is the product form as typed, so a refused form comes back
// exactly as it was sent.
type productForm struct {
	ID          string
	Title       string
	Slug        string
	Summary     string
	Description string
	Price       string
	Currency    string
	Tags        string
	Active      bool
	Licensed    bool
	// ActivationLimit is as typed: empty means unlimited.
	ActivationLimit string
	PWYW            bool
	Suggested       string
	TaxInclusive    bool
}

func formOfProduct(p app.Product) productForm {
	f := productForm{ID: p.ID, Title: p.Title, Slug: p.Slug, Summary: p.Summary, Description: p.Description,
		Price: p.Price.Decimal(), Currency: p.Price.Currency, Tags: strings.Join(p.Tags, ", "), Active: p.Active, Licensed: p.Licensed,
		ActivationLimit: activationLimitText(p.ActivationLimit), PWYW: p.PayWhatYouWant, TaxInclusive: p.TaxInclusive}
	if p.PayWhatYouWant {
		f.Suggested = p.Suggested.Decimal()
	}
	return f
}

func activationLimitText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// readProductForm parses the posted product form into a product and the
// messages of the fields that cannot even be parsed (the price).
func readProductForm(c *fiber.Ctx) (productForm, app.Product, app.ValidationErrors) {
	f := productForm{
		Title: strings.TrimSpace(c.FormValue("title")), Slug: strings.TrimSpace(strings.ToLower(c.FormValue("slug"))),
		Summary: c.FormValue("summary"), Description: c.FormValue("description"),
		Price: strings.TrimSpace(c.FormValue("price")), Currency: strings.ToLower(strings.TrimSpace(c.FormValue("currency"))),
		Tags: c.FormValue("tags"), Active: c.FormValue("active") != "", Licensed: c.FormValue("licensed") != "",
		ActivationLimit: strings.TrimSpace(c.FormValue("activation_limit")),
		PWYW:            c.FormValue("pay_what_you_want") != "", Suggested: strings.TrimSpace(c.FormValue("suggested")),
		TaxInclusive: c.FormValue("tax_inclusive") != "",
	}
	slugTyped := f.Slug != ""
	if !slugTyped {
		f.Slug = app.Slugify(f.Title)
	}
	errs := app.ValidationErrors{}
	p := app.Product{Title: f.Title, Slug: f.Slug, Summary: f.Summary, Description: strings.ReplaceAll(f.Description, "\r\n", "\n"),
		Active: f.Active, Licensed: f.Licensed, Tags: splitTags(f.Tags), TaxInclusive: f.TaxInclusive}
	price, err := app.ParseMoney(f.Price, f.Currency)
	if err != nil {
		errs.Add("price", err.Error())
		price = app.Money{Amount: 0, Currency: f.Currency}
	}
	p.Price = price
	if f.ActivationLimit != "" {
		n, err := strconv.Atoi(f.ActivationLimit)
		if err != nil || n < 1 || n > app.MaxActivationLimit {
			errs.Add("activation_limit", "Allow between 1 and 10,000 activations per key, or leave it empty for no limit.")
		} else {
			p.ActivationLimit = n
		}
	}
	if p.PayWhatYouWant = f.PWYW; p.PayWhatYouWant {
		if p.Suggested, err = app.ParseMoney(f.Suggested, f.Currency); err != nil {
			errs.Add("suggested", err.Error())
			p.Suggested = price
		}
	}
	if err := p.Validate(); err != nil {
		if fe, ok := formErrors(err); ok {
			for k, m := range fe {
				errs.Add(k, m)
			}
		}
	}
	if _, bad := errs["slug"]; bad && !slugTyped {
		// The address was to come from the title: a missing title is the
		// title's error alone, not the address field's too.
		if _, titleBad := errs["title"]; titleBad {
			delete(errs, "slug")
		} else {
			errs["slug"] = "The title has no letters or digits to make an address from: type one."
		}
	}
	return f, p, errs
}

// splitTags reads "a, b, c": trimmed, lowercase, no repeats, at most 10.
func splitTags(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || seen[t] || len(out) == 10 {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// handleAdminProducts lists products with a search and a status filter
// (GET /admin/products?q=&status=&before=); htmx gets the table only.
func (s *Server) handleAdminProducts(c *fiber.Ctx) error {
	q := filterValues(c, "q", "status")
	before := c.Query("before")
	var products []app.Product
	var next string
	err := s.store.View(c.UserContext(), func(tx *store.Tx) (err error) {
		products, next, err = tx.Products(store.ProductFilter{Query: q.Get("q"), Status: q.Get("status"), Before: before, Limit: adminPageSize})
		return err
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "products", "admin/products", "admin/products_table", fiber.Map{"Title": "Products",
		"Products": products, "Q": q.Get("q"), "Status": q.Get("status"), "Pager": newPager("/admin/products", q, "before", before, next)})
}

// handleAdminProductNew shows an empty product form.
func (s *Server) handleAdminProductNew(c *fiber.Ctx) error {
	settings, err := s.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return s.productFormPage(c, productForm{Currency: settings.Currency}, nil, app.ValidationErrors{})
}

func (s *Server) productFormPage(c *fiber.Ctx, f productForm, p *app.Product, errs app.ValidationErrors) error {
	title := "New product"
	if p != nil {
		title = p.Title
	}
	data := fiber.Map{"Title": title, "Form": f, "Product": p, "Errors": errs, "Currencies": app.Currencies(),
		"UploadLimit": humanBytes(s.cfg.UploadLimit)}
	if p != nil {
		data["StripePrice"] = s.stripeDashboard("prices", p.StripePriceID)
	}
	return s.adminPage(c, "products", "admin/product", "", data)
}

// handleAdminProductCreate creates a product (POST /admin/products).
func (s *Server) handleAdminProductCreate(c *fiber.Ctx) error {
	f, p, errs := readProductForm(c)
	if len(errs) == 0 {
		err := s.shop.SaveProduct(c.UserContext(), &p, s.actor(c))
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.productFormPage(c, f, nil, errs)
	}
	return s.back(c, "/admin/products/"+p.ID, "created")
}

// handleAdminProductEdit shows a product's form, files and cover.
func (s *Server) handleAdminProductEdit(c *fiber.Ctx) error {
	p, err := s.store.Product(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return s.productFormPage(c, formOfProduct(p), &p, app.ValidationErrors{})
}

// handleAdminProductSave saves the product form (POST /admin/products/:id).
func (s *Server) handleAdminProductSave(c *fiber.Ctx) error {
	cur, err := s.store.Product(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, p, errs := readProductForm(c)
	f.ID, p.ID = cur.ID, cur.ID
	if len(errs) == 0 {
		err := s.shop.SaveProduct(c.UserContext(), &p, s.actor(c))
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.productFormPage(c, f, &cur, errs)
	}
	return s.back(c, "/admin/products/"+p.ID, "saved")
}

// handleAdminProductArchive takes a product out of the catalog.
func (s *Server) handleAdminProductArchive(c *fiber.Ctx) error {
	if err := s.shop.SetProductActive(c.UserContext(), c.Params("id"), false, s.actor(c)); err != nil {
		return err
	}
	return s.back(c, "/admin/products/"+url.PathEscape(c.Params("id")), "archived")
}

// handleAdminProductRestore puts an archived product back in the catalog.
func (s *Server) handleAdminProductRestore(c *fiber.Ctx) error {
	if err := s.shop.SetProductActive(c.UserContext(), c.Params("id"), true, s.actor(c)); err != nil {
		return err
	}
	return s.back(c, "/admin/products/"+url.PathEscape(c.Params("id")), "restored")
}

// handleAdminProductDelete deletes a product never sold, and archives one
// that was, saying why.
func (s *Server) handleAdminProductDelete(c *fiber.Ctx) error {
	id := c.Params("id")
	archived, reason, err := s.shop.DeleteProduct(c.UserContext(), id, s.actor(c))
	if err != nil {
		return err
	}
	if archived {
		p, err := s.store.Product(c.UserContext(), id)
		if err != nil {
			return err
		}
		return s.adminPage(c, "products", "admin/product", "", fiber.Map{"Title": p.Title, "Form": formOfProduct(p), "Product": &p,
			"Errors": app.ValidationErrors{}, "Currencies": app.Currencies(), "UploadLimit": humanBytes(s.cfg.UploadLimit),
			"Flash": "Not deleted. " + reason})
	}
	return s.back(c, "/admin/products", "deleted")
}

// handleAdminProductFileRemove detaches a file from a product.
func (s *Server) handleAdminProductFileRemove(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.shop.RemoveProductFile(c.UserContext(), id, c.Params("sha"), s.actor(c)); err != nil {
		return err
	}
	return s.afterFileChange(c, id, "file-removed")
}

// handleAdminProductCoverRemove removes a product's cover.
func (s *Server) handleAdminProductCoverRemove(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := s.shop.SetProductCover(c.UserContext(), id, store.FileMeta{}, s.actor(c)); err != nil {
		return err
	}
	return s.afterFileChange(c, id, "cover")
}

// afterFileChange answers a file action: htmx gets the files section
// again, a plain form goes back to the product.
func (s *Server) afterFileChange(c *fiber.Ctx, id, done string) error {
	if !isHTMX(c) {
		return s.back(c, "/admin/products/"+url.PathEscape(id), done)
	}
	p, err := s.store.Product(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.adminPage(c, "products", "admin/product", "admin/product_files", fiber.Map{"Product": &p,
		"UploadLimit": humanBytes(s.cfg.UploadLimit), "FilesFlash": flashes[done]})
}
