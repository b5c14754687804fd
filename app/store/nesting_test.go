package store_test

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNoTransactionOpensInsideAnother: code that holds a bbolt
// transaction must not open another one on the same database. A read
// takes bbolt's mmap lock for reading and a commit that grows the file
// takes it for writing; when such a writer starts waiting between the
// outer and the inner read of one goroutine, the inner read waits behind
// the writer and the writer waits for the outer read, for good, and every
// later read queues behind them (the sandbox's portal page hung so once in
// 30 CI runs, fixed in eca3f4a). The race needs a growing commit at the
// wrong moment, so tests rarely see it; this check reads the code instead.
//
// It type-checks the module's own packages (and bbolt) from source and
// finds every function that holds a transaction: one that takes a
// *bbolt.Tx, or a type wrapping one (store.Tx, the sandbox's txn), as a
// parameter or receiver, such as the callbacks of Store.View and Update,
// and every closure handed to a function that opens one (the callback of
// Store.UpdateSettings runs inside its transaction). None of them may call, directly or through the module's functions and
// methods, one that reaches DB.View, Update, Batch or Begin: pass the open
// transaction down, or read what is needed before or after it. Calls
// through interfaces and function values are not followed.
func TestNoTransactionOpensInsideAnother(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bolt, err := build.Import("go.etcd.io/bbolt", root, build.FindOnly)
	if err != nil {
		t.Fatal(err)
	}
	c := newTxnChecker(root, bolt.Dir)
	var dirs []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		path := "vendo"
		if rel != "." {
			path += "/" + filepath.ToSlash(rel)
		}
		if c.load(path) != nil {
			checked++
		}
	}
	if checked < 20 || c.pkgs["vendo/app/store"] == nil || c.pkgs["vendo/app/sandbox"] == nil {
		t.Fatalf("checked %d packages; the walk of %s found too few", checked, root)
	}
	findings := c.check()
	if len(c.holders) < 100 || len(c.opens) < 50 {
		t.Fatalf("found %d functions holding a transaction and %d opening one: the check no longer sees the code", len(c.holders), len(c.opens))
	}
	t.Logf("%d packages, %d functions holding a transaction, %d opening one", checked, len(c.holders), len(c.opens))
	for _, f := range findings {
		t.Error(f)
	}
}

// txnChecker type-checks the module's packages and bbolt from source;
// every other import is an empty package, so what comes from it has no
// type, which is all the check can afford to ignore.
type txnChecker struct {
	root, boltDir string
	fset          *token.FileSet
	pkgs          map[string]*types.Package
	info          *types.Info
	files         []*ast.File
	// opens maps a function that opens a transaction to how: the
	// function it calls that does.
	opens map[string]string
	// holders are the functions that hold a transaction.
	holders []holder
}

type holder struct {
	name string
	fn   ast.Node // *ast.FuncDecl or *ast.FuncLit
}

func newTxnChecker(root, boltDir string) *txnChecker {
	return &txnChecker{root: root, boltDir: boltDir, fset: token.NewFileSet(), pkgs: map[string]*types.Package{},
		info:  &types.Info{Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}},
		opens: map[string]string{}}
}

func (c *txnChecker) Import(path string) (*types.Package, error) {
	if p := c.load(path); p != nil {
		return p, nil
	}
	p := types.NewPackage(path, filepath.Base(path))
	p.MarkComplete()
	c.pkgs[path] = p
	return p, nil
}

// load type-checks the package at path if it is the module's or bbolt's,
// once; nil for any other package, or a directory without Go files.
func (c *txnChecker) load(path string) *types.Package {
	if p, ok := c.pkgs[path]; ok {
		return p
	}
	var dir string
	switch {
	case path == "vendo" || strings.HasPrefix(path, "vendo/"):
		dir = filepath.Join(c.root, strings.TrimPrefix(strings.TrimPrefix(path, "vendo"), "/"))
	case path == "go.etcd.io/bbolt" || strings.HasPrefix(path, "go.etcd.io/bbolt/"):
		dir = filepath.Join(c.boltDir, strings.TrimPrefix(strings.TrimPrefix(path, "go.etcd.io/bbolt"), "/"))
	default:
		return nil
	}
	bp, err := build.ImportDir(dir, 0)
	if err != nil || len(bp.GoFiles) == 0 {
		c.pkgs[path] = nil
		return nil
	}
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(c.fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			panic(fmt.Sprintf("parse %s: %v", name, err))
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: c, Error: func(error) {}} // errors are the empty imports'
	p, _ := conf.Check(path, c.fset, files, c.info)
	c.pkgs[path] = p
	if !strings.HasPrefix(path, "go.etcd.io/") {
		c.files = append(c.files, files...)
	}
	return p
}

