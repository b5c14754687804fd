package app

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// LicenseInstance is one activation of a license key: a machine, a site,
// an install the customer's software registered through the license API
// (POST /api/licenses/activate). A product's activation limit caps how
// many a key has at once; deactivating one frees its place.
type LicenseInstance struct {
	ID        string    `json:"id"` // "ins_…", what the software keeps to validate and deactivate
	LicenseID string    `json:"license_id"`
	Name      string    `json:"name"` // what the software called it: a host name, a site
	CreatedAt time.Time `json:"created_at"`
}

// MaxActivationLimit bounds a product's activation limit.
const MaxActivationLimit = 10000

// CleanInstanceName is the name an activation is stored under: trimmed,
// without control or format characters, at most 100 characters; "" when
// nothing is left.
func CleanInstanceName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 100 {
		name = strings.TrimSpace(string(r[:100]))
	}
	return name
}
