package store_test

import (
	"context"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/store"
)

func TestPutFileKeepsTheFirstRecordOfTheSameBytes(t *testing.T) {
	st, clock, _ := openTestStore(t)
	ctx := context.Background()
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

	first := store.FileMeta{SHA256: sha, Size: 4, ContentType: "application/pdf", Name: "guide.pdf"}
	if err := st.PutFile(ctx, first); err != nil {
		t.Fatal(err)
	}
	stored, err := st.File(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	want := first
	want.CreatedAt = clock.Now()
	if stored != want {
		t.Errorf("stored %+v, want %+v", stored, want)
	}

	// The same bytes uploaded again under another name: the first record stays.
	clock.Advance(time.Hour)
	second := store.FileMeta{SHA256: sha, Size: 999, ContentType: "text/plain", Name: "copy.txt", CreatedAt: clock.Now()}
	if err := st.PutFile(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.File(ctx, sha); got != want {
		t.Errorf("after a second put: %+v, want the first %+v", got, want)
	}

	// Becoming a cover image is the one change kept; nothing else moves.
	cover := second
	cover.Public = true
	if err := st.PutFile(ctx, cover); err != nil {
		t.Fatal(err)
	}
	want.Public = true
	if got, _ := st.File(ctx, sha); got != want {
		t.Errorf("after publishing: %+v, want %+v", got, want)
	}
	// And a later private upload does not unpublish it.
	if err := st.PutFile(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.File(ctx, sha); !got.Public {
		t.Error("a private upload of the same bytes unpublished the cover")
	}
}

func TestPutFileKeepsAGivenCreationTime(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := st.PutFile(ctx, store.FileMeta{SHA256: "aa", Name: "a", CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.File(ctx, "aa"); !got.CreatedAt.Equal(at) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, at)
	}
	if _, err := st.File(ctx, "bb"); !app.IsNotFound(err) || app.ErrorMessage(err) != "That file does not exist." {
		t.Errorf("missing file: %v", err)
	}
}
