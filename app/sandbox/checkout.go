package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

var checkoutModes = map[string]bool{"payment": true, "subscription": true}

func apiCreateSession(t *txn, r *request) (any, error) {
	p := r.p
	mode := p.str("mode")
	switch {
	case mode == "":
		return nil, missingParam("mode")
	case mode == "setup":
		return nil, invalidParam("mode", "The Stripe sandbox supports Checkout in payment and subscription modes only.")
	case !checkoutModes[mode]:
		return nil, invalidParam("mode", "Invalid mode: must be one of payment, setup, or subscription")
	}
	successURL := p.str("success_url")
	if successURL == "" {
		return nil, missingParam("success_url")
	}
	s := session{
		ID: t.newSecretID("cs_test_"), Object: objSession, Created: t.now.Unix(), Mode: mode, Status: "open", PaymentStatus: "unpaid",
		SuccessURL: nstr(successURL), CancelURL: nstr(p.str("cancel_url")), ClientReferenceID: nstr(p.str("client_reference_id")),
		Metadata: metadataOf(p), Locale: nstr(p.str("locale")), SubmitType: nstr(p.str("submit_type")),
		AutomaticTax:          map[string]any{"enabled": false, "status": nil},
		CustomFields:          []any{},
		CustomText:            map[string]any{"shipping_address": nil, "submit": nil},
		PaymentMethodCollect:  "always",
		PaymentMethodOptions:  map[string]any{},
		PaymentMethodTypes:    []string{"card"},
		PhoneNumberCollection: map[string]any{"enabled": false},
		ShippingOptions:       []any{},
		TaxIDCollection:       map[string]bool{"enabled": false},
		TotalDetails:          map[string]int64{"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
		UIMode:                "hosted",
		ExpiresAt:             t.now.Add(24 * time.Hour).Unix(),
	}
	if len(s.ClientReferenceID) > 200 {
		return nil, invalidParam("client_reference_id", "client_reference_id must be at most 200 characters.")
	}
	if v, ok, err := p.boolean("allow_promotion_codes"); err != nil {
		return nil, err
	} else if ok {
		s.AllowPromotionCodes = &v
	}
	if exp, ok, err := p.int("expires_at"); err != nil {
		return nil, err
	} else if ok {
		// A shop computes expires_at from its own clock, which does not
		// follow the test clock: a time in the window from real now is
		// moved by the clock's offset.
		inWindow := func(now int64) bool { d := exp - now; return d >= 30*60 && d <= 24*60*60 }
		switch real := t.s.cfg.Now().Unix(); {
		case inWindow(t.now.Unix()):
			s.ExpiresAt = exp
		case inWindow(real):
			s.ExpiresAt = exp + (t.now.Unix() - real)
		default:
			return nil, invalidParam("expires_at", "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.")
		}
	}
	cusID, email := p.str("customer"), p.str("customer_email")
	if cusID != "" && email != "" {
		return nil, invalidRequest("customer_email", "You may only specify one of these parameters: customer, customer_email.")
	}
	if cusID != "" {
		if _, err := t.customerByID(cusID, "customer"); err != nil {
			return nil, err
		}
		s.Customer = nstr(cusID)
	}
	s.CustomerEmail = nstr(email)
	if cc := p.str("customer_creation"); cc != "" {
		switch {
		case cc != "always" && cc != "if_required":
			return nil, invalidParam("customer_creation", "Invalid customer_creation: must be one of if_required or always")
		case mode != "payment":
			return nil, invalidRequest("customer_creation", "`customer_creation` can only be used in `payment` mode.")
		case cusID != "":
			return nil, invalidRequest("customer_creation", "You may only specify one of these parameters: customer, customer_creation.")
		}
		s.CustomerCreation = nstr(cc)
	} else if mode == "payment" && cusID == "" {
		s.CustomerCreation = "if_required"
	} else if mode == "subscription" && cusID == "" {
		s.CustomerCreation = "always"
	}
	if sd := p.sub("subscription_data"); sd != nil {
		if mode != "subscription" {
			return nil, invalidRequest("subscription_data", "You can only specify `subscription_data` in `subscription` mode.")
		}
		s.Internal.SubscriptionMetadata = metadataOf(sd)
	}
	switch pmc := p.str("payment_method_collection"); pmc {
	case "":
	case "always", "if_required":
		s.PaymentMethodCollect = pmc
	default:
		return nil, invalidParam("payment_method_collection", "Invalid payment_method_collection: must be one of always or if_required")
	}
	if mode == "subscription" {
		if err := sessionTrial(&s, p); err != nil {
			return nil, err
		}
	}
	if pd := p.sub("payment_intent_data"); pd != nil {
		if mode != "payment" {
			return nil, invalidRequest("payment_intent_data", "You can only specify `payment_intent_data` in `payment` mode.")
		}
		s.Internal.PaymentIntentMetadata = metadataOf(pd)
		s.Internal.PaymentDescription = pd.str("description")
	}
	hasAddress := false
	if s.Customer != "" {
		cu, _ := t.customerByID(string(s.Customer), "customer")
		hasAddress = cu.Address != nil
	}
	if err := sessionTaxParams(&s, p, hasAddress); err != nil {
		return nil, err
	}
	items, err := t.sessionItems(mode, p)
	if err != nil {
		return nil, err
	}
	s.Currency = items[0].Currency
	if s.Internal.PromotionCode, s.Internal.Coupon, err = t.sessionDiscount(&s, items, p); err != nil {
		return nil, err
	}
	for _, li := range items {
		s.AmountSubtotal += li.AmountSubtotal
		s.AmountTotal += li.AmountTotal
	}
	s.URL = nstr(t.s.cfg.BaseURL + mountPath + "/checkout/" + s.ID)
	if err := t.putLineItems(s.ID, items); err != nil {
		return nil, err
	}
	return s, t.put(objSession, s.ID, s)
}

// sessionItems turns `line_items[i][price|price_data]` and `[quantity]`
// into line items, enforcing Stripe's rules on modes and currencies.
func (t *txn) sessionItems(mode string, p params) ([]lineItem, error) {
	raw := p.maps("line_items")
	if len(raw) == 0 {
		return nil, missingParam("line_items")
	}
	var items []lineItem
	recurring := 0
	var interval string
	for i, lp := range raw {
		key := fmt.Sprintf("line_items[%d]", i)
		var pc price
		var err error
		switch {
		case lp.str("price") != "":
			if pc, err = t.priceByID(lp.str("price"), key+"[price]"); err != nil {
				return nil, err
			}
			if !pc.Active {
				return nil, invalidParam(key+"[price]", "The price specified is inactive. This field only accepts active prices.")
			}
		case lp.sub("price_data") != nil:
			pd := lp.sub("price_data")
			prodID := pd.str("product")
			if pdd := pd.sub("product_data"); pdd != nil {
				if pdd.str("name") == "" {
					return nil, missingParam(key + "[price_data][product_data][name]")
				}
				pr, err := t.createProduct(pdd.str("name"), pdd)
				if err != nil {
					return nil, err
				}
				prodID = pr.ID
			}
			if prodID == "" {
				return nil, missingParam(key + "[price_data][product]")
			}
			// Inline prices exist but cannot be reused, as in Stripe.
			if pc, err = t.createPrice(prodID, pd, key+"[price_data]"); err != nil {
				return nil, err
			}
			pc.Active = false
			if err := t.put(objPrice, pc.ID, pc); err != nil {
				return nil, err
			}
		default:
			return nil, invalidRequest(key, fmt.Sprintf("You must specify either `price` or `price_data` in `%s`.", key))
		}
		qty, ok, err := lp.int("quantity")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, invalidRequest(key+"[quantity]", fmt.Sprintf("Quantity is required. Add `quantity` to `%s`", key))
		}
		if qty < 1 || qty > 999999 {
			return nil, invalidParam(key+"[quantity]", "Quantity must be between 1 and 999999.")
		}
		if len(items) > 0 && pc.Currency != items[0].Currency {
			return nil, invalidParam(key, "All line items must use the same currency.")
		}
		if pc.Recurring != nil {
			if mode == "payment" {
				return nil, invalidParam(key+"[price]", "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.")
			}
			iv := fmt.Sprintf("%d %s", pc.Recurring.IntervalCount, pc.Recurring.Interval)
			if recurring > 0 && iv != interval {
				return nil, invalidParam(key+"[price]", "All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.")
			}
			interval = iv
			recurring++
		}
		var pr product
		if err := t.get(objProduct, pc.Product, &pr); err != nil {
			return nil, fmt.Errorf("product %s of price %s: %w", pc.Product, pc.ID, err)
		}
		amount := pc.UnitAmount * qty
		items = append(items, lineItem{
			ID: t.newID("li_"), Object: "item", AmountSubtotal: amount, AmountTotal: amount,
			Currency: pc.Currency, Description: pr.Name, Price: pc, Quantity: qty,
		})
	}
	if mode == "subscription" && recurring == 0 {
		return nil, invalidParam("line_items", "You must provide at least one recurring price in `subscription` mode when using prices.")
	}
	return items, nil
}

