package sandbox

import (
	"encoding/json"
	"strings"
)

func (t *txn) createCustomer(email, name string, p params) (customer, error) {
	cu := customer{
		ID: t.newID("cus_"), Object: objCustomer, Created: t.now.Unix(), Email: nstr(email), Name: nstr(name),
		InvoicePrefix: strings.ToUpper(randomHex(4)), NextInvoiceSequence: 1, Metadata: map[string]string{},
		PreferredLocales: []string{}, TaxExempt: "none",
	}
	if p != nil {
		cu.Description = nstr(p.str("description"))
		cu.Phone = nstr(p.str("phone"))
		cu.Metadata = metadataOf(p)
	}
	if err := t.put(objCustomer, cu.ID, cu); err != nil {
		return cu, err
	}
	return cu, t.emit("customer.created", cu, nil)
}

func apiCreateCustomer(t *txn, r *request) (any, error) {
	return t.createCustomer(r.p.str("email"), r.p.str("name"), r.p)
}

func (t *txn) customerByID(id, param string) (customer, error) {
	var cu customer
	if err := t.get(objCustomer, id, &cu); err != nil {
		return cu, noSuch("customer", id, param)
	}
	return cu, nil
}

func apiGetCustomer(t *txn, r *request) (any, error) {
	return t.customerByID(r.id, "id")
}

func apiUpdateCustomer(t *txn, r *request) (any, error) {
	cu, err := t.customerByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	prev := mustMap(cu)
	for key, field := range map[string]*nstr{"email": &cu.Email, "name": &cu.Name, "description": &cu.Description, "phone": &cu.Phone} {
		if r.p.has(key) {
			*field = nstr(r.p.str(key))
		}
	}
	if r.p.has("metadata") {
		cu.Metadata = applyMetadata(cu.Metadata, r.p)
	}
	if is := r.p.sub("invoice_settings"); is != nil && is.has("default_payment_method") {
		pmID := is.str("default_payment_method")
		if pmID != "" {
			if _, err := t.paymentMethodByID(pmID, "invoice_settings[default_payment_method]"); err != nil {
				return nil, err
			}
		}
		cu.InvoiceSettings.DefaultPaymentMethod = nstr(pmID)
	}
	return cu, t.saveCustomer(cu, prev)
}

func (t *txn) saveCustomer(cu customer, prev map[string]any) error {
	if err := t.put(objCustomer, cu.ID, cu); err != nil {
		return err
	}
	if prev != nil && len(diff(prev, mustMap(cu))) == 0 {
		return nil
	}
	return t.emit("customer.updated", cu, prev)
}

func apiListCustomers(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	email := r.p.str("email")
	created, err := rangeFilter(r.p, "created")
	if err != nil {
		return nil, err
	}
	items, more := t.listNewest(objCustomer, q, func(raw []byte) bool {
		var cu customer
		if json.Unmarshal(raw, &cu) != nil {
			return false
		}
		// Stripe's email filter is exact and case-sensitive.
		return (email == "" || string(cu.Email) == email) && created(cu.Created)
	})
	return listMap("/v1/customers", items, more), nil
}

func randomHex(n int) string {
	const hexdig = "0123456789abcdef"
	b := []byte(randomString(n * 2))
	for i := range b {
		b[i] = hexdig[int(b[i])%16]
	}
	return string(b)
}
