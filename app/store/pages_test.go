package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"vendo/app"
)

// TestReleasedPagesReadTheSameBytes: after ReleasePages drops the pages
// read through the memory map, every record reads back as it was, and
// releasing again and again while writers grow the file (bbolt remaps it)
// and readers read never shows a reader other bytes than were written.
func TestReleasedPagesReadTheSameBytes(t *testing.T) {
	st, _, _ := openTestStore(t)
	ctx := context.Background()
	var ids []string
	want := map[string]app.Product{}
	put := func(i int) {
		p := sampleProduct(fmt.Sprintf("item-%04d", i))
		p.Description = strings.Repeat(fmt.Sprintf("word%d ", i), 200) // several products a page
		if err := st.PutProduct(ctx, &p); err != nil {
			t.Error(err)
			return
		}
		got, err := st.Product(ctx, p.ID)
		if err != nil {
			t.Error(err)
			return
		}
		want[p.ID] = got
		ids = append(ids, p.ID)
	}
	for i := range 300 {
		put(i)
	}
	check := func(ids []string, want map[string]app.Product) {
		for _, id := range ids {
			got, err := st.Product(ctx, id)
			if err != nil {
				t.Error(err)
				return
			}
			if !reflect.DeepEqual(got, want[id]) {
				t.Errorf("product %s reads %q…, want %q…", id, got.Description[:20], want[id].Description[:20])
				return
			}
		}
	}
	if err := st.ReleasePages(ctx); err != nil {
		t.Fatal(err)
	}
	check(ids, want)

	// Writers grow the file while pages are released and records read.
	before := append([]string(nil), ids...)
	snapshot := map[string]app.Product{}
	for _, id := range before {
		snapshot[id] = want[id]
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // ids and want belong to this writer until Wait
		defer wg.Done()
		for i := 300; i < 900; i++ {
			put(i)
		}
	}()
	go func() {
		defer wg.Done()
		for range 50 {
			if err := st.ReleasePages(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 5 {
			check(before, snapshot)
		}
	}()
	wg.Wait()
	if err := st.ReleasePages(ctx); err != nil {
		t.Fatal(err)
	}
	check(ids, want)
	if len(ids) != 900 {
		t.Errorf("%d products written, want 900", len(ids))
	}
}
