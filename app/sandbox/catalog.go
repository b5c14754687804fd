package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func apiCreateProduct(t *txn, r *request) (any, error) {
	name := r.p.str("name")
	if name == "" {
		return nil, missingParam("name")
	}
	pr, err := t.createProduct(name, r.p)
	if err != nil {
		return nil, err
	}
	// default_price_data makes the product's first price in the same call.
	if dp := r.p.sub("default_price_data"); dp != nil {
		pc, err := t.createPrice(pr.ID, dp, "default_price_data")
		if err != nil {
			return nil, err
		}
		prev := mustMap(pr)
		pr.DefaultPrice = nstr(pc.ID)
		if err := t.put(objProduct, pr.ID, pr); err != nil {
			return nil, err
		}
		if err := t.emit("product.updated", pr, prev); err != nil {
			return nil, err
		}
	}
	return pr, nil
}

func (t *txn) createProduct(name string, p params) (product, error) {
	pr := product{
		ID: t.newID("prod_"), Object: objProduct, Active: true, Created: t.now.Unix(), Updated: t.now.Unix(),
		Name: name, Images: []string{}, Metadata: metadataOf(p),
		Description: nstr(p.str("description")),
	}
	if v, ok, err := p.boolean("active"); err != nil {
		return pr, err
	} else if ok {
		pr.Active = v
	}
	if id := p.str("id"); id != "" {
		if t.raw(objProduct, id) != nil {
			return pr, invalidRequest("id", fmt.Sprintf("Product already exists: %s", id))
		}
		pr.ID = id
	}
	if err := t.put(objProduct, pr.ID, pr); err != nil {
		return pr, err
	}
	return pr, t.emit("product.created", pr, nil)
}

func (t *txn) productByID(id, param string) (product, error) {
	var pr product
	if err := t.get(objProduct, id, &pr); err != nil {
		return pr, noSuch("product", id, param)
	}
	return pr, nil
}

func apiGetProduct(t *txn, r *request) (any, error) { return t.productByID(r.id, "id") }

func apiUpdateProduct(t *txn, r *request) (any, error) {
	pr, err := t.productByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	prev := mustMap(pr)
	if v, ok, err := r.p.boolean("active"); err != nil {
		return nil, err
	} else if ok {
		pr.Active = v
	}
	if r.p.has("name") {
		if r.p.str("name") == "" {
			return nil, invalidParam("name", "You cannot set name to an empty string.")
		}
		pr.Name = r.p.str("name")
	}
	if r.p.has("description") {
		pr.Description = nstr(r.p.str("description"))
	}
	if r.p.has("default_price") {
		id := r.p.str("default_price")
		if id != "" {
			pc, err := t.priceByID(id, "default_price")
			if err != nil {
				return nil, err
			}
			if pc.Product != pr.ID {
				return nil, invalidParam("default_price", "The price must belong to this product.")
			}
		}
		pr.DefaultPrice = nstr(id)
	}
	if r.p.has("metadata") {
		pr.Metadata = applyMetadata(pr.Metadata, r.p)
	}
	pr.Updated = t.now.Unix()
	if err := t.put(objProduct, pr.ID, pr); err != nil {
		return nil, err
	}
	return pr, t.emit("product.updated", pr, prev)
}

func apiListProducts(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	active, hasActive, err := r.p.boolean("active")
	if err != nil {
		return nil, err
	}
	ids := r.p.strings("ids")
	items, more := t.listNewest(objProduct, q, func(raw []byte) bool {
		var pr product
		if json.Unmarshal(raw, &pr) != nil {
			return false
		}
		return (!hasActive || pr.Active == active) && (len(ids) == 0 || slices.Contains(ids, pr.ID))
	})
	return listMap("/v1/products", items, more), nil
}

var intervals = map[string]bool{"day": true, "week": true, "month": true, "year": true}

func apiCreatePrice(t *txn, r *request) (any, error) {
	productID := r.p.str("product")
	if pd := r.p.sub("product_data"); pd != nil {
		if productID != "" {
			return nil, invalidRequest("product_data", "You may only specify one of these parameters: product, product_data.")
		}
		if pd.str("name") == "" {
			return nil, missingParam("product_data[name]")
		}
		pr, err := t.createProduct(pd.str("name"), pd)
		if err != nil {
			return nil, err
		}
		productID = pr.ID
	}
	if productID == "" {
		return nil, missingParam("product")
	}
	return t.createPrice(productID, r.p, "")
}

