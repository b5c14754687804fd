package app

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Interval is a subscription billing period.
type Interval string

const (
	Monthly Interval = "month"
	Yearly  Interval = "year"
)

// Plan is one of the three subscription plans.
type Plan struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Name     string   `json:"name"`
	Tagline  string   `json:"tagline"`
	Features []string `json:"features"`
	// Credits granted per period; Unlimited (-1) means no limit.
	Credits   int       `json:"credits"`
	Monthly   PlanPrice `json:"monthly"`
	Yearly    PlanPrice `json:"yearly"`
	Position  int       `json:"position"`
	Highlight bool      `json:"highlight,omitempty"`
	// TrialDays is the free trial a first-time subscriber gets (0: none);
	// TrialNoCard lets the trial start without a card (Checkout's
	// payment_method_collection=if_required), ending it when no card was
	// added by its end.
	TrialDays   int  `json:"trial_days,omitempty"`
	TrialNoCard bool `json:"trial_no_card,omitempty"`
	// TrialCreditsLimited caps the credits a trial grants a month at
	// TrialCredits (0: none); unset, a trial gets the plan's allowance.
	TrialCreditsLimited bool `json:"trial_credits_limited,omitempty"`
	TrialCredits        int  `json:"trial_credits,omitempty"`
	// TaxInclusive: the prices include tax (tax_behavior inclusive).
	TaxInclusive    bool      `json:"tax_inclusive,omitempty"`
	StripeProductID string    `json:"stripe_product_id,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// MaxTrialDays is the longest trial Stripe allows.
const MaxTrialDays = 730

// TrialAllowance is the credits a month of the plan's trial grants.
func (p *Plan) TrialAllowance() int {
	if p.TrialCreditsLimited {
		return p.TrialCredits
	}
	return p.Credits
}

// Unlimited marks a plan without a credit limit.
const Unlimited = -1

// PlanPrice is one interval's price of a plan and its Stripe Price.
type PlanPrice struct {
	Price         Money  `json:"price"`
	StripePriceID string `json:"stripe_price_id,omitempty"`
}

// PriceFor returns the plan's price for an interval.
func (p *Plan) PriceFor(iv Interval) PlanPrice {
	if iv == Yearly {
		return p.Yearly
	}
	return p.Monthly
}

// YearlySaving is what a year costs less when paid yearly, in percent
// (rounded down), or 0.
func (p *Plan) YearlySaving() int {
	twelve := p.Monthly.Price.Amount * 12
	if twelve <= 0 || p.Yearly.Price.Amount >= twelve {
		return 0
	}
	return int((twelve - p.Yearly.Price.Amount) * 100 / twelve)
}

// planPriceProblem is the sentence about a plan price Stripe cannot charge
// (a plan is never free), or empty for a good one.
func planPriceProblem(interval string, m Money) string {
	if err := m.Validate(); err != nil {
		return err.Error()
	}
	if min, ok := MinimumCharge(m.Currency); ok && m.Amount < min.Amount {
		return fmt.Sprintf("Set a %s price of at least %s %s, the least Stripe charges.", interval, min.Decimal(), strings.ToUpper(m.Currency))
	}
	if m.Amount <= 0 {
		return fmt.Sprintf("Set a %s price of more than 0: a plan is not free.", interval)
	}
	return ""
}

// Validate checks a plan before it is stored.
func (p *Plan) Validate() error {
	v := ValidationErrors{}
	if n := utf8.RuneCountInString(strings.TrimSpace(p.Name)); n == 0 || n > 40 {
		v.Add("name", "Give the plan a name of at most 40 characters.")
	}
	if !slugRE.MatchString(p.Slug) {
		v.Add("slug", "Use lowercase letters, digits and dashes for the plan's key.")
	}
	if p.Credits < Unlimited || p.Credits > 100000 {
		v.Add("credits", "Credits per period must be between 0 and 100,000, or unlimited.")
	}
	if msg := planPriceProblem("monthly", p.Monthly.Price); msg != "" {
		v.Add("monthly", msg)
	}
	if msg := planPriceProblem("yearly", p.Yearly.Price); msg != "" {
		v.Add("yearly", msg)
	}
	if p.Monthly.Price.Currency != p.Yearly.Price.Currency {
		v.Add("yearly", "Monthly and yearly prices must use the same currency.")
	}
	if p.TrialDays < 0 || p.TrialDays > MaxTrialDays {
		v.Add("trial_days", fmt.Sprintf("A trial lasts between 0 (none) and %d days, the longest Stripe allows.", MaxTrialDays))
	}
	if p.TrialCreditsLimited && (p.TrialCredits < 0 || p.Credits != Unlimited && p.TrialCredits > p.Credits) {
		v.Add("trial_credits", "Trial credits must be between 0 and the plan's credits per period.")
	}
	if len(p.Features) > 20 {
		v.Add("features", "List at most 20 features.")
	}
	return v.Err()
}
