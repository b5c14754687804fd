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

// What the license API says a key's standing is (LicenseInfo.Status).
const (
	KeyActive   = "active"
	KeyRevoked  = "revoked"  // by an admin, or for a reason not below
	KeyRefunded = "refunded" // its purchase was refunded
	KeyDisputed = "disputed" // its payment is disputed (or the dispute was lost)
	KeyExpired  = "expired"  // its subscription has ended
	KeyUnknown  = "unknown"  // no such key
)

// keyRefusals are the sentences the API answers for a key that may not be
// used, by standing.
var keyRefusals = map[string]string{
	KeyRevoked:  "This license key was revoked.",
	KeyRefunded: "This license key's purchase was refunded, so it no longer works.",
	KeyDisputed: "This license key's payment is disputed, so it does not work for now.",
	KeyExpired:  "This license key's subscription has ended.",
	KeyUnknown:  "That license key is not valid.",
}

// LicenseInfo is the license object of every license API answer. It says
// how the key stands and nothing about whom it belongs to.
type LicenseInfo struct {
	Status string `json:"status"`
	// ActivationLimit is how many instances the key may be activated on
	// at once; null for no limit.
	ActivationLimit *int       `json:"activation_limit"`
	ActivationUsage int        `json:"activation_usage"`
	ExpiresAt       *time.Time `json:"expires_at"` // a plan's key: the end of the paid period
}

// InstanceInfo is an activation as the license API shows it.
type InstanceInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func instanceInfo(in app.LicenseInstance) *InstanceInfo {
	return &InstanceInfo{ID: in.ID, Name: in.Name, CreatedAt: in.CreatedAt.UTC()}
}

// ActivationAnswer is what POST /api/licenses/activate answers, the same
// shape whatever the outcome: Instance is null and Error says why when
// the key was not activated.
type ActivationAnswer struct {
	Activated bool          `json:"activated"`
	Error     string        `json:"error,omitempty"`
	Instance  *InstanceInfo `json:"instance"`
	License   LicenseInfo   `json:"license"`
}

// DeactivationAnswer is what POST /api/licenses/deactivate answers.
type DeactivationAnswer struct {
	Deactivated bool        `json:"deactivated"`
	Error       string      `json:"error,omitempty"`
	License     LicenseInfo `json:"license"`
}

// LicenseStatus is what POST /api/licenses/validate answers: whether the
// key (and, when asked, its activation) is valid now.
type LicenseStatus struct {
	Valid    bool          `json:"valid"`
	Error    string        `json:"error,omitempty"`
	License  LicenseInfo   `json:"license"`
	Instance *InstanceInfo `json:"instance"`
	// The answer of the API's first version, kept for clients that send
	// only a key: Status is active, revoked or unknown.
	Status    string    `json:"status"`
	Plan      string    `json:"plan,omitempty"`
	Product   string    `json:"product,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitempty"`
}

// unknownKey is the license object for a key the shop does not know.
var unknownKey = LicenseInfo{Status: KeyUnknown}

