package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/blobs"
	"vendo/app/shop"
	"vendo/app/store"
)

// The large data set of the issue: a catalog a busy merchant might have.
const (
	numProducts  = 10_000
	numCustomers = 1_000
	numOrders    = 5_000
	numBlobs     = 200 // small real files, shared by the products
	bigFileSize  = 1 << 30
)

// dataSize is how big a seeded shop is.
type dataSize struct{ products, customers, orders int }

// defaultSize is the data set of the main table.
var defaultSize = dataSize{numProducts, numCustomers, numOrders}

// seeded is what the scenarios need from the data set.
type seeded struct {
	products      []app.Product // as stored, for the in-process search
	slugs         []string      // a handful of product pages to load
	queries       []string      // catalog searches to load
	downloadToken string        // a signed link to the 1 GiB file
	sessionCookie string        // a signed-in customer's session cookie
	adminCookie   string        // the admin's (adminEmail, VENDO_ADMIN_EMAILS)
	bigFile       string        // its path (the baseline sends it too)
	bigSHA        string        // its name
	dbBytes       int64
}

// seed writes the data set directly through the store package in a few
// big transactions, before any server runs on dataDir.
func seed(ctx context.Context, dataDir string, sz dataSize) (*seeded, error) {
	rng := rand.New(rand.NewPCG(20240601, 9))
	cfgDB := filepath.Join(dataDir, "vendo.db")
	st, err := store.Open(cfgDB, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	files, err := blobs.Open(filepath.Join(dataDir, "files"))
	if err != nil {
		return nil, err
	}

	// Small real files through blobs (each Put is fsync'd, so a pool is
	// shared rather than 10,000 of them), and a few SVG covers.
	var pool []app.FileRef
	var metas []store.FileMeta
	for i := 0; i < numBlobs; i++ {
		body := make([]byte, 1024+rng.IntN(7*1024))
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		sha, size, err := files.PutBytes(ctx, body)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("asset-%03d.zip", i)
		pool = append(pool, app.FileRef{SHA256: sha, Name: name, Size: size, ContentType: "application/zip"})
		metas = append(metas, store.FileMeta{SHA256: sha, Size: size, ContentType: "application/zip", Name: name})
	}
	var covers []string
	for i := 0; i < 24; i++ {
		svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300"><rect width="400" height="300" fill="hsl(%d 60%% 55%%)"/><circle cx="200" cy="150" r="%d" fill="#fff" opacity=".5"/></svg>`, i*15, 40+i*3)
		sha, size, err := files.PutBytes(ctx, []byte(svg))
		if err != nil {
			return nil, err
		}
		covers = append(covers, sha)
		metas = append(metas, store.FileMeta{SHA256: sha, Size: size, ContentType: "image/svg+xml", Name: fmt.Sprintf("cover-%02d.svg", i), Public: true})
	}

	// The 1 GiB file: sparse, placed where blobs keeps content-addressed
	// files (writing it through blobs.Put would write 1 GiB of zeros).
	bigSHA, err := zeroSHA256(bigFileSize)
	if err != nil {
		return nil, err
	}
	bigPath := filepath.Join(files.Root(), bigSHA[:2], bigSHA)
	if err := os.MkdirAll(filepath.Dir(bigPath), 0o750); err != nil {
		return nil, err
	}
	f, err := os.Create(bigPath)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(bigFileSize); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	metas = append(metas, store.FileMeta{SHA256: bigSHA, Size: bigFileSize, ContentType: "application/octet-stream", Name: "big.bin"})

	out := &seeded{bigFile: bigPath, bigSHA: bigSHA}
	// Products, in two transactions of 5,000.
	products := make([]app.Product, 0, sz.products+1)
	for i := 0; i < sz.products; i++ {
		products = append(products, genProduct(rng, i, pool, covers))
	}
	products = append(products, app.Product{
		Slug: "bench-big-download", Title: "Big Download", Summary: "One gibibyte, for the download benchmark.",
		Price: app.Money{Amount: 9900, Currency: "usd"}, Active: true,
		Files: []app.FileRef{{SHA256: bigSHA, Name: "big.bin", Size: bigFileSize, ContentType: "application/octet-stream"}},
	})
	for start := 0; start < len(products); start += 5000 {
		end := min(start+5000, len(products))
		err := st.Update(ctx, func(tx *store.Tx) error {
			if start == 0 {
				for _, m := range metas {
					if err := tx.PutFile(m); err != nil {
						return err
					}
				}
				s, err := tx.Settings()
				if err != nil {
					return err
				}
				s.ShopName, s.SupportEmail, s.DownloadLimit = "Vendo Bench", "help@bench.example", 1000
				if err := tx.PutSettings(s); err != nil {
					return err
				}
			}
			for i := start; i < end; i++ {
				if err := tx.PutProduct(&products[i]); err != nil {
					return fmt.Errorf("product %s: %w", products[i].Slug, err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, p := range products[:sz.products] {
		if p.Active {
			out.products = append(out.products, p)
		}
	}
	for i := 0; i < 8; i++ {
		out.slugs = append(out.slugs, pick(rng, out.products).Slug)
	}
	out.queries = []string{"icon", "retro font", "brush", "minimal template", "texture pack", "café"}

	// Customers, then orders with their entitlements, one transaction each.
	customers := make([]app.Customer, sz.customers)
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i := range customers {
			customers[i] = app.Customer{
				Email: fmt.Sprintf("customer%04d@bench.example", i), EmailVerified: true,
				Name:             firstNames[i%len(firstNames)] + " " + lastNames[(i/len(firstNames))%len(lastNames)],
				StripeCustomerID: fmt.Sprintf("cus_bench%05d", i),
			}
			if err := tx.PutCustomer(&customers[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	big := products[sz.products]
	// Orders in transactions of 10,000 (one of 100,000 would hold every
	// page it touched in memory until its commit).
	for from := 0; from < sz.orders; from += 10_000 {
		err = st.Update(ctx, func(tx *store.Tx) error {
			return seedOrders(tx, rng, from, min(from+10_000, sz.orders), customers, products[:sz.products])
		})
		if err != nil {
			return nil, err
		}
	}
	var bigEnt app.Entitlement
	err = st.Update(ctx, func(tx *store.Tx) error {
		bigEnt = app.Entitlement{CustomerID: customers[0].ID, ProductID: big.ID, Source: app.SourceManual, SourceID: "bench"}
		if err := tx.PutEntitlement(&bigEnt); err != nil {
			return err
		}
		// The admin, signed in (the bench starts the shop with
		// VENDO_ADMIN_EMAILS=adminEmail).
		admin := app.Customer{Email: adminEmail, EmailVerified: true, Name: "Bench Admin"}
		if err := tx.PutCustomer(&admin); err != nil {
			return err
		}
		asess := app.Session{ID: randomHex(rng, 32), CustomerID: admin.ID, CSRF: randomHex(rng, 32),
			LastSeenAt: tx.Now(), ExpiresAt: tx.Now().Add(30 * 24 * time.Hour)}
		out.adminCookie = "vendo_session=" + asess.ID
		if err := tx.PutSession(&asess); err != nil {
			return err
		}
		// A signed-in customer, for pages rendered per request.
		sess := app.Session{ID: randomHex(rng, 32), CustomerID: customers[1].ID, CSRF: randomHex(rng, 32),
			LastSeenAt: tx.Now(), ExpiresAt: tx.Now().Add(30 * 24 * time.Hour)}
		out.sessionCookie = "vendo_session=" + sess.ID
		return tx.PutSession(&sess)
	})
	if err != nil {
		return nil, err
	}

	// The download link, signed as the server signs it (app/server/shop.go).
	secret, err := auth.LoadSecret(dataDir, "")
	if err != nil {
		return nil, err
	}
	signer := shop.NewSigner(auth.DeriveKey(secret, "downloads"))
	out.downloadToken = signer.Sign(shop.DownloadClaim{EntitlementID: bigEnt.ID,
		FileSHA256: bigSHA, Expires: time.Now().Add(24 * time.Hour)})
	if fi, err := os.Stat(cfgDB); err == nil {
		out.dbBytes = fi.Size()
	}
	return out, nil
}

// seedOrders writes orders [from, to) of the data set, each with its
// entitlements: 1–3 lines from products, paid now.
func seedOrders(tx *store.Tx, rng *rand.Rand, from, to int, customers []app.Customer, products []app.Product) error {
	for i := from; i < to; i++ {
		c := customers[rng.IntN(len(customers))]
		o := app.Order{CustomerID: c.ID, Email: c.Email, Name: c.Name, Status: app.OrderPaid,
			CheckoutSessionID: fmt.Sprintf("cs_bench_%06d", i), PaymentIntentID: fmt.Sprintf("pi_bench_%06d", i),
			StripeCustomerID: c.StripeCustomerID, PaidAt: tx.Now()}
		var total int64
		for n := 1 + rng.IntN(3); n > 0; n-- {
			p := products[rng.IntN(len(products))]
			o.Lines = append(o.Lines, app.OrderLine{ProductID: p.ID, Title: p.Title, Quantity: 1, UnitAmount: p.Price, Total: p.Price,
				StripePriceID: "price_bench_" + p.ID[len(p.ID)-8:]})
			total += p.Price.Amount
		}
		o.Subtotal = app.Money{Amount: total, Currency: "usd"}
		o.Total = o.Subtotal
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		for _, l := range o.Lines {
			e := app.Entitlement{CustomerID: c.ID, ProductID: l.ProductID, Source: app.SourceOrder, SourceID: o.ID}
			if err := tx.PutEntitlement(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

const adminEmail = "admin@bench.example"

func randomHex(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return hex.EncodeToString(b)
}

// zeroSHA256 is the SHA-256 of n zero bytes (the sparse file's content).
func zeroSHA256(n int64) (string, error) {
	h := sha256.New()
	if _, err := io.CopyBuffer(h, io.LimitReader(zeros{}, n), make([]byte, 1<<20)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

var (
	adjectives = []string{"Minimal", "Retro", "Bold", "Soft", "Neon", "Vintage", "Modern", "Hand-drawn", "Pixel", "Organic",
		"Geometric", "Playful", "Elegant", "Grunge", "Pastel", "Monochrome", "Isometric", "Flat", "Sketchy", "Café"}
	subjects = []string{"Icon", "Font", "Texture", "Brush", "Template", "Mockup", "Preset", "Sound", "Loop", "Pattern",
		"Illustration", "Wallpaper", "Sticker", "Shader", "Palette", "Logo", "Poster", "Resume", "Planner", "Sprite"}
	kinds  = []string{"Pack", "Set", "Kit", "Bundle", "Collection", "Library", "Toolkit", "Series"}
	themes = []string{"botanical", "urban", "ocean", "mountain", "space", "kitchen", "workshop", "festival", "winter",
		"desert", "jungle", "arcade", "studio", "garden", "harbor", "library", "market", "forest", "straße", "crème"}
	fillers = []string{"carefully", "crafted", "layered", "files", "ready", "for", "print", "and", "screen", "with", "every",
		"detail", "editable", "vector", "shapes", "high", "resolution", "exports", "licensed", "personal", "commercial",
		"projects", "made", "by", "independent", "designers", "who", "care", "about", "the", "small", "things", "colour",
		"variants", "included", "organised", "in", "folders", "works", "figma", "sketch", "photoshop", "procreate"}
	tagWords   = []string{"design", "ui", "print", "audio", "3d", "web", "branding", "games", "social", "writing"}
	firstNames = []string{"Ada", "Ben", "Chloé", "Dmitri", "Emma", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kai", "Lena",
		"Malik", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomás"}
	lastNames = []string{"Andersen", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Huang", "Ito", "Jones",
		"Kowalski", "López", "Müller", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Silva", "Tanaka",
		"Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhou", "Berg", "Novak", "Moreau", "Santos", "Haddad", "Kim",
		"Lindqvist", "Murphy", "Nguyen", "Olsen", "Park", "Reyes", "Schmidt", "Tran", "Vogel", "Walsh", "Young", "Ziegler",
		"Bauer", "Cruz", "Dahl", "Engel", "Fox", "Gray"}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func sentence(rng *rand.Rand, words int) string {
	w := make([]string, words)
	for i := range w {
		w[i] = pick(rng, fillers)
	}
	w[rng.IntN(words)] = pick(rng, themes)
	return capitalize(strings.Join(w, " ")) + "."
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func genProduct(rng *rand.Rand, i int, pool []app.FileRef, covers []string) app.Product {
	title := fmt.Sprintf("%s %s %s %s", pick(rng, adjectives), capitalize(pick(rng, themes)), pick(rng, subjects), pick(rng, kinds))
	var desc []string
	for p := 2 + rng.IntN(3); p > 0; p-- {
		var para []string
		for s := 2 + rng.IntN(3); s > 0; s-- {
			para = append(para, sentence(rng, 8+rng.IntN(10)))
		}
		desc = append(desc, strings.Join(para, " "))
	}
	p := app.Product{
		Slug:        fmt.Sprintf("%s-%05d", app.Slugify(title), i),
		Title:       title,
		Summary:     sentence(rng, 10+rng.IntN(8)),
		Description: strings.Join(desc, "\n\n"),
		Price:       app.Money{Amount: int64(500 + 100*rng.IntN(95)), Currency: "usd"},
		Tags:        []string{pick(rng, tagWords), pick(rng, tagWords)},
		Active:      i%50 != 49, // a few drafts
		Licensed:    i%7 == 0,
		Cover:       pick(rng, covers),
	}
	for n := 1 + rng.IntN(2); n > 0; n-- {
		p.Files = append(p.Files, pick(rng, pool))
	}
	return p
}
