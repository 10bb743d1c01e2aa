package httpapi

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestHandlersNeverPassGinContextAsContext type-checks this package's
// production files and fails on every call that hands a *gin.Context to a
// parameter of type context.Context. A gin context is pooled and reused
// after the handler returns; a context derived from it (a timeout, a
// goroutine watching Done) would then read a recycled request: the data
// race TestPledgeRedisDown once reported. Handlers pass
// c.Request.Context() instead. The check is structural, so a new handler
// that makes the mistake fails here whatever it calls.
func TestHandlersNeverPassGinContextAsContext(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the package with the go tool")
	}
	fset := token.NewFileSet()
	files := productionFiles(t, fset)
	exports := exportData(t)
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, os.ErrNotExist
		}
		return os.Open(f)
	})
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{Importer: imp}
	if _, err := conf.Check("github.com/pledgeseal/pledgeseal/internal/httpapi", fset, files, info); err != nil {
		t.Fatalf("type-check: %v", err)
	}
	var bad []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sig, ok := info.Types[call.Fun].Type.(*types.Signature)
			if !ok {
				return true
			}
			for i, arg := range call.Args {
				param := paramType(sig, i)
				if param == nil || !isContextContext(param) {
					continue
				}
				if isGinContext(info.Types[arg].Type) {
					bad = append(bad, fset.Position(arg.Pos()).String())
				}
			}
			return true
		})
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s: *gin.Context passed as context.Context; pass c.Request.Context()", b)
	}
}

func productionFiles(t *testing.T, fset *token.FileSet) []*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// exportData maps every dependency's import path to its compiled export
// data, as the go tool builds it (cached after the first run).
func exportData(t *testing.T) map[string]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", ".")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.String())
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, file, ok := strings.Cut(sc.Text(), "\t")
		if ok && file != "" {
			m[path] = file
		}
	}
	return m
}

func paramType(sig *types.Signature, i int) types.Type {
	params := sig.Params()
	n := params.Len()
	switch {
	case n == 0:
		return nil
	case i < n-1 || (i == n-1 && !sig.Variadic()):
		return params.At(i).Type()
	case sig.Variadic():
		if s, ok := params.At(n - 1).Type().(*types.Slice); ok {
			return s.Elem()
		}
	}
	return nil
}

func isContextContext(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isGinContext(t types.Type) bool {
	p, ok := t.(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := p.Elem().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "github.com/gin-gonic/gin" && n.Obj().Name() == "Context"
}
