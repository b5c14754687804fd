package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

func TestSettingsStartAsDefaultsAndRoundTrip(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()

	s, err := st.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s != app.DefaultSettings() {
		t.Errorf("a new shop's settings = %+v, want the defaults", s)
	}

	clock.Advance(time.Minute)
	s.ShopName = "Paper Goods"
	s.SupportEmail = "help@paper.example"
	s.Currency = "eur"
	s.DownloadLimit = 3
	if err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutSettings(s) }); err != nil {
		t.Fatal(err)
	}
	got, err := st.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := s
	want.UpdatedAt = clock.Now()
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, want.UpdatedAt)
	}
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	if got != want {
		t.Errorf("stored settings = %+v, want %+v", got, want)
	}

	// UpdateSettings changes one field and keeps the rest, and returns
	// exactly what it stored.
	clock.Advance(time.Minute)
	returned, err := st.UpdateSettings(ctx, func(s *app.Settings) error { s.Tagline = "Made by hand."; return nil })
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := st.Settings(ctx)
	if stored.Tagline != "Made by hand." || stored.ShopName != "Paper Goods" || stored.Currency != "eur" {
		t.Errorf("after UpdateSettings: %+v", stored)
	}
	if !stored.UpdatedAt.Equal(clock.Now()) {
		t.Errorf("UpdatedAt = %v, want %v", stored.UpdatedAt, clock.Now())
	}
	if !returned.UpdatedAt.Equal(stored.UpdatedAt) {
		t.Errorf("UpdateSettings returned UpdatedAt %v, but stored %v", returned.UpdatedAt, stored.UpdatedAt)
	}
	returned.UpdatedAt, stored.UpdatedAt = time.Time{}, time.Time{}
	if returned != stored {
		t.Errorf("UpdateSettings returned %+v, stored %+v", returned, stored)
	}
}

func TestInvalidSettingsAreRefusedAndNothingIsStored(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()

	bad := app.DefaultSettings()
	bad.ShopName = ""
	bad.DownloadLimit = 0
	err := st.Update(ctx, func(tx *store.Tx) error { return tx.PutSettings(bad) })
	var inv *app.InvalidForm
	if !errors.As(err, &inv) {
		t.Fatalf("PutSettings = %v, want *app.InvalidForm", err)
	}
	if inv.Fields["shop_name"] == "" || inv.Fields["download_limit"] == "" {
		t.Errorf("fields = %v, want shop_name and download_limit", inv.Fields)
	}
	if s, _ := st.Settings(ctx); s != app.DefaultSettings() {
		t.Errorf("settings changed to %+v", s)
	}

	// Through UpdateSettings too: the stored settings stay as they were.
	if _, err := st.UpdateSettings(ctx, func(s *app.Settings) error { s.ShopName = "Good"; return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Settings(ctx)
	_, err = st.UpdateSettings(ctx, func(s *app.Settings) error { s.Tagline = "changed"; s.Currency = "doubloons"; return nil })
	if !errors.As(err, &inv) || inv.Fields["currency"] == "" {
		t.Errorf("UpdateSettings = %v, want a currency message", err)
	}
	if after, _ := st.Settings(ctx); after != before {
		t.Errorf("settings changed from %+v to %+v", before, after)
	}

	// fn's own error is returned as it is, and nothing is stored.
	stop := app.Errorf(app.EFORBIDDEN, "Not you.")
	_, err = st.UpdateSettings(ctx, func(s *app.Settings) error { s.Tagline = "changed"; return stop })
	if !errors.Is(err, stop) {
		t.Errorf("UpdateSettings = %v, want fn's error", err)
	}
	if after, _ := st.Settings(ctx); after != before {
		t.Errorf("settings changed from %+v to %+v", before, after)
	}
}
