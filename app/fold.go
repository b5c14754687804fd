package app

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold lowercases s and strips accents ("Café" → "cafe") so search and
// slugs treat them alike.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'ß':
			b.WriteString("ss")
		case 'æ', 'Æ':
			b.WriteString("ae")
		case 'ø', 'Ø':
			b.WriteRune('o')
		case 'œ', 'Œ':
			b.WriteString("oe")
		case 'ł', 'Ł':
			b.WriteRune('l')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
