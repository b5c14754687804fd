package demo

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"time"
)

// The generators below make small but real files: a zip that unzips, a PDF
// that opens, PNGs and WAVs that play and show. Output is deterministic so
// re-seeding produces the same content hashes.

func iconZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	icons := map[string]string{
		"home":     `<path d="M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z"/>`,
		"search":   `<circle cx="11" cy="11" r="7"/><path d="M20 20l-4-4"/>`,
		"cart":     `<circle cx="9" cy="20" r="1.5"/><circle cx="18" cy="20" r="1.5"/><path d="M2 3h3l3 12h11l2-8H6"/>`,
		"file":     `<path d="M6 2h8l5 5v15H6z"/><path d="M14 2v5h5"/>`,
		"cloud":    `<path d="M7 18h10a4 4 0 0 0 0-8 6 6 0 0 0-11.5 1.5A3.5 3.5 0 0 0 7 18z"/>`,
		"user":     `<circle cx="12" cy="8" r="4"/><path d="M4 21c1-4 4-6 8-6s7 2 8 6"/>`,
		"download": `<path d="M12 3v12M7 10l5 5 5-5M4 21h16"/>`,
		"star":     `<path d="M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z"/>`,
	}
	names := []string{"cart", "cloud", "download", "file", "home", "search", "star", "user"}
	mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range names {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "icons/" + n + ".svg", Method: zip.Deflate, Modified: mod})
		fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round">%s</svg>`+"\n", icons[n])
	}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "README.txt", Method: zip.Deflate, Modified: mod})
	w.Write([]byte("Field Notes Icon Pack\n\nRecolour with CSS: svg { color: #4f46e5 }.\n"))
	zw.Close()
	return buf.Bytes()
}

// guidePDF writes a one-page PDF 1.4 with Helvetica text, computing the
// cross-reference offsets so readers open it without repair.
func guidePDF(title string, lines []string) []byte {
	var content strings.Builder
	content.WriteString("BT /F1 24 Tf 72 760 Td (" + pdfEscape(title) + ") Tj ET\n")
	y := 720
	for _, l := range lines {
		fmt.Fprintf(&content, "BT /F1 12 Tf 72 %d Td (%s) Tj ET\n", y, pdfEscape(l))
		y -= 18
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func pdfEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

func wallpapers() []file {
	var out []file
	palettes := [][2]color.RGBA{
		{{255, 183, 94, 255}, {237, 100, 166, 255}},
		{{129, 140, 248, 255}, {192, 132, 252, 255}},
		{{52, 211, 153, 255}, {59, 130, 246, 255}},
	}
	for i, p := range palettes {
		for _, size := range []struct {
			name string
			w, h int
		}{{"desktop", 160, 90}, {"phone", 72, 156}} {
			img := image.NewRGBA(image.Rect(0, 0, size.w, size.h))
			for y := 0; y < size.h; y++ {
				t := float64(y) / float64(size.h-1)
				c := color.RGBA{lerp(p[0].R, p[1].R, t), lerp(p[0].G, p[1].G, t), lerp(p[0].B, p[1].B, t), 255}
				for x := 0; x < size.w; x++ {
					img.SetRGBA(x, y, c)
				}
			}
			var buf bytes.Buffer
			png.Encode(&buf, img)
			out = append(out, file{fmt.Sprintf("sunrise-%d-%s.png", i+1, size.name), "image/png", buf.Bytes()})
		}
	}
	return out
}

func lerp(a, b uint8, t float64) uint8 { return uint8(float64(a) + (float64(b)-float64(a))*t) }

// samples writes short 8 kHz mono WAVs: a chord and a plucked tone.
func samples() []file {
	return []file{
		{"chord-c-major-90bpm.wav", "audio/wav", wav([]float64{261.63, 329.63, 392.0}, 0.6)},
		{"pluck-a-90bpm.wav", "audio/wav", wav([]float64{440}, 0.4)},
	}
}

func wav(freqs []float64, seconds float64) []byte {
	const rate = 8000
	n := int(rate * seconds)
	var pcm bytes.Buffer
	for i := 0; i < n; i++ {
		t := float64(i) / rate
		v := 0.0
		for _, f := range freqs {
			v += math.Sin(2 * math.Pi * f * t)
		}
		v = v / float64(len(freqs)) * math.Exp(-3*t) * 0.8
		binary.Write(&pcm, binary.LittleEndian, int16(v*32767))
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+pcm.Len()))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)})
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(pcm.Len()))
	b.Write(pcm.Bytes())
	return b.Bytes()
}

// coverSVG draws a product cover: a gradient in the product's hue with its
// title. The title is XML-escaped: covers are served as files.
func coverSVG(title string, hue int) []byte {
	t := xmlEscape(title)
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="960" height="600" viewBox="0 0 960 600">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(%d,80%%,62%%)"/><stop offset="1" stop-color="hsl(%d,70%%,45%%)"/></linearGradient></defs>
<rect width="960" height="600" fill="url(#g)"/>
<circle cx="800" cy="120" r="180" fill="#fff" opacity=".12"/><circle cx="140" cy="520" r="220" fill="#fff" opacity=".08"/>
<text x="64" y="330" font-family="system-ui, sans-serif" font-size="64" font-weight="800" fill="#fff">%s</text>
<text x="64" y="390" font-family="system-ui, sans-serif" font-size="28" fill="#fff" opacity=".85">Instant download</text>
</svg>`, hue, (hue+40)%360, t))
}

func posterSVG() []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="594" height="841" viewBox="0 0 594 841">
<rect width="594" height="841" fill="#fdfcf8"/>
<text x="40" y="90" font-family="Georgia, serif" font-size="42" fill="#1c1b22">Anatomy of Type</text>
<text x="40" y="420" font-family="Georgia, serif" font-size="300" fill="#1c1b22">Ag</text>
<line x1="30" y1="220" x2="564" y2="220" stroke="#e11d48" stroke-dasharray="6 4"/><text x="440" y="212" font-size="14" fill="#e11d48">ascender</text>
<line x1="30" y1="420" x2="564" y2="420" stroke="#4f46e5"/><text x="440" y="412" font-size="14" fill="#4f46e5">baseline</text>
<line x1="30" y1="300" x2="564" y2="300" stroke="#059669" stroke-dasharray="2 4"/><text x="440" y="292" font-size="14" fill="#059669">x-height</text>
<line x1="30" y1="490" x2="564" y2="490" stroke="#d97706" stroke-dasharray="6 4"/><text x="440" y="482" font-size="14" fill="#d97706">descender</text>
</svg>
`)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}
