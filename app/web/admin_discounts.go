package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/store"
)

// discountForm is the new-discount form as typed.
type discountForm struct {
	Code, Name, PercentOff, AmountOff, Currency, EndsOn, MaxRedemptions string
	ProductIDs                                                          []string
	FirstPurchaseOnly                                                   bool
	// PlanIDs are the plans it applies to; Duration and DurationMonths
	// how long it lasts on a plan.
	PlanIDs                  []string
	Duration, DurationMonths string
}

// handleAdminDiscounts lists the codes with their redemptions and the
// form for a new one (GET /admin/discounts).
func (s *Server) handleAdminDiscounts(c *fiber.Ctx) error {
	st, err := s.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return s.discountsPage(c, discountForm{Currency: st.Currency}, app.ValidationErrors{})
}

func (s *Server) discountsPage(c *fiber.Ctx, f discountForm, errs app.ValidationErrors) error {
	list, err := s.shop.Discounts(c.UserContext())
	if err != nil {
		return err
	}
	products, _, err := s.store.Products(c.UserContext(), store.ProductFilter{})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	plans, err := s.store.Plans(c.UserContext())
	if err != nil {
		return err
	}
	edit, _ := c.Locals("editDiscount").(string)
	return s.adminPage(c, "discounts", "admin/discounts", "", fiber.Map{"Title": "Discounts", "Discounts": list, "Form": f, "EditID": edit,
		"Errors": errs, "Products": products, "Plans": plans, "Currencies": app.Currencies(), "BaseURL": s.cfg.BaseURL})
}

// readDiscountForm reads the discount form (new or edit) into the form
// as typed and the discount it says, with the fields it could not read.
func readDiscountForm(c *fiber.Ctx) (discountForm, app.Discount, app.ValidationErrors) {
	f := discountForm{Code: strings.TrimSpace(c.FormValue("code")), Name: strings.TrimSpace(c.FormValue("name")),
		PercentOff: strings.TrimSpace(c.FormValue("percent_off")), AmountOff: strings.TrimSpace(c.FormValue("amount_off")),
		Currency: strings.ToLower(c.FormValue("currency")), EndsOn: strings.TrimSpace(c.FormValue("ends_on")),
		MaxRedemptions: strings.TrimSpace(c.FormValue("max_redemptions")), FirstPurchaseOnly: c.FormValue("first_purchase_only") != ""}
	args := c.Request().PostArgs()
	for _, v := range args.PeekMulti("products") {
		f.ProductIDs = append(f.ProductIDs, string(v))
	}
	for _, v := range args.PeekMulti("plans") {
		f.PlanIDs = append(f.PlanIDs, string(v))
	}
	f.Duration, f.DurationMonths = c.FormValue("duration"), strings.TrimSpace(c.FormValue("duration_months"))
	errs := app.ValidationErrors{}
	d := app.Discount{Code: f.Code, Name: f.Name, ProductIDs: f.ProductIDs, PlanIDs: f.PlanIDs, FirstPurchaseOnly: f.FirstPurchaseOnly,
		Duration: f.Duration}
	if f.Duration == app.DurationRepeating {
		n, err := strconv.Atoi(f.DurationMonths)
		if err != nil {
			errs.Add("duration_months", "Say for how many months, 1 to 36, a plan's payments are discounted.")
		}
		d.DurationMonths = n
	}
	if f.PercentOff != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(f.PercentOff, "%"))
		if err != nil {
			errs.Add("percent_off", "Enter the percentage as a whole number, like 25.")
		}
		d.PercentOff = n
	}
	if f.AmountOff != "" {
		m, err := app.ParseMoney(f.AmountOff, f.Currency)
		if err != nil {
			errs.Add("amount_off", err.Error())
		}
		d.AmountOff = m
	}
	if f.EndsOn != "" {
		t, err := time.Parse("2006-01-02", f.EndsOn)
		if err != nil {
			errs.Add("ends_on", "Enter the last day as a date, like 2027-01-31.")
		}
		d.EndsAt = t.Add(24 * time.Hour) // through the end of that day (UTC)
	}
	if f.MaxRedemptions != "" {
		n, err := strconv.Atoi(f.MaxRedemptions)
		if err != nil || n < 1 {
			errs.Add("max_redemptions", "Enter how many times it can be used, 1 or more, or leave it empty.")
		}
		d.MaxRedemptions = n
	}
	return f, d, errs
}