func (t *txn) sessionByID(id, param string) (session, error) {
	var s session
	if err := t.get(objSession, id, &s); err != nil {
		return s, noSuch("checkout.session", id, param)
	}
	return s, nil
}

func (t *txn) putLineItems(id string, items []lineItem) error {
	raw, err := json.Marshal(items)
	if err != nil {
		return err
	}
	return t.tx.Bucket(bucketLineItems).Put([]byte(id), raw)
}

func (t *txn) sessionLineItems(id string) []lineItem {
	var items []lineItem
	if raw := t.tx.Bucket(bucketLineItems).Get([]byte(id)); raw != nil {
		_ = json.Unmarshal(raw, &items)
	}
	return items
}

func apiGetSession(t *txn, r *request) (any, error) {
	s, err := t.sessionByID(r.id, "session")
	if err != nil {
		return nil, err
	}
	return s, nil
}

func apiListLineItems(t *txn, r *request) (any, error) {
	if _, err := t.sessionByID(r.id, "session"); err != nil {
		return nil, err
	}
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	items := t.sessionLineItems(r.id)
	// Line items keep the order they were given in; the cursors page
	// through that order.
	start, end := 0, len(items)
	for i, li := range items {
		if q.startingAfter == li.ID {
			start = i + 1
		}
		if q.endingBefore == li.ID {
			end = i
		}
	}
	if q.endingBefore != "" {
		start = max(end-q.limit, 0)
	}
	page := items[start:end]
	hasMore := false
	if len(page) > q.limit {
		page, hasMore = page[:q.limit], true
	} else if q.endingBefore != "" {
		hasMore = start > 0
	}
	data := make([]any, 0, len(page))
	for _, li := range page {
		data = append(data, mustMap(li))
	}
	return map[string]any{"object": "list", "data": data, "has_more": hasMore, "url": "/v1/checkout/sessions/" + r.id + "/line_items"}, nil
}

