package store

import (
	"context"
	"strings"

	"vendo/app"
)

// Entitlement returns the entitlement with id.
func (t *Tx) Entitlement(id string) (app.Entitlement, error) {
	var e app.Entitlement
	data := t.tx.Bucket(bEntitlements).Get([]byte(id))
	if data == nil {
		return e, notFound("entitlement")
	}
	err := t.memos.entitlements.get(id, data, &e)
	return e, err
}

// PutEntitlement creates or updates an entitlement and its customer index.
func (t *Tx) PutEntitlement(e *app.Entitlement) error {
	if e.CustomerID == "" || e.ProductID == "" || e.Source == "" {
		return app.Errorf(app.EINVALID, "An entitlement needs a customer, a product and a source.")
	}
	if e.ID == "" {
		e.ID = t.NewID("ent_")
		e.GrantedAt = t.now
	}
	t.customerChanged(e.CustomerID)
	if err := t.tx.Bucket(bEntitlementsByOwner).Put([]byte(e.CustomerID+"/"+e.ID), nil); err != nil {
		return err
	}
	return putRecord(t.tx.Bucket(bEntitlements), e.ID, e)
}

// EntitlementsOf lists a customer's entitlements, oldest first; active
// only when asked.
func (t *Tx) EntitlementsOf(customerID string, activeOnly bool) ([]app.Entitlement, error) {
	var out []app.Entitlement
	c := t.tx.Bucket(bEntitlementsByOwner).Cursor()
	prefix := customerID + "/"
	for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
		e, err := t.Entitlement(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		if activeOnly && !e.Active() {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// ActiveEntitlement returns a customer's active entitlement to a product;
// ENOTFOUND when the product is not in their library.
func (t *Tx) ActiveEntitlement(customerID, productID string) (app.Entitlement, error) {
	es, err := t.EntitlementsOf(customerID, true)
	if err != nil {
		return app.Entitlement{}, err
	}
	for _, e := range es {
		if e.ProductID == productID {
			return e, nil
		}
	}
	return app.Entitlement{}, app.Errorf(app.ENOTFOUND, "That product is not in your library.")
}

// RevokeEntitlements revokes every active entitlement of a customer that
// came from source/sourceID (an order refunded, a plan ended), returning
// how many it revoked.
func (t *Tx) RevokeEntitlements(customerID, source, sourceID, reason string) (int, error) {
	es, err := t.EntitlementsOf(customerID, true)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range es {
		if es[i].Source != source || es[i].SourceID != sourceID {
			continue
		}
		es[i].RevokedAt, es[i].RevokedReason = t.now, reason
		if err := t.PutEntitlement(&es[i]); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// EntitlementsOf lists a customer's entitlements in their own transaction.
func (s *Store) EntitlementsOf(ctx context.Context, customerID string, activeOnly bool) (es []app.Entitlement, err error) {
	err = s.View(ctx, func(tx *Tx) error { es, err = tx.EntitlementsOf(customerID, activeOnly); return err })
	return
}
