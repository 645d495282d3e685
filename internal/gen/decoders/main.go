// Command decoders writes decode_gen.go in the repository root: a JSON
// decoder for every struct type declared in the payload files, generated
// from the struct definitions themselves (their fields, types and json
// tags, read with go/ast), so that a field added to a payload type is
// decoded after "go generate" with no other change.
//
// Each struct gets a method decodeJSON, which decodes a JSON value into it
// with the semantics of encoding/json (see decode.go in the root, which
// holds the readers of single values the generated code calls), and a
// function matching an object key to a field: the exact key first, then the
// key folded as encoding/json folds it. Each slice type gets a function
// decoding an array.
//
// The generator accepts only what it can decode exactly as encoding/json
// does, and stops with an error naming the field otherwise: embedded
// fields, the ",string" option, two fields with one JSON name, and types
// other than strings, bools, int, int64, float64 (and named types of them),
// json.RawMessage, structs of the payload files, types with their own
// UnmarshalJSON, and pointers to and slices of those. A type with its own
// UnmarshalJSON needs a decodeJSON method beside it, written by hand to
// decode what UnmarshalJSON decodes (the differential fuzz targets hold the
// two to it), which the generated code calls.
//
// Run it with "go generate" in the repository root; a test fails while the
// committed file is stale.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"log"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// payloadFiles declare the payload types: every struct type declared in
// them gets a decoder.
var payloadFiles = []string{
	"user.go", "session.go", "email.go", "organization.go", "role.go",
	"waitlist.go", "billing.go", "deleted.go",
}

// otherFiles declare named types the payload types use, such as UnixMillis.
var otherFiles = []string{"event.go"}

// rootFiles decode whole payloads: the type arguments of kind[...] (the
// payload registry) and decodePayload[...] in them are the root types,
// which get an entry point, decodeNew.
var rootFiles = []string{"eventtypes_gen.go", "event.go"}

// output is the generated file, relative to the repository root.
const output = "decode_gen.go"

// ptrArenas are the basic pointer types whose targets the decoder allocates
// from arenas (its fields stringPtrs, boolPtrs, ... in decode.go). The
// targets of pointers to structs come from arenas too, generated (see
// structArena); other pointers get new.
var ptrArenas = map[string]string{
	"string":     "stringPtrs",
	"bool":       "boolPtrs",
	"int":        "intPtrs",
	"int64":      "int64Ptrs",
	"UnixMillis": "unixMillisPtrs",
}

// structArena returns the name of the decoder's arena of the struct type t
// (a field of the generated structArenas): "userPtrs" for User,
// "scimPtrs" for SCIM, "samlConnectionPtrs" for SAMLConnection.
func structArena(t *goType) string {
	name := t.ident()
	n := 0 // the leading capitals to lower: all of an initialism but the last before a word
	for n < len(name) && unicode.IsUpper(rune(name[n])) {
		n++
	}
	if n > 1 && n < len(name) {
		n--
	}
	return strings.ToLower(name[:n]) + name[n:] + "Ptrs"
}

// hasStructArena reports whether the targets of pointers to t come from an
// arena of structArenas: structs, including those with a decoder of their own.
func hasStructArena(t *goType) bool {
	return t.kind == kindStruct || t.kind == kindUnmarshaler
}

