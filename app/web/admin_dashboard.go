package web

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/shop"
	"vendo/app/store"
)

// handleAdminDashboard is the admin's front page (GET /admin): the last
// 30 days of sales as a server-drawn SVG chart, recurring revenue,
// subscriptions per plan, new customers, failed payments, and the newest
// orders and events.
func (s *Server) handleAdminDashboard(c *fiber.Ctx) error {
	d, err := s.shop.Dashboard(c.UserContext())
	if err != nil {
		return err
	}
	var pending int
	err = s.store.View(c.UserContext(), func(tx *store.Tx) error {
		pending = tx.CountPendingMail()
		return nil
	})
	if err != nil {
		return err
	}
	return s.adminPage(c, "dashboard", "admin/dashboard", "", fiber.Map{"Title": "Admin",
		"D": d, "Chart": revenueChart(d, chartW, 7), "PhoneChart": revenueChart(d, phoneChartW, 14),
		"PendingMail": pending, "MailSends": s.cfg.SMTPURL != ""})
}

// chart is an SVG bar chart's geometry, computed here so the template
// only places elements (no script, no inline style: the CSP forbids both).
type chart struct {
	W, H    int
	Right   int // where the grid lines end
	LabelY  int // the baseline of the dates
	Bars    []chartBar
	Grid    []chartLine
	XLabels []chartText
	Empty   bool
}

type chartBar struct {
	X, Y, W, H string
	Title      string
}

type chartLine struct {
	Y     string
	Label string
}

type chartText struct {
	X    string
	Text string
}

// The chart is drawn twice: 720 units wide for desktops and 320 for
// phones, where it is shown about 1:1, so its 11-unit labels stay
// readable instead of shrinking to 5 px.
const (
	chartW, chartH        = 720, 240
	phoneChartW           = 320
	chartLeft, chartRight = 64, 8
	chartTop, chartBottom = 12, 28
)

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// revenueChart lays out one bar per day in a chart w units wide, a grid
// of four steps of a round maximum, and a date under every every-th day.
func revenueChart(d shop.Dashboard, w, every int) chart {
	ch := chart{W: w, H: chartH, Right: w - chartRight, LabelY: chartH - 8}
	var top int64
	for _, day := range d.Days {
		top = max(top, day.Amount)
	}
	ch.Empty = top == 0
	scale := niceCeil(top)
	plotW := float64(w - chartLeft - chartRight)
	plotH := float64(chartH - chartTop - chartBottom)
	for i := 0; i <= 4; i++ {
		v := scale * int64(i) / 4
		y := float64(chartTop) + plotH - plotH*float64(v)/float64(scale)
		ch.Grid = append(ch.Grid, chartLine{Y: f1(y), Label: app.Money{Amount: v, Currency: d.Currency}.String()})
	}
	n := len(d.Days)
	if n == 0 {
		return ch
	}
	slot := plotW / float64(n)
	for i, day := range d.Days {
		h := plotH * float64(max(day.Amount, 0)) / float64(scale)
		x := float64(chartLeft) + slot*float64(i) + slot*0.15
		title := fmt.Sprintf("%s: %s from %d order%s and %d subscription payment%s", day.Day.Format("Mon Jan 2"),
			app.Money{Amount: day.Amount, Currency: d.Currency}, day.Orders, plural(day.Orders), day.Invoices, plural(day.Invoices))
		ch.Bars = append(ch.Bars, chartBar{X: f1(x), Y: f1(float64(chartTop) + plotH - h), W: f1(slot * 0.7), H: f1(h), Title: title})
		if (n-1-i)%every == 0 {
			ch.XLabels = append(ch.XLabels, chartText{X: f1(float64(chartLeft) + slot*(float64(i)+0.5)), Text: day.Day.Format("Jan 2")})
		}
	}
	return ch
}

// niceCeil rounds a chart's maximum up to 1, 2, 2.5 or 5 times a power of
// ten (in minor units), so the four grid steps read $0, $25, $50…
func niceCeil(v int64) int64 {
	if v <= 100 {
		return 100
	}
	p := int64(1)
	for p*10 < v {
		p *= 10
	}
	for _, m := range []int64{2, 4, 5, 10} { // in halves: 1, 2, 2.5, 5
		if c := m * p / 2; c >= v && c%4 == 0 {
			return c
		}
	}
	return 10 * p
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
