package clerkotel

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rootSentinels reads the root package's source and returns each exported
// sentinel (a package-level Err… variable set with errors.New) with its
// message.
func rootSentinels(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "*.go"))
	require.NoError(t, err)
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		require.Equal(t, "clerkwebhook", f.Name.Name, name)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() || !strings.HasPrefix(id.Name, "Err") {
						continue
					}
					require.Less(t, i, len(vs.Values), "%s has no value", id.Name)
					call, ok := vs.Values[i].(*ast.CallExpr)
					require.True(t, ok, "%s is not errors.New(...)", id.Name)
					sel, ok := call.Fun.(*ast.SelectorExpr)
					require.True(t, ok && sel.Sel.Name == "New" && len(call.Args) == 1, "%s is not errors.New(...)", id.Name)
					lit, ok := call.Args[0].(*ast.BasicLit)
					require.True(t, ok && lit.Kind == token.STRING, "%s: errors.New of a literal", id.Name)
					msg, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out[id.Name] = msg
				}
			}
		}
	}
	require.NotEmpty(t, out)
	return out
}

// snake turns a sentinel's name into its reason: ErrNoMatchingSignature is
// "no_matching_signature".
func snake(name string) string {
	name = strings.TrimPrefix(name, "Err")
	return strings.ToLower(regexp.MustCompile(`([a-z0-9])([A-Z])`).ReplaceAllString(name, "${1}_${2}"))
}

// The reason table names every sentinel the root package exports, once,
// by the rule in its comment, and nothing else: a sentinel added to the
// root package fails this test until it has its reason.
func TestReasonsCoverEverySentinel(t *testing.T) {
	t.Parallel()
	sentinels := rootSentinels(t)
	byName := map[string]error{}
	for _, r := range reasons {
		_, dup := byName[r.name]
		require.False(t, dup, "reason %q twice", r.name)
		byName[r.name] = r.err
		assert.Regexp(t, `^[a-z]+(_[a-z]+)*$`, r.name)
		assert.NotEqual(t, reasonOther, r.name)
	}
	for ident, msg := range sentinels {
		err, ok := byName[snake(ident)]
		if assert.True(t, ok, "clerkwebhook.%s has no reason %q", ident, snake(ident)) {
			assert.Equal(t, msg, err.Error(), "reason %q is not clerkwebhook.%s", snake(ident), ident)
		}
	}
	assert.Len(t, reasons, len(sentinels), "a reason for a sentinel the root package does not export")
}

func TestReason(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad data")
	callback := func(err error) error {
		return &clerkwebhook.CallbackError{Type: clerkwebhook.UserCreated, MessageID: "msg_1", Err: err}
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"success", nil, ""},
		{"a verification error", &clerkwebhook.VerificationError{Err: clerkwebhook.ErrTimestampTooOld, MessageID: "msg_1"}, "timestamp_too_old"},
		{"too large, in a verification error", &clerkwebhook.VerificationError{Err: clerkwebhook.ErrBodyTooLarge}, "body_too_large"},
		{"wrapped with text", fmt.Errorf("%w: GET", clerkwebhook.ErrMethodNotAllowed), "method_not_allowed"},
		{"a store's error", fmt.Errorf("%w: claim: %w", clerkwebhook.ErrDeduplicator, errBad), "deduplicator"},
		{"a callback's error", callback(errBad), "callback"},
		{"a callback's Permanent", callback(clerkwebhook.Permanent(errBad)), "permanent"},
		{"a callback's Permanent, wrapped", callback(fmt.Errorf("sync: %w", clerkwebhook.Permanent(errBad))), "permanent"},
		{"a callback's accessor error", callback(fmt.Errorf("%w: user", clerkwebhook.ErrWrongEventType)), "callback"},
		{"a callback returning a verification error", callback(&clerkwebhook.VerificationError{Err: clerkwebhook.ErrInvalidPayload}), "callback"},
		{"no sentinel", errBad, "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, reason(tc.err))
		})
	}
	for _, r := range reasons {
		assert.Equal(t, r.name, reason(fmt.Errorf("context: %w", r.err)), "each sentinel alone is its own reason")
	}
}

