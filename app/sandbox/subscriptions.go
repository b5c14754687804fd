package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// addInterval moves t forward by a price's billing interval. Months and
// years use calendar arithmetic from the anchor, as Stripe does (Jan 31 +
// 1 month is the end of February in Stripe; Go's AddDate normalises to
// March 3, so clamp to the month's last day).
func addInterval(t time.Time, interval string, count int64) time.Time {
	t = t.UTC() // Stripe bills in UTC; a local zone's DST would shift periods by an hour
	n := int(count)
	switch interval {
	case "day":
		return t.AddDate(0, 0, n)
	case "week":
		return t.AddDate(0, 0, 7*n)
	case "year":
		n *= 12
	}
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), t.Hour(), t.Minute(), t.Second(), 0, t.Location())
}

// nextPeriodEnd is the first billing date after end counted from the
// anchor, so a subscription started on the 31st comes back to the 31st
// after a short month instead of drifting to the 28th.
func nextPeriodEnd(anchor, end time.Time, interval string, count int64) time.Time {
	for k := int64(1); ; k++ {
		if next := addInterval(anchor, interval, count*k); next.After(end) {
			return next
		}
	}
}

func (s subscription) interval() (string, int64) {
	for _, it := range s.Items.Data {
		if it.Price.Recurring != nil {
			return it.Price.Recurring.Interval, it.Price.Recurring.IntervalCount
		}
	}
	return "month", 1
}

func (s subscription) live() bool {
	return s.Status == "active" || s.Status == "past_due" || s.Status == "trialing" || s.Status == "unpaid"
}

// cycleLines are the invoice lines that bill every item for a period.
func cycleLines(s subscription, start, end int64) []invoiceLine {
	var lines []invoiceLine
	for _, it := range s.Items.Data {
		pc := it.Price
		lines = append(lines, invoiceLine{
			Amount: pc.UnitAmount * it.Quantity, Description: fmt.Sprintf("%d × %s (at %s / %s)", it.Quantity, productName(pc), money(pc.UnitAmount, pc.Currency), pc.Recurring.Interval),
			Period: period{Start: start, End: end}, Price: &pc, Quantity: it.Quantity, Subscription: nstr(s.ID),
			SubscriptionItem: nstr(it.ID), Type: "subscription",
		})
	}
	return lines
}

// productName is filled in by startSubscription and updates so invoice
// descriptions read like Stripe's; it falls back to the price id.
func productName(pc price) string {
	if pc.Nickname != "" {
		return string(pc.Nickname)
	}
	return pc.Product
}

