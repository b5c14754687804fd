package app_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"vendo/app"
)

// fieldsOf returns the field messages of a Validate error, failing the test
// when err is not an *app.InvalidForm.
func fieldsOf(t *testing.T, err error) app.ValidationErrors {
	t.Helper()
	if err == nil {
		return nil
	}
	var inv *app.InvalidForm
	if !errors.As(err, &inv) {
		t.Fatalf("got %T (%v), want *app.InvalidForm", err, err)
	}
	return inv.Fields
}

// checkFields asserts that exactly the fields in want have messages, each
// containing its expected phrase.
func checkFields(t *testing.T, got app.ValidationErrors, want map[string]string) {
	t.Helper()
	for field, phrase := range want {
		msg, ok := got[field]
		if !ok {
			t.Errorf("no message for %s (got %v)", field, got)
			continue
		}
		if !strings.Contains(msg, phrase) {
			t.Errorf("%s: %q, want it to say %q", field, msg, phrase)
		}
	}
	for field, msg := range got {
		if _, ok := want[field]; !ok {
			t.Errorf("unexpected message for %s: %q", field, msg)
		}
	}
}

func usd(cents int64) app.Money { return app.Money{Amount: cents, Currency: "usd"} }

func TestProductValidate(t *testing.T) {
	valid := func() app.Product {
		return app.Product{Title: "Field Guide", Slug: "field-guide", Summary: "A guide.", Price: usd(1200)}
	}
	tests := []struct {
		name   string
		change func(p *app.Product)
		want   map[string]string // field → phrase; empty: valid
	}{
		{"a complete product", func(p *app.Product) {}, nil},
		{"a free product", func(p *app.Product) { p.Price = usd(0) }, nil},
		{"exactly the Stripe minimum", func(p *app.Product) { p.Price = usd(50) }, nil},
		{"a title of 120 accented letters", func(p *app.Product) { p.Title = strings.Repeat("é", 120) }, nil},
		{"no title", func(p *app.Product) { p.Title = "  " }, map[string]string{"title": "Give the product a title."}},
		{"a long title", func(p *app.Product) { p.Title = strings.Repeat("x", 121) }, map[string]string{"title": "under 120 characters"}},
		{"no slug", func(p *app.Product) { p.Slug = "" }, map[string]string{"slug": "lowercase letters, digits and single dashes"}},
		{"spaces in the slug", func(p *app.Product) { p.Slug = "field guide" }, map[string]string{"slug": "single dashes"}},
		{"capitals in the slug", func(p *app.Product) { p.Slug = "Field-Guide" }, map[string]string{"slug": "single dashes"}},
		{"a double dash", func(p *app.Product) { p.Slug = "field--guide" }, map[string]string{"slug": "single dashes"}},
		{"a leading dash", func(p *app.Product) { p.Slug = "-guide" }, map[string]string{"slug": "single dashes"}},
		{"a slug of 81 characters", func(p *app.Product) { p.Slug = strings.Repeat("a", 81) }, map[string]string{"slug": "at most 80"}},
		{"a long summary", func(p *app.Product) { p.Summary = strings.Repeat("s", 301) }, map[string]string{"summary": "under 300 characters"}},
		{"a long description", func(p *app.Product) { p.Description = strings.Repeat("d", 20001) }, map[string]string{"description": "20,000"}},
		{"below the Stripe minimum", func(p *app.Product) { p.Price = usd(49) }, map[string]string{"price": "at least 0.50"}},
		{"below Stripe's minimum in kronor", func(p *app.Product) { p.Price = app.Money{Amount: 299, Currency: "sek"} }, map[string]string{"price": "at least 3.00 SEK"}},
		{"Stripe's minimum in kronor", func(p *app.Product) { p.Price = app.Money{Amount: 300, Currency: "sek"} }, nil},
		{"below Stripe's minimum in pesos", func(p *app.Product) { p.Price = app.Money{Amount: 999, Currency: "mxn"} }, map[string]string{"price": "at least 10.00 MXN"}},
		{"below Stripe's minimum in yen", func(p *app.Product) { p.Price = app.Money{Amount: 49, Currency: "jpy"} }, map[string]string{"price": "at least 50 JPY"}},
		{"Stripe's minimum in pounds", func(p *app.Product) { p.Price = app.Money{Amount: 30, Currency: "gbp"} }, nil},
		{"a negative price", func(p *app.Product) { p.Price = usd(-100) }, map[string]string{"price": "cannot be negative"}},
		{"no currency", func(p *app.Product) { p.Price = app.Money{Amount: 1200} }, map[string]string{"price": "currency Vendo knows"}},
		{"several problems at once", func(p *app.Product) { p.Title, p.Slug, p.Price = "", "No Good", usd(10) },
			map[string]string{"title": "title", "slug": "address", "price": "at least 0.50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(&p)
			checkFields(t, fieldsOf(t, p.Validate()), tt.want)
		})
	}
}

