package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app/shop"
)

// Signed-in pages (issue 21): a signed-in customer's home, catalog,
// product and plan pages are served from a cache of their own, keyed by
// the address and by what the page shows of the visitor (signedState.key),
// with the CSRF token spliced in per request as for anonymous pages. The
// visitor's standing is kept between their requests only while their
// store version, the catalog and the clock leave it as read
// (standingCache), and is handed to the handler that renders a miss, so
// an entry's bytes are always the ones its key describes: a purchase, a
// refund, a credit spent or a plan change makes a new key on the next
// request, never a stale page. Nothing that
// tells one customer from another (name, email, token, download links)
// is in a shared entry: the layout shows only whether the visitor is
// signed in and an admin, and a product they own (its page lists signed
// download links, fresh per request) is rendered in full.

// localSigned holds the request's *signedState.
const localSigned = "vendo.signed"

// signedState is a signed-in visitor's standing as the cached page shows
// it, and the key it is cached under.
type signedState struct {
	*keptStanding
	admin bool
	key   string
}

// keptStanding is a customer's standing with the parts of the page keys
// made from it, kept under the versions it was read at (standings).
type keptStanding struct {
	shop.Standing
	versions       [3]uint64 // the customer's, the catalog's and its lists'
	credits, owned string    // creditsKey, ownedKey
}

// standingCache keeps each signed-in customer's standing between their
// requests: reading it (library, subscription, credits, cart) was most of
// a cached page's cost. A kept one is used while the customer's store
// version (which moves after every commit writing their entitlements,
// subscriptions, credits or cart), the catalog's versions (a cart's
// products, a plan) and the clock (Standing.Until) leave it as read; the
// versions are read before the standing is, so a change committed
// meanwhile leaves it stale, never a stale standing current.
type standingCache struct {
	mu sync.Mutex
	m  map[string]*keptStanding // by customer id
}

// maxStandings bounds the customers remembered; past it, start over.
const maxStandings = 1 << 14

// standing returns the customer's standing, kept or read now.
func (s *Server) standing(ctx context.Context, customerID string) (*keptStanding, error) {
	vs := [3]uint64{s.store.CustomerVersion(customerID), s.signedPages.version.Load(), s.signedPages.lists.Load()}
	now := s.shop.Time()
	sc := &s.standings
	sc.mu.Lock()
	k := sc.m[customerID]
	sc.mu.Unlock()
	if k != nil && k.versions == vs && now.Before(k.Until) {
		return k, nil
	}
	st, err := s.shop.Standing(ctx, customerID)
	if err != nil {
		return nil, err
	}
	k = &keptStanding{Standing: st, versions: vs, credits: creditsKey(st.Credits), owned: ownedKey(st.Owned)}
	sc.mu.Lock()
	if sc.m == nil || len(sc.m) >= maxStandings {
		sc.m = make(map[string]*keptStanding)
	}
	sc.m[customerID] = k
	sc.mu.Unlock()
	return k, nil
}

// signedStateFor reads the signed-in visitor's standing for the page at
// the request's route; ok is false when the page must be rendered in full
// (a visitor who is not signed in, or a product they own).
func (s *Server) signedStateFor(c *fiber.Ctx) (*signedState, bool, error) {
	cust, signedIn := s.viewer(c)
	if !signedIn || s.shop == nil {
		return nil, false, nil
	}
	st, err := s.standing(c.UserContext(), cust.ID)
	if err != nil {
		return nil, false, err
	}
	ss := &signedState{keptStanding: st, admin: s.auth.IsAdmin(&cust)}
	var k strings.Builder
	k.WriteString("admin=")
	k.WriteString(strconv.FormatBool(ss.admin))
	k.WriteString(" cart=")
	k.WriteString(strconv.FormatInt(st.CartCount, 10))
	switch c.Route().Path {
	case "/products/:slug":
		// The handler finds the product by this very slug.
		if st.OwnedSlugs[c.Params("slug")] {
			return nil, false, nil // its download links are signed per request
		}
		k.WriteString(" credits=")
		k.WriteString(st.credits)
	case "/products":
		k.WriteString(" credits=")
		k.WriteString(st.credits)
		k.WriteString(" owned=")
		k.WriteString(st.owned)
	case "/plans":
		k.WriteString(" plan=")
		k.WriteString(st.CurrentPlan)
		k.WriteString(" returning=")
		k.WriteString(strconv.FormatBool(st.HadPlan))
	}
	ss.key = k.String()
	return ss, true, nil
}

// signed returns the standing the cache read for this request, or nil
// when the page is rendered without the cache: handlers then read their
// own.
func (s *Server) signed(c *fiber.Ctx) *signedState {
	st, _ := c.Locals(localSigned).(*signedState)
	return st
}

// creditsKey is what the buy box and the catalog's cards show of a
// plan's credits (partials/buy_box, partials/card_action): two customers
// with the same key see the same words.
func creditsKey(cs *shop.CreditStatus) string {
	if cs == nil {
		return "none"
	}
	t := func(v time.Time) string { return v.UTC().Format(time.RFC3339) }
	return strings.Join([]string{cs.State, strconv.FormatBool(cs.CanSpend()), strconv.FormatBool(cs.Unlimited()),
		strconv.Itoa(cs.Balance), strconv.Quote(cs.Plan.ID), strconv.Quote(cs.Plan.Name), t(cs.NextRefill), t(cs.Subscription.CurrentPeriodEnd)}, "|")
}

// ownedKey names a library: the catalog's cards mark the products in it.
func ownedKey(owned map[string]bool) string {
	if len(owned) == 0 {
		return "none"
	}
	ids := make([]string, 0, len(owned))
	for id := range owned {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return hex.EncodeToString(sum[:16])
}
