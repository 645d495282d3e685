package clerkwebhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The scanner's readers for the payload decoders, each against what
// encoding/json does. (The decoders' differential tests and fuzz targets,
// in decode_test.go, cover them again in place.)

func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		``, `plain ascii`, `é€😀`, `a\"b\\c\/d\b\f\n\r\t`, `\u0041\u00e9\u20AC`,
		`\ud83d\ude00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\ud800\ud800\udc00`, `\udbff\udfff`,
		`\ud83d`, `\ud83dx`, `x\ud83d\u`, "bad \xff byte", "\xed\xa0\x80 surrogate in UTF-8",
		"\xc3 cut", "\xf0\x9f\x98 cut emoji", `a long run of plain text before \n an escape`,
		strings.Repeat("x", 20) + "\xff" + strings.Repeat(`\"`, 3) + "é",
	} {
		quoted := []byte(`"` + s + `"`)
		next, _ := skipString(quoted, 0)
		var want string
		if err := json.Unmarshal(quoted, &want); err != nil {
			assert.Equal(t, -1, next, "%q: skipString accepts what encoding/json refuses", s)
			continue
		}
		if !assert.Equal(t, len(quoted), next, "%q", s) {
			continue
		}
		assert.Equal(t, want, string(unquote(nil, []byte(s))), "%q", s)
	}
}

func TestScanString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		kind int
	}{
		{`""`, plainString},
		{`"abc"`, plainString},
		{`"a longer string, past eight bytes"`, plainString},
		{`"é"`, unicodeString},
		{`"ascii ascii ascii é"`, unicodeString},
		{"\"\xff\"", unicodeString},
		{`"a\"b"`, escapedString},
		{`"eight by\u0041"`, escapedString},
	} {
		next, kind := scanString([]byte(tc.s+`,`), 0)
		assert.Equal(t, len(tc.s), next, tc.s)
		assert.Equal(t, tc.kind, kind, tc.s)
	}
	for _, bad := range []string{`"`, `"abc`, "\"a\tb\"", `"\x"`, `x`, `"\u12"`} {
		next, _ := scanString([]byte(bad), 0)
		assert.Equal(t, -1, next, bad)
	}
}

func TestCountElements(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		array string
		n     int
	}{
		{`[1]`, 1},
		{`[1,2,3]`, 3},
		{` [ {"a":[1,2],"b":"x,y]"} , [3,4] , "\"]," ] `, 3},
		{`[{"a":{"b":[[],{}]}},null,true]`, 3},
		{`[1,2`, -1},
		{`["unterminated]`, -1},
	} {
		b := []byte(tc.array)
		start := bytes.IndexByte(b, '[') + 1
		for start < len(b) && b[start] == ' ' {
			start++
		}
		assert.Equal(t, tc.n, countElements(b, start), tc.array)
	}
}

// appendFoldedName folds as bytes.EqualFold compares, which is what
// encoding/json's folding is documented to match.
func TestAppendFoldedName(t *testing.T) {
	t.Parallel()
	names := []string{"created_at", "key", "status", "id", "is_locked"}
	keys := []string{
		"created_at", "CREATED_AT", "Created_At", "\u212aey", "KEY", "\u017ftatus", "STATU\u017f",
		"\u0130d", "\u0131d", "ID", "iD", "is_loc\u212aed", "créated_at", "id\xff", "\xffid", "",
	}
	for _, name := range names {
		for _, key := range keys {
			folded := string(appendFoldedName(nil, []byte(key))) == string(appendFoldedName(nil, []byte(name)))
			assert.Equal(t, bytes.EqualFold([]byte(key), []byte(name)), folded, "%q against %q", key, name)
		}
	}
}