// KeyInfo is how a license stands now: its own status (revoked, and why),
// its order's state (refunded, disputed) and its subscription's (ended),
// with its activation limit (its product's, read now, so a changed limit
// applies to keys already sold) and usage.
func KeyInfo(tx *store.Tx, lic app.License) (LicenseInfo, error) {
	info := LicenseInfo{Status: KeyActive}
	if lic.OrderID != "" {
		o, err := tx.Order(lic.OrderID)
		if err != nil && !app.IsNotFound(err) {
			return info, err
		}
		// The order's facts decide, through the one rule that derives
		// its state (app.Order.State): a key still marked active on an
		// order that gives no access is refused all the same.
		if err == nil {
			switch status, access := o.State(); {
			case access:
			case status == app.OrderRefunded:
				info.Status = KeyRefunded
			case status == app.OrderDisputed || status == app.OrderDisputeLost:
				info.Status = KeyDisputed
			default: // pending or failed: never paid
				info.Status = KeyRevoked
			}
		}
	}
	if lic.SubscriptionID != "" {
		sub, err := tx.Subscription(lic.SubscriptionID)
		if err != nil && !app.IsNotFound(err) {
			return info, err
		}
		if end := sub.CurrentPeriodEnd; !end.IsZero() {
			end = end.UTC()
			info.ExpiresAt = &end
		}
		if sub.Terminated || !app.ActiveStatus(sub.Status) {
			info.Status = KeyExpired
		}
	} else if !lic.ExpiresAt.IsZero() {
		end := lic.ExpiresAt.UTC()
		info.ExpiresAt = &end
	}
	if lic.Status == app.LicenseRevoked && info.Status == KeyActive {
		switch lic.RevokedReason {
		case "refunded":
			info.Status = KeyRefunded
		case app.OrderDisputed, app.OrderDisputeLost:
			info.Status = KeyDisputed
		case "subscription ended":
			info.Status = KeyExpired
		default:
			info.Status = KeyRevoked
		}
	}
	if lic.ProductID != "" {
		p, err := tx.Product(lic.ProductID)
		if err != nil && !app.IsNotFound(err) {
			return info, err
		}
		if p.ActivationLimit > 0 {
			limit := p.ActivationLimit
			info.ActivationLimit = &limit
		}
	}
	n, err := tx.CountLicenseInstances(lic.ID)
	info.ActivationUsage = n
	return info, err
}

// full reports whether the key has no activation left.
func (i LicenseInfo) full() bool {
	return i.ActivationLimit != nil && i.ActivationUsage >= *i.ActivationLimit
}

// ValidateLicense answers whether a key is valid now (optionally for a
// product), saying nothing about whom it belongs to; the first version
// of the API, which ValidateActivation extends.
func (s *Shop) ValidateLicense(ctx context.Context, key, productSlug string) (LicenseStatus, error) {
	return s.ValidateActivation(ctx, key, "", productSlug)
}

// ValidateActivation answers whether a key is valid now and, when
// instanceID is given, whether it is activated there; optionally for a
// product. A purchase's key is valid for its product; a plan's key for
// the plan, and for a product only when the subscriber owns that product.
func (s *Shop) ValidateActivation(ctx context.Context, key, instanceID, productSlug string) (LicenseStatus, error) {
	var out LicenseStatus
	err := s.Store.View(ctx, func(tx *store.Tx) error {
		lic, err := tx.LicenseByKey(key)
		if app.IsNotFound(err) {
			out = LicenseStatus{Status: KeyUnknown, License: unknownKey, Error: keyRefusals[KeyUnknown]}
			return nil
		}
		if err != nil {
			return err
		}
		if out.License, err = KeyInfo(tx, lic); err != nil {
			return err
		}
		out.Status = app.LicenseActive
		if out.License.Status != KeyActive {
			out.Status = app.LicenseRevoked
			out.Error = keyRefusals[out.License.Status]
		}
		if out.License.ExpiresAt != nil {
			out.ExpiresAt = *out.License.ExpiresAt
		}
		if lic.PlanID != "" {
			if plan, err := tx.Plan(lic.PlanID); err == nil {
				out.Plan = plan.Slug
			}
		}
		if lic.ProductID != "" {
			if p, err := tx.Product(lic.ProductID); err == nil {
				out.Product = p.Slug
			}
		}
		out.Valid = out.Status == app.LicenseActive
		if instanceID != "" {
			in, err := tx.LicenseInstance(instanceID)
			switch {
			case err == nil && in.LicenseID == lic.ID:
				out.Instance = instanceInfo(in)
			case err == nil || app.IsNotFound(err):
				if out.Valid {
					out.Valid, out.Error = false, "This license key is not activated on that instance (it may have been deactivated)."
				}
			default:
				return err
			}
		}
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
			if err != nil && !app.IsNotFound(err) {
				return err
			}
			if err == nil {
				if _, err := tx.ActiveEntitlement(lic.CustomerID, p.ID); err == nil {
					out.Valid, out.Product = true, p.Slug
				} else if !app.IsNotFound(err) {
					return err
				}
			}
		}
		if !out.Valid && out.Error == "" {
			out.Error = "This license key is not for that product."
		}
		return nil
	})
	return out, err
}

