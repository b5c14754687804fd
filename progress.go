package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progressBar draws `vendo sync` progress: a redrawn bar on a terminal,
// one line per finished stage otherwise (logs, CI).
type progressBar struct {
	w     io.Writer
	tty   bool
	stage string
	last  string
}

func newProgressBar(w io.Writer) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, tty: tty}
}

func (p *progressBar) update(stage string, done, total int) {
	if stage != p.stage && p.stage != "" {
		p.endStage()
	}
	p.stage = stage
	if total <= 0 {
		total = 1
	}
	const width = 30
	filled := done * width / total
	p.last = fmt.Sprintf("%-14s [%s%s] %d/%d", stage, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", p.last)
	}
}

func (p *progressBar) endStage() {
	if p.tty {
		fmt.Fprintln(p.w)
	} else if p.last != "" {
		fmt.Fprintln(p.w, p.last)
	}
	p.last = ""
}

func (p *progressBar) finish() {
	if p.stage != "" {
		p.endStage()
	}
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
