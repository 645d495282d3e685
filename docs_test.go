package clerkwebhook

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// snippetImports are the packages a documentation snippet may use without
// importing them: every snippet file gets them all, each with a blank use so
// that an unused one is no error.
var snippetImports = map[string]string{
	"context":                              "context.Background",
	"database/sql":                         "sql.ErrNoRows",
	"encoding/json":                        "json.Marshal",
	"errors":                               "errors.Is",
	"fmt":                                  "fmt.Sprint",
	"io":                                   "io.EOF",
	"log":                                  "log.Print",
	"log/slog":                             "slog.Info",
	"net/http":                             "http.StatusOK",
	"net/http/httptest":                    "httptest.NewRecorder",
	"net/netip":                            "netip.MustParseAddr",
	"os":                                   "os.Getenv",
	"testing":                              "testing.Short",
	"time":                                 "time.Second",
	"github.com/seed77920f6a/clerkwebhook": "clerkwebhook.Verify",
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest": "clerkwebhooktest.NewSecret",
}

// adapterImports are the packages of the adapter modules, imported by a
// snippet that names them. They resolve in the workspace (go.work) only:
// outside it, as in CI's run of the core module under Go 1.22, the
// snippets that use them are left to the workspace run.
var adapterImports = map[string]string{
	"pgstore.":        "github.com/seed77920f6a/clerkwebhook/pgstore",
	"pgxpool.":        "github.com/jackc/pgx/v5/pgxpool",
	"pgx.":            "github.com/jackc/pgx/v5",
	"redisstore.":     "github.com/seed77920f6a/clerkwebhook/redisstore",
	"redis.":          "github.com/redis/go-redis/v9",
	"clerkotel.":      "github.com/seed77920f6a/clerkwebhook/clerkotel",
	"clerkriver.":     "github.com/seed77920f6a/clerkwebhook/clerkriver",
	"clerksync.":      "github.com/seed77920f6a/clerkwebhook/clerksync",
	"river.":          "github.com/riverqueue/river",
	"riverpgxv5.":     "github.com/riverqueue/river/riverdriver/riverpgxv5",
	"riversqlite.":    "github.com/riverqueue/river/riverdriver/riversqlite",
	"rivermigrate.":   "github.com/riverqueue/river/rivermigrate",
	"prometheus.":     "github.com/prometheus/client_golang/prometheus",
	"promhttp.":       "github.com/prometheus/client_golang/prometheus/promhttp",
	"otlptranslator.": "github.com/prometheus/otlptranslator",
	"otelprom.":       "otelprom go.opentelemetry.io/otel/exporters/prometheus", // an alias, then the path
	"sdkmetric.":      "sdkmetric go.opentelemetry.io/otel/sdk/metric",
	"sdktrace.":       "sdktrace go.opentelemetry.io/otel/sdk/trace",
}

// A snippet is one fenced go block of a Markdown file.
type snippet struct {
	file string
	line int // of the block's first line of code
	code string
}

// docSnippets returns the go blocks of README.md, docs/*.md and the
// READMEs of the modules that have Go in theirs (clerksync).
func docSnippets(t *testing.T) []snippet {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"README.md", "CHANGELOG.md", "SECURITY.md", filepath.Join("clerksync", "README.md")}, files...)
	var out []snippet
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		var cur *snippet
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			switch {
			case cur == nil && strings.TrimSpace(line) == "```go":
				cur = &snippet{file: name, line: n + 1}
			case cur != nil && strings.TrimSpace(line) == "```":
				out = append(out, *cur)
				cur = nil
			case cur != nil:
				cur.code += line + "\n"
			}
		}
		f.Close()
		if cur != nil {
			t.Fatalf("%s:%d: unterminated go block", name, cur.line)
		}
	}
	return out
}

