package web

import (
	"net/netip"
	"testing"
)

// TestClientIP reads X-Forwarded-For as appending proxies write it: the
// visitor is the right-most address that is not a trusted proxy (issue
// 17, hole 4).
func TestClientIP(t *testing.T) {
	ps := parseProxies([]string{"10.0.0.0/8", "127.0.0.1", "::1", "2001:db8:ff::/48"})
	for _, c := range []struct {
		peer  string
		lines []string
		want  string
	}{
		{"198.51.100.9", []string{"203.0.113.1"}, "198.51.100.9"}, // not from a proxy: the header means nothing
		{"10.0.0.2", nil, "10.0.0.2"},                             // a proxy's own request
		{"10.0.0.2", []string{"203.0.113.1"}, "203.0.113.1"},
		{"10.0.0.2", []string{"1.1.1.1, 2.2.2.2, 203.0.113.1"}, "203.0.113.1"},
		{"10.0.0.2", []string{"1.1.1.1", "203.0.113.1"}, "203.0.113.1"},
		{"10.0.0.2", []string{"1.1.1.1", "203.0.113.1, 10.9.9.9"}, "203.0.113.1"},
		{"10.0.0.2", []string{"203.0.113.1, 10.1.1.1, 127.0.0.1"}, "203.0.113.1"},
		{"10.0.0.2", []string{" 203.0.113.1:4711 "}, "203.0.113.1"},
		{"10.0.0.2", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"10.0.0.2", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"10.0.0.2", []string{"2001:db8::1"}, "2001:db8::1"},
		{"10.0.0.2", []string{"fe80::1%eth0"}, "fe80::1"},
		{"10.0.0.2", []string{"::ffff:203.0.113.1"}, "203.0.113.1"},
		{"::ffff:10.0.0.2", []string{"203.0.113.1"}, "203.0.113.1"}, // a mapped peer is the proxy
		{"::1", []string{"203.0.113.1, 2001:db8:ff::7"}, "203.0.113.1"},
		{"10.0.0.2", []string{"203.0.113.1, , "}, "203.0.113.1"},   // empty entries are skipped
		{"10.0.0.2", []string{"203.0.113.1, unknown"}, "10.0.0.2"}, // junk stops the walk at the last proxy
		{"10.0.0.2", []string{"203.0.113.1, 10.3.3.3, _hidden"}, "10.0.0.2"},
		{"10.0.0.2", []string{"203.0.113.1, 300.1.1.1"}, "10.0.0.2"},
		{"10.0.0.2", []string{"203.0.113.1, 01.2.3.4"}, "10.0.0.2"},
		{"10.0.0.2", []string{"203.0.113.1 198.51.100.1"}, "10.0.0.2"},
		{"10.0.0.2", []string{"junk, 203.0.113.1"}, "203.0.113.1"}, // junk left of the visitor is not read
		{"10.0.0.2", []string{"10.4.4.4, 10.5.5.5"}, "10.4.4.4"},   // proxies all the way: the left-most
	} {
		var lines [][]byte
		for _, l := range c.lines {
			lines = append(lines, []byte(l))
		}
		if got := ps.clientIP(netip.MustParseAddr(c.peer), lines); got.String() != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.lines, got, c.want)
		}
	}
	for ip, want := range map[string]string{
		"203.0.113.1":          "203.0.113.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::9": "2001:db8:1:2::/64",
		"::ffff:203.0.113.1":   "::ffff:203.0.113.1",
		"":                     "",
	} {
		if got := rateKey(ip); got != want {
			t.Errorf("rateKey(%q) = %q, want %q", ip, got, want)
		}
	}
}
