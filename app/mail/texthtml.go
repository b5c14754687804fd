package mail

import (
	"html"
	"regexp"
	"strings"
)

// Every message has an HTML part: a template without emails/NAME.html
// gets one made from its text, so the two always say the same thing.

var urlRE = regexp.MustCompile(`https?://[^\s<>"“”]+[^\s<>"“”.,;:!?)]`)

// textToHTML makes an HTML part from a text body: paragraphs at blank
// lines, lines kept, indented lines (keys, codes) as code, "- " lines as
// a list, and every address a link — the account's is one click away.
func textToHTML(text string) string {
	var b strings.Builder
	b.WriteString(`<div style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:560px;margin:0 auto;color:#1c1b22">` + "\n")
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		lines := strings.Split(strings.Trim(para, "\n"), "\n")
		switch {
		case allPrefixed(lines, "- "):
			b.WriteString("<ul>")
			for _, l := range lines {
				b.WriteString("<li>" + linkify(strings.TrimPrefix(strings.TrimSpace(l), "- ")) + "</li>")
			}
			b.WriteString("</ul>\n")
		case allPrefixed(lines, "    "):
			b.WriteString(`<p><code style="font-size:16px">`)
			for i, l := range lines {
				if i > 0 {
					b.WriteString("<br>")
				}
				b.WriteString(linkify(strings.TrimSpace(l)))
			}
			b.WriteString("</code></p>\n")
		default:
			b.WriteString("<p>")
			for i, l := range lines {
				if i > 0 {
					b.WriteString("<br>\n")
				}
				b.WriteString(linkify(l))
			}
			b.WriteString("</p>\n")
		}
	}
	b.WriteString("</div>\n")
	return b.String()
}

func allPrefixed(lines []string, prefix string) bool {
	for _, l := range lines {
		if prefix == "- " {
			l = strings.TrimSpace(l)
		}
		if !strings.HasPrefix(l, prefix) {
			return false
		}
	}
	return len(lines) > 0
}

// linkify escapes a line and makes each address in it a link.
func linkify(line string) string {
	var b strings.Builder
	last := 0
	for _, m := range urlRE.FindAllStringIndex(line, -1) {
		b.WriteString(html.EscapeString(line[last:m[0]]))
		u := html.EscapeString(line[m[0]:m[1]])
		b.WriteString(`<a href="` + u + `">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(html.EscapeString(line[last:]))
	return b.String()
}
