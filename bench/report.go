package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// row is one line of the results table. Ratio is Vendo ÷ baseline (NaN
// when there is no baseline); Target and Met say whether a goal applies.
type row struct {
	Scenario, Measure string
	Vendo, Baseline   string
	Ratio             float64
	Target            string
	Met               *bool
	n                 int // scenario number, for the order of the table
}

type report struct {
	rows  []row
	notes []string
	// growth is the growth table (bench/growth.go), with its notes.
	growth      string
	growthNotes []string
}

// add appends one scenario's rows: the first names it ("2. …"), the
// others continue it. Scenarios run in the order that suits the machine
// (search before any server starts); the table lists them by number.
func (r *report) add(xs ...row) {
	n := 0
	for _, x := range xs {
		if x.Scenario != "" {
			n = int(x.Scenario[0] - '0')
		}
		x.n = n
		r.rows = append(r.rows, x)
	}
	slices.SortStableFunc(r.rows, func(a, b row) int { return a.n - b.n })
}

func (r *report) note(format string, a ...any) { r.notes = append(r.notes, fmt.Sprintf(format, a...)) }

func met(ok bool) *bool { return &ok }

// table renders the rows as a Markdown table (readable as text too).
func (r *report) table() string {
	var b strings.Builder
	b.WriteString("| Scenario | Measure | Vendo | Baseline (same run) | Ratio | Target |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | --- |\n")
	for _, x := range r.rows {
		ratio := "—"
		if !math.IsNaN(x.Ratio) {
			ratio = fmt.Sprintf("%.2f", x.Ratio)
			if x.Ratio < 0.1 {
				ratio = fmt.Sprintf("%.3f", x.Ratio)
			}
		}
		target := x.Target
		if x.Met != nil {
			if *x.Met {
				target += " ✅ met"
			} else {
				target += " ❌ not met"
			}
		}
		if target == "" {
			target = "—"
		}
		base := x.Baseline
		if base == "" {
			base = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.Scenario, x.Measure, x.Vendo, base, ratio, target)
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func fmtCount(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func fmtKiB(k int64) string {
	if k < 1024 {
		return fmt.Sprintf("%d KiB", k)
	}
	return fmt.Sprintf("%.1f MiB", float64(k)/1024)
}

func ratio(v, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return v / b
}