func apiListSessions(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	status, cus, pi, sub := r.p.str("status"), r.p.str("customer"), r.p.str("payment_intent"), r.p.str("subscription")
	email := ""
	if cd := r.p.sub("customer_details"); cd != nil {
		email = cd.str("email")
	}
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objSession, q, func(raw []byte) bool {
		var s session
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		switch {
		case status != "" && s.Status != status,
			cus != "" && string(s.Customer) != cus,
			pi != "" && string(s.PaymentIntent) != pi,
			sub != "" && string(s.Subscription) != sub,
			email != "" && (s.CustomerDetails == nil || string(s.CustomerDetails.Email) != email),
			!created(s.Created):
			return false
		}
		return true
	})
	return listMap("/v1/checkout/sessions", items, more), nil
}

func apiExpireSession(t *txn, r *request) (any, error) {
	s, err := t.sessionByID(r.id, "session")
	if err != nil {
		return nil, err
	}
	if s.Status != "open" {
		return nil, invalidRequest("", fmt.Sprintf("Only Checkout Sessions with a status of `open` can be expired. This Checkout Session has a status of `%s`.", s.Status))
	}
	return t.expireSession(s)
}

func (t *txn) expireSession(s session) (session, error) {
	s.Status, s.URL = "expired", ""
	if err := t.put(objSession, s.ID, s); err != nil {
		return s, err
	}
	return s, t.emit("checkout.session.expired", s, nil)
}

// checkoutOutcome is what the hosted Checkout page shows after a POST.
type checkoutOutcome struct {
	FieldErrors map[string]string
	Declined    *apiError
	Redirect    string
}

