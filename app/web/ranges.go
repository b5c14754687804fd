package web

import (
	"strconv"
	"strings"
)

// byteRange is a satisfiable single range [Start, Start+Length).
type byteRange struct{ Start, Length int64 }

// parseRange reads an HTTP Range header for a resource of size bytes.
// It returns ok=false when the whole resource should be sent (no header,
// a unit other than bytes, several ranges, or a malformed header, as RFC
// 9110 allows), and unsatisfiable=true for a range outside the resource
// (answered 416).
func parseRange(header string, size int64) (r byteRange, ok, unsatisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || spec == "" || strings.Contains(spec, ",") {
		return byteRange{}, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		// Suffix range: the last N bytes.
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return byteRange{}, false, false
		}
		if n == 0 || size == 0 {
			return byteRange{}, false, true
		}
		if n > size {
			n = size
		}
		return byteRange{Start: size - n, Length: n}, true, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return byteRange{}, false, false
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return byteRange{}, false, false
		}
		if e < end {
			end = e
		}
	}
	if start >= size {
		return byteRange{}, false, true
	}
	return byteRange{Start: start, Length: end - start + 1}, true, false
}
