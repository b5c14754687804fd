package store

import (
	"fmt"

	"vendo/app"
)

// Discount returns the discount with id.
func (t *Tx) Discount(id string) (app.Discount, error) {
	var d app.Discount
	found, err := getRecord(t.tx.Bucket(bDiscounts), id, &d)
	if err == nil && !found {
		err = notFound("discount")
	}
	return d, err
}

// DiscountByCode finds a discount by its code, in any case.
func (t *Tx) DiscountByCode(code string) (app.Discount, error) {
	id := index{t.tx.Bucket(bDiscountsByCode)}.get(app.NormalizeCode(code))
	if id == "" {
		return app.Discount{}, notFound("discount")
	}
	return t.Discount(id)
}

// PutDiscount creates or updates a discount and its code index; a code
// another discount has is a conflict.
func (t *Tx) PutDiscount(d *app.Discount) error {
	d.Code = app.NormalizeCode(d.Code)
	if d.ID == "" {
		d.ID = t.NewID("dsc_")
		d.CreatedAt = t.now
	}
	d.UpdatedAt = t.now
	if clash, err := (index{t.tx.Bucket(bDiscountsByCode)}).set(d.Code, d.ID); err != nil {
		return err
	} else if clash != "" && clash != d.ID {
		return &app.Error{Code: app.ECONFLICT, Field: "code", Message: fmt.Sprintf("Another discount already uses the code %s.", d.Code)}
	}
	return putRecord(t.tx.Bucket(bDiscounts), d.ID, d)
}

// Discounts lists every discount, newest first.
func (t *Tx) Discounts() ([]app.Discount, error) {
	var out []app.Discount
	err := t.tx.Bucket(bDiscounts).ForEach(func(k, v []byte) error {
		var d app.Discount
		if err := decode(v, &d); err != nil {
			return err
		}
		out = append([]app.Discount{d}, out...)
		return nil
	})
	return out, err
}
