package shop

import (
	"strconv"
	"strings"
)

// ByteRange is a satisfiable single range [Start, Start+Length).
type ByteRange struct{ Start, Length int64 }

// ParseRange reads an HTTP Range header for a resource of size bytes.
// It returns ok=false when the whole resource should be sent (no header,
// a unit other than bytes, several ranges, or a malformed header, as RFC
// 9110 allows), and unsatisfiable=true for a range outside the resource
// (answered 416).
func ParseRange(header string, size int64) (r ByteRange, ok, unsatisfiable bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !found || spec == "" || strings.Contains(spec, ",") {
		return ByteRange{}, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return ByteRange{}, false, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		// Suffix range: the last N bytes.
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return ByteRange{}, false, false
		}
		if n == 0 || size == 0 {
			return ByteRange{}, false, true
		}
		if n > size {
			n = size
		}
		return ByteRange{Start: size - n, Length: n}, true, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return ByteRange{}, false, false
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return ByteRange{}, false, false
		}
		if e < end {
			end = e
		}
	}
	if start >= size {
		return ByteRange{}, false, true
	}
	return ByteRange{Start: start, Length: end - start + 1}, true, false
}