func TestPlanValidate(t *testing.T) {
	valid := func() app.Plan {
		return app.Plan{Name: "Pro", Slug: "pro", Credits: 100, Features: []string{"Everything"},
			Monthly: app.PlanPrice{Price: usd(900)}, Yearly: app.PlanPrice{Price: usd(9000)}}
	}
	tests := []struct {
		name   string
		change func(p *app.Plan)
		want   map[string]string
	}{
		{"a complete plan", func(p *app.Plan) {}, nil},
		{"unlimited credits", func(p *app.Plan) { p.Credits = app.Unlimited }, nil},
		{"no credits", func(p *app.Plan) { p.Credits = 0 }, nil},
		{"the most credits", func(p *app.Plan) { p.Credits = 100000 }, nil},
		{"twenty features", func(p *app.Plan) { p.Features = make([]string, 20) }, nil},
		{"no name", func(p *app.Plan) { p.Name = " " }, map[string]string{"name": "at most 40 characters"}},
		{"a long name", func(p *app.Plan) { p.Name = strings.Repeat("n", 41) }, map[string]string{"name": "at most 40 characters"}},
		{"a bad key", func(p *app.Plan) { p.Slug = "Pro Plan" }, map[string]string{"slug": "plan's key"}},
		{"below unlimited", func(p *app.Plan) { p.Credits = -2 }, map[string]string{"credits": "between 0 and 100,000"}},
		{"too many credits", func(p *app.Plan) { p.Credits = 100001 }, map[string]string{"credits": "between 0 and 100,000"}},
		{"a cheap month", func(p *app.Plan) { p.Monthly.Price = usd(49) }, map[string]string{"monthly": "at least 0.50"}},
		{"a free year", func(p *app.Plan) { p.Yearly.Price = usd(0) }, map[string]string{"yearly": "at least 0.50"}},
		{"a month below Stripe's minimum in crowns", func(p *app.Plan) {
			p.Monthly.Price, p.Yearly.Price = app.Money{Amount: 1499, Currency: "czk"}, app.Money{Amount: 15000, Currency: "czk"}
		}, map[string]string{"monthly": "at least 15.00 CZK"}},
		{"a free month in won", func(p *app.Plan) {
			p.Monthly.Price, p.Yearly.Price = app.Money{Amount: 0, Currency: "krw"}, app.Money{Amount: 90000, Currency: "krw"}
		}, map[string]string{"monthly": "more than 0"}},
		{"two currencies", func(p *app.Plan) { p.Yearly.Price = app.Money{Amount: 9000, Currency: "eur"} },
			map[string]string{"yearly": "same currency"}},
		{"twenty-one features", func(p *app.Plan) { p.Features = make([]string, 21) }, map[string]string{"features": "at most 20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(&p)
			checkFields(t, fieldsOf(t, p.Validate()), tt.want)
		})
	}
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *app.Settings)
		want   map[string]string
	}{
		{"the defaults", func(s *app.Settings) {}, nil},
		{"a support address", func(s *app.Settings) { s.SupportEmail = "help@example.com" }, nil},
		{"the shortest link", func(s *app.Settings) { s.DownloadExpiry = 5 * time.Minute }, nil},
		{"the longest link", func(s *app.Settings) { s.DownloadExpiry = 90 * 24 * time.Hour }, nil},
		{"no name", func(s *app.Settings) { s.ShopName = "" }, map[string]string{"shop_name": "at most 60 characters"}},
		{"a long name", func(s *app.Settings) { s.ShopName = strings.Repeat("v", 61) }, map[string]string{"shop_name": "at most 60"}},
		{"a bad support address", func(s *app.Settings) { s.SupportEmail = "help" }, map[string]string{"support_email": "help@example.com"}},
		{"an unknown currency", func(s *app.Settings) { s.Currency = "xyz" }, map[string]string{"currency": "usd or eur"}},
		{"links that expire at once", func(s *app.Settings) { s.DownloadExpiry = 4 * time.Minute }, map[string]string{"download_expiry": "between 5 minutes and 90 days"}},
		{"links that last forever", func(s *app.Settings) { s.DownloadExpiry = 91 * 24 * time.Hour }, map[string]string{"download_expiry": "90 days"}},
		{"no downloads", func(s *app.Settings) { s.DownloadLimit = 0 }, map[string]string{"download_limit": "between 1 and 1,000"}},
		{"too many downloads", func(s *app.Settings) { s.DownloadLimit = 1001 }, map[string]string{"download_limit": "1,000"}},
		{"no grace after a failed payment", func(s *app.Settings) { s.PastDueGrace = 0 }, nil},
		{"a month of grace", func(s *app.Settings) { s.PastDueGrace = 30 * 24 * time.Hour }, nil},
		{"more than a month of grace", func(s *app.Settings) { s.PastDueGrace = 31 * 24 * time.Hour }, map[string]string{"past_due_grace": "between 0 and 30 days"}},
		{"negative grace", func(s *app.Settings) { s.PastDueGrace = -time.Hour }, map[string]string{"past_due_grace": "between 0 and 30 days"}},
		{"customers keep unlocks", func(s *app.Settings) { s.UnlocksAtPlanEnd = app.UnlocksKept }, nil},
		{"an unknown unlock rule", func(s *app.Settings) { s.UnlocksAtPlanEnd = "forever" }, map[string]string{"unlocks_at_plan_end": "end with the plan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := app.DefaultSettings()
			tt.change(&s)
			checkFields(t, fieldsOf(t, s.Validate()), tt.want)
		})
	}
}

func TestLooksLikeEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ada@example.com", true},
		{"a@b.co", true},
		{"first.last+shop@mail.example.org", true},
		{"user@sub@example.com", true}, // loose on purpose: delivery is the real test
		{"", false},
		{"ada", false},
		{"@example.com", false},
		{"ada@", false},
		{"ada@example", false},
		{"ada@example.", false},
		{"ada@.c", false},
		{"ada lovelace@example.com", false},
		{"<ada@example.com>", false},
		{"ada@example.com,bob@example.com", false},
		{"ada@example.com\n", false},
		{strings.Repeat("a", 250) + "@example.com", false},
	}
	for _, tt := range tests {
		if got := app.LooksLikeEmail(tt.in); got != tt.want {
			t.Errorf("LooksLikeEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got := app.NormalizeEmail("  Ada@Example.COM \n"); got != "ada@example.com" {
		t.Errorf("NormalizeEmail = %q", got)
	}
}

const genericSentence = "Something went wrong on our side. Please try again in a moment."

func TestErrorsShowTheirSentenceAndHideTheRest(t *testing.T) {
	notFound := app.Errorf(app.ENOTFOUND, "That product does not exist.")
	cause := errors.New("bolt: tx closed")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"an application error", notFound, app.ENOTFOUND, "That product does not exist."},
		{"wrapped once", fmt.Errorf("load prod_1: %w", notFound), app.ENOTFOUND, "That product does not exist."},
		{"wrapped twice", fmt.Errorf("checkout: %w", fmt.Errorf("load prod_1: %w", notFound)), app.ENOTFOUND, "That product does not exist."},
		{"joined with another error", errors.Join(cause, app.Errorf(app.ECONFLICT, "Taken.")), app.ECONFLICT, "Taken."},
		{"with a cause for the log", &app.Error{Code: app.EUNAVAILABLE, Message: "Stripe is not answering.", Err: cause}, app.EUNAVAILABLE, "Stripe is not answering."},
		{"a field error", app.FieldError("email", "Enter an email like %s.", "ada@example.com"), app.EINVALID, "Enter an email like ada@example.com."},
		{"a plain error", cause, app.EINTERNAL, genericSentence},
		{"a wrapped plain error", fmt.Errorf("save: %w", cause), app.EINTERNAL, genericSentence},
		{"an invalid form", (app.ValidationErrors{"title": "Give the product a title."}).Err(), app.EINVALID, "Give the product a title."},
		{"an invalid form, wrapped", fmt.Errorf("save: %w", (app.ValidationErrors{"slug": "Bad.", "price": "Low."}).Err()), app.EINVALID, "Low."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := app.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := app.ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
			if got := app.IsNotFound(tt.err); got != (tt.wantCode == app.ENOTFOUND) {
				t.Errorf("IsNotFound = %v", got)
			}
		})
	}
	if got := app.ErrorCode(nil); got != "" {
		t.Errorf("ErrorCode(nil) = %q, want empty", got)
	}
}