// The outcome follows the status the Handler answered, row by row of its
// status table, and every other status is a failure. The span is an error
// for a 5xx or no answer, as otelhttp's server spans are, never for a 4xx.
func TestOutcome(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status    int
		duplicate bool
		want      string
		spanError bool
	}{
		{200, false, "processed", false},
		{204, false, "processed", false},
		{200, true, "duplicate", false},
		{400, false, "rejected", false},
		{405, false, "rejected", false},
		{403, false, "forbidden", false},
		{413, false, "too_large", false},
		{409, false, "failed", false},
		{422, false, "failed", false},
		{500, false, "failed", true},
		{0, false, "failed", true},   // no answer
		{503, false, "failed", true}, // a status a later Handler might add
		{401, false, "failed", false},
		{302, false, "failed", false},
		{99, false, "failed", true}, // not an HTTP status
	}
	for _, tc := range cases {
		got := outcome(clerkwebhook.Delivery{Status: tc.status, Duplicate: tc.duplicate})
		assert.Equal(t, tc.want, got, "status %d, duplicate %v", tc.status, tc.duplicate)
		assert.Equal(t, tc.spanError, spanError(tc.status), "status %d: an error span", tc.status)
	}
}

// The Deduplicator call behind a DedupErr follows from the answer, as
// Delivery.DedupErr documents: a Complete after a 2xx, a Release otherwise.
func TestDedupFailure(t *testing.T) {
	t.Parallel()
	errStore := fmt.Errorf("%w: connection refused", clerkwebhook.ErrDeduplicator)
	cases := []struct {
		d    clerkwebhook.Delivery
		want string
	}{
		{clerkwebhook.Delivery{Status: 200}, ""},
		{clerkwebhook.Delivery{Status: 500, Err: clerkwebhook.ErrCallback}, ""},
		{clerkwebhook.Delivery{Status: 200, DedupErr: errStore}, "complete"},
		{clerkwebhook.Delivery{Status: 204, DedupErr: errStore}, "complete"},
		{clerkwebhook.Delivery{Status: 500, Err: clerkwebhook.ErrCallback, DedupErr: errStore}, "release"},
		{clerkwebhook.Delivery{Status: 422, Err: clerkwebhook.ErrPermanent, DedupErr: errStore}, "release"},
		{clerkwebhook.Delivery{Status: 0, Err: clerkwebhook.ErrCallback, DedupErr: errStore}, "release"}, // no answer
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, dedupFailure(tc.d), "status %d, DedupErr %v", tc.d.Status, tc.d.DedupErr)
	}
}

func TestEventType(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", eventType(""), "not verified")
	assert.Equal(t, "unknown", eventType("user.exploded"))
	assert.Equal(t, "unknown", eventType("User.Created"), "types are case-sensitive")
	for _, typ := range clerkwebhook.EventTypes() {
		assert.Equal(t, string(typ), eventType(typ))
	}
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"msg_2abcDEF3ghi4JKL5mno6PQR7stu":        "msg_2abcDEF3ghi4JKL5mno6PQR7stu",
		"":                                       "",
		"msg_a\nb\rc\x00d\x7fe":                  "msg_a?b?c?d?e",
		"msg a\tb":                               "msg?a?b",
		"msg_é":                                  "msg_??",
		strings.Repeat("a", 64):                  strings.Repeat("a", 64),
		strings.Repeat("a", 65):                  strings.Repeat("a", 64),
		strings.Repeat("a", 63) + "é":            strings.Repeat("a", 63) + "?",
		"msg_" + strings.Repeat("\x1b", 1<<20):   "msg_" + strings.Repeat("?", 60),
		`msg_"quoted"=1,clerkwebhook.reason=x ;`: `msg_"quoted"=1,clerkwebhook.reason=x?;`,
	}
	for in, want := range cases {
		assert.Equal(t, want, messageID(in), "%q", in)
	}
}

// The package imports the OpenTelemetry API, never the SDK or an exporter,
// which are the application's choice; its tests and examples may.
func TestImportsOnlyTheAPI(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	allowed := regexp.MustCompile(`^(github\.com/seed77920f6a/clerkwebhook|go\.opentelemetry\.io/otel(/attribute|/codes|/metric|/metric/noop|/trace|/semconv/v[0-9.]+)?|[a-z]+(/[a-z]+)*)$`)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			assert.Regexp(t, allowed, path, "%s imports %s", name, path)
		}
	}
}

// The scope is named by the import path, and its version is a release
// number as OpenTelemetry records it: no "v", no suffix.
func TestScope(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "github.com/seed77920f6a/clerkwebhook/clerkotel", ScopeName)
	assert.Regexp(t, `^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`, Version)
}
