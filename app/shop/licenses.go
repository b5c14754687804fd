package shop

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"vendo/app"
	"vendo/app/store"
)

// License keys: one is issued with each purchase of a licensed product and
// with each plan's activation; the public API validates them; a refund, a
// plan's end or an admin revokes them.

// issueLicense makes a license with a fresh random key.
func (s *Shop) issueLicense(tx *store.Tx, l app.License) (app.License, error) {
	l.Key = NewLicenseKey()
	l.Status = app.LicenseActive
	return l, tx.PutLicense(&l)
}

// licenseAlphabet leaves out 0/O and 1/I/L, which people misread.
const licenseAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewLicenseKey returns a key like VENDO-7KQ4-M2XP-9RTA-H3CW: about 79
// random bits in groups a person can read out.
func NewLicenseKey() string {
	var b [16]byte
	rand.Read(b[:])
	var sb strings.Builder
	sb.WriteString("VENDO")
	for i := 0; i < 16; i++ {
		if i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(licenseAlphabet[int(b[i])%len(licenseAlphabet)])
	}
	return sb.String()
}

// LicenseStatus is what the license validation API answers.
type LicenseStatus struct {
	Valid     bool      `json:"valid"`
	Status    string    `json:"status"`
	Plan      string    `json:"plan,omitempty"`
	Product   string    `json:"product,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitempty"`
}

// ValidateLicense answers whether a key is valid now (optionally for a
// product), saying nothing about whom it belongs to. A purchase's key is
// valid for its product; a plan's key for the plan, and for a product
// only when the subscriber owns that product.
func (s *Shop) ValidateLicense(ctx context.Context, key, productSlug string) (LicenseStatus, error) {
	var out LicenseStatus
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		lic, err := tx.LicenseByKey(key)
		if app.IsNotFound(err) {
			out = LicenseStatus{Valid: false, Status: "unknown"}
			return nil
		}
		if err != nil {
			return err
		}
		out.Status = lic.Status
		if lic.SubscriptionID != "" {
			sub, err := tx.Subscription(lic.SubscriptionID)
			if err != nil {
				return err
			}
			out.ExpiresAt = sub.CurrentPeriodEnd
			if plan, err := tx.Plan(sub.PlanID); err == nil {
				out.Plan = plan.Slug
			}
			if sub.Terminated {
				out.Status = app.LicenseRevoked
			}
		}
		if lic.ProductID != "" {
			if p, err := tx.Product(lic.ProductID); err == nil {
				out.Product = p.Slug
			}
		}
		out.Valid = out.Status == app.LicenseActive
		switch {
		case productSlug == "" || !out.Valid:
		case lic.ProductID != "":
			// A purchase's key is for its product only.
			out.Valid = out.Product == productSlug
		default:
			// A plan's key is for the plan; for a product, only one its
			// subscriber owns (bought, unlocked or granted).
			out.Valid = false
			p, err := tx.ProductBySlug(productSlug)
			if app.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := tx.ActiveEntitlement(lic.CustomerID, p.ID); err == nil {
				out.Valid, out.Product = true, p.Slug
			} else if !app.IsNotFound(err) {
				return err
			}
		}
		return nil
	})
	return out, err
}

// RevokeLicense marks a license key revoked: validation answers invalid
// from now on.
func (s *Shop) RevokeLicense(ctx context.Context, licenseID, why, actor string) error {
	why = strings.TrimSpace(why)
	if why == "" {
		return app.FieldError("reason", "Say why, for the record.")
	}
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		l, err := tx.License(licenseID)
		if err != nil {
			return err
		}
		if l.Status == app.LicenseRevoked {
			return app.Errorf(app.ECONFLICT, "That license key is already revoked.")
		}
		if err := revokeLicense(tx, &l, why); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "license.revoke", Target: l.ID,
			Detail: fmt.Sprintf("revoked key %s of customer %s: %s", l.Key, l.CustomerID, why)})
	})
}

// revokeOrderLicenses revokes the license keys a purchase came with.
func revokeOrderLicenses(tx *store.Tx, o app.Order, reason string) error {
	lics, err := tx.LicensesOf(o.CustomerID)
	if err != nil {
		return err
	}
	for _, l := range lics {
		if l.OrderID != o.ID || l.Status != app.LicenseActive {
			continue
		}
		if err := revokeLicense(tx, &l, reason); err != nil {
			return err
		}
	}
	return nil
}

// revokeSubscriptionLicense revokes the license key a plan came with, if
// it is still active.
func revokeSubscriptionLicense(tx *store.Tx, sub *app.Subscription, reason string) error {
	if sub.LicenseID == "" {
		return nil
	}
	lic, err := tx.License(sub.LicenseID)
	if err != nil || lic.Status != app.LicenseActive {
		return err
	}
	return revokeLicense(tx, &lic, reason)
}

// revokeLicense marks a license revoked now, for reason.
func revokeLicense(tx *store.Tx, l *app.License, reason string) error {
	l.Status, l.RevokedAt, l.RevokedReason = app.LicenseRevoked, tx.Now(), reason
	return tx.PutLicense(l)
}