// startSubscription creates an active subscription from a completed
// subscription-mode Checkout: items for the recurring lines, a first
// invoice (subscription_create) for every line, paid with the card.
// With autoTax (the session's automatic_tax) the subscription's invoices
// are taxed at the customer's address. With the session's trial it
// starts trialing instead, its first invoice 0 (trials.go); pm is nil
// when the trial started without a card.
func (t *txn) startSubscription(cu customer, items []lineItem, s session, pm *paymentMethod, autoTax bool) (subscription, invoice, error) {
	md := s.Internal.SubscriptionMetadata
	if md == nil {
		md = map[string]string{}
	}
	sub := subscription{
		ID: t.newID("sub_"), Object: objSubscription, AutomaticTax: map[string]any{"enabled": false},
		BillingCycleAnchor: t.now.Unix(), CancellationDetails: map[string]any{"comment": nil, "feedback": nil, "reason": nil},
		CollectionMethod: "charge_automatically", Created: t.now.Unix(), Currency: items[0].Currency, Customer: cu.ID,
		DefaultTaxRates: []any{}, Metadata: md, StartDate: t.now.Unix(), Status: "active",
		PaymentSettings: map[string]any{"payment_method_options": nil, "payment_method_types": nil, "save_default_payment_method": "off"},
	}
	if autoTax {
		sub.AutomaticTax = map[string]any{"enabled": true}
	}
	if pm != nil {
		sub.DefaultPaymentMethod = nstr(pm.ID)
	}
	sub.TrialSettings.EndBehavior.MissingPaymentMethod = "create_invoice"
	if s.Internal.TrialMissingPM != "" {
		sub.TrialSettings.EndBehavior.MissingPaymentMethod = s.Internal.TrialMissingPM
	}
	sub.Items = subscriptionItems{Object: "list", URL: "/v1/subscription_items?subscription=" + sub.ID}
	var oneTime []invoiceLine
	for _, li := range items {
		if li.Price.Recurring == nil {
			pc := li.Price
			oneTime = append(oneTime, invoiceLine{Amount: li.AmountSubtotal - li.AmountDiscount, // before tax: the invoice adds it
				Description: li.Description, Period: period{Start: t.now.Unix(), End: t.now.Unix()},
				Price: &pc, Quantity: li.Quantity, Type: "invoiceitem"})
			continue
		}
		sub.Items.Data = append(sub.Items.Data, subscriptionItem{
			ID: t.newID("si_"), Object: "subscription_item", Created: t.now.Unix(), Metadata: map[string]string{},
			Price: li.Price, Quantity: li.Quantity, Subscription: sub.ID, TaxRates: []any{},
		})
	}
	iv, n := sub.interval()
	sub.CurrentPeriodStart, sub.CurrentPeriodEnd = t.now.Unix(), addInterval(t.now, iv, n).Unix()
	lines := append(t.describe(cycleLines(sub, sub.CurrentPeriodStart, sub.CurrentPeriodEnd)), oneTime...)
	if err := t.subscriptionDiscount(s, &sub); err != nil {
		return sub, invoice{}, err
	}
	var off int64
	if days := s.Internal.TrialDays; days > 0 {
		end := t.now.Add(time.Duration(days) * 24 * time.Hour).Unix()
		sub.Status, sub.TrialStart, sub.TrialEnd = "trialing", nint(t.now.Unix()), nint(end)
		sub.CurrentPeriodEnd, sub.BillingCycleAnchor = end, end
		lines = append(t.trialLines(sub), oneTime...)
	} else {
		off = t.subscriptionOff(sub, lines, true)
	}
	inv, err := t.issueInvoice(invoiceSpec{Customer: cu, Sub: &sub, Reason: "subscription_create", Currency: sub.Currency,
		Lines: lines, PeriodStart: t.now.Unix(), PeriodEnd: t.now.Unix(), Off: off})
	if err != nil {
		return sub, inv, err
	}
	sub.LatestInvoice = nstr(inv.ID)
	if err := t.put(objSubscription, sub.ID, sub); err != nil {
		return sub, inv, err
	}
	if err := t.emit("customer.subscription.created", sub, nil); err != nil {
		return sub, inv, err
	}
	// The card was checked on the page: this first charge is on-session
	// and goes through (the 0341 card only fails later).
	inv, _, _, err = t.collectInvoice(inv, pm, false)
	return sub, inv, err
}

// describe names the products on invoice lines ("1 × Pro (at $12.00 / month)").
func (t *txn) describe(lines []invoiceLine) []invoiceLine {
	for i := range lines {
		l := &lines[i]
		if l.Price == nil {
			continue
		}
		var pr product
		if t.get(objProduct, l.Price.Product, &pr) != nil {
			continue
		}
		switch {
		case l.Proration && l.Amount < 0:
			l.Description = fmt.Sprintf("Unused time on %s after %s", pr.Name, t.now.UTC().Format("02 Jan 2006"))
		case l.Proration:
			l.Description = fmt.Sprintf("Remaining time on %s after %s", pr.Name, t.now.UTC().Format("02 Jan 2006"))
		case l.Price.Recurring != nil:
			l.Description = fmt.Sprintf("%d × %s (at %s / %s)", l.Quantity, pr.Name, money(l.Price.UnitAmount, l.Price.Currency), l.Price.Recurring.Interval)
		}
	}
	return lines
}

func (t *txn) subscriptionByID(id, param string) (subscription, error) {
	var s subscription
	if err := t.get(objSubscription, id, &s); err != nil {
		return s, noSuch("subscription", id, param)
	}
	return s, nil
}

func apiGetSubscription(t *txn, r *request) (any, error) {
	return t.subscriptionByID(r.id, "id")
}