// ActivateLicense registers a new instance (a machine, a site) of a key,
// refused when the key may not be used (revoked, refunded, disputed, its
// subscription ended) or has reached its activation limit. ip is the
// caller's address, for the audit log.
func (s *Shop) ActivateLicense(ctx context.Context, key, name, ip string) (ActivationAnswer, error) {
	name = app.CleanInstanceName(name)
	if name == "" {
		return ActivationAnswer{}, app.FieldError("instance_name", "Name the instance being activated (instance_name), like the computer's or the site's name.")
	}
	// An unknown key (someone guessing) costs a read, not a write.
	if _, err := s.Store.LicenseByKey(ctx, key); app.IsNotFound(err) {
		return ActivationAnswer{License: unknownKey, Error: keyRefusals[KeyUnknown]}, nil
	} else if err != nil {
		return ActivationAnswer{}, err
	}
	var out ActivationAnswer
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		out = ActivationAnswer{}
		lic, err := tx.LicenseByKey(key)
		if app.IsNotFound(err) {
			out = ActivationAnswer{License: unknownKey, Error: keyRefusals[KeyUnknown]}
			return nil
		}
		if err != nil {
			return err
		}
		if out.License, err = KeyInfo(tx, lic); err != nil {
			return err
		}
		if msg, bad := keyRefusals[out.License.Status]; bad {
			out.Error = msg
			return nil
		}
		if out.License.full() {
			out.Error = fmt.Sprintf("This license key is already activated on %d of %d instances. Deactivate one first (its owner can, from their account page).",
				out.License.ActivationUsage, *out.License.ActivationLimit)
			return s.tellLimitReached(tx, &lic, name)
		}
		in := app.LicenseInstance{LicenseID: lic.ID, Name: name}
		if err := tx.AddLicenseInstance(&in); err != nil {
			return err
		}
		out.Activated, out.Instance = true, instanceInfo(in)
		out.License.ActivationUsage++
		if err := queueLicenseHook(tx, app.HookLicenseActivated, lic, in); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: "license API", Action: "license.activate", Target: lic.ID, IP: ip,
			Detail: fmt.Sprintf("activated key %s on “%s” (%s): %s in use", lic.Key, in.Name, in.ID, usage(out.License))})
	})
	return out, err
}

// tellLimitReached mails a key's owner that its activation limit refused
// an activation on name, when the shop's setting asks for it, once until
// an activation of the key is removed.
func (s *Shop) tellLimitReached(tx *store.Tx, lic *app.License, name string) error {
	if lic.LimitNotified || s.Mail == nil {
		return nil
	}
	settings, err := tx.Settings()
	if err != nil || !settings.LicenseLimitMail {
		return err
	}
	cust, err := tx.Customer(lic.CustomerID)
	if err != nil {
		return err
	}
	ins, err := tx.LicenseInstances(lic.ID)
	if err != nil {
		return err
	}
	var product string
	if p, err := tx.Product(lic.ProductID); err == nil {
		product = p.Title
	}
	if err := s.Mail.Queue(tx, "license_limit", cust.Email, map[string]any{"Key": lic.Key, "Product": product,
		"Instances": ins, "Attempt": name, "AccountURL": s.BaseURL + "/account#licenses"}); err != nil {
		return err
	}
	lic.LimitNotified = true
	return tx.PutLicense(lic)
}

// clearLimitNotified lets the limit mail go again once a place is free.
func clearLimitNotified(tx *store.Tx, lic *app.License) error {
	if !lic.LimitNotified {
		return nil
	}
	lic.LimitNotified = false
	return tx.PutLicense(lic)
}