func main() {
	src, err := generate(".")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(output, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// generate returns the formatted source of decode_gen.go for the package in
// dir.
func generate(dir string) ([]byte, error) {
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, name := range append(append(append([]string(nil), payloadFiles...), otherFiles...), rootFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files[name] = f
	}
	p, err := newPackage(files)
	if err != nil {
		return nil, err
	}
	return p.render()
}

// A kind is how values of a Go type decode.
type kind int

const (
	kindString kind = iota
	kindBool
	kindInt // int, int64 and named types of them
	kindFloat64
	kindRawMessage  // json.RawMessage: the raw value, null included
	kindStruct      // a struct of the payload files: its generated decoder
	kindUnmarshaler // a type with its own UnmarshalJSON, and its own decodeJSON
	kindPointer
	kindSlice
)

// goType is a resolved field type.
type goType struct {
	kind kind
	name string  // the Go spelling of a non-pointer, non-slice type
	elem *goType // of a pointer or a slice
}

func (t *goType) String() string {
	switch t.kind {
	case kindPointer:
		return "*" + t.elem.String()
	case kindSlice:
		return "[]" + t.elem.String()
	}
	return t.name
}

// ident spells t as part of an identifier, for the slice functions' names.
func (t *goType) ident() string {
	switch t.kind {
	case kindPointer:
		return "PointerTo" + t.elem.ident()
	case kindSlice:
		return "SliceOf" + t.elem.ident()
	}
	name := t.name[strings.LastIndex(t.name, ".")+1:]
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[n:]
}

type field struct {
	goName, jsonName string
	typ              *goType
}

type structType struct {
	name   string
	fields []field
}

// pkg is what the generator knows of the package.
type pkg struct {
	specs   map[string]*ast.TypeSpec
	methods map[string]map[string]bool // type name → its methods' names
	structs []*structType              // the decoded structs, in source order
	byName  map[string]*structType
	roots   map[string]bool    // the types decoded from whole payloads
	slices  map[string]*goType // slice types met, by ident
}

func newPackage(files map[string]*ast.File) (*pkg, error) {
	p := &pkg{
		specs:   map[string]*ast.TypeSpec{},
		methods: map[string]map[string]bool{},
		byName:  map[string]*structType{},
		roots:   map[string]bool{},
		slices:  map[string]*goType{},
	}
	var order []string
	isPayloadFile := map[string]bool{}
	for _, name := range payloadFiles {
		isPayloadFile[name] = true
	}
	for _, name := range rootFiles {
		if f := files[name]; f != nil {
			ast.Inspect(f, func(n ast.Node) bool {
				var fun, arg ast.Expr
				switch n := n.(type) {
				case *ast.IndexExpr:
					fun, arg = n.X, n.Index
				case *ast.IndexListExpr:
					fun, arg = n.X, n.Indices[0]
				default:
					return true
				}
				if f, ok := fun.(*ast.Ident); ok && (f.Name == "kind" || f.Name == "decodePayload") {
					if a, ok := arg.(*ast.Ident); ok && a.Name != "T" {
						p.roots[a.Name] = true
					}
				}
				return true
			})
		}
	}
	for _, name := range append(append([]string(nil), payloadFiles...), otherFiles...) {
		if files[name] == nil {
			continue
		}
		for _, decl := range files[name].Decls {
			switch decl := decl.(type) {
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					if ts, ok := spec.(*ast.TypeSpec); ok {
						p.specs[ts.Name.Name] = ts
						if _, isStruct := ts.Type.(*ast.StructType); isStruct && ts.Assign == 0 && isPayloadFile[name] {
							order = append(order, ts.Name.Name)
						}
					}
				}
			case *ast.FuncDecl:
				if decl.Recv == nil || len(decl.Recv.List) != 1 {
					continue
				}
				recv := decl.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					if p.methods[id.Name] == nil {
						p.methods[id.Name] = map[string]bool{}
					}
					p.methods[id.Name][decl.Name.Name] = true
				}
			}
		}
	}
	for _, name := range order {
		if p.methods[name]["UnmarshalJSON"] {
			continue // it decodes itself
		}
		st, err := p.structType(name)
		if err != nil {
			return nil, err
		}
		p.structs = append(p.structs, st)
		p.byName[name] = st
	}
	for root := range p.roots {
		if p.byName[root] == nil {
			return nil, fmt.Errorf("%s, a payload type in %s, is not a struct of %s", root, strings.Join(rootFiles, " or "), strings.Join(payloadFiles, ", "))
		}
	}
	return p, nil
}