func apiListSubscriptions(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	cus, status, priceID := r.p.str("customer"), r.p.str("status"), r.p.str("price")
	switch status {
	case "", "all", "ended", "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused":
	default:
		return nil, invalidParam("status", "Invalid status: must be one of active, all, canceled, ended, incomplete, incomplete_expired, past_due, paused, trialing, or unpaid")
	}
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objSubscription, q, func(raw []byte) bool {
		var s subscription
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		switch status {
		case "":
			// Stripe leaves canceled subscriptions out unless asked.
			if s.Status == "canceled" || s.Status == "incomplete_expired" {
				return false
			}
		case "all":
		case "ended":
			if s.Status != "canceled" && s.Status != "incomplete_expired" {
				return false
			}
		default:
			if s.Status != status {
				return false
			}
		}
		if cus != "" && s.Customer != cus {
			return false
		}
		if priceID != "" && !slices.ContainsFunc(s.Items.Data, func(it subscriptionItem) bool { return it.Price.ID == priceID }) {
			return false
		}
		return created(s.Created)
	})
	return listMap("/v1/subscriptions", items, more), nil
}

// subUpdate is a change to a subscription (API update or the portal).
type subUpdate struct {
	Items             []itemChange
	Proration         string // create_prorations (default), always_invoice, none
	CancelAtPeriodEnd *bool
	Metadata          params // the request's params when metadata was sent
	DefaultPM         *string
	Description       *string
}

type itemChange struct {
	ID       string
	Price    string
	Quantity int64 // 0: unchanged (or 1 for a new item)
	Deleted  bool
}

func parseSubUpdate(p params) (subUpdate, error) {
	u := subUpdate{Proration: p.str("proration_behavior")}
	switch u.Proration {
	case "":
		u.Proration = "create_prorations"
	case "create_prorations", "always_invoice", "none":
	default:
		return u, invalidParam("proration_behavior", "Invalid proration_behavior: must be one of always_invoice, create_prorations, or none")
	}
	for i, ip := range p.maps("items") {
		c := itemChange{ID: ip.str("id"), Price: ip.str("price")}
		q, ok, err := ip.int("quantity")
		if err != nil {
			return u, err
		}
		if ok {
			if q < 1 {
				return u, invalidParam(fmt.Sprintf("items[%d][quantity]", i), "Quantity must be at least 1.")
			}
			c.Quantity = q
		}
		if d, _, err := ip.boolean("deleted"); err != nil {
			return u, err
		} else {
			c.Deleted = d
		}
		if c.ID == "" && c.Price == "" {
			return u, missingParam(fmt.Sprintf("items[%d][price]", i))
		}
		u.Items = append(u.Items, c)
	}
	if v, ok, err := p.boolean("cancel_at_period_end"); err != nil {
		return u, err
	} else if ok {
		u.CancelAtPeriodEnd = &v
	}
	if p.has("metadata") {
		u.Metadata = p
	}
	if p.has("default_payment_method") {
		v := p.str("default_payment_method")
		u.DefaultPM = &v
	}
	if p.has("description") {
		v := p.str("description")
		u.Description = &v
	}
	return u, nil
}

func apiUpdateSubscription(t *txn, r *request) (any, error) {
	sub, err := t.subscriptionByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	u, err := parseSubUpdate(r.p)
	if err != nil {
		return nil, err
	}
	return t.updateSubscription(sub, u)
}

