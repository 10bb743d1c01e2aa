package httpapi

// The error codes a problem document carries are declared once, in
// internal/apperr/codes.go. These tests hold everything else to that list:
// the production code (no code but a declared constant, no constant unused,
// each returned with the kinds its comment names), the message catalogue
// (a zh-CN and an en text for each, under problem.CODE), docs/errors.md
// (generated from the two) and api/openapi.yaml (the Problem.code enum, and
// no code named that does not exist).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/pledgeseal/pledgeseal/api"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

const (
	codesFile      = "../apperr/codes.go"
	errorsDoc      = "../../docs/errors.md"
	updateDocEnv   = "PLEDGESEAL_UPDATE_ERRORS_MD"
	apperrPkgPath  = "github.com/pledgeseal/pledgeseal/internal/apperr"
	messagesDir    = "../web/messages"
	problemKeyBase = "problem."
)

// declaredCode is one constant of internal/apperr/codes.go.
type declaredCode struct {
	Name    string // the Go identifier, CodeTryLater
	Value   apperr.Code
	Meaning string
	Kinds   []apperr.Kind
}

// kindBySlug maps each kind's slug back to the kind.
func kindBySlug() map[string]apperr.Kind {
	m := map[string]apperr.Kind{}
	for k := apperr.Kind(0); k < 64; k++ {
		if _, seen := m[k.String()]; !seen {
			m[k.String()] = k
		}
	}
	return m
}

// declaredCodes parses codes.go: every constant of type Code, its comment
// (the meaning, then a last line "Kinds: a, b.") and its value.
func declaredCodes(t *testing.T) []declaredCode {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), codesFile, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	slugs := kindBySlug()
	var out []declaredCode
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" || len(vs.Names) != 1 || len(vs.Values) != 1 {
				t.Fatalf("codes.go: every constant is one `Name Code = \"VALUE\"`: %s", vs.Names[0].Name)
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Fatalf("codes.go: %s is not a string literal", vs.Names[0].Name)
			}
			c := declaredCode{Name: vs.Names[0].Name, Value: apperr.Code(strings.Trim(lit.Value, `"`))}
			lines := strings.Split(strings.TrimSpace(vs.Doc.Text()), "\n")
			last := lines[len(lines)-1]
			if len(lines) < 2 || !strings.HasPrefix(last, "Kinds: ") || !strings.HasSuffix(last, ".") {
				t.Fatalf("codes.go: %s needs a comment saying what it means, then a last line `Kinds: kind, kind.`", c.Name)
			}
			c.Meaning = strings.Join(lines[:len(lines)-1], " ")
			for _, slug := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(last, "Kinds: "), "."), ", ") {
				k, ok := slugs[slug]
				if !ok || k == apperr.Internal {
					t.Fatalf("codes.go: %s names the kind %q, which is not a client error kind", c.Name, slug)
				}
				c.Kinds = append(c.Kinds, k)
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatal("codes.go declares no code")
	}
	return out
}

func TestErrorCodesAreWellFormed(t *testing.T) {
	codes := declaredCodes(t)
	valueForm := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)
	seen := map[apperr.Code]bool{}
	for i, c := range codes {
		if !valueForm.MatchString(string(c.Value)) {
			t.Errorf("%s: %q is not UPPER_SNAKE_CASE", c.Name, c.Value)
		}
		if seen[c.Value] {
			t.Errorf("%q is declared twice", c.Value)
		}
		seen[c.Value] = true
		if i > 0 && codes[i-1].Value >= c.Value {
			t.Errorf("codes.go: %s is out of alphabetical order", c.Value)
		}
	}
}

