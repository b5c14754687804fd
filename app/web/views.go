package web

import (
	"fmt"
	"html/template"
	"io"
	"runtime"
	"sync"

	"github.com/gofiber/template/html/v2"
)

// views renders the parsed templates without gofiber/template's global
// lock. The html engine binds the layout's {{embed}} to the page being
// rendered by rebinding a function on the one shared template set, so it
// holds an exclusive lock for every rendering with a layout: signed-in
// pages (which the page cache does not serve) rendered one at a time
// whatever the number of CPUs (DESIGN.md §8; make bench measures it).
// Here each rendering takes one of a few clones of the set, each prepared
// once with its own {{embed}}, so up to two renderings per CPU run at once
// (more would only queue for the CPUs, and cloning is not free: each clone
// escapes its templates again on first use).
type views struct {
	master *template.Template // parsed, never executed, so Clone works
	embed  string             // the layout's function for the page
	free   chan *renderer     // idle clones; cap is how many may exist
	mu     sync.Mutex
	made   int
}

// renderer is one clone of the template set; while a rendering holds it,
// page writes the page where the layout calls {{embed}}.
type renderer struct {
	set  *template.Template
	page func() error
}

// newViews wraps a loaded engine; the engine itself is no longer used to
// render.
func newViews(e *html.Engine) *views {
	return &views{master: e.Templates, embed: e.LayoutName, free: make(chan *renderer, 2*runtime.GOMAXPROCS(0))}
}

// Load is part of fiber.Views: the templates were parsed by the engine.
func (v *views) Load() error { return nil }

// Render is part of fiber.Views: name rendered inside layout (when given
// and not empty), or alone.
func (v *views) Render(out io.Writer, name string, binding any, layout ...string) error {
	r, err := v.get()
	if err != nil {
		return err
	}
	defer v.put(r)
	page := r.set.Lookup(name)
	if page == nil {
		return fmt.Errorf("render: template %s does not exist", name)
	}
	if len(layout) == 0 || layout[0] == "" {
		return page.Execute(out, binding)
	}
	if len(layout) > 1 && layout[1] != "" {
		return fmt.Errorf("render: nested layouts are not supported (%v)", layout)
	}
	lay := r.set.Lookup(layout[0])
	if lay == nil {
		return fmt.Errorf("render: layout %s does not exist", layout[0])
	}
	r.page = func() error { return page.Execute(out, binding) }
	return lay.Execute(out, binding)
}

// get takes an idle clone, makes one while fewer than cap(free) exist,
// or waits for one.
func (v *views) get() (*renderer, error) {
	select {
	case r := <-v.free:
		return r, nil
	default:
	}
	v.mu.Lock()
	if v.made == cap(v.free) {
		v.mu.Unlock()
		return <-v.free, nil
	}
	v.made++
	v.mu.Unlock()
	set, err := v.master.Clone()
	if err != nil {
		v.mu.Lock()
		v.made--
		v.mu.Unlock()
		return nil, fmt.Errorf("render: clone templates: %w", err)
	}
	r := &renderer{set: set}
	set.Funcs(template.FuncMap{v.embed: func() error {
		if r.page == nil {
			return fmt.Errorf("layout called unexpectedly")
		}
		return r.page()
	}})
	return r, nil
}

func (v *views) put(r *renderer) {
	r.page = nil
	v.free <- r // never blocks: at most cap(free) clones exist
}