// updateSubscription applies a change. Switching prices with proration
// (create_prorations or always_invoice) bills at once: an invoice
// (billing_reason subscription_update) credits the unused time on the
// old price and charges the rest of the period on the new one; a switch
// to another interval starts a new period and charges it in full. (Stripe
// would hold create_prorations items for the next renewal; billing now
// keeps a sandbox plan switch visible on one page.) A negative total
// becomes customer credit.
func (t *txn) updateSubscription(sub subscription, u subUpdate) (subscription, error) {
	if !sub.live() {
		return sub, invalidRequest("", fmt.Sprintf("A canceled subscription can only update its cancellation_details and metadata. (%s)", sub.ID))
	}
	prev := mustMap(sub)
	oldItems := slices.Clone(sub.Items.Data)
	changedPrice := false
	for i, c := range u.Items {
		key := fmt.Sprintf("items[%d]", i)
		idx := -1
		if c.ID != "" {
			idx = slices.IndexFunc(sub.Items.Data, func(it subscriptionItem) bool { return it.ID == c.ID })
			if idx < 0 {
				return sub, noSuch("subscription item", c.ID, key+"[id]")
			}
		}
		if c.Deleted {
			if idx < 0 {
				return sub, missingParam(key + "[id]")
			}
			sub.Items.Data = slices.Delete(sub.Items.Data, idx, idx+1)
			changedPrice = true
			continue
		}
		if c.Price != "" {
			pc, err := t.priceByID(c.Price, key+"[price]")
			if err != nil {
				return sub, err
			}
			switch {
			case !pc.Active:
				return sub, invalidParam(key+"[price]", "The price specified is inactive. This field only accepts active prices.")
			case pc.Recurring == nil:
				return sub, invalidParam(key+"[price]", "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.")
			case pc.Currency != sub.Currency:
				return sub, invalidParam(key+"[price]", "The price's currency must match the subscription's currency ("+sub.Currency+").")
			}
			if idx < 0 {
				if slices.ContainsFunc(sub.Items.Data, func(it subscriptionItem) bool { return it.Price.ID == pc.ID }) {
					return sub, invalidParam(key+"[price]", "Cannot add multiple subscription items with the same price: "+pc.ID)
				}
				q := c.Quantity
				if q == 0 {
					q = 1
				}
				sub.Items.Data = append(sub.Items.Data, subscriptionItem{ID: t.newID("si_"), Object: "subscription_item", Created: t.now.Unix(),
					Metadata: map[string]string{}, Price: pc, Quantity: q, Subscription: sub.ID, TaxRates: []any{}})
				changedPrice = true
				continue
			}
			if sub.Items.Data[idx].Price.ID != pc.ID {
				sub.Items.Data[idx].Price = pc
				changedPrice = true
			}
		}
		if idx >= 0 && c.Quantity > 0 && sub.Items.Data[idx].Quantity != c.Quantity {
			sub.Items.Data[idx].Quantity = c.Quantity
			changedPrice = true
		}
	}
	if len(sub.Items.Data) == 0 {
		return sub, invalidParam("items", "A subscription must have at least one item.")
	}
	if u.CancelAtPeriodEnd != nil && *u.CancelAtPeriodEnd != sub.CancelAtPeriodEnd {
		sub.CancelAtPeriodEnd = *u.CancelAtPeriodEnd
		if sub.CancelAtPeriodEnd {
			sub.CanceledAt, sub.CancelAt = nint(t.now.Unix()), nint(sub.CurrentPeriodEnd)
			sub.CancellationDetails = map[string]any{"comment": nil, "feedback": nil, "reason": "cancellation_requested"}
		} else {
			sub.CanceledAt, sub.CancelAt = 0, 0
			sub.CancellationDetails = map[string]any{"comment": nil, "feedback": nil, "reason": nil}
		}
	}
	if u.Metadata != nil {
		sub.Metadata = applyMetadata(sub.Metadata, u.Metadata)
	}
	if u.Description != nil {
		sub.Description = nstr(*u.Description)
	}
	if u.DefaultPM != nil {
		if *u.DefaultPM != "" {
			if _, err := t.paymentMethodByID(*u.DefaultPM, "default_payment_method"); err != nil {
				return sub, err
			}
		}
		sub.DefaultPaymentMethod = nstr(*u.DefaultPM)
	}
	if changedPrice && u.Proration != "none" {
		var err error
		if sub, err = t.prorate(sub, oldItems); err != nil {
			return sub, err
		}
	} else if changedPrice {
		// Without proration a new interval still restarts the period.
		oi, on := subscription{Items: subscriptionItems{Data: oldItems}}.interval()
		if ni, nn := sub.interval(); ni != oi || nn != on {
			sub.CurrentPeriodStart, sub.CurrentPeriodEnd = t.now.Unix(), addInterval(t.now, ni, nn).Unix()
			sub.BillingCycleAnchor = t.now.Unix()
		}
	}
	if sub.CancelAtPeriodEnd {
		sub.CancelAt = nint(sub.CurrentPeriodEnd)
	}
	if err := t.put(objSubscription, sub.ID, sub); err != nil {
		return sub, err
	}
	if len(diff(prev, mustMap(sub))) == 0 {
		return sub, nil
	}
	return sub, t.emit("customer.subscription.updated", sub, prev)
}

