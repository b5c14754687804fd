package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
)

func apiCreatePortalConfig(t *txn, r *request) (any, error) {
	if r.p.sub("features") == nil {
		return nil, missingParam("features")
	}
	c := portalConfig{
		ID: t.newID("bpc_"), Object: objPortalConfig, Active: true, Created: t.now.Unix(), Updated: t.now.Unix(),
		BusinessProfile: map[string]any{"headline": nil, "privacy_policy_url": nil, "terms_of_service_url": nil},
		LoginPage:       map[string]any{"enabled": false, "url": nil}, Metadata: map[string]string{},
	}
	c.Features.CustomerUpdate.AllowedUpdates = []string{}
	c.Features.SubscriptionCancel.Mode, c.Features.SubscriptionCancel.ProrationBehavior = "at_period_end", "none"
	c.Features.SubscriptionCancel.CancellationReason.Options = []string{}
	c.Features.SubscriptionUpdate.DefaultAllowedUpdates, c.Features.SubscriptionUpdate.Products = []string{}, []portalProduct{}
	c.Features.SubscriptionUpdate.ProrationBehavior = "create_prorations"
	if err := t.applyPortalConfig(&c, r.p); err != nil {
		return nil, err
	}
	// The first configuration stands in for the one Stripe's dashboard
	// saves: portal sessions without `configuration` use it.
	c.IsDefault = t.defaultPortalConfig() == ""
	if err := t.put(objPortalConfig, c.ID, c); err != nil {
		return nil, err
	}
	return c, t.emit("billing_portal.configuration.created", c, nil)
}

func apiUpdatePortalConfig(t *txn, r *request) (any, error) {
	c, err := t.portalConfigByID(r.id, "configuration")
	if err != nil {
		return nil, err
	}
	if err := t.applyPortalConfig(&c, r.p); err != nil {
		return nil, err
	}
	c.Updated = t.now.Unix()
	if err := t.put(objPortalConfig, c.ID, c); err != nil {
		return nil, err
	}
	return c, t.emit("billing_portal.configuration.updated", c, nil)
}