// structType reads the fields of a struct as encoding/json sees them.
func (p *pkg) structType(name string) (*structType, error) {
	st := &structType{name: name}
	seen := map[string]string{}
	for _, f := range p.specs[name].Type.(*ast.StructType).Fields.List {
		if len(f.Names) == 0 {
			return nil, fmt.Errorf("%s: embedded field %s: not supported", name, types(f.Type))
		}
		tag := ""
		if f.Tag != nil {
			tag, _ = strconv.Unquote(f.Tag.Value)
		}
		jsonTag := reflect.StructTag(tag).Get("json")
		if jsonTag == "-" {
			continue
		}
		jsonName, opts, _ := strings.Cut(jsonTag, ",")
		for _, opt := range strings.Split(opts, ",") {
			if opt == "string" {
				return nil, fmt.Errorf("%s.%s: the \",string\" option is not supported", name, f.Names[0].Name)
			}
		}
		if !isValidTag(jsonName) {
			jsonName = ""
		}
		for _, id := range f.Names {
			if !id.IsExported() {
				continue
			}
			key := jsonName
			if key == "" {
				key = id.Name
			}
			if other, dup := seen[key]; dup {
				return nil, fmt.Errorf("%s: fields %s and %s have one JSON name %q: not supported", name, other, id.Name, key)
			}
			seen[key] = id.Name
			t, err := p.resolve(f.Type)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %v", name, id.Name, err)
			}
			st.fields = append(st.fields, field{goName: id.Name, jsonName: key, typ: t})
		}
	}
	return st, nil
}

// resolve returns how a field of type expression e decodes.
func (p *pkg) resolve(e ast.Expr) (*goType, error) {
	switch e := e.(type) {
	case *ast.StarExpr:
		elem, err := p.resolve(e.X)
		if err != nil {
			return nil, err
		}
		if elem.kind == kindPointer {
			return nil, fmt.Errorf("type %s: a pointer to a pointer is not supported", types(e))
		}
		return &goType{kind: kindPointer, elem: elem}, nil
	case *ast.ArrayType:
		if e.Len != nil {
			return nil, fmt.Errorf("type %s: arrays are not supported", types(e))
		}
		elem, err := p.resolve(e.Elt)
		if err != nil {
			return nil, err
		}
		t := &goType{kind: kindSlice, elem: elem}
		p.slices[t.ident()] = t
		return t, nil
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "json" && e.Sel.Name == "RawMessage" {
			return &goType{kind: kindRawMessage, name: "json.RawMessage"}, nil
		}
	case *ast.Ident:
		return p.named(e.Name, e.Name)
	}
	return nil, fmt.Errorf("type %s is not supported", types(e))
}

// named resolves the type called name; spelling is how fields spell it.
func (p *pkg) named(name, spelling string) (*goType, error) {
	switch name {
	case "string":
		return &goType{kind: kindString, name: spelling}, nil
	case "bool":
		return &goType{kind: kindBool, name: spelling}, nil
	case "int", "int64":
		return &goType{kind: kindInt, name: spelling}, nil
	case "float64":
		return &goType{kind: kindFloat64, name: spelling}, nil
	}
	ts, ok := p.specs[name]
	if !ok {
		return nil, fmt.Errorf("type %s is not supported (not declared in %s)", name, strings.Join(append(append([]string(nil), payloadFiles...), otherFiles...), ", "))
	}
	switch {
	case p.methods[name]["UnmarshalText"]:
		return nil, fmt.Errorf("type %s has UnmarshalText: not supported", name)
	case p.methods[name]["UnmarshalJSON"] && !p.methods[name]["decodeJSON"]:
		return nil, fmt.Errorf("type %s has UnmarshalJSON but no decodeJSON method that decodes the same", name)
	case p.methods[name]["UnmarshalJSON"]:
		return &goType{kind: kindUnmarshaler, name: spelling}, nil
	case ts.Assign != 0: // an alias
		return p.resolve(ts.Type)
	}
	switch u := ts.Type.(type) {
	case *ast.StructType:
		return &goType{kind: kindStruct, name: spelling}, nil
	case *ast.Ident:
		t, err := p.named(u.Name, spelling)
		if err != nil || t.kind > kindFloat64 {
			return nil, fmt.Errorf("type %s (%s) is not supported", name, u.Name)
		}
		return t, nil
	}
	return nil, fmt.Errorf("type %s (%s) is not supported", name, types(ts.Type))
}

