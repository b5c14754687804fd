package store

import (
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
	if l.ID == "" {
		l.ID = t.NewID("lic_")
		l.CreatedAt = t.now
	}
	if clash, err := (index{t.tx.Bucket(bLicensesByKey)}).set(strings.ToUpper(l.Key), l.ID); err != nil {
		return err
	} else if clash != "" {
		return fmt.Errorf("license key collision")
	}
	return putRecord(t.tx.Bucket(bLicenses), l.ID, l)
}

// LicensesOf lists a customer's licenses, newest first.
func (t *Tx) LicensesOf(customerID string) ([]app.License, error) {
	var out []app.License
	err := t.tx.Bucket(bLicenses).ForEach(func(k, v []byte) error {
		var l app.License
		if err := decode(v, &l); err != nil {
			return err
		}
		if l.CustomerID == customerID {
			out = append([]app.License{l}, out...)
		}
		return nil
	})
	return out, err
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