// createPrice makes a Price from price parameters; prefix names where
// they came from in error messages ("default_price_data", "line_items[0][price_data]").
func (t *txn) createPrice(productID string, p params, prefix string) (price, error) {
	name := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "[" + k + "]"
	}
	pc := price{
		ID: t.newID("price_"), Object: objPrice, Active: true, BillingScheme: "per_unit", Created: t.now.Unix(),
		Metadata: metadataOf(p), Nickname: nstr(p.str("nickname")), LookupKey: nstr(p.str("lookup_key")),
		Product: productID, TaxBehavior: "unspecified", Type: "one_time",
	}
	if _, err := t.productByID(productID, name("product")); err != nil {
		return pc, err
	}
	pc.Currency = strings.ToLower(p.str("currency"))
	if pc.Currency == "" {
		return pc, missingParam(name("currency"))
	}
	if len(pc.Currency) != 3 {
		return pc, invalidParam(name("currency"), fmt.Sprintf("Invalid currency: %s.", pc.Currency))
	}
	amount, ok, err := p.int("unit_amount")
	if err != nil {
		return pc, err
	}
	if !ok {
		if d := p.str("unit_amount_decimal"); d != "" {
			n, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				return pc, invalidParam(name("unit_amount_decimal"), "The sandbox supports whole minor units only.")
			}
			amount, ok = n, true
		}
	}
	if !ok {
		return pc, missingParam(name("unit_amount"))
	}
	if amount < 0 {
		return pc, invalidParam(name("unit_amount"), "This value must be greater than or equal to 0.")
	}
	pc.UnitAmount, pc.UnitAmountDecimal = amount, strconv.FormatInt(amount, 10)
	switch tb := p.str("tax_behavior"); tb {
	case "":
	case "inclusive", "exclusive", "unspecified":
		pc.TaxBehavior = tb
	default:
		return pc, invalidParam(name("tax_behavior"), "Invalid tax_behavior: must be one of exclusive, inclusive, or unspecified")
	}
	if rec := p.sub("recurring"); rec != nil {
		iv := rec.str("interval")
		if iv == "" {
			return pc, missingParam(name("recurring[interval]"))
		}
		if !intervals[iv] {
			return pc, invalidParam(name("recurring[interval]"), fmt.Sprintf("Invalid recurring[interval]: must be one of day, week, month, or year"))
		}
		count, has, err := rec.int("interval_count")
		if err != nil {
			return pc, err
		}
		if !has {
			count = 1
		}
		if count < 1 {
			return pc, invalidParam(name("recurring[interval_count]"), "Invalid interval_count: must be at least 1.")
		}
		pc.Recurring = &priceRecurring{Interval: iv, IntervalCount: count, UsageType: "licensed"}
		pc.Type = "recurring"
	}
	if v, has, err := p.boolean("active"); err != nil {
		return pc, err
	} else if has {
		pc.Active = v
	}
	if pc.LookupKey != "" {
		if err := t.takeLookupKey(pc.LookupKey, p); err != nil {
			return pc, err
		}
	}
	if err := t.put(objPrice, pc.ID, pc); err != nil {
		return pc, err
	}
	return pc, t.emit("price.created", pc, nil)
}

// takeLookupKey enforces that a lookup key names one price, moving it
// when transfer_lookup_key is true (as Stripe does).
func (t *txn) takeLookupKey(key nstr, p params) error {
	transfer, _, _ := p.boolean("transfer_lookup_key")
	var holder *price
	t.eachNewest(objPrice, func(_ string, raw []byte) bool {
		var pc price
		if json.Unmarshal(raw, &pc) == nil && pc.LookupKey == key {
			holder = &pc
			return false
		}
		return true
	})
	if holder == nil {
		return nil
	}
	if !transfer {
		return invalidParam("lookup_key", fmt.Sprintf("A price (`%s`) already uses that lookup key.", holder.ID))
	}
	prev := mustMap(*holder)
	holder.LookupKey = ""
	if err := t.put(objPrice, holder.ID, *holder); err != nil {
		return err
	}
	return t.emit("price.updated", *holder, prev)
}

func (t *txn) priceByID(id, param string) (price, error) {
	var pc price
	if err := t.get(objPrice, id, &pc); err != nil {
		return pc, noSuch("price", id, param)
	}
	return pc, nil
}

func apiGetPrice(t *txn, r *request) (any, error) { return t.priceByID(r.id, "id") }

func apiUpdatePrice(t *txn, r *request) (any, error) {
	pc, err := t.priceByID(r.id, "id")
	if err != nil {
		return nil, err
	}
	prev := mustMap(pc)
	if v, ok, err := r.p.boolean("active"); err != nil {
		return nil, err
	} else if ok {
		pc.Active = v
	}
	if r.p.has("nickname") {
		pc.Nickname = nstr(r.p.str("nickname"))
	}
	if r.p.has("lookup_key") {
		key := nstr(r.p.str("lookup_key"))
		if key != "" && key != pc.LookupKey {
			if err := t.takeLookupKey(key, r.p); err != nil {
				return nil, err
			}
		}
		pc.LookupKey = key
	}
	if r.p.has("metadata") {
		pc.Metadata = applyMetadata(pc.Metadata, r.p)
	}
	if err := t.put(objPrice, pc.ID, pc); err != nil {
		return nil, err
	}
	return pc, t.emit("price.updated", pc, prev)
}

func apiListPrices(t *txn, r *request) (any, error) {
	q, err := parseListQuery(r.p)
	if err != nil {
		return nil, err
	}
	active, hasActive, err := r.p.boolean("active")
	if err != nil {
		return nil, err
	}
	productID, typ, currency := r.p.str("product"), r.p.str("type"), r.p.str("currency")
	lookupKeys := r.p.strings("lookup_keys")
	interval := ""
	if rec := r.p.sub("recurring"); rec != nil {
		interval = rec.str("interval")
	}
	items, more := t.listNewest(objPrice, q, func(raw []byte) bool {
		var pc price
		if json.Unmarshal(raw, &pc) != nil {
			return false
		}
		switch {
		case hasActive && pc.Active != active,
			productID != "" && pc.Product != productID,
			typ != "" && pc.Type != typ,
			currency != "" && pc.Currency != currency,
			len(lookupKeys) > 0 && !slices.Contains(lookupKeys, string(pc.LookupKey)),
			interval != "" && (pc.Recurring == nil || pc.Recurring.Interval != interval):
			return false
		}
		return true
	})
	return listMap("/v1/prices", items, more), nil
}