// errorsMarkdown is the text of docs/errors.md.
func errorsMarkdown(codes []declaredCode, zh, en map[string]string) []byte {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b bytes.Buffer
	b.WriteString("# Error codes\n\n")
	b.WriteString("<!-- Generated from internal/apperr/codes.go and internal/web/messages/{zh-CN,en}.json (keys problem.CODE).\n")
	fmt.Fprintf(&b, "     Do not edit: run `%s=1 go test ./internal/httpapi -run TestErrorCodesDoc`. -->\n\n", updateDocEnv)
	b.WriteString("Every error response is an RFC 9457 problem document (`application/problem+json`, see\n")
	b.WriteString("`api/openapi.yaml`). Its `type` names the kind of error (`urn:pledgeseal:problem:<kind>`), which fixes\n")
	b.WriteString("the HTTP status; its `code`, when present, is one of the stable machine codes below. Clients branch on\n")
	b.WriteString("`code`, never on `detail` (free text for people, which may change). The web pages show the reader the\n")
	b.WriteString("message of the code in their language; the zh-CN and en texts here are those messages.\n\n")
	b.WriteString("Codes are declared only in `internal/apperr/codes.go`; a test fails when the code uses an undeclared\n")
	b.WriteString("code, a declared code is unused or lacks a message, or `api/openapi.yaml` names a code that does not exist.\n\n")
	fmt.Fprintf(&b, "%d codes.\n\n", len(codes))
	b.WriteString("| Code | HTTP status | Meaning | 中文 | English |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, c := range codes {
		var statuses []string
		for _, k := range c.Kinds {
			statuses = append(statuses, fmt.Sprint(statusOf(k)))
		}
		key := problemKeyBase + string(c.Value)
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.Value, strings.Join(statuses, ", "), cell(c.Meaning), cell(zh[key]), cell(en[key]))
	}
	return b.Bytes()
}

func loadMessages(t *testing.T, lang string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(messagesDir, lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// TestErrorCodesHaveMessages: every declared code has a non-empty zh-CN and
// en message under problem.CODE, and every problem.CODE message names a
// declared code (problem.kind.* are the per-kind fallbacks).
func TestErrorCodesHaveMessages(t *testing.T) {
	codes := declaredCodes(t)
	declared := map[string]bool{}
	for _, c := range codes {
		declared[problemKeyBase+string(c.Value)] = true
	}
	for _, lang := range []string{"zh-CN", "en"} {
		msgs := loadMessages(t, lang)
		for _, c := range codes {
			if strings.TrimSpace(msgs[problemKeyBase+string(c.Value)]) == "" {
				t.Errorf("%s.json has no message %s%s", lang, problemKeyBase, c.Value)
			}
		}
		for key := range msgs {
			if strings.HasPrefix(key, problemKeyBase) && !strings.HasPrefix(key, problemKeyBase+"kind.") && !declared[key] {
				t.Errorf("%s.json has %s, but no such code is declared in internal/apperr/codes.go", lang, key)
			}
		}
	}
}

// TestErrorCodesDoc: docs/errors.md is exactly what the codes and the
// catalogue generate.
func TestErrorCodesDoc(t *testing.T) {
	want := errorsMarkdown(declaredCodes(t), loadMessages(t, "zh-CN"), loadMessages(t, "en"))
	if os.Getenv(updateDocEnv) == "1" {
		if err := os.WriteFile(errorsDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(errorsDoc)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("docs/errors.md is not what internal/apperr/codes.go and the message catalogue generate (%v); regenerate it: %s=1 go test ./internal/httpapi -run TestErrorCodesDoc", err, updateDocEnv)
	}
}

// TestErrorCodesInOpenAPI: Problem.code is an enum of exactly the declared
// codes, and every UPPER_SNAKE word in api/openapi.yaml is a declared code or
// a value of some enum (or example) of the file (the other vocabularies:
// statuses, reasons, outcomes...), so a code the text names must exist.
func TestErrorCodesInOpenAPI(t *testing.T) {
	codes := declaredCodes(t)
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec())
	if err != nil {
		t.Fatal(err)
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value.Properties["code"] == nil {
		t.Fatal("api/openapi.yaml has no Problem.code")
	}
	var enum []string
	for _, v := range problem.Value.Properties["code"].Value.Enum {
		enum = append(enum, fmt.Sprint(v))
	}
	var want []string
	known := map[string]bool{}
	for _, c := range codes {
		want = append(want, string(c.Value))
		known[string(c.Value)] = true
	}
	if !slices.Equal(enum, want) {
		t.Errorf("Problem.code enum in api/openapi.yaml differs from internal/apperr/codes.go:\n got %v\nwant %v", enum, want)
	}
	raw, err := doc.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	collectEnumStrings(generic, known)
	word := regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)
	for _, w := range word.FindAllString(string(api.Spec()), -1) {
		if !known[w] && !strings.HasPrefix(w, "PLEDGESEAL_") { // environment variables
			t.Errorf("api/openapi.yaml names %s, which is neither a declared error code nor a value of an enum or example", w)
		}
	}
}

func collectEnumStrings(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if arr, ok := child.([]any); ok && (k == "enum" || k == "examples") {
				for _, e := range arr {
					if s, ok := e.(string); ok {
						out[s] = true
					}
				}
				continue
			}
			collectEnumStrings(child, out)
		}
	case []any:
		for _, child := range x {
			collectEnumStrings(child, out)
		}
	}
}

