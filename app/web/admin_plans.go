package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// planForm is a plan's form as typed.
type planForm struct {
	Name      string
	Tagline   string
	Features  string
	Credits   string
	Monthly   string
	Yearly    string
	Highlight bool
	// Trial: days (0 or empty for none), "always" or "if_required" for
	// the card, and the trial's credits: "full", "none" or "number" with
	// TrialCreditsN.
	TrialDays     string
	TrialCard     string
	TrialCredits  string
	TrialCreditsN string
	// TaxInclusive: the prices include tax.
	TaxInclusive bool
}

func formOfPlan(p app.Plan) planForm {
	credits := strconv.Itoa(p.Credits)
	if p.Credits == app.Unlimited {
		credits = "unlimited"
	}
	f := planForm{Name: p.Name, Tagline: p.Tagline, Features: strings.Join(p.Features, "\n"), Credits: credits,
		Monthly: p.Monthly.Price.Decimal(), Yearly: p.Yearly.Price.Decimal(), Highlight: p.Highlight, TaxInclusive: p.TaxInclusive,
		TrialDays: strconv.Itoa(p.TrialDays), TrialCard: "always", TrialCredits: "full"}
	if p.TrialNoCard {
		f.TrialCard = "if_required"
	}
	switch {
	case p.TrialCreditsLimited && p.TrialCredits == 0:
		f.TrialCredits = "none"
	case p.TrialCreditsLimited:
		f.TrialCredits, f.TrialCreditsN = "number", strconv.Itoa(p.TrialCredits)
	}
	return f
}

// readTrial reads the trial fields of a plan's form into p.
func readTrial(c *fiber.Ctx, f *planForm, p *app.Plan, errs app.ValidationErrors) {
	f.TrialDays, f.TrialCard = strings.TrimSpace(c.FormValue("trial_days")), c.FormValue("trial_card")
	f.TrialCredits, f.TrialCreditsN = c.FormValue("trial_credits"), strings.TrimSpace(c.FormValue("trial_credits_n"))
	if f.TrialDays != "" {
		n, err := strconv.Atoi(f.TrialDays)
		if err != nil {
			errs.Add("trial_days", "Enter the trial's length as a number of days, or 0 for no trial.")
		}
		p.TrialDays = n
	}
	p.TrialNoCard = f.TrialCard == "if_required"
	switch f.TrialCredits {
	case "", "full":
	case "none":
		p.TrialCreditsLimited = true
	case "number":
		n, err := strconv.Atoi(f.TrialCreditsN)
		if err != nil {
			errs.Add("trial_credits", "Enter how many credits a month of the trial grants.")
		}
		p.TrialCreditsLimited, p.TrialCredits = true, n
	default:
		errs.Add("trial_credits", "Choose the plan's credits, none or a number for the trial.")
	}
}

// planRow is one plan on the plans page with its form.
type planRow struct {
	Plan        app.Plan
	Form        planForm
	Errors      app.ValidationErrors
	First, Last bool
}

// handleAdminPlans lists the three plans, each with its form and its
// place on /plans.
func (s *Server) handleAdminPlans(c *fiber.Ctx) error {
	return s.plansPage(c, "", planForm{}, nil)
}

func (s *Server) plansPage(c *fiber.Ctx, editedID string, edited planForm, errs app.ValidationErrors) error {
	plans, err := s.store.Plans(c.UserContext())
	if err != nil {
		return err
	}
	rows := make([]planRow, len(plans))
	for i, p := range plans {
		rows[i] = planRow{Plan: p, Form: formOfPlan(p), Errors: app.ValidationErrors{}, First: i == 0, Last: i == len(plans)-1}
		if p.ID == editedID {
			rows[i].Form, rows[i].Errors = edited, errs
		}
	}
	return s.adminPage(c, "plans", "admin/plans", "", fiber.Map{"Title": "Plans", "Rows": rows})
}

// handleAdminPlanSave saves one plan's form (POST /admin/plans/:id). A
// new price becomes a new Stripe Price (shop.SavePlan).
func (s *Server) handleAdminPlanSave(c *fiber.Ctx) error {
	var cur app.Plan
	plans, err := s.store.Plans(c.UserContext())
	if err != nil {
		return err
	}
	for _, p := range plans {
		if p.ID == c.Params("id") {
			cur = p
		}
	}
	if cur.ID == "" {
		return app.Errorf(app.ENOTFOUND, "That plan does not exist.")
	}
	f := planForm{Name: strings.TrimSpace(c.FormValue("name")), Tagline: strings.TrimSpace(c.FormValue("tagline")),
		Features: c.FormValue("features"), Credits: strings.TrimSpace(c.FormValue("credits")),
		Monthly: strings.TrimSpace(c.FormValue("monthly")), Yearly: strings.TrimSpace(c.FormValue("yearly")),
		Highlight: c.FormValue("highlight") != "", TaxInclusive: c.FormValue("tax_inclusive") != ""}
	errs := app.ValidationErrors{}
	p := app.Plan{ID: cur.ID, Name: f.Name, Tagline: f.Tagline, Highlight: f.Highlight, TaxInclusive: f.TaxInclusive}
	readTrial(c, &f, &p, errs)
	for _, line := range strings.Split(strings.ReplaceAll(f.Features, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			p.Features = append(p.Features, line)
		}
	}
	switch n, err := strconv.Atoi(f.Credits); {
	case strings.EqualFold(f.Credits, "unlimited"):
		p.Credits = app.Unlimited
	case err != nil || n < 0:
		errs.Add("credits", "Enter a number of credits per period, or “unlimited”.")
	default:
		p.Credits = n
	}
	currency := cur.Monthly.Price.Currency
	if p.Monthly.Price, err = app.ParseMoney(f.Monthly, currency); err != nil {
		errs.Add("monthly", err.Error())
	}
	if p.Yearly.Price, err = app.ParseMoney(f.Yearly, currency); err != nil {
		errs.Add("yearly", err.Error())
	}
	if len(errs) == 0 {
		err := s.shop.SavePlan(c.UserContext(), &p, s.actor(c))
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if app.ErrorCode(err) == app.EUNAVAILABLE {
			return s.back(c, "/admin/plans", "portal-failed")
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.plansPage(c, cur.ID, f, errs)
	}
	return s.back(c, "/admin/plans", "saved")
}

// handleAdminPlanMove moves a plan up or down on /plans.
func (s *Server) handleAdminPlanMove(c *fiber.Ctx) error {
	delta := 1
	if c.FormValue("dir") == "up" {
		delta = -1
	}
	if err := s.shop.MovePlan(c.UserContext(), c.Params("id"), delta, s.actor(c)); err != nil {
		return err
	}
	return s.back(c, "/admin/plans", "moved")
}
