package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The README's "Where things are" map has one line per package, and no
// line for a package that is gone.
func TestTheReadmeMapsEveryPackage(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "### Where things are\n\n```\n")
	if !ok {
		t.Fatal(`the README has no "### Where things are" block`)
	}
	block, _, _ = strings.Cut(block, "```")
	var listed []string
	for _, line := range strings.Split(block, "\n") {
		if name, _, _ := strings.Cut(line, " "); name != "" {
			listed = append(listed, strings.TrimSuffix(name, "/"))
		}
	}

	var pkgs []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			dir := filepath.ToSlash(filepath.Dir(path))
			if dir == "." {
				dir = "main.go" // the command's line
			}
			if !slices.Contains(pkgs, dir) {
				pkgs = append(pkgs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if !slices.Contains(listed, p) {
			t.Errorf("the README's map has no line for %s", p)
		}
	}
	for _, l := range listed {
		if !slices.Contains(pkgs, l) {
			t.Errorf("the README's map lists %s, which is not a package", l)
		}
	}
}