// TestDocSnippetsCompile builds every Go snippet of the README and docs/.
// The snippets of one Markdown file make one package, each in a file of its
// own, so that a snippet may call a helper another snippet of the same page
// defines: a snippet with top-level declarations as they are, a fragment of
// statements as the body of a function. The identifiers a fragment assumes
// are declared in snippetEnv. Compile errors point at the Markdown lines.
func TestDocSnippetsCompile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the snippets with the go command")
	}
	snippets := docSnippets(t)
	if len(snippets) < 5 {
		t.Fatalf("found %d go snippets; the docs have more", len(snippets))
	}
	root, err := os.MkdirTemp(".", "_docsnippets")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	abs, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	gowork := goEnv(t, "GOWORK")
	workspace := gowork != "" && gowork != "off"
	args := []string{"vet"}
	pkgs := map[string]string{} // Markdown file -> package directory
	compiled := 0
	adapters := make([][]string, len(snippets)) // the adapter packages each snippet uses
	for i, s := range snippets {
		for prefix, path := range adapterImports {
			// The package name as a word: "river." is not "clerkriver.".
			if regexp.MustCompile(`\b` + regexp.QuoteMeta(prefix)).MatchString(s.code) {
				adapters[i] = append(adapters[i], path)
			}
		}
	}
	skipped := make([]bool, len(snippets))
	if !workspace {
		// A snippet that uses an adapter is left out, and so is one that
		// calls a function such a snippet of the same page defines.
		for i := range snippets {
			skipped[i] = len(adapters[i]) > 0
		}
		for changed := true; changed; {
			changed = false
			for i, s := range snippets {
				for j, def := range snippets {
					if !skipped[j] || skipped[i] || def.file != s.file {
						continue
					}
					for _, m := range regexp.MustCompile(`(?m)^func (\w+)`).FindAllStringSubmatch(def.code, -1) {
						if regexp.MustCompile(`\b` + m[1] + `\(`).MatchString(s.code) {
							skipped[i], changed = true, true
						}
					}
				}
			}
		}
	}
	for i, s := range snippets {
		if skipped[i] {
			t.Logf("%s:%d: uses an adapter module; compiled in the workspace run", s.file, s.line)
			continue
		}
		dir, ok := pkgs[s.file]
		if !ok {
			dir = filepath.Join(root, fmt.Sprintf("p%02d", len(pkgs)))
			pkgs[s.file] = dir
			args = append(args, "./"+filepath.ToSlash(dir))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "env.go"), []byte(snippetEnv), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		b.WriteString("package snippet\n\nimport (\n")
		for path := range snippetImports {
			fmt.Fprintf(&b, "\t%q\n", path)
		}
		for _, path := range adapters[i] {
			if name, p, aliased := strings.Cut(path, " "); aliased {
				fmt.Fprintf(&b, "\t%s %q\n", name, p)
			} else {
				fmt.Fprintf(&b, "\t%q\n", path)
			}
		}
		b.WriteString(")\n\n")
		for _, use := range snippetImports {
			fmt.Fprintf(&b, "var _ = %s\n", use)
		}
		topLevel := strings.HasPrefix(s.code, "func ") || strings.Contains(s.code, "\nfunc ") ||
			strings.HasPrefix(s.code, "type ") || strings.Contains(s.code, "\ntype ")
		if !topLevel {
			b.WriteString("\nfunc _() {\n")
		}
		fmt.Fprintf(&b, "//line %s:%d\n", filepath.Join(abs, s.file), s.line)
		b.WriteString(s.code)
		if !topLevel {
			b.WriteString("}\n")
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%02d.go", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		compiled++
	}
	cmd := exec.Command("go", args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("documentation snippets do not compile:\n%s", out)
	}
	t.Logf("%d of %d snippets compiled, in %d packages", compiled, len(snippets), len(pkgs))
}

// snippetEnv declares what fragments assume: the values a reader has in
// scope when the prose says "given a verifier", and the app's own functions
// the examples call, named in the prose. The functions the README's
// snippets call, the README defines.
const snippetEnv = `package snippet

import (
	"context"
	"net/http"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
)

var (
	verifier *clerkwebhook.Verifier
	handler  *clerkwebhook.Handler
	event    clerkwebhook.Event
	mux      = http.NewServeMux()
	ctx      = context.Background()
	body     []byte
	header   http.Header
)

func process(context.Context, clerkwebhook.Event) error { return nil }
func upsertOrg(id, name, slug string)                  {}
func setRole(orgID, userID, role string)               {}
func deleteOrg(id string)                              {}
func grant(plan string, from time.Time)                {}
`

// goEnv returns the go command's value of an environment setting.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// TestErrorsDocListsEverySentinel keeps docs/errors.md in step with the
// package: its table has one row for each exported Err variable of the
// package's source, and no other.
func TestErrorsDocListsEverySentinel(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, f := range pkgs["clerkwebhook"].Files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(name.Name, "Err") && name.IsExported() {
						declared = append(declared, name.Name)
					}
				}
			}
		}
	}
	doc, err := os.ReadFile(filepath.Join("docs", "errors.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(Err\\w+)` \\|").FindAllStringSubmatch(string(doc), -1) {
		listed = append(listed, m[1])
	}
	sort.Strings(declared)
	sort.Strings(listed)
	if len(declared) < 15 {
		t.Fatalf("found %d sentinels in the source; the package has more", len(declared))
	}
	if strings.Join(declared, " ") != strings.Join(listed, " ") {
		t.Errorf("docs/errors.md lists\n  %s\nthe package declares\n  %s", strings.Join(listed, " "), strings.Join(declared, " "))
	}
}
