package web

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The visitor's address behind reverse proxies (issue 17, hole 4).
//
// Fiber's own X-Forwarded-For support returns the header as the client
// sent it — a list, spoofable, junk included — whenever the TCP peer is a
// trusted proxy. Proxies append: the address each one saw goes on the
// right, after whatever the client claimed. So the visitor is the
// right-most address that is not one of our proxies; everything to its
// left is the visitor's own say-so.
//
// resolveClientIP works that out once per request and hands it to Fiber
// in a header of our own (Fiber's ProxyHeader), deleting any copy the
// client sent, so c.IP() is right everywhere: rate limits, logs, audit
// entries, sign-in limits, the webhook's log.
const clientIPHeader = "X-Vendo-Client-Ip"

// proxies are the trusted reverse proxies (VENDO_TRUSTED_PROXIES).
type proxies []netip.Prefix

// parseProxies reads the configured addresses and ranges; the config has
// already refused anything else.
func parseProxies(list []string) proxies {
	var out proxies
	for _, p := range list {
		if pre, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pre.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (ps proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the visitor's address for a request from peer carrying
// the X-Forwarded-For header lines xff (in order; several lines are one
// list, as RFC 9110 joins them). From a peer that is not a trusted proxy
// the header means nothing. Otherwise the hops are read from the right:
// trusted proxies are skipped, the first other address is the visitor.
// A malformed hop (a name, "unknown", garbage) ends the walk at the last
// trusted hop: what lies left of it was not written by a proxy we trust.
func (ps proxies) clientIP(peer netip.Addr, xff [][]byte) netip.Addr {
	peer = peer.Unmap()
	if !ps.trusted(peer) {
		return peer
	}
	hops := strings.Split(string(bytes.Join(xff, []byte(","))), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a, ok := parseHop(h)
		if !ok {
			return client
		}
		if !ps.trusted(a) {
			return a
		}
		client = a
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an IPv4 or IPv6 address,
// optionally with a port ("203.0.113.7:5060", "[2001:db8::1]:443") or in
// brackets; an IPv4-mapped IPv6 address is its IPv4 address, and a zone
// is dropped.
func parseHop(h string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// resolveClientIP is the first middleware: it sets clientIPHeader to the
// visitor's address when the peer is a trusted proxy, and removes any
// such header the client sent.
func (s *Server) resolveClientIP(c *fiber.Ctx) error {
	h := &c.Request().Header
	h.Del(clientIPHeader)
	if len(s.proxies) > 0 {
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		if ip := s.proxies.clientIP(peer, h.PeekAll(fiber.HeaderXForwardedFor)); ip.IsValid() {
			h.Set(clientIPHeader, ip.String())
		}
	}
	return c.Next()
}

// rateKey is the address a per-client limit counts under: an IPv6
// visitor holds a whole /64 (one customer line, one home), and stepping
// through it must not reset the count.
func rateKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Unmap().Is4() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}