// prorate bills a price change at once (see updateSubscription).
func (t *txn) prorate(sub subscription, oldItems []subscriptionItem) (subscription, error) {
	oldSub := sub
	oldSub.Items.Data = oldItems
	oi, on := oldSub.interval()
	ni, nn := sub.interval()
	now := t.now.Unix()
	length := float64(sub.CurrentPeriodEnd - sub.CurrentPeriodStart)
	left := 0.0
	if length > 0 && sub.CurrentPeriodEnd > now {
		left = float64(sub.CurrentPeriodEnd-now) / length
	}
	var lines []invoiceLine
	for _, it := range oldItems {
		pc := it.Price
		credit := int64(math.Round(float64(pc.UnitAmount*it.Quantity) * left))
		if credit > 0 {
			lines = append(lines, invoiceLine{Amount: -credit, Period: period{Start: now, End: sub.CurrentPeriodEnd}, Price: &pc,
				Proration: true, Quantity: it.Quantity, Subscription: nstr(sub.ID), SubscriptionItem: nstr(it.ID), Type: "invoiceitem"})
		}
	}
	if ni != oi || nn != on {
		sub.CurrentPeriodStart, sub.CurrentPeriodEnd, sub.BillingCycleAnchor = now, addInterval(t.now, ni, nn).Unix(), now
		lines = append(lines, cycleLines(sub, sub.CurrentPeriodStart, sub.CurrentPeriodEnd)...)
	} else {
		for _, it := range sub.Items.Data {
			pc := it.Price
			charge := int64(math.Round(float64(pc.UnitAmount*it.Quantity) * left))
			if charge > 0 {
				lines = append(lines, invoiceLine{Amount: charge, Period: period{Start: now, End: sub.CurrentPeriodEnd}, Price: &pc,
					Proration: true, Quantity: it.Quantity, Subscription: nstr(sub.ID), SubscriptionItem: nstr(it.ID), Type: "invoiceitem"})
			}
		}
	}
	if len(lines) == 0 {
		return sub, nil
	}
	cu, err := t.customerByID(sub.Customer, "customer")
	if err != nil {
		return sub, err
	}
	inv, err := t.issueInvoice(invoiceSpec{Customer: cu, Sub: &sub, Reason: "subscription_update", Currency: sub.Currency,
		Lines: t.describe(lines), PeriodStart: now, PeriodEnd: now})
	if err != nil {
		return sub, err
	}
	sub.LatestInvoice = nstr(inv.ID)
	pm := t.defaultCard(sub)
	inv, declined, _, err := t.collectInvoice(inv, pm, true)
	if err != nil {
		return sub, err
	}
	if declined != nil {
		sub.Status = "past_due"
	}
	return sub, nil
}

// defaultCard is the card renewals charge: the subscription's, else the
// customer's invoice default.
func (t *txn) defaultCard(sub subscription) *paymentMethod {
	id := string(sub.DefaultPaymentMethod)
	if id == "" {
		var cu customer
		if t.get(objCustomer, sub.Customer, &cu) == nil {
			id = string(cu.InvoiceSettings.DefaultPaymentMethod)
		}
	}
	if id == "" {
		return nil
	}
	var pm paymentMethod
	if t.get(objPaymentMethod, id, &pm) != nil {
		return nil
	}
	return &pm
}

func apiCancelSubscription(t *txn, r *request) (any, error) {
	sub, err := t.subscriptionByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	if !sub.live() {
		return nil, invalidRequest("", fmt.Sprintf("A canceled subscription can only update its cancellation_details and metadata. (%s)", sub.ID))
	}
	return t.endSubscription(sub, t.now, "cancellation_requested")
}

// endSubscription cancels now: status canceled, customer.subscription.deleted.
func (t *txn) endSubscription(sub subscription, at time.Time, reason string) (subscription, error) {
	prev := mustMap(sub)
	if sub.CanceledAt == 0 {
		sub.CanceledAt = nint(at.Unix())
	}
	sub.Status, sub.EndedAt = "canceled", nint(at.Unix())
	sub.CancellationDetails = map[string]any{"comment": nil, "feedback": nil, "reason": reason}
	if err := t.put(objSubscription, sub.ID, sub); err != nil {
		return sub, err
	}
	return sub, t.emit("customer.subscription.deleted", sub, prev)
}

// reactivate marks a past_due subscription active once its open invoice
// is paid.
func (t *txn) reactivate(sub subscription, paid invoice) error {
	if sub.Status != "past_due" || string(sub.LatestInvoice) != paid.ID {
		return nil
	}
	prev := mustMap(sub)
	sub.Status = "active"
	if err := t.put(objSubscription, sub.ID, sub); err != nil {
		return err
	}
	return t.emit("customer.subscription.updated", sub, prev)
}
