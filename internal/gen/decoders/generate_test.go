package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed file is what the struct definitions generate: run "go
// generate" in the repository root after changing a payload type.
func TestGeneratedFileIsCurrent(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..")
	want, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go generate in the repository root", output)
	}
}

// parse parses Go source as user.go, a payload file.
func parse(t *testing.T, src string) map[string]*ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "user.go", "package clerkwebhook\n"+src, 0)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*ast.File{"user.go": f}
}

// What the generator cannot decode as encoding/json does, it refuses,
// naming the field.
func TestRefusesWhatItCannotDecodeExactly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ src, want string }{
		{"type User struct{ Embedded }\ntype Embedded struct{ A string }", "User: embedded field Embedded"},
		{"type User struct{ N int `json:\"n,string\"` }", `User.N: the ",string" option`},
		{"type User struct{ A string `json:\"a\"`; B string `json:\"a\"` }", `fields A and B have one JSON name "a"`},
		{"type User struct{ A string; B string `json:\"A\"` }", `fields A and B have one JSON name "A"`},
		{"type User struct{ M map[string]string }", "User.M: type map[string]string is not supported"},
		{"type User struct{ T T }\ntype T struct{}\nfunc (*T) UnmarshalText([]byte) error { return nil }", "User.T: type T has UnmarshalText"},
		{"type User struct{ P **string }", "User.P: type **string: a pointer to a pointer"},
		{"type User struct{ U uint }", "User.U: type uint is not supported"},
		{"type User struct{ A [2]string }", "User.A: type [2]string: arrays are not supported"},
		{"type User struct{ I any }", "User.I: type any is not supported"},
		{"type User struct{ T time.Time }", "User.T: type time.Time is not supported"},
		{"type User struct{ S Stringy }\ntype Stringy []byte", "User.S: type Stringy ([]byte) is not supported"},
		{"type User struct{ A Actorish }\ntype Actorish struct{}\nfunc (a *Actorish) UnmarshalJSON([]byte) error { return nil }", "User.A: type Actorish has UnmarshalJSON but no decodeJSON"},
	} {
		_, err := newPackage(parse(t, tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\ngot error %v\nwant one containing %q", tc.src, err, tc.want)
		}
	}
}

// Fields are what encoding/json decodes: no unexported field, none tagged
// "-", and an invalid tag name leaves the Go name.
func TestFieldsAsEncodingJSONSeesThem(t *testing.T) {
	t.Parallel()
	p, err := newPackage(parse(t, "type User struct {\n"+
		"A string `json:\"a,omitempty\"`\n"+
		"b string\n"+
		"C string `json:\"-\"`\n"+
		"D string `json:\"-,\"`\n"+
		"E string `json:\"e\\\\\"`\n"+
		"F, G string\n"+
		"H UnixMillis `json:\"h\"`\n"+
		"I Alias\n"+
		"J Actorish\n"+
		"}\n"+
		"type UnixMillis int64\n"+
		"type Alias = string\n"+
		"type Actorish struct{}\n"+
		"func (a *Actorish) UnmarshalJSON([]byte) error { return nil }\n"+
		"func (a *Actorish) decodeJSON(d *decoder, depth int) {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range p.byName["User"].fields {
		got = append(got, f.goName+"="+f.jsonName+":"+f.typ.String())
	}
	want := "A=a:string D=-:string E=E:string F=F:string G=G:string H=h:UnixMillis I=I:string J=J:Actorish"
	if strings.Join(got, " ") != want {
		t.Errorf("fields:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if p.byName["Actorish"] != nil {
		t.Error("a type with its own UnmarshalJSON got a generated decoder")
	}
}

func TestFoldName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"created_at": "CREATED_AT",
		"Ab9_-":      "AB9_-",
		"\u212a":     "K",      // the Kelvin sign folds to K
		"\u017f":     "S",      // the long s folds to S
		"\u0131":     "\u0131", // the dotless i has no simple folding
		"é":          "É",
	} {
		if got := foldName(in); got != want {
			t.Errorf("foldName(%q) = %q, want %q", in, got, want)
		}
	}
}
