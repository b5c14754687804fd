// Package views holds the html/template files, embedded so the binary
// renders every page from any directory.
package views

import "embed"

// FS is the template tree: layouts/, pages/, partials/, admin/, emails/.
//
//go:embed layouts pages partials admin emails
var FS embed.FS