// types spells a type expression for an error message.
func types(e ast.Expr) string {
	var b bytes.Buffer
	_ = format.Node(&b, token.NewFileSet(), e)
	return b.String()
}

// isValidTag is encoding/json's test of a json tag's name; an invalid name
// is ignored (the field keeps its Go name).
func isValidTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// foldName folds a JSON name as encoding/json does to match object keys
// without regard to case (the root package's appendFoldedName).
func foldName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b.WriteRune(r)
	}
	return b.String()
}

// comment writes text as a // comment, wrapped at 76 bytes.
func comment(w func(string, ...any), text string) {
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > 76 {
			w("// %s\n", line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	w("// %s\n", line)
}

// render writes the file.
func (p *pkg) render() ([]byte, error) {
	var body bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&body, format, a...) }
	for _, st := range p.structs {
		p.renderStruct(w, st)
	}
	idents := make([]string, 0, len(p.slices))
	for id := range p.slices {
		idents = append(idents, id)
	}
	sort.Strings(idents)
	for _, id := range idents {
		p.renderSlice(w, p.slices[id])
	}
	p.renderStructArenas(w)

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./internal/gen/decoders; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package clerkwebhook\n\n")
	if bytes.Contains(body.Bytes(), []byte("json.")) {
		fmt.Fprintf(&b, "import \"encoding/json\"\n\n")
	}
	comment(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) },
		"The decoders of the payload types, generated from their definitions in "+
			strings.Join(payloadFiles, ", ")+". What they mean, and the readers they call, are in decode.go.")
	b.WriteString("\n")
	b.Write(body.Bytes())
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the generated code: %v\n%s", err, b.Bytes())
	}
	return src, nil
}

// renderStructArenas writes structArenas, which the decoder embeds: an arena
// for each struct type that a field points to, in any payload type.
func (p *pkg) renderStructArenas(w func(string, ...any)) {
	targets := map[string]*goType{}
	var walk func(t *goType)
	walk = func(t *goType) {
		switch t.kind {
		case kindPointer:
			if hasStructArena(t.elem) {
				targets[structArena(t.elem)] = t.elem
			}
			walk(t.elem)
		case kindSlice:
			walk(t.elem)
		}
	}
	for _, st := range p.structs {
		for _, f := range st.fields {
			walk(f.typ)
		}
	}
	names := make([]string, 0, len(targets))
	for name := range targets {
		names = append(names, name)
	}
	sort.Strings(names)
	comment(w, "structArenas holds the decoder's arenas of the struct types that payload fields point to, one per type.")
	w("type structArenas struct {\n")
	for _, name := range names {
		w("%s arena[%s]\n", name, targets[name])
	}
	w("}\n\n")
}