// check finds the functions that open a transaction and those that hold
// one, and says where a holder calls an opener.
func (c *txnChecker) check() []string {
	for _, m := range []string{"View", "Update", "Batch", "Begin"} {
		c.opens["(*go.etcd.io/bbolt.DB)."+m] = ""
	}
	// A function opens a transaction when its body (closures included)
	// names one that does: a call, or a method value such as the
	// s.db.Update that Store.Update hands to commit.
	calls := map[string][]string{}
	for _, f := range c.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := c.funcName(c.info.Defs[fd.Name])
			calls[name] = c.named(fd.Body)
			if c.holds(fd.Recv) || c.holds(fd.Type.Params) {
				c.holders = append(c.holders, holder{name, fd})
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if fl, ok := n.(*ast.FuncLit); ok && c.holds(fl.Type.Params) {
					c.holders = append(c.holders, holder{fmt.Sprintf("the callback at %s", c.pos(fl)), fl})
				}
				return true
			})
		}
	}
	// A holder that opens one is reported itself, not again in each
	// caller that passes it the transaction.
	held := map[string]bool{}
	for _, h := range c.holders {
		held[h.name] = true
	}
	for changed := true; changed; {
		changed = false
		for name, callees := range calls {
			if _, ok := c.opens[name]; ok || held[name] {
				continue
			}
			for _, callee := range callees {
				if _, ok := c.opens[callee]; ok {
					c.opens[name] = callee
					changed = true
					break
				}
			}
		}
	}
	// A callback handed to a function that opens a transaction runs
	// inside it (Store.UpdateSettings, UpdateMail…), whatever its
	// parameters.
	isHolder := map[ast.Node]bool{}
	for _, h := range c.holders {
		isHolder[h.fn] = true
	}
	for _, f := range c.files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fun := call.Fun
			if sel, ok := fun.(*ast.SelectorExpr); ok {
				fun = sel.Sel
			}
			id, ok := fun.(*ast.Ident)
			if !ok {
				return true
			}
			callee := c.funcName(c.info.Uses[id])
			if _, opens := c.opens[callee]; !opens || callee == "" {
				return true
			}
			for _, a := range call.Args {
				if fl, ok := a.(*ast.FuncLit); ok && !isHolder[fl] {
					isHolder[fl] = true
					c.holders = append(c.holders, holder{fmt.Sprintf("the callback at %s, run inside %s,", c.pos(fl), callee), fl})
				}
			}
			return true
		})
	}
	var findings []string
	for _, h := range c.holders {
		var b *ast.BlockStmt
		switch fn := h.fn.(type) {
		case *ast.FuncDecl:
			b = fn.Body
		case *ast.FuncLit:
			b = fn.Body
		}
		ast.Inspect(b, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			callee := c.funcName(c.info.Uses[id])
			if _, ok := c.opens[callee]; ok && callee != "" {
				findings = append(findings, fmt.Sprintf("%s: %s holds a transaction and calls %s, which opens another: %s",
					c.pos(id), h.name, callee, c.chain(callee)))
			}
			return true
		})
	}
	slices.Sort(findings)
	return slices.Compact(findings)
}

// holds reports whether a field list has a transaction: a *bbolt.Tx, or a
// pointer to a struct of the module's with a *bbolt.Tx field.
func (c *txnChecker) holds(fields *ast.FieldList) bool {
	if fields == nil {
		return false
	}
	for _, f := range fields.List {
		if c.isTx(c.info.Types[f.Type].Type) {
			return true
		}
	}
	return false
}

func (c *txnChecker) isTx(t types.Type) bool {
	ptr, ok := t.(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := ptr.Elem().(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return false
	}
	path := named.Obj().Pkg().Path()
	if path == "go.etcd.io/bbolt" {
		return named.Obj().Name() == "Tx"
	}
	st, ok := named.Underlying().(*types.Struct)
	if !ok || !strings.HasPrefix(path, "vendo") {
		return false
	}
	for i := range st.NumFields() {
		if p, ok := st.Field(i).Type().(*types.Pointer); ok {
			if n, ok := p.Elem().(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "go.etcd.io/bbolt" && n.Obj().Name() == "Tx" {
				return true
			}
		}
	}
	return false
}

// named lists the functions a body names.
func (c *txnChecker) named(body *ast.BlockStmt) []string {
	var out []string
	ast.Inspect(body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if name := c.funcName(c.info.Uses[id]); name != "" {
				out = append(out, name)
			}
		}
		return true
	})
	return out
}

// funcName is a function's or method's full name, "" for anything else;
// a method of a generic type is named by its origin.
func (c *txnChecker) funcName(o types.Object) string {
	f, ok := o.(*types.Func)
	if !ok {
		return ""
	}
	return f.Origin().FullName()
}

// chain says how name reaches bbolt: a → b → (*bbolt.DB).View.
func (c *txnChecker) chain(name string) string {
	parts := []string{name}
	for next := c.opens[name]; next != "" && len(parts) < 20; next = c.opens[next] {
		parts = append(parts, next)
	}
	if last := parts[len(parts)-1]; !strings.HasPrefix(last, "(*go.etcd.io/bbolt.DB)") {
		parts = append(parts, "…")
	}
	return strings.Join(parts, " → ")
}

func (c *txnChecker) pos(n ast.Node) string {
	p := c.fset.Position(n.Pos())
	rel, err := filepath.Rel(c.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	return fmt.Sprintf("%s:%d", rel, p.Line)
}
