package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"vendo/app"
)

// License returns the license with id.
func (t *Tx) License(id string) (app.License, error) {
	var l app.License
	found, err := getRecord(t.tx.Bucket(bLicenses), id, &l)
	if err == nil && !found {
		err = notFound("license")
	}
	return l, err
}

// LicenseByKey finds a license by its key (case-insensitive).
func (t *Tx) LicenseByKey(key string) (app.License, error) {
	id := index{t.tx.Bucket(bLicensesByKey)}.get(strings.ToUpper(strings.TrimSpace(key)))
	if id == "" {
		return app.License{}, notFound("license")
	}
	return t.License(id)
}

// PutLicense creates or updates a license and its key index.
func (t *Tx) PutLicense(l *app.License) error {
	if l.Key == "" || l.CustomerID == "" {
		return fmt.Errorf("license needs a key and a customer")
	}
	owners := t.tx.Bucket(bLicensesByOwner)
	if l.ID == "" {
		l.ID = t.NewID("lic_")
		l.CreatedAt = t.now
	} else {
		var old app.License
		found, err := getRecord(t.tx.Bucket(bLicenses), l.ID, &old)
		if err != nil {
			return err
		}
		if found && old.CustomerID != l.CustomerID {
			t.customerChanged(old.CustomerID)
			if err := owners.Delete([]byte(old.CustomerID + "/" + l.ID)); err != nil {
				return err
			}
		}
	}
	t.customerChanged(l.CustomerID)
	if err := owners.Put([]byte(l.CustomerID+"/"+l.ID), nil); err != nil {
		return err
	}
	if clash, err := (index{t.tx.Bucket(bLicensesByKey)}).set(strings.ToUpper(l.Key), l.ID); err != nil {
		return err
	} else if clash != "" {
		return fmt.Errorf("license key collision")
	}
	return putRecord(t.tx.Bucket(bLicenses), l.ID, l)
}

// LicensesOf lists a customer's licenses, newest first, through their
// index: fulfilment reads them for every order, in the webhook's write
// transaction, so the cost follows the customer's licenses, not the shop's.
func (t *Tx) LicensesOf(customerID string) ([]app.License, error) {
	var out []app.License
	c := t.tx.Bucket(bLicensesByOwner).Cursor()
	prefix := customerID + "/"
	for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
		l, err := t.License(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append([]app.License{l}, out...)
	}
	return out, nil
}

// LicenseFilter narrows Licenses.
type LicenseFilter struct {
	Query  string // part of the key or customer id
	Before string // cursor: the last id of the previous page
	Limit  int    // 0 means all
}

// Licenses lists licenses newest first.
func (t *Tx) Licenses(f LicenseFilter) ([]app.License, string, error) {
	q := strings.ToUpper(strings.TrimSpace(f.Query))
	return newestFirst(t.tx.Bucket(bLicenses), f.Before, f.Limit, func(l *app.License) bool {
		return q == "" || strings.Contains(l.Key, q) || strings.Contains(strings.ToUpper(l.CustomerID), q)
	}, nil, func(l *app.License) string { return l.ID })
}

// LicenseByKey reads a license in its own transaction.
func (s *Store) LicenseByKey(ctx context.Context, key string) (l app.License, err error) {
	err = s.View(ctx, func(tx *Tx) error { l, err = tx.LicenseByKey(key); return err })
	return
}

// LicenseInstance returns the activation with id.
func (t *Tx) LicenseInstance(id string) (app.LicenseInstance, error) {
	var in app.LicenseInstance
	found, err := getRecord(t.tx.Bucket(bLicenseInstances), id, &in)
	if err == nil && !found {
		err = notFound("activation")
	}
	return in, err
}

// AddLicenseInstance stores a new activation of a license and indexes it
// under the license.
func (t *Tx) AddLicenseInstance(in *app.LicenseInstance) error {
	if in.LicenseID == "" || in.Name == "" {
		return fmt.Errorf("license instance needs a license and a name")
	}
	in.ID = t.NewID("ins_")
	in.CreatedAt = t.now
	t.licenseChanged(in.LicenseID)
	if err := t.tx.Bucket(bInstancesByLicense).Put([]byte(in.LicenseID+"/"+in.ID), nil); err != nil {
		return err
	}
	return putRecord(t.tx.Bucket(bLicenseInstances), in.ID, in)
}

// DeleteLicenseInstance removes an activation and its index entry.
func (t *Tx) DeleteLicenseInstance(in app.LicenseInstance) error {
	t.licenseChanged(in.LicenseID)
	if err := t.tx.Bucket(bInstancesByLicense).Delete([]byte(in.LicenseID + "/" + in.ID)); err != nil {
		return err
	}
	return t.tx.Bucket(bLicenseInstances).Delete([]byte(in.ID))
}

// LicenseInstances lists a license's activations, oldest first.
func (t *Tx) LicenseInstances(licenseID string) ([]app.LicenseInstance, error) {
	var out []app.LicenseInstance
	err := t.eachInstanceID(licenseID, func(id string) error {
		in, err := t.LicenseInstance(id)
		if err != nil {
			return err
		}
		out = append(out, in)
		return nil
	})
	return out, err
}

// CountLicenseInstances counts a license's activations from the index
// alone.
func (t *Tx) CountLicenseInstances(licenseID string) (int, error) {
	n := 0
	err := t.eachInstanceID(licenseID, func(string) error { n++; return nil })
	return n, err
}

func (t *Tx) eachInstanceID(licenseID string, fn func(id string) error) error {
	prefix := []byte(licenseID + "/")
	c := t.tx.Bucket(bInstancesByLicense).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(string(k[len(prefix):])); err != nil {
			return err
		}
	}
	return nil
}

// licenseChanged moves the version of the license's owner (an activation
// shows on their account page); every customer's when it cannot be read.
func (t *Tx) licenseChanged(licenseID string) {
	l, err := t.License(licenseID)
	if err != nil {
		t.customerChanged("")
		return
	}
	t.customerChanged(l.CustomerID)
}