func (p *pkg) renderStruct(w func(string, ...any), st *structType) {
	keys := "keysOf" + st.name
	match := "fieldOf" + st.name

	comment(w, fmt.Sprintf("%s are the JSON keys of %s's fields, by index.", keys, st.name))
	w("var %s = [...]string{\n", keys)
	longest := 0
	for _, f := range st.fields {
		w("%q,\n", f.jsonName)
		longest = max(longest, len(f.jsonName))
	}
	w("}\n\n")

	comment(w, fmt.Sprintf("%s returns the index of the field of %s that the object key k names, or -1: the exact key first, then the key folded.", match, st.name))
	w("func %s(k []byte) int {\n", match)
	if len(st.fields) > 0 {
		w("switch string(k) {\n")
		for i, f := range st.fields {
			w("case %q:\nreturn %d\n", f.jsonName, i)
		}
		w("}\n")
		// A key that folds to a name has as many runes, of at most four bytes.
		w("if len(k) > %d {\nreturn -1\n}\n", 4*longest)
		w("var buf [%d]byte\n", 4*longest)
		w("switch string(appendFoldedName(buf[:0], k)) {\n")
		folded := map[string]bool{}
		for i, f := range st.fields {
			fold := foldName(f.jsonName)
			if folded[fold] {
				continue // encoding/json takes the first field with a folded name
			}
			folded[fold] = true
			w("case %q:\nreturn %d\n", fold, i)
		}
		w("}\n")
	}
	w("return -1\n}\n\n")

	if p.roots[st.name] {
		p.renderRoot(w, st)
	}

	w("// decodeJSON decodes a JSON object (or null) into v.\n")
	w("func (v *%s) decodeJSON(d *decoder, depth int) {\n", st.name)
	w("if !d.openObject(%q) {\nreturn\n}\n", st.name)
	w("for key, more := d.firstMember(); more; key, more = d.nextMember() {\n")
	w("f := %s(key)\n", match)
	w("switch f {\n")
	for i, f := range st.fields {
		w("case %d:\n", i)
		p.renderValue(w, "&v."+f.goName, f.typ, "depth+1")
	}
	w("default:\nd.skip(depth + 1)\n}\n")
	w("if d.err != nil {\nd.inField(%s[:], f)\nreturn\n}\n", keys)
	w("}\n}\n\n")
}

func (p *pkg) renderSlice(w func(string, ...any), t *goType) {
	name := "decode" + t.ident()
	w("// %s decodes a JSON array (or null) into *p.\n", name)
	w("func %s(d *decoder, p *%s, depth int) {\n", name, t)
	w("if !openArray(d, p) {\nreturn\n}\n")
	w("n := 0\n")
	w("if cap(*p) > 0 { // a repeated key: decode into the elements there\n")
	w("s := *p\n")
	w("for more := true; more; more = d.nextElement() {\n")
	w("s = element(s, n)\n")
	p.renderValue(w, "&s[n]", t.elem, "depth+1")
	w("if d.err != nil {\nreturn\n}\nn++\n}\n")
	w("if d.err == nil {\n*p = s[:n]\n}\nreturn\n}\n")
	w("var buf [smallArray]%s\n", t.elem)
	w("var s []%s\n", t.elem)
	w("for more := true; more; more = d.nextElement() {\n")
	w("e := smallElement(d, &buf, &s, n)\n")
	p.renderValue(w, "e", t.elem, "depth+1")
	w("if d.err != nil {\nreturn\n}\nn++\n}\n")
	w("if d.err == nil {\n*p = smallSlice(&buf, s, n)\n}\n}\n\n")
}