// payCheckout completes an open session with a card from the hosted
// form: it validates the card, charges it, creates the customer,
// subscription and invoice as Stripe does, and fires the events. A
// declined card changes nothing.
func (t *txn) payCheckout(s session, f cardForm) (checkoutOutcome, error) {
	// A trial that needs no card starts without one when none is given.
	noCard := s.CardOptional() && strings.TrimSpace(f.Number+f.Exp+f.CVC) == ""
	c, errs := validateCard(f, t.now, true)
	if noCard {
		c, errs = card{Email: strings.TrimSpace(f.Email), Name: strings.TrimSpace(f.Name)}, onlyEmailErrors(errs)
	}
	place, taxIDs := checkTaxFields(s, f, errs)
	if len(errs) > 0 {
		return checkoutOutcome{FieldErrors: errs}, nil
	}
	if d := decline(c.Behavior, false); d != nil && !noCard {
		return checkoutOutcome{Declined: d}, nil
	}
	var cu customer
	var err error
	switch {
	case s.Customer != "":
		if cu, err = t.customerByID(string(s.Customer), "customer"); err != nil {
			return checkoutOutcome{}, err
		}
	case s.Mode == "subscription" || s.CustomerCreation == "always" || invoiceCreation(s):
		// An invoice needs a customer, so invoice_creation makes one too.
		if cu, err = t.createCustomer(c.Email, c.Name, nil); err != nil {
			return checkoutOutcome{}, err
		}
	}
	if cu.ID != "" && place.Country != "" {
		// Stripe saves the billing address (and tax ids) on the customer;
		// the subscription's later invoices are taxed there.
		if cu, err = t.setCustomerTaxPlace(cu, place, taxIDs); err != nil {
			return checkoutOutcome{}, err
		}
	}
	var pm *paymentMethod
	if !noCard {
		card, err := t.createPaymentMethod(c, cu.ID)
		if err != nil {
			return checkoutOutcome{}, err
		}
		pm = &card
	}
	items := t.sessionLineItems(s.ID)
	if automaticTax(s.AutomaticTax) {
		taxSession(&s, items, place)
		if err := t.putLineItems(s.ID, items); err != nil {
			return checkoutOutcome{}, err
		}
		if s.Internal.Taxes, err = t.sessionTaxes(items, place); err != nil {
			return checkoutOutcome{}, err
		}
	}
	var chargeID string
	switch s.Mode {
	case "payment":
		pi, ch, _, err := t.pay(payment{Amount: s.AmountTotal, Currency: s.Currency, Customer: cu.ID, Metadata: s.Internal.PaymentIntentMetadata,
			Description: s.Internal.PaymentDescription, PM: *pm})
		if err != nil {
			return checkoutOutcome{}, err
		}
		s.PaymentIntent, chargeID = nstr(pi.ID), ch.ID
		if invoiceCreation(s) {
			inv, err := t.invoiceForPayment(s, cu, items, place, pi, ch)
			if err != nil {
				return checkoutOutcome{}, err
			}
			s.Invoice = nstr(inv.ID)
		}
	case "subscription":
		sub, inv, err := t.startSubscription(cu, items, s, pm, automaticTax(s.AutomaticTax))
		if err != nil {
			return checkoutOutcome{}, err
		}
		s.Subscription, s.Invoice, chargeID = nstr(sub.ID), nstr(inv.ID), string(inv.Charge)
	}
	s.Status, s.PaymentStatus, s.URL = "complete", "paid", ""
	if s.Internal.TrialDays > 0 {
		s.PaymentStatus = "no_payment_required" // the first payment is at the trial's end
	}
	s.Customer = nstr(cu.ID)
	if err := t.redeem(s); err != nil {
		return checkoutOutcome{}, err
	}
	email := c.Email
	if email == "" {
		email = string(s.CustomerEmail)
	}
	s.CustomerDetails = &sessionCustomerDetail{Email: nstr(email), Name: nstr(c.Name), TaxExempt: "none", TaxIDs: taxIDs}
	if place.Country != "" {
		s.CustomerDetails.Address = &address{Country: nstr(place.Country)}
	}
	if place.ReverseCharged {
		s.CustomerDetails.TaxExempt = "reverse"
	}
	if err := t.put(objSession, s.ID, s); err != nil {
		return checkoutOutcome{}, err
	}
	if err := t.emit("checkout.session.completed", s, nil); err != nil {
		return checkoutOutcome{}, err
	}
	if c.Behavior == cardDisputed && chargeID != "" {
		// The cardholder disputes it right after, as with Stripe's 0259.
		ch, err := t.chargeByID(chargeID, "charge")
		if err != nil {
			return checkoutOutcome{}, err
		}
		if _, err := t.openDispute(ch, "fraudulent"); err != nil {
			return checkoutOutcome{}, err
		}
	}
	return checkoutOutcome{Redirect: strings.ReplaceAll(string(s.SuccessURL), "{CHECKOUT_SESSION_ID}", s.ID)}, nil
}

// sessionState says whether a session can still be paid, expiring it
// lazily when its time has passed (the clock tick may not have run yet).
func (t *txn) sessionPayable(s session) (session, int, error) {
	if s.Status == "open" && t.now.Unix() >= s.ExpiresAt {
		var err error
		if s, err = t.expireSession(s); err != nil {
			return s, 0, err
		}
	}
	if s.Status != "open" {
		return s, http.StatusGone, nil
	}
	return s, http.StatusOK, nil
}
