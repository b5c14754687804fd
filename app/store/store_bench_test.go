package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"vendo/app"
	"vendo/app/store"
)

// benchCatalog opens a store on a temp file and writes n products with
// descriptions of a realistic size in one transaction.
func benchCatalog(b *testing.B, n int, opts store.Options) (*store.Store, []app.Product) {
	b.Helper()
	st, err := store.Open(filepath.Join(b.TempDir(), "vendo.db"), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	desc := strings.Repeat("Carefully crafted vector files, ready for print and screen. ", 40)
	ps := make([]app.Product, n)
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range ps {
			ps[i] = sampleProduct(fmt.Sprintf("product-%05d", i))
			ps[i].Description = desc
			ps[i].Files = []app.FileRef{{SHA256: strings.Repeat("ab", 32), Name: "files.zip", Size: 4096, ContentType: "application/zip"}}
			if err := tx.PutProduct(&ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return st, ps
}

// BenchmarkProductBySlug is the product page's read: the slug index, then
// the record, decoded, in one read transaction.
func BenchmarkProductBySlug(b *testing.B) {
	st, ps := benchCatalog(b, 10_000, store.Options{NoSync: true})
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := st.ProductBySlug(ctx, ps[i%len(ps)].Slug); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(7919)
				if _, err := st.ProductBySlug(ctx, ps[i%int64(len(ps))].Slug); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkProductsPage is the catalog's read: one page of 12 active
// products before a cursor, from the newest and from the middle.
func BenchmarkProductsPage(b *testing.B) {
	st, ps := benchCatalog(b, 10_000, store.Options{NoSync: true})
	ctx := context.Background()
	for _, c := range []struct{ name, before string }{{"first", ""}, {"middle", ps[len(ps)/2].ID}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				page, _, err := st.Products(ctx, store.ProductFilter{Status: store.ProductActive, Before: c.before, Limit: 12})
				if err != nil || len(page) != 12 {
					b.Fatal(len(page), err)
				}
			}
		})
	}
}

// BenchmarkPutEventBatch is the webhook ledger's write: 32 goroutines
// each recording a ~1.3 KB event in a shared Batch, with and without
// fsync (the shop always syncs; NoSync shows the CPU cost alone).
func BenchmarkPutEventBatch(b *testing.B) {
	payload := []byte(`{"id":"evt_x","object":"event","type":"customer.created","data":{"object":{"id":"cus_x","object":"customer",` +
		`"email":"someone@example.com","description":"` + strings.Repeat("x", 1100) + `"}}}`)
	for _, c := range []struct {
		name   string
		noSync bool
	}{{"nosync", true}, {"fsync", false}} {
		b.Run(c.name, func(b *testing.B) {
			st, _ := benchCatalog(b, 0, store.Options{NoSync: c.noSync})
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism(16) // 32 goroutines on 2 CPUs, like make bench's senders
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("evt_bench_%09d", n.Add(1))
					err := st.Batch(ctx, func(tx *store.Tx) error {
						if _, err := tx.Event(id); !app.IsNotFound(err) {
							return err
						}
						return tx.PutEvent(&store.EventRecord{ID: id, Type: "customer.created", ObjectID: "cus_x",
							Outcome: store.EventIgnored, Attempts: 1, Source: "webhook", Payload: payload})
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
