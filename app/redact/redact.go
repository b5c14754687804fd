// Package redact keeps secrets out of the log: a slog.Handler that blanks
// the token of every download, email sign-in and admin link in each log
// line, at every level, whatever logged it — request lines, error lines,
// wrapped errors, any attribute (issue 17, hole 11).
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
)

// Mark replaces a token.
const Mark = "[redacted]"

// tokenPath finds the token after a path that carries one. Routes ignore
// case (Fiber), so the match does too; the token is the rest of the path
// segment (the characters a segment holds unescaped, but for the quote
// and brackets that delimit it in a log line).
var tokenPath = regexp.MustCompile(`(?i)(/downloads/|/login/email/|/login/admin/|/free/)[A-Za-z0-9._~%!$&*+=:@-]+`)

// String returns s with every token blanked.
func String(s string) string {
	if !tokenPath.MatchString(s) {
		return s
	}
	return tokenPath.ReplaceAllString(s, "${1}"+Mark)
}

// Handler wraps h so every record it handles is redacted.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ inner slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = attr(a)
	}
	return handler{h.inner.WithAttrs(out)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.inner.WithGroup(name)} }

// attr redacts one attribute: strings, groups, and values that print as
// text (errors, Stringers, anything else) are checked in the form the
// log would write them.
func attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		default:
			s = fmt.Sprintf("%+v", x)
		}
		if r := String(s); r != s {
			return slog.String(a.Key, r)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