// usage reads "2 of 3" or "2 (no limit)".
func usage(i LicenseInfo) string {
	if i.ActivationLimit == nil {
		return fmt.Sprintf("%d (no limit)", i.ActivationUsage)
	}
	return fmt.Sprintf("%d of %d", i.ActivationUsage, *i.ActivationLimit)
}

// DeactivateLicense frees an instance of a key (the software is being
// uninstalled, the machine replaced). It works whatever the key's
// standing: freeing a place never grants anything.
func (s *Shop) DeactivateLicense(ctx context.Context, key, instanceID, ip string) (DeactivationAnswer, error) {
	var out DeactivationAnswer
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		out = DeactivationAnswer{}
		lic, err := tx.LicenseByKey(key)
		if app.IsNotFound(err) {
			out = DeactivationAnswer{License: unknownKey, Error: keyRefusals[KeyUnknown]}
			return nil
		}
		if err != nil {
			return err
		}
		in, err := tx.LicenseInstance(instanceID)
		found, err := app.Found(err)
		if err != nil {
			return err
		}
		if found && in.LicenseID == lic.ID {
			if err := s.removeInstance(tx, lic, in, "license API", ip); err != nil {
				return err
			}
			out.Deactivated = true
		} else {
			out.Error = "This license key has no such activation (it may have been deactivated already)."
		}
		out.License, err = KeyInfo(tx, lic)
		return err
	})
	return out, err
}

// removeInstance deletes an activation and audits who did it.
func (s *Shop) removeInstance(tx *store.Tx, lic app.License, in app.LicenseInstance, actor, ip string) error {
	if err := tx.DeleteLicenseInstance(in); err != nil {
		return err
	}
	if err := queueLicenseHook(tx, app.HookLicenseDeactivated, lic, in); err != nil {
		return err
	}
	if err := clearLimitNotified(tx, &lic); err != nil {
		return err
	}
	return tx.Audit(app.AuditEntry{Actor: actor, Action: "license.deactivate", Target: lic.ID, IP: ip,
		Detail: fmt.Sprintf("deactivated key %s on “%s” (%s)", lic.Key, in.Name, in.ID)})
}

// DeactivateInstance is a customer freeing one of their key's
// activations from the account page. Another customer's activation is
// not found.
func (s *Shop) DeactivateInstance(ctx context.Context, customerID, instanceID, actor string) error {
	return s.Store.Update(ctx, func(tx *store.Tx) error {
		in, err := tx.LicenseInstance(instanceID)
		if err != nil {
			return err
		}
		lic, err := tx.License(in.LicenseID)
		if err != nil {
			return err
		}
		if lic.CustomerID != customerID {
			return app.Errorf(app.ENOTFOUND, "That activation does not exist.")
		}
		return s.removeInstance(tx, lic, in, actor, "")
	})
}

// ResetActivations removes every activation of a license (the admin's
// "reset"): the key's software must activate again.
func (s *Shop) ResetActivations(ctx context.Context, licenseID, actor string) (int, error) {
	var n int
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		lic, err := tx.License(licenseID)
		if err != nil {
			return err
		}
		ins, err := tx.LicenseInstances(lic.ID)
		if err != nil {
			return err
		}
		if len(ins) == 0 {
			return app.Errorf(app.ECONFLICT, "That license key has no activations to reset.")
		}
		names := make([]string, len(ins))
		for i, in := range ins {
			if err := tx.DeleteLicenseInstance(in); err != nil {
				return err
			}
			if err := queueLicenseHook(tx, app.HookLicenseDeactivated, lic, in); err != nil {
				return err
			}
			names[i] = "“" + in.Name + "”"
		}
		n = len(ins)
		if err := clearLimitNotified(tx, &lic); err != nil {
			return err
		}
		return tx.Audit(app.AuditEntry{Actor: actor, Action: "license.reset", Target: lic.ID,
			Detail: fmt.Sprintf("reset key %s of customer %s: removed %d activation(s): %s", lic.Key, lic.CustomerID, n, strings.Join(names, ", "))})
	})
	return n, err
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
