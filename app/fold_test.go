package app_test

import (
	"regexp"
	"strings"
	"testing"

	"vendo/app"
)

func TestFoldLowercasesAndStripsAccents(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ASCII Only", "ascii only"},
		{"Café", "cafe"},
		{"naïve Crème brûlée", "naive creme brulee"},
		{"Ångström", "angstrom"},
		{"Straße", "strasse"},
		{"Œuvre", "oeuvre"},
		{"Ærø", "aero"},
		{"Łódź", "lodz"},
		{"東京", "東京"}, // no accents to strip: kept as it is
		{"", ""},
	}
	for _, tt := range tests {
		if got := app.Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var slugShape = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func TestSlugifyMakesAnAddressFromATitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Café Crème — Deluxe!", "cafe-creme-deluxe"},
		{"  Hello,  World  ", "hello-world"},
		{"Über 9000", "uber-9000"},
		{"Straße & Co.", "strasse-co"},
		{"Ærøskøbing Łódź", "aeroskobing-lodz"},
		{"already-a-slug", "already-a-slug"},
		{"--dashes--everywhere--", "dashes-everywhere"},
		{"!!!", ""},
		{"東京", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := app.Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSlugifyKeepsLongTitlesWithinEightyCharacters(t *testing.T) {
	for _, title := range []string{
		strings.Repeat("a", 100),
		strings.Repeat("ab ", 40), // the cut lands right after a dash
		strings.Repeat("word ", 30),
	} {
		got := app.Slugify(title)
		if len(got) > 80 || len(got) < 70 {
			t.Errorf("Slugify(%q) has %d characters, want 70–80", title, len(got))
		}
		if !slugShape.MatchString(got) {
			t.Errorf("Slugify(%q) = %q, which is not a valid address", title, got)
		}
		p := app.Product{Title: "x", Slug: got, Price: app.Money{Amount: 100, Currency: "usd"}}
		if err := p.Validate(); err != nil {
			t.Errorf("a product with slug %q is refused: %v", got, err)
		}
	}
}