func TestFoundTellsAbsenceFromFailure(t *testing.T) {
	cause := errors.New("bolt: tx closed")
	conflict := app.Errorf(app.ECONFLICT, "Taken.")
	tests := []struct {
		name      string
		err       error
		wantFound bool
		wantErr   error
	}{
		{"no error: found", nil, true, nil},
		{"not found: an answer, not a failure", app.Errorf(app.ENOTFOUND, "That order does not exist."), false, nil},
		{"not found, wrapped", fmt.Errorf("load: %w", app.Errorf(app.ENOTFOUND, "Gone.")), false, nil},
		{"another code is a failure", conflict, false, conflict},
		{"a plain error is a failure", cause, false, cause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := app.Found(tt.err)
			if found != tt.wantFound {
				t.Errorf("found = %v, want %v", found, tt.wantFound)
			}
			if err != tt.wantErr {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestErrorTextCarriesCodeMessageAndCause(t *testing.T) {
	cause := errors.New("connection refused")
	e := &app.Error{Code: app.EUNAVAILABLE, Message: "Stripe is not answering.", Err: cause}
	if got, want := e.Error(), "unavailable: Stripe is not answering.: connection refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, cause) {
		t.Error("the cause is not reachable with errors.Is")
	}
	if got, want := app.Errorf(app.EGONE, "Link %d expired.", 3).Error(), "gone: Link 3 expired."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	fe := app.FieldError("email", "Bad.")
	if fe.Field != "email" || fe.Code != app.EINVALID {
		t.Errorf("FieldError = %+v", fe)
	}
}

func TestValidationErrorsKeepTheFirstMessagePerField(t *testing.T) {
	v := app.ValidationErrors{}
	if v.Err() != nil {
		t.Fatal("no messages should be no error")
	}
	v.Add("yearly", "first")
	v.Add("yearly", "second")
	v.Add("name", "third")
	fields := fieldsOf(t, v.Err())
	if fields["yearly"] != "first" || fields["name"] != "third" || len(fields) != 2 {
		t.Errorf("fields = %v", fields)
	}
	msg := v.Err().Error()
	keys := []string{}
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.Contains(msg, k+": "+fields[k]) {
			t.Errorf("Error() = %q does not name %s", msg, k)
		}
	}
}

func TestYearlySaving(t *testing.T) {
	tests := []struct {
		name            string
		monthly, yearly int64
		want            int
	}{
		{"two months free", 1000, 10000, 16}, // 16.67%, rounded down
		{"half price", 1000, 6000, 50},
		{"the same as twelve months", 1000, 12000, 0},
		{"dearer yearly", 1000, 13000, 0},
		{"no monthly price", 0, 5000, 0},
		{"free yearly", 900, 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := app.Plan{Monthly: app.PlanPrice{Price: usd(tt.monthly)}, Yearly: app.PlanPrice{Price: usd(tt.yearly)}}
			if got := p.YearlySaving(); got != tt.want {
				t.Errorf("YearlySaving() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPriceForPicksTheInterval(t *testing.T) {
	p := app.Plan{Monthly: app.PlanPrice{Price: usd(900), StripePriceID: "price_m"},
		Yearly: app.PlanPrice{Price: usd(9000), StripePriceID: "price_y"}}
	if got := p.PriceFor(app.Monthly); got.StripePriceID != "price_m" {
		t.Errorf("monthly = %+v", got)
	}
	if got := p.PriceFor(app.Yearly); got.StripePriceID != "price_y" {
		t.Errorf("yearly = %+v", got)
	}
}

// TestCleanFileName is issue 17, hole 12: a file name shown to customers
// (library, receipt, product page, Content-Disposition) cannot reorder
// itself on screen or hide characters.
func TestCleanFileName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"the-calm-inbox.pdf", "the-calm-inbox.pdf"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"},                 // right-to-left override: shows as "invoiceexe.pdf"
		{"report\u2067fdp\u2069.exe", "reportfdp.exe"},             // right-to-left isolate
		{"a\u200Bb\u200Dc\u200E\u200F\uFEFF\u00AD.txt", "abc.txt"}, // zero-width, marks, BOM, soft hyphen
		{"tag\U000E0041\U000E007F.zip", "tag.zip"},                 // tag characters
		{"line\u2028break\u2029.txt", "linebreak.txt"},             // separators (Zl, Zp), not Cf: the variation
		{"bell\a\x00\x1b[31m.txt", "bell[31m.txt"},
		{`..\..\windows\evil "quoted".exe`, "evil quoted.exe"},
		{"../../etc/passwd", "passwd"},
		{"\u202E\u2066", "file"},
		{"bad\xffbyte.bin", "badbyte.bin"},
		{"Ünïcödé 日本語.pdf", "Ünïcödé 日本語.pdf"},
	} {
		if got := app.CleanFileName(c.in); got != c.want {
			t.Errorf("CleanFileName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := app.CleanFileName(strings.Repeat("é", 300)); len([]rune(got)) != 200 {
		t.Errorf("a long name keeps %d characters, want 200", len([]rune(got)))
	}
}

// TestEntitlementCountsBytesServed: Downloads follows the bytes served
// in whole copies of each file, and bytes given back never go below zero.
func TestEntitlementCountsBytesServed(t *testing.T) {
	var e app.Entitlement
	e.AddServed("a", 100, 60) // a first half
	e.AddServed("a", 100, 40) // resumed: one whole copy
	e.AddServed("b", 10, 25)  // two and a half copies of another file
	if e.Served["a"] != 100 || e.Served["b"] != 25 || e.Downloads != 3 {
		t.Fatalf("after serving: %+v", e)
	}
	e.AddServed("b", 10, -30) // more given back than was charged
	if e.Served["b"] != 0 || e.Downloads != 1 {
		t.Fatalf("after giving back: %+v", e)
	}
	e.AddServed("empty", 0, 0)
	if e.Downloads != 1 {
		t.Fatalf("an empty file: %+v", e)
	}
}
