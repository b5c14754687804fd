package shop

import (
	"fmt"
	"strings"
)

// diff collects "what changed" phrases for the audit log.
type diff []string

func (d *diff) add(format string, args ...any) { *d = append(*d, fmt.Sprintf(format, args...)) }

func (d *diff) quoted(name, a, b string) {
	if a != b {
		d.add("%s “%s” → “%s”", name, clip(a), clip(b))
	}
}

func (d *diff) plain(name, a, b string) {
	if a != b {
		if a == "" {
			a = "(none)"
		}
		if b == "" {
			b = "(none)"
		}
		d.add("%s %s → %s", name, a, b)
	}
}

func (d *diff) changed(name, a, b string) {
	if a != b {
		d.add("%s edited", name)
	}
}

func (d *diff) flag(name string, a, b bool) {
	if a != b {
		d.add("%s %s → %s", name, yesNo(a), yesNo(b))
	}
}

func (d diff) String() string {
	if len(d) == 0 {
		return "no changes"
	}
	return strings.Join(d, "; ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// clip shortens text for a log line.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}