// formOfDiscount is a stored discount as its edit form shows it.
func formOfDiscount(d app.Discount) discountForm {
	f := discountForm{Code: d.Code, Name: d.Name, Currency: d.AmountOff.Currency, ProductIDs: d.ProductIDs, PlanIDs: d.PlanIDs,
		FirstPurchaseOnly: d.FirstPurchaseOnly, Duration: d.Duration}
	if d.PercentOff > 0 {
		f.PercentOff = strconv.Itoa(d.PercentOff)
	} else {
		f.AmountOff = d.AmountOff.Decimal()
	}
	if d.DurationMonths > 0 {
		f.DurationMonths = strconv.Itoa(d.DurationMonths)
	}
	if !d.EndsAt.IsZero() {
		f.EndsOn = d.EndsAt.Add(-24 * time.Hour).Format("2006-01-02")
	}
	if d.MaxRedemptions > 0 {
		f.MaxRedemptions = strconv.Itoa(d.MaxRedemptions)
	}
	return f
}

// handleAdminDiscountCreate creates a code and its Stripe Coupon and
// Promotion Code (POST /admin/discounts).
func (s *Server) handleAdminDiscountCreate(c *fiber.Ctx) error {
	f, d, errs := readDiscountForm(c)
	if len(errs) == 0 {
		_, err := s.shop.CreateDiscount(c.UserContext(), d, s.actor(c))
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return s.discountsPage(c, f, errs)
	}
	return s.redirect(c, "/admin/discounts")
}

// handleAdminDiscountEdit shows a code's form filled in
// (GET /admin/discounts/:id).
func (s *Server) handleAdminDiscountEdit(c *fiber.Ctx) error {
	d, err := s.discount(c)
	if err != nil {
		return err
	}
	c.Locals("editDiscount", d.ID)
	return s.discountsPage(c, formOfDiscount(d), app.ValidationErrors{})
}

// handleAdminDiscountUpdate saves a code's edit (POST
// /admin/discounts/:id): a new amount or limit is a new Stripe Coupon and
// Promotion Code (shop.UpdateDiscount).
func (s *Server) handleAdminDiscountUpdate(c *fiber.Ctx) error {
	cur, err := s.discount(c)
	if err != nil {
		return err
	}
	f, d, errs := readDiscountForm(c)
	f.Code = cur.Code
	if len(errs) == 0 {
		_, err := s.shop.UpdateDiscount(c.UserContext(), cur.ID, d, s.actor(c))
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		c.Locals("editDiscount", cur.ID)
		return s.discountsPage(c, f, errs)
	}
	return s.redirect(c, "/admin/discounts")
}

func (s *Server) discount(c *fiber.Ctx) (d app.Discount, err error) {
	err = s.store.View(c.UserContext(), func(tx *store.Tx) error { d, err = tx.Discount(c.Params("id")); return err })
	return d, err
}

func (s *Server) handleAdminDiscountPause(c *fiber.Ctx) error {
	if err := s.shop.SetDiscountPaused(c.UserContext(), c.Params("id"), true, s.actor(c)); err != nil {
		return err
	}
	return s.redirect(c, "/admin/discounts")
}

func (s *Server) handleAdminDiscountResume(c *fiber.Ctx) error {
	if err := s.shop.SetDiscountPaused(c.UserContext(), c.Params("id"), false, s.actor(c)); err != nil {
		return err
	}
	return s.redirect(c, "/admin/discounts")
}

func (s *Server) handleAdminDiscountDelete(c *fiber.Ctx) error {
	if err := s.shop.DeleteDiscount(c.UserContext(), c.Params("id"), s.actor(c)); err != nil {
		return err
	}
	return s.redirect(c, "/admin/discounts")
}
