// Package static holds the site's assets (stylesheet, htmx, icons, PWA
// files), embedded so the binary serves them from any directory.
package static

import "embed"

// FS is the static tree: css/, js/, img/, manifest.webmanifest, sw.js.
//
//go:embed css js img manifest.webmanifest sw.js
var FS embed.FS