// renderRoot writes the entry point of a payload type: decodeNew, and the
// block it allocates the value in, together with the targets of the
// pointers the value can have outside its slices (see decode.go).
func (p *pkg) renderRoot(w func(string, ...any), st *structType) {
	// The targets by the name of their arena, and their types.
	ptrs, types, raws := map[string]int{}, map[string]string{}, 0
	var count func(st *structType, path map[string]bool)
	count = func(st *structType, path map[string]bool) {
		if path[st.name] {
			return // a cycle: what it reaches again is allocated on demand
		}
		path[st.name] = true
		defer delete(path, st.name)
		for _, f := range st.fields {
			t := f.typ
			if t.kind == kindPointer {
				if arena, ok := ptrArenas[t.elem.name]; ok {
					ptrs[arena]++
					types[arena] = t.elem.name
					continue
				}
				if hasStructArena(t.elem) {
					arena := structArena(t.elem)
					ptrs[arena]++
					types[arena] = t.elem.name
				}
				t = t.elem
			}
			switch t.kind {
			case kindStruct:
				count(p.byName[t.name], path)
			case kindRawMessage:
				raws++
			}
		}
	}
	count(st, map[string]bool{})

	block := "blockOf" + st.name
	comment(w, fmt.Sprintf("%s is the one allocation of a decoded %s, with the targets of the pointers it has outside its slices.", block, st.name))
	w("type %s struct {\nv %s\n", block, st.name)
	names := make([]string, 0, len(ptrs))
	for name := range ptrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w("%s [%d]%s\n", name, ptrs[name], types[name])
	}
	if raws > 0 {
		w("raw [%d]byte\n", min(raws*rawPerField, maxBlockRaw))
	}
	w("}\n\n")

	w("// decodeNew decodes data, a JSON document, into a new %s.\n", st.name)
	w("func (*%s) decodeNew(data []byte) (*%s, error) {\n", st.name, st.name)
	w("b := new(%s)\nd := newDecoder(data)\n", block)
	for _, name := range names {
		w("d.%s.free = b.%s[:]\n", name, name)
	}
	if raws > 0 {
		w("d.raw = b.raw[:0]\n")
	}
	w("b.v.decodeJSON(&d, 0)\n")
	w("if err := d.end(); err != nil {\nreturn nil, err\n}\nreturn &b.v, nil\n}\n\n")
}

// The room for the RawMessage fields in a block: the size of a small
// metadata object per field, within a bound.
const (
	rawPerField = 32
	maxBlockRaw = 256
)

// renderValue writes the statements that decode the value at the decoder's
// position into *addr, of type t, depth being the number of containers
// open around it.
func (p *pkg) renderValue(w func(string, ...any), addr string, t *goType, depth string) {
	// value is the addressed variable; recv is addr as the receiver of a
	// pointer method.
	value, recv := "(*"+addr+")", addr
	if strings.HasPrefix(addr, "&") {
		value, recv = addr[1:], addr[1:]
	}
	// A named type of string, bool or float64 goes to the reader of its
	// underlying type.
	basic := func(underlying string) string {
		if t.name == underlying {
			return addr
		}
		return "(*" + underlying + ")(" + addr + ")"
	}
	switch t.kind {
	case kindString:
		w("d.str(%s)\n", basic("string"))
	case kindBool:
		w("d.bool(%s)\n", basic("bool"))
	case kindInt:
		w("decodeInt(d, %s)\n", addr)
	case kindFloat64:
		w("d.float64(%s)\n", basic("float64"))
	case kindRawMessage:
		w("d.rawMessage(%s, %s)\n", addr, depth)
	case kindStruct, kindUnmarshaler: // the latter with a decodeJSON of its own
		w("%s.decodeJSON(d, %s)\n", recv, depth)
	case kindSlice:
		w("decode%s(d, %s, %s)\n", t.ident(), addr, depth)
	case kindPointer:
		switch arena, ok := ptrArenas[t.elem.name]; {
		case t.elem.kind == kindString && t.elem.name == "string":
			w("d.strPtr(%s)\n", addr)
		case t.elem.kind == kindBool && t.elem.name == "bool":
			w("d.boolPtr(%s)\n", addr)
		case t.elem.kind == kindInt && ok:
			w("decodeIntPtr(d, %s, &d.%s)\n", addr, arena)
		default:
			// As encoding/json: null sets the pointer to nil; any other
			// value decodes into its target, allocated if the pointer is nil.
			w("if d.null() {\n%s = nil\n} else {\n", value)
			if hasStructArena(t.elem) {
				w("if %s == nil {\n%s = d.%s.new(1)\n}\n", value, value, structArena(t.elem))
			} else {
				w("if %s == nil {\n%s = new(%s)\n}\n", value, value, t.elem)
			}
			p.renderValue(w, value, t.elem, depth)
			w("}\n")
		}
	}
}
