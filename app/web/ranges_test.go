package web

import "testing"

// Range parsing is tested inside the package: it is an unexported helper
// of the download handler.

func TestParseRange(t *testing.T) {
	tests := []struct {
		h             string
		size          int64
		want          byteRange
		ok, unsatisfy bool
	}{
		{"bytes=0-99", 1000, byteRange{0, 100}, true, false},
		{"bytes=500-", 1000, byteRange{500, 500}, true, false},
		{"bytes=-100", 1000, byteRange{900, 100}, true, false},
		{"bytes=-2000", 1000, byteRange{0, 1000}, true, false},
		{"bytes=990-2000", 1000, byteRange{990, 10}, true, false},
		{"bytes=1000-", 1000, byteRange{}, false, true},
		{"bytes=-0", 1000, byteRange{}, false, true},
		{"bytes=5-1", 1000, byteRange{}, false, false},
		{"bytes=0-1,5-9", 1000, byteRange{}, false, false},
		{"items=0-1", 1000, byteRange{}, false, false},
		{"bytes=abc", 1000, byteRange{}, false, false},
		{"", 1000, byteRange{}, false, false},
	}
	for _, tt := range tests {
		got, ok, uns := parseRange(tt.h, tt.size)
		if got != tt.want || ok != tt.ok || uns != tt.unsatisfy {
			t.Errorf("parseRange(%q, %d) = %v %v %v; want %v %v %v", tt.h, tt.size, got, ok, uns, tt.want, tt.ok, tt.unsatisfy)
		}
	}
}

// FuzzParseRange: a satisfiable answer is always inside the file.
func FuzzParseRange(f *testing.F) {
	for _, h := range []string{"bytes=0-99", "bytes=-5", "bytes=5-", "bytes=9-1", "bytes=0-0,1-1", "bytes=-0", "bytes=99999999999999999999-"} {
		f.Add(h, int64(1000))
	}
	f.Fuzz(func(t *testing.T, header string, size int64) {
		if size < 0 {
			size = -size
		}
		r, ok, unsat := parseRange(header, size)
		if ok && unsat {
			t.Fatal("both satisfiable and not")
		}
		if ok && (r.Start < 0 || r.Length <= 0 || r.Start+r.Length > size) {
			t.Fatalf("range %+v outside a file of %d bytes (header %q)", r, size, header)
		}
	})
}