// modulePackage is one package of the module, type-checked from source.
type modulePackage struct {
	path  string
	files []*ast.File
	info  *types.Info
}

// loadModule type-checks every non-test package of the module from source;
// imports come from the export data `go list -export` builds.
func loadModule(t *testing.T) (*token.FileSet, []modulePackage) {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export,Module,Error", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	type listed struct {
		ImportPath string
		Dir        string
		GoFiles    []string
		Export     string
		Module     *struct{ Path string }
		Error      *struct{ Err string }
	}
	exports := map[string]string{}
	var mine []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if p.Module != nil && p.Module.Path == "github.com/pledgeseal/pledgeseal" {
			mine = append(mine, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var pkgs []modulePackage
	for _, p := range mine {
		mp := modulePackage{path: p.ImportPath, info: &types.Info{
			Types: map[ast.Expr]types.TypeAndValue{},
			Uses:  map[*ast.Ident]types.Object{},
			Defs:  map[*ast.Ident]types.Object{},
		}}
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			mp.files = append(mp.files, f)
		}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.ImportPath, fset, mp.files, mp.info); err != nil {
			t.Fatalf("type-checking %s: %v", p.ImportPath, err)
		}
		pkgs = append(pkgs, mp)
	}
	return fset, pkgs
}

func isApperrObj(obj types.Object, name string) bool {
	return obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == apperrPkgPath && obj.Name() == name
}

func isCodeType(ty types.Type) bool {
	n, ok := types.Unalias(ty).(*types.Named)
	return ok && isApperrObj(n.Obj(), "Code")
}

// codeConst returns the declared code an expression names, or "".
func codeConst(info *types.Info, e ast.Expr) apperr.Code {
	var id *ast.Ident
	switch x := e.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	default:
		return ""
	}
	c, ok := info.Uses[id].(*types.Const)
	if !ok || c.Pkg() == nil || c.Pkg().Path() != apperrPkgPath || !isCodeType(c.Type()) {
		return ""
	}
	return apperr.Code(constant.StringVal(c.Val()))
}

// kindOfNew returns the kind of apperr.New(apperr.K, ...) or
// apperr.Wrap(apperr.K, ...), and whether e is such a call.
func kindOfNew(info *types.Info, e ast.Expr) (apperr.Kind, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return 0, false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !(isApperrObj(info.Uses[sel.Sel], "New") || isApperrObj(info.Uses[sel.Sel], "Wrap")) {
		return 0, false
	}
	tv := info.Types[call.Args[0]]
	if tv.Value == nil {
		return 0, false
	}
	k, _ := constant.Int64Val(tv.Value)
	return apperr.Kind(k), true
}

