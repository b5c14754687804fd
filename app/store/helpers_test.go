package store_test

import "vendo/app"

// sampleProduct is a valid, active product at /products/{slug}.
func sampleProduct(slug string) app.Product {
	return app.Product{
		Title:   "Product " + slug,
		Slug:    slug,
		Summary: "A small digital thing.",
		Price:   app.Money{Amount: 1200, Currency: "usd"},
		Active:  true,
	}
}

// samplePlan is a valid plan with a monthly and a yearly Stripe price.
func samplePlan(slug string, position int, monthlyPrice, yearlyPrice string) app.Plan {
	return app.Plan{
		Name:     "Plan " + slug,
		Slug:     slug,
		Credits:  100,
		Features: []string{"Downloads"},
		Monthly:  app.PlanPrice{Price: app.Money{Amount: 900, Currency: "usd"}, StripePriceID: monthlyPrice},
		Yearly:   app.PlanPrice{Price: app.Money{Amount: 9000, Currency: "usd"}, StripePriceID: yearlyPrice},
		Position: position,
	}
}