func (t *txn) applyPortalConfig(c *portalConfig, p params) error {
	if v, ok, err := p.boolean("active"); err != nil {
		return err
	} else if ok {
		c.Active = v
	}
	if p.has("default_return_url") {
		c.DefaultReturnURL = nstr(p.str("default_return_url"))
	}
	if bp := p.sub("business_profile"); bp != nil {
		for _, k := range []string{"headline", "privacy_policy_url", "terms_of_service_url"} {
			if bp.has(k) {
				c.BusinessProfile[k] = bp.str(k)
			}
		}
	}
	if p.has("metadata") {
		c.Metadata = applyMetadata(c.Metadata, p)
	}
	f := p.sub("features")
	if f == nil {
		return nil
	}
	flag := func(m params, key string, into *bool) error {
		if m == nil {
			return nil
		}
		v, ok, err := m.boolean(key)
		if err != nil {
			return err
		}
		if ok {
			*into = v
		}
		return nil
	}
	if cu := f.sub("customer_update"); cu != nil {
		if err := flag(cu, "enabled", &c.Features.CustomerUpdate.Enabled); err != nil {
			return err
		}
		if cu.has("allowed_updates") {
			c.Features.CustomerUpdate.AllowedUpdates = nonNil(cu.strings("allowed_updates"))
		}
	}
	if err := flag(f.sub("invoice_history"), "enabled", &c.Features.InvoiceHistory.Enabled); err != nil {
		return err
	}
	if err := flag(f.sub("payment_method_update"), "enabled", &c.Features.PaymentMethodUpdate.Enabled); err != nil {
		return err
	}
	if err := flag(f.sub("subscription_pause"), "enabled", &c.Features.SubscriptionPause.Enabled); err != nil {
		return err
	}
	if sc := f.sub("subscription_cancel"); sc != nil {
		if err := flag(sc, "enabled", &c.Features.SubscriptionCancel.Enabled); err != nil {
			return err
		}
		if m := sc.str("mode"); m != "" {
			if m != "at_period_end" && m != "immediately" {
				return invalidParam("features[subscription_cancel][mode]", "Invalid features[subscription_cancel][mode]: must be one of at_period_end or immediately")
			}
			c.Features.SubscriptionCancel.Mode = m
		}
		if pb := sc.str("proration_behavior"); pb != "" {
			c.Features.SubscriptionCancel.ProrationBehavior = pb
		}
		if cr := sc.sub("cancellation_reason"); cr != nil {
			if err := flag(cr, "enabled", &c.Features.SubscriptionCancel.CancellationReason.Enabled); err != nil {
				return err
			}
			if cr.has("options") {
				c.Features.SubscriptionCancel.CancellationReason.Options = nonNil(cr.strings("options"))
			}
		}
	}
	if su := f.sub("subscription_update"); su != nil {
		if err := flag(su, "enabled", &c.Features.SubscriptionUpdate.Enabled); err != nil {
			return err
		}
		if su.has("default_allowed_updates") {
			c.Features.SubscriptionUpdate.DefaultAllowedUpdates = nonNil(su.strings("default_allowed_updates"))
		}
		if pb := su.str("proration_behavior"); pb != "" {
			if pb != "none" && pb != "create_prorations" && pb != "always_invoice" {
				return invalidParam("features[subscription_update][proration_behavior]", "Invalid proration_behavior: must be one of always_invoice, create_prorations, or none")
			}
			c.Features.SubscriptionUpdate.ProrationBehavior = pb
		}
		if su.has("products") {
			var products []portalProduct
			for i, pp := range su.maps("products") {
				key := fmt.Sprintf("features[subscription_update][products][%d]", i)
				pr := portalProduct{Product: pp.str("product"), Prices: nonNil(pp.strings("prices"))}
				if pr.Product == "" {
					return missingParam(key + "[product]")
				}
				if _, err := t.productByID(pr.Product, key+"[product]"); err != nil {
					return err
				}
				if len(pr.Prices) == 0 {
					return missingParam(key + "[prices]")
				}
				for j, id := range pr.Prices {
					pc, err := t.priceByID(id, fmt.Sprintf("%s[prices][%d]", key, j))
					if err != nil {
						return err
					}
					if pc.Product != pr.Product {
						return invalidParam(fmt.Sprintf("%s[prices][%d]", key, j), fmt.Sprintf("The price %s does not belong to product %s.", id, pr.Product))
					}
					if pc.Recurring == nil {
						return invalidParam(fmt.Sprintf("%s[prices][%d]", key, j), "Only recurring prices can be used in the customer portal.")
					}
				}
				products = append(products, pr)
			}
			c.Features.SubscriptionUpdate.Products = nonNil(products)
		}
		if c.Features.SubscriptionUpdate.Enabled && len(c.Features.SubscriptionUpdate.Products) == 0 {
			return invalidRequest("features[subscription_update][products]", "You must provide `features[subscription_update][products]` when `features[subscription_update][enabled]` is true.")
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (t *txn) portalConfigByID(id, param string) (portalConfig, error) {
	var c portalConfig
	if err := t.get(objPortalConfig, id, &c); err != nil {
		return c, noSuch("billing_portal.configuration", id, param)
	}
	return c, nil
}

func (t *txn) defaultPortalConfig() string {
	id := ""
	t.eachNewest(objPortalConfig, func(k string, raw []byte) bool {
		var c portalConfig
		if json.Unmarshal(raw, &c) == nil && c.IsDefault {
			id = k
			return false
		}
		return true
	})
	return id
}

func apiGetPortalConfig(t *txn, r *request) (any, error) {
	return t.portalConfigByID(r.id, "configuration")
}

func apiListPortalConfigs(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	active, hasActive, err := r.p.boolean("active")
	if err != nil {
		return nil, err
	}
	isDefault, hasDefault, err := r.p.boolean("is_default")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objPortalConfig, q, func(raw []byte) bool {
		var c portalConfig
		if json.Unmarshal(raw, &c) != nil {
			return false
		}
		return (!hasActive || c.Active == active) && (!hasDefault || c.IsDefault == isDefault)
	})
	return listMap("/v1/billing_portal/configurations", items, more), nil
}

func apiCreatePortalSession(t *txn, r *request) (any, error) {
	cusID := r.p.str("customer")
	if cusID == "" {
		return nil, missingParam("customer")
	}
	if _, err := t.customerByID(cusID, "customer"); err != nil {
		return nil, err
	}
	cfgID := r.p.str("configuration")
	if cfgID == "" {
		if cfgID = t.defaultPortalConfig(); cfgID == "" {
			return nil, invalidRequest("", "No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal.")
		}
	}
	c, err := t.portalConfigByID(cfgID, "configuration")
	if err != nil {
		return nil, err
	}
	if !c.Active {
		return nil, invalidParam("configuration", "The configuration "+cfgID+" is inactive.")
	}
	ret := r.p.str("return_url")
	if ret == "" {
		ret = string(c.DefaultReturnURL)
	}
	s := portalSession{ID: t.newSecretID("bps_"), Object: objPortalSession, Configuration: c.ID, Created: t.now.Unix(), Customer: cusID,
		Locale: nstr(r.p.str("locale")), ReturnURL: nstr(ret)}
	s.URL = t.s.cfg.BaseURL + mountPath + "/portal/" + s.ID
	return s, t.put(objPortalSession, s.ID, s)
}

func (t *txn) portalSessionByID(id string) (portalSession, portalConfig, error) {
	var s portalSession
	if err := t.get(objPortalSession, id, &s); err != nil {
		return s, portalConfig{}, noSuch("billing_portal.session", id, "id")
	}
	c, err := t.portalConfigByID(s.Configuration, "configuration")
	return s, c, err
}

// Portal actions, called by the hosted portal's forms. Each checks the
// subscription belongs to the portal's customer and that the
// configuration allows the change, then applies it as the API would.

func (t *txn) portalSubscription(s portalSession, subID string) (subscription, error) {
	sub, err := t.subscriptionByID(subID, "subscription")
	if err != nil {
		return sub, err
	}
	if sub.Customer != s.Customer {
		return sub, noSuch("subscription", subID, "subscription")
	}
	return sub, nil
}

func (t *txn) portalSwitch(s portalSession, c portalConfig, subID, priceID string) error {
	if !c.Features.SubscriptionUpdate.Enabled {
		return invalidRequest("", "This portal does not allow changing plans.")
	}
	allowed := slices.ContainsFunc(c.Features.SubscriptionUpdate.Products, func(p portalProduct) bool { return slices.Contains(p.Prices, priceID) })
	if !allowed {
		return invalidParam("price", "That plan is not offered here.")
	}
	sub, err := t.portalSubscription(s, subID)
	if err != nil {
		return err
	}
	if len(sub.Items.Data) == 0 {
		return invalidRequest("", "This subscription has no items.")
	}
	_, err = t.updateSubscription(sub, subUpdate{
		Items:     []itemChange{{ID: sub.Items.Data[0].ID, Price: priceID}},
		Proration: c.Features.SubscriptionUpdate.ProrationBehavior,
	})
	return err
}

func (t *txn) portalCancel(s portalSession, c portalConfig, subID string) error {
	if !c.Features.SubscriptionCancel.Enabled {
		return invalidRequest("", "This portal does not allow canceling.")
	}
	sub, err := t.portalSubscription(s, subID)
	if err != nil {
		return err
	}
	if c.Features.SubscriptionCancel.Mode == "immediately" {
		if !sub.live() {
			return nil
		}
		_, err = t.endSubscription(sub, t.now, "cancellation_requested")
		return err
	}
	yes := true
	_, err = t.updateSubscription(sub, subUpdate{CancelAtPeriodEnd: &yes, Proration: "none"})
	return err
}

func (t *txn) portalResume(s portalSession, subID string) error {
	sub, err := t.portalSubscription(s, subID)
	if err != nil {
		return err
	}
	no := false
	_, err = t.updateSubscription(sub, subUpdate{CancelAtPeriodEnd: &no, Proration: "none"})
	return err
}

// portalUpdateCard attaches a new card, makes it the default for the
// customer and their live subscriptions, and pays open invoices of
// past_due subscriptions with it (Stripe retries them when the payment
// method changes).
func (t *txn) portalUpdateCard(s portalSession, c portalConfig, f cardForm) (map[string]string, *apiError, error) {
	if !c.Features.PaymentMethodUpdate.Enabled {
		return nil, invalidRequest("", "This portal does not allow updating the card."), nil
	}
	cu, err := t.customerByID(s.Customer, "customer")
	if err != nil {
		return nil, nil, err
	}
	if f.Email == "" {
		f.Email = string(cu.Email)
	}
	cd, errs := validateCard(f, t.now, false)
	if len(errs) > 0 {
		return errs, nil, nil
	}
	// Attaching runs a check; cards that decline at once are refused.
	if d := decline(cd.Behavior, false); d != nil {
		return nil, d, nil
	}
	pm, err := t.createPaymentMethod(cd, cu.ID)
	if err != nil {
		return nil, nil, err
	}
	prev := mustMap(cu)
	cu.InvoiceSettings.DefaultPaymentMethod = nstr(pm.ID)
	if err := t.saveCustomer(cu, prev); err != nil {
		return nil, nil, err
	}
	var subs []subscription
	t.eachNewest(objSubscription, func(_ string, raw []byte) bool {
		var sub subscription
		if json.Unmarshal(raw, &sub) == nil && sub.Customer == cu.ID && sub.live() {
			subs = append(subs, sub)
		}
		return true
	})
	for _, sub := range subs {
		id := pm.ID
		sub, err = t.updateSubscription(sub, subUpdate{DefaultPM: &id, Proration: "none"})
		if err != nil {
			return nil, nil, err
		}
		if sub.Status != "past_due" || sub.LatestInvoice == "" {
			continue
		}
		inv, err := t.invoiceByID(string(sub.LatestInvoice), "invoice")
		if err != nil || inv.Status != "open" {
			continue
		}
		inv, declined, final, err := t.collectInvoice(inv, &pm, true)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case declined == nil:
			err = t.reactivate(sub, inv)
		case final:
			_, err = t.endSubscription(sub, t.now, "payment_failed")
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, nil
}
