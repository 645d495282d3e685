// Package doctest keeps the recipes of the documentation in step with code
// that tests compile and run: a recipe in a Markdown file is a Go function
// copied verbatim from a test file of the module it uses, where an Example
// runs it.
package doctest

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RequireRecipe fails t unless the Markdown file md has a go block that is
// exactly the declaration of the function name in the Go file goFile, its
// doc comment included. md is found from the module's directory; outside
// the repository (a module downloaded on its own, without the docs beside
// it) the check is skipped, since there is no document to compare.
func RequireRecipe(t testing.TB, goFile, name, md string) {
	t.Helper()
	want, err := funcSource(goFile, name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(md)
	if os.IsNotExist(err) && !inRepository(filepath.Dir(md)) {
		t.Skipf("%s: not in the repository", md)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range goBlocks(doc) {
		if strings.Contains(block, "func "+name+"(") {
			if block != want {
				t.Errorf("%s: the recipe %s differs from %s's; copy it again:\n%s", md, name, goFile, want)
			}
			return
		}
	}
	t.Errorf("%s has no go block with func %s; add it:\n%s", md, name, want)
}

// inRepository reports whether dir is in a checkout of this repository,
// whose root holds go.work.
func inRepository(dir string) bool {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

// funcSource returns the text of the declaration of the function name in
// file, from its doc comment to its closing brace, with a final newline.
func funcSource(file, name string) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name || fd.Recv != nil {
			continue
		}
		start := fd.Pos()
		if fd.Doc != nil {
			start = fd.Doc.Pos()
		}
		return string(src[fset.Position(start).Offset:fset.Position(fd.End()).Offset]) + "\n", nil
	}
	return "", &os.PathError{Op: "find func " + name, Path: file, Err: os.ErrNotExist}
}

// goBlocks returns the fenced go blocks of a Markdown document.
func goBlocks(doc []byte) []string {
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}