// TestCodesAreConstants scans the production code of the module: no code
// is written but as a constant of codes.go, every constant is used, and
// every use with a known kind (apperr.New/Wrap(kind, ...).WithCode(code),
// also through a helper that takes the code as a parameter) is a kind the
// constant's comment declares, and each declared kind is used.
func TestCodesAreConstants(t *testing.T) {
	codes := declaredCodes(t)
	fset, pkgs := loadModule(t)
	used := map[apperr.Code]bool{}
	kindsSeen := map[apperr.Code]map[apperr.Kind]bool{}
	see := func(c apperr.Code, k apperr.Kind) {
		if kindsSeen[c] == nil {
			kindsSeen[c] = map[apperr.Kind]bool{}
		}
		kindsSeen[c][k] = true
	}
	// Helpers like pledge's malformed(code, format, args...): a function
	// with a Code parameter p whose body returns apperr.New(K, ...).WithCode(p).
	type helper struct {
		param int
		kind  apperr.Kind
	}
	helpers := map[types.Object]helper{}
	for _, p := range pkgs {
		for _, f := range p.files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				params := map[types.Object]int{}
				i := 0
				for _, field := range fd.Type.Params.List {
					for _, name := range field.Names {
						if obj := p.info.Defs[name]; obj != nil && isCodeType(obj.Type()) {
							params[obj] = i
						}
						i++
					}
				}
				if len(params) == 0 {
					continue
				}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok || len(call.Args) != 1 {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "WithCode" {
						return true
					}
					arg, ok := call.Args[0].(*ast.Ident)
					if !ok {
						return true
					}
					if idx, ok := params[p.info.Uses[arg]]; ok {
						if k, ok := kindOfNew(p.info, sel.X); ok {
							helpers[p.info.Defs[fd.Name]] = helper{param: idx, kind: k}
						}
					}
					return true
				})
			}
		}
	}
	for _, p := range pkgs {
		for _, f := range p.files {
			name := fset.Position(f.Pos()).Filename
			inCodesFile := p.path == apperrPkgPath && filepath.Base(name) == "codes.go"
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.BasicLit:
					if x.Kind == token.STRING && x.Value != `""` && !inCodesFile && isCodeType(p.info.Types[x].Type) {
						t.Errorf("%s: the code %s is written as a literal; use its constant from internal/apperr/codes.go (declare it there if it is new)", fset.Position(x.Pos()), x.Value)
					}
				case *ast.Ident:
					if c := codeConst(p.info, x); c != "" && !inCodesFile {
						used[c] = true
					}
				case *ast.CallExpr:
					if tv, ok := p.info.Types[x.Fun]; ok && tv.IsType() && isCodeType(tv.Type) && !inCodesFile {
						t.Errorf("%s: a code is made by conversion; use a constant from internal/apperr/codes.go", fset.Position(x.Pos()))
					}
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithCode" && len(x.Args) == 1 {
						if c := codeConst(p.info, x.Args[0]); c != "" {
							if k, ok := kindOfNew(p.info, sel.X); ok {
								see(c, k)
							}
						}
					}
					var callee types.Object
					switch fn := x.Fun.(type) {
					case *ast.Ident:
						callee = p.info.Uses[fn]
					case *ast.SelectorExpr:
						callee = p.info.Uses[fn.Sel]
					}
					if h, ok := helpers[callee]; ok && h.param < len(x.Args) {
						if c := codeConst(p.info, x.Args[h.param]); c != "" {
							see(c, h.kind)
						}
					}
				}
				return true
			})
		}
	}
	names := func(ks []apperr.Kind) []string {
		var s []string
		for _, k := range ks {
			s = append(s, k.String())
		}
		return s
	}
	for _, c := range codes {
		if !used[c.Value] {
			t.Errorf("%s (%s) is declared but no production code uses it: delete it (and its messages) or use it", c.Name, c.Value)
			continue
		}
		var seen []apperr.Kind
		for k := range kindsSeen[c.Value] {
			seen = append(seen, k)
		}
		sort.Slice(seen, func(i, j int) bool { return seen[i] < seen[j] })
		for _, k := range seen {
			if !slices.Contains(c.Kinds, k) {
				t.Errorf("%s is returned with the kind %s, but its comment in codes.go declares only %v", c.Name, k, names(c.Kinds))
			}
		}
		for _, k := range c.Kinds {
			if !slices.Contains(seen, k) {
				t.Errorf("%s declares the kind %s, but no apperr.New/Wrap(%s, ...).WithCode(%s) was found", c.Name, k, k, c.Name)
			}
		}
	}
}
