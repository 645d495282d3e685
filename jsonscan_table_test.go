package clerkwebhook

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Table tests for the scanner's functions, each case with the outcome the
// grammar of RFC 8259 fixes: the position after what a function skipped, or
// -1. The fuzz target FuzzEnvelope (event_test.go) judges the same inputs
// against encoding/json through parseEnvelope; these name the failing case.

// isSpecial reports whether c ends the fast path inside a string.
func isSpecial(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }

// Fillers that are not special, with the neighbours of the special bytes.
var plainFillers = []byte{'a', ' ', '!', '#', '[', ']', 0x7f, 0x80, 0xff}

func TestSpecialMaskEveryByteAndPosition(t *testing.T) {
	t.Parallel()
	for _, fill := range plainFillers {
		var w8 [8]byte
		for i := range w8 {
			w8[i] = fill
		}
		assert.Zero(t, specialMask(binary.LittleEndian.Uint64(w8[:])), "all %#x", fill)
		for p := 0; p < 8; p++ {
			for v := 0; v < 256; v++ {
				b := w8
				b[p] = byte(v)
				m := specialMask(binary.LittleEndian.Uint64(b[:]))
				if !isSpecial(byte(v)) {
					if m != 0 {
						t.Errorf("specialMask(%q) = %#x, want 0", b[:], m)
					}
					continue
				}
				if got := bits.TrailingZeros64(m) >> 3; m == 0 || got != p {
					t.Errorf("specialMask(%q) = %#x: lowest special byte %d, want %d", b[:], m, got, p)
				}
				// A second special byte above the first leaves the lowest one exact.
				for q := p + 1; q < 8; q++ {
					for _, v2 := range []byte{0, 0x1f, '"', '\\'} {
						b2 := b
						b2[q] = v2
						if got := bits.TrailingZeros64(specialMask(binary.LittleEndian.Uint64(b2[:]))) >> 3; got != p {
							t.Errorf("specialMask(%q): lowest special byte %d, want %d", b2[:], got, p)
						}
					}
				}
			}
		}
	}
}

func TestPlainRunEveryPosition(t *testing.T) {
	t.Parallel()
	stoppers := []byte{'\\', 0x80, 0xc3, 0xff}
	passers := []byte{'a', 0x7f, '"', 0, ' ', '[', ']'}
	for n := 0; n <= 19; n++ {
		for p := 0; p < n; p++ {
			for _, c := range append(append([]byte{}, stoppers...), passers...) {
				s := []byte(strings.Repeat("x", n))
				s[p] = c
				stop := c == '\\' || c >= 0x80
				for r := 0; r <= n; r++ {
					want := n
					if stop && r <= p {
						want = p
					}
					if got := plainRun(s, r); got != want {
						t.Errorf("plainRun(%q, %d) = %d, want %d", s, r, got, want)
					}
				}
			}
		}
	}
}

func TestSkipWS(t *testing.T) {
	t.Parallel()
	sp := func(n int) string { return strings.Repeat(" ", n) }
	for _, tc := range []struct {
		in      string
		at, end int
	}{
		{"", 0, 0},
		{"x", 0, 0},
		{" ", 0, 1},
		{" x", 0, 1},
		{"\t\n\r x", 0, 4},
		{sp(7), 0, 7},
		{sp(8), 0, 8},
		{sp(9), 0, 9},
		{sp(8) + "x", 0, 8},
		{sp(9) + "x", 0, 9},
		{sp(16) + "x", 0, 16},
		{sp(17) + "x", 0, 17},
		{sp(25), 0, 25},
		{" \t" + sp(8) + "\n" + sp(8) + "x", 0, 19},
		{" " + strings.Repeat("\t", 9) + "x", 0, 10},
		{"x" + sp(12) + "y", 1, 13},
		{"xy", 1, 1},
		{"x ", 2, 2},
		// Bytes a mistaken eight-byte pattern would skip: backspaces and NUL.
		{" \b\b\b\b\b\b\b\x00x", 0, 1},
		{" " + sp(7) + "\x00", 0, 8},
	} {
		assert.Equal(t, tc.end, skipWS([]byte(tc.in), tc.at), "skipWS(%q, %d)", tc.in, tc.at)
	}
}

func TestSkipNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in  string
		end int
	}{
		{"0", 1}, {"-0", 2}, {"1", 1}, {"9", 1}, {"10", 2}, {"19", 2}, {"90", 2},
		{"1234567890", 10}, {"-9876543210", 11}, {"0.0", 3}, {"0.09", 4}, {"1.90", 4},
		{"1e5", 3}, {"1E5", 3}, {"1e+5", 4}, {"1E+5", 4}, {"1e-5", 4}, {"1E-5", 4},
		{"1e05", 4}, {"1e90", 4}, {"-0.5e-3", 7}, {"9.9E9", 5},
		{"01", 1}, {"00", 1}, {"-01", 2}, {"1x", 1}, {"1.5x", 3}, {"1/", 1}, {"1:", 1},
		{"1e5.", 3}, {"1.5.", 3}, {"0e", -1}, {"1ee", -1},
		{"", -1}, {"-", -1}, {"--1", -1}, {"-x", -1}, {"x", -1}, {".", -1}, {".5", -1}, {"+1", -1},
		{"/", -1}, {":", -1}, {"-/", -1}, {"-:", -1},
		{"1.", -1}, {"1.e5", -1}, {"1./", -1}, {"1.:", -1}, {"-1.", -1},
		{"1e", -1}, {"1E", -1}, {"1e+", -1}, {"1E-", -1}, {"1ex", -1}, {"1e/", -1}, {"1e:", -1}, {"1e+/", -1},
	} {
		assert.Equal(t, tc.end, skipNumber([]byte(tc.in), 0), "skipNumber(%q)", tc.in)
		// The same number after other bytes: positions are absolute.
		want := tc.end
		if want != -1 {
			want += 3
		}
		assert.Equal(t, want, skipNumber([]byte("[ ,"+tc.in), 3), "skipNumber(%q) at 3", tc.in)
	}
}

func TestSkipLiteral(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, lit string
		end     int
	}{
		{"true", "true", 4}, {"truex", "true", 4}, {"tru", "true", -1}, {"trux", "true", -1}, {"", "true", -1},
		{"false", "false", 5}, {"fals", "false", -1}, {"falsy", "false", -1},
		{"null", "null", 4}, {"nul", "null", -1}, {"nulL", "null", -1}, {"null]", "null", 4},
	} {
		assert.Equal(t, tc.end, skipLiteral([]byte(tc.in), 0, tc.lit), "skipLiteral(%q, %q)", tc.in, tc.lit)
		want := tc.end
		if want != -1 {
			want += 2
		}
		assert.Equal(t, want, skipLiteral([]byte("[ "+tc.in), 2, tc.lit), "skipLiteral(%q, %q) at 2", tc.in, tc.lit)
	}
}

// skipString on a string of n plain bytes with the byte c at p, at the end of
// the input (the byte loop reads the last eight bytes) and followed by more
// input (the eight-byte loop reads it all).
func TestSkipStringEveryPosition(t *testing.T) {
	t.Parallel()
	classes := []byte{0x00, 0x01, 0x08, 0x1f, ' ', '!', '#', '/', 0x7f, 0x80, 0xff, '"'}
	for n := 1; n <= 19; n++ {
		for p := 0; p < n; p++ {
			for _, c := range classes {
				content := []byte(strings.Repeat("a", n))
				content[p] = c
				str := `"` + string(content) + `"`
				want := len(str)
				switch {
				case c == '"':
					want = p + 2
				case c < 0x20:
					want = -1
				}
				for _, tail := range []string{"", `,"padding":[1,2,3]}`} {
					in := []byte(str + tail)
					next, escaped := skipString(in, 0)
					if next != want || escaped {
						t.Errorf("skipString(%q) = %d, %v, want %d, false", in, next, escaped, want)
					}
					// From an offset, with non-ASCII before the string.
					in = []byte("\xff\xff\xff" + str + tail)
					if next, _ := skipString(in, 3); (want == -1 && next != -1) || (want != -1 && next != want+3) {
						t.Errorf("skipString(%q, 3) = %d, want %d", in, next, want+3)
					}
				}
				if c != '"' {
					// Not terminated: no closing quote before the end.
					in := []byte(`"` + string(content))
					if next, _ := skipString(in, 0); next != -1 {
						t.Errorf("skipString(%q) = %d, want -1", in, next)
					}
				}
			}
		}
	}
}

func TestSkipStringEscapes(t *testing.T) {
	t.Parallel()
	valid := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0000`, `\u09af`, `\uAFaf`, `\uFFFF`}
	invalid := []string{`\a`, `\x`, `\U0041`, `\0`, `\'`, `\ `, "\\\t", `\u`, `\u1`, `\u12`, `\u123`, `\u12g4`}
	for n := 0; n <= 17; n++ {
		for p := 0; p <= n; p++ {
			pre, post := strings.Repeat("a", p), strings.Repeat("x", n-p)
			for _, e := range valid {
				str := `"` + pre + e + post + `"`
				for _, tail := range []string{"", `,"padding":[1,2,3]}`} {
					next, escaped := skipString([]byte(str+tail), 0)
					if next != len(str) || !escaped {
						t.Errorf("skipString(%q) = %d, %v, want %d, true", str+tail, next, escaped, len(str))
					}
				}
			}
			for _, e := range invalid {
				str := `"` + pre + e + post + `"`
				for _, tail := range []string{"", `,"padding":[1,2,3]}`} {
					if next, escaped := skipString([]byte(str+tail), 0); next != -1 || escaped {
						t.Errorf("skipString(%q) = %d, %v, want -1, false", str+tail, next, escaped)
					}
				}
			}
			// The input ends inside the escape: no panic, no acceptance.
			for _, cut := range []string{`\`, `\u`, `\u0`, `\u00`, `\u00e`, `\u00e9`, `\n`} {
				in := `"` + pre + cut
				if next, _ := skipString([]byte(in), 0); next != -1 {
					t.Errorf("skipString(%q) = %d, want -1", in, next)
				}
			}
		}
	}
	for _, tc := range []struct {
		in   string
		next int
	}{
		{``, -1}, {`x`, -1}, {`'a'`, -1}, {`""`, 2}, {`"" `, 2}, {`"a"`, 3},
	} {
		next, _ := skipString([]byte(tc.in), 0)
		assert.Equal(t, tc.next, next, "skipString(%q)", tc.in)
	}
	next, _ := skipString([]byte(`[1,"ab"]`), 3)
	assert.Equal(t, 7, next)
	next, _ = skipString([]byte(`[1,"ab"]`), 8)
	assert.Equal(t, -1, next, "at the end of the input")
}

// Every hex class in every position of a \u escape, and a digit just outside
// each class.
func TestSkipStringUnicodeEscapeDigits(t *testing.T) {
	t.Parallel()
	good := []byte("09afAF")
	bad := []byte("/:`g@G \x00\xff")
	for pos := 0; pos < 4; pos++ {
		for _, d := range append(append([]byte{}, good...), bad...) {
			digits := []byte("0000")
			digits[pos] = d
			for _, pad := range []string{"", "padding "} {
				str := `"` + pad + `\u` + string(digits) + `"`
				want := len(str)
				if strings.IndexByte(string(good), d) < 0 {
					want = -1
				}
				next, _ := skipString([]byte(str), 0)
				assert.Equal(t, want, next, "skipString(%q)", str)
				next, _ = skipString([]byte(str+`,"padding":[1,2,3]}`), 0)
				assert.Equal(t, want, next, "skipString(%q) with more input", str)
			}
		}
	}
}

func TestIsHex(t *testing.T) {
	t.Parallel()
	for c := 0; c < 256; c++ {
		want := '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		assert.Equal(t, want, isHex(byte(c)), "isHex(%q)", c)
	}
}

func TestSkipValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in  string
		end int
	}{
		{"true", 4}, {"false", 5}, {"null", 4}, {"truex", 4}, {"tru", -1}, {"trux", -1},
		{"fals", -1}, {"nul", -1}, {"t", -1}, {"f", -1}, {"n", -1},
		{`"a"`, 3}, {`"a`, -1}, {`"a"x`, 3},
		{"0", 1}, {"1", 1}, {"-0", 2}, {"1e5", 3}, {"1E+5", 4}, {"-0.5e-3", 7}, {"01", 1}, {"90", 2},
		{"1.", -1}, {"-", -1}, {".5", -1}, {"+1", -1}, {"1e", -1}, {"x", -1},
		{"", -1}, {" ", -1}, {"\t\n\r ", -1}, {" 1", 2}, {"\n\t1", 3}, {"  true", 6},
		{"[]", 2}, {"{}", 2}, {"[ ]", 3}, {"{ }", 3}, {"[\n]", 3}, {"{\t}", 3}, {"[]]", 2}, {"{}}", 2},
		{"[1]", 3}, {"[1,2]", 5}, {"[1, 2]", 6}, {"[1 ,2 ]", 7}, {"[ 1 , 2 ]", 9}, {"[\t1\n,\r2]", 8},
		{`[1,"a",true,false,null,{},[]]`, 29}, {`["a","b"]`, 9}, {`[[],[]]`, 7}, {`[{},{}]`, 7},
		{`{"a":1}`, 7}, {`{"a" : 1}`, 9}, {`{ "a":1 }`, 9}, {`{"a":1,"b":2}`, 13}, {`{"a":1, "b":2}`, 14},
		{`{"a":1 ,"b":2}`, 14}, {`{"a":"b"}`, 9}, {`{"a":{}}`, 8}, {`{"a":[]}`, 8}, {`{"":0}`, 6},
		{`[[]]`, 4}, {`[{}]`, 4}, {`[[],1]`, 6}, {`[{},1]`, 6}, {`[[] ,1]`, 7}, {`[[1],2]`, 7},
		{`{"a":[],"b":1}`, 14}, {`{"a":{},"b":1}`, 14}, {`{"a":[1],"b":1}`, 15}, {`{"a":{"b":1},"c":2}`, 19},
		{`[{"a":1},[[]]]`, 14}, {`[{"a":1},[[1]]]`, 15}, {`{"a":[{}],"b":[[],{}]}`, 22}, {`[{"a":[]},{"b":{}}]`, 19},
		{`[1}`, -1}, {`{"a":1]`, -1}, {`[{]}`, -1}, {`[{"a":1]]`, -1}, {`{"a":[1}}`, -1}, {`[[]}`, -1}, {`{"a":{}]`, -1},
		{`[1,]`, -1}, {`[,1]`, -1}, {`[1 2]`, -1}, {`[1:2]`, -1}, {`{"a"}`, -1}, {`{"a":}`, -1}, {`{"a" 1}`, -1},
		{`{1:2}`, -1}, {`{"a":1,}`, -1}, {`{"a":1 "b":2}`, -1}, {`{,}`, -1}, {`{"a":1,,"b":2}`, -1}, {`{a:1}`, -1},
		{`[`, -1}, {`{`, -1}, {`[1`, -1}, {`[1,`, -1}, {`[1 `, -1}, {`[[]`, -1}, {`[{}`, -1}, {`{"a"`, -1},
		{`{"a":`, -1}, {`{"a":1`, -1}, {`{"a":1,`, -1}, {`{"a":1 `, -1}, {`{"a" `, -1}, {`{"a":[]`, -1}, {`{"a":{}`, -1},
		{`{"a`, -1}, {`["a`, -1}, {`{"a":"b`, -1}, {`[tru`, -1}, {`[1.`, -1}, {`[-`, -1}, {`{ `, -1}, {`[ `, -1},
		{"[\x01]", -1}, {"{\"a\":\x01}", -1}, {`{"a\"":1}`, 9}, {`{"\u0061":1}`, 12}, {`{"\x":1}`, -1},
		{"[ \b\b\b\b\b\b\b\x001]", -1}, {"[1, \b\b\b\b\b\b\b\x002]", -1},
		{"[" + strings.Repeat(" ", 20) + "1" + strings.Repeat(" ", 9) + "]", 32},
		{`{"a":` + strings.Repeat(" ", 16) + "1}", 23},
	} {
		assert.Equal(t, tc.end, skipValue([]byte(tc.in), 0, 0), "skipValue(%q)", tc.in)
		want := tc.end
		if want != -1 {
			want += 2
		}
		assert.Equal(t, want, skipValue([]byte(`[,`+tc.in), 2, 0), "skipValue(%q) at 2", tc.in)
	}
}

// skipValue counts the containers around the value (depth) against the limit.
func TestSkipValueDepthArgument(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in         string
		depth, end int
	}{
		{"[]", maxDepth - 1, 2}, {"[]", maxDepth, -1}, {"{}", maxDepth - 1, 2}, {"{}", maxDepth, -1},
		{"[[]]", maxDepth - 2, 4}, {"[[]]", maxDepth - 1, -1}, {`{"a":{}}`, maxDepth - 2, 8}, {`{"a":{}}`, maxDepth - 1, -1},
		{"1", maxDepth, 1}, {`"s"`, maxDepth, 3}, {"null", maxDepth, 4}, {"[1]", 0, 3}, {"[1]", 1, 3},
	} {
		assert.Equal(t, tc.end, skipValue([]byte(tc.in), 0, tc.depth), "skipValue(%q, depth %d)", tc.in, tc.depth)
	}
	nested := func(n int) []byte {
		return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	assert.Equal(t, 2*maxDepth, skipValue(nested(maxDepth), 0, 0))
	assert.Equal(t, -1, skipValue(nested(maxDepth+1), 0, 0))
	assert.Equal(t, -1, skipValue(nested(maxDepth), 0, 1))
}

// mixedNest builds a value nested len(kinds) deep, the container at level k
// an object when kinds[k] is '{' and an array otherwise, each holding the
// level below it followed by a sibling, so that closing every level reads
// back the kind of the one around it. The innermost value is inner. With
// badLevel >= 0, that level closes with the wrong bracket.
func mixedNest(kinds []byte, inner string, badLevel int) []byte {
	var b strings.Builder
	for _, k := range kinds {
		if k == '{' {
			b.WriteString(`{"k":`)
		} else {
			b.WriteString(`[`)
		}
	}
	b.WriteString(inner)
	for l := len(kinds) - 1; l >= 0; l-- {
		obj := kinds[l] == '{'
		if obj {
			b.WriteString(`,"z":0`)
		} else {
			b.WriteString(`,0`)
		}
		if obj != (l == badLevel) {
			b.WriteByte('}')
		} else {
			b.WriteByte(']')
		}
	}
	return []byte(b.String())
}

func nestKinds(n int, pattern string) []byte {
	kinds := make([]byte, n)
	for i := range kinds {
		var obj bool
		switch pattern {
		case "arrays":
		case "objects":
			obj = true
		case "alternating":
			obj = i%2 == 0
		case "bits":
			obj = (i*7+3)%5 < 2 // an irregular mix
		}
		if obj {
			kinds[i] = '{'
		} else {
			kinds[i] = '['
		}
	}
	return kinds
}

// The bit stack that remembers each open container's kind is 64 bits a
// word: nesting around 63, 64, 65 and 128 levels crosses a word.
func TestSkipValueMixedNesting(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 3, 31, 62, 63, 64, 65, 66, 127, 128, 129, 130, 193} {
		for _, pattern := range []string{"arrays", "objects", "alternating", "bits"} {
			kinds := nestKinds(n, pattern)
			for _, inner := range []string{"[]", "{}", "1", `"s"`, "[1]", `{"a":1}`} {
				b := mixedNest(kinds, inner, -1)
				if !assert.Equal(t, len(b), skipValue(b, 0, 0), "%s %d deep around %s", pattern, n, inner) {
					continue
				}
				assert.Equal(t, len(b)+1, skipValue(append([]byte(" "), b...), 1, 0))
				assert.True(t, json.Valid(b))
			}
			for bad := 0; bad < n; bad++ {
				b := mixedNest(kinds, "[]", bad)
				if got := skipValue(b, 0, 0); got != -1 {
					t.Errorf("%s %d deep, wrong bracket at level %d: skipValue = %d, want -1", pattern, n, bad, got)
				}
			}
		}
	}
}

func TestScanStringKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		kind int
	}{
		{`"a b"`, plainString},
		{`"abcdefg "`, plainString},
		{`"abcdefgh ij"`, plainString},
		{"\"\x7f\"", plainString},
		{"\"\x80\"", unicodeString},
		{"\"abcdefgh\x80\"", unicodeString},
		{"\"abcdefghijklmno\x80\"", unicodeString},
		{"\"\x80bcdefghijklmnop\"", unicodeString},
		{`"\n"`, escapedString},
		{`"abcdefgh\n"`, escapedString},
		{`"\u00e9 and more than eight"`, escapedString},
		{"\"\xc3\xa9\\n\"", escapedString},
	} {
		for _, tail := range []string{"", ",", ",\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", `,"\n\n\n\n\n\n\n\n"`} {
			next, kind := scanString([]byte(tc.s+tail), 0)
			assert.Equal(t, len(tc.s), next, "%q", tc.s+tail)
			assert.Equal(t, tc.kind, kind, "%q", tc.s+tail)
		}
	}
	// A byte above ASCII at every position, before or after the end of the
	// string within the same eight bytes.
	for n := 0; n <= 17; n++ {
		for p := 0; p < n; p++ {
			content := []byte(strings.Repeat("a", n))
			content[p] = 0xe9
			str := `"` + string(content) + `"`
			for _, tail := range []string{"", "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9"} {
				next, kind := scanString([]byte(str+tail), 0)
				assert.Equal(t, len(str), next, "%q", str+tail)
				assert.Equal(t, unicodeString, kind, "%q", str+tail)
			}
			content[p] = ' '
			str = `"` + string(content) + `"`
			for _, tail := range []string{"", "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9"} {
				next, kind := scanString([]byte(str+tail), 0)
				assert.Equal(t, len(str), next, "%q", str+tail)
				assert.Equal(t, plainString, kind, "%q", str+tail)
			}
			content[p] = 0x1f
			str = `"` + string(content) + `"`
			for _, tail := range []string{"", "\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9"} {
				next, _ := scanString([]byte(str+tail), 0)
				assert.Equal(t, -1, next, "%q", str+tail)
			}
		}
		str := `"` + strings.Repeat("a", n) + `"`
		next, kind := scanString([]byte("[1,"+str+"\xe9\xe9\xe9\xe9\xe9\xe9\xe9\xe9"), 3)
		assert.Equal(t, len(str)+3, next, "%q at 3", str)
		assert.Equal(t, plainString, kind, "%q at 3", str)
		next, _ = scanString([]byte(`"`+strings.Repeat("a", n)), 0)
		assert.Equal(t, -1, next, "unterminated, %d bytes", n)
	}
	for _, bad := range []string{"", "a", "'a'"} {
		next, _ := scanString([]byte(bad), 0)
		assert.Equal(t, -1, next, "%q", bad)
	}
	next, _ := scanString([]byte(`[1,"ab"]`), 8)
	assert.Equal(t, -1, next)
}

func TestUnquoteValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{``, ``},
		{`abc`, `abc`},
		{`\u00af\u00AF`, "\u00af\u00af"},
		{`\u0000`, "\x00"},
		{`\u0009\u0090\u0900\u9000`, "\u0009\u0090\u0900\u9000"},
		{`\u000a\u00a0\u0a00\ua000`, "\u000a\u00a0\u0a00\ua000"},
		{`\u000f\u00f0\u0f00\uf000`, "\u000f\u00f0\u0f00\uf000"},
		{`\u000A\u00A0\u0A00\uA000`, "\u000a\u00a0\u0a00\ua000"},
		{`\u000F\u00F0\u0F00\uF000`, "\u000f\u00f0\u0f00\uf000"},
		{`\u1234\u5678\uabcd\uBCDE\uef01`, "\u1234\u5678\uabcd\ubcde\uef01"},
		{`\u0041`, "A"},
		{`x\u0041`, "xA"},
		{`abcdefgh\u0041`, "abcdefghA"},
		{`\ud83d\ude00`, "\U0001F600"},
		{`a\ud83d\ude00b`, "a\U0001F600b"},
		{`\uD83D\uDE00`, "\U0001F600"},
		{`\ud83d`, "\ufffd"},
		{`\ud83dx`, "\ufffdx"},
		{`\ud83dxude00`, "\ufffdxude00"},
		{`\ud83d\"de00`, "\ufffd\"de00"},
		{`\ud83d\\ude00`, "\ufffd\\ude00"},
		{`\ud83d\u0041`, "\ufffdA"},
		{`\ude00\ud83d`, "\ufffd\ufffd"},
		{`\b\f\n\r\t\"\\\/`, "\b\f\n\r\t\"\\/"},
		{`a\nb`, "a\nb"},
		{`abcdefghij\n`, "abcdefghij\n"},
		{`\nabcdefghij`, "\nabcdefghij"},
		{"\xc3\xa9", "é"},
		{"a\xc3\xa9b", "aéb"},
		{"\x80", "\ufffd"},
		{"abc\x80", "abc\ufffd"},
		{"abcdefgh\x80", "abcdefgh\ufffd"},
		{"abcdefghijk\x80z", "abcdefghijk\ufffdz"},
		{"\xff\xfe", "\ufffd\ufffd"},
		{"\xf0\x9f\x98\x80x", "\U0001F600x"},
		{"\xe2\x82", "\ufffd\ufffd"},
		{"\xc3\xa9\\n\xc3\xa9", "é\né"},
	} {
		assert.Equal(t, tc.want, string(unquote(nil, []byte(tc.in))), "unquote(%q)", tc.in)
		assert.Equal(t, "prefix"+tc.want, string(unquote([]byte("prefix"), []byte(tc.in))), "unquote(%q) appending", tc.in)
		var std string
		if assert.NoError(t, json.Unmarshal([]byte(`"`+tc.in+`"`), &std), tc.in) {
			assert.Equal(t, std, tc.want, "encoding/json on %q", tc.in)
		}
	}
}

func TestGetu4(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want rune
	}{
		{`\u0000`, 0}, {`\u0009`, 9}, {`\u000a`, 10}, {`\u000f`, 15}, {`\u000A`, 10}, {`\u000F`, 15},
		{`\u1234`, 0x1234}, {`\u9aF0`, 0x9af0}, {`\uffff`, 0xffff}, {`\uFFFF`, 0xffff}, {`\ud83d\ude00`, 0xd83d},
		{``, -1}, {`\`, -1}, {`\u`, -1}, {`\u123`, -1}, {`\n0000`, -1}, {`x\u0000`, -1}, {`uu0000`, -1}, {`\\u0000`, -1},
	} {
		assert.Equal(t, tc.want, getu4([]byte(tc.in)), "getu4(%q)", tc.in)
	}
}

func TestCountElementsMore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		array string
		n     int
	}{
		{`["a"]`, 1},
		{`["a","b"]`, 2},
		{`["a,b","c]"]`, 2},
		{`[[1,2],3]`, 2},
		{`[{"a":1,"b":2},3]`, 2},
		{`[[[1,2],[3]],{"a":[4,5]},6]`, 3},
		{`[1,2,3,4,5,6,7,8,9,10,11]`, 11},
		{`[1}`, 1},
		{`["a`, -1},
		{`[`, -1},
		{`[[1,2]`, -1},
	} {
		assert.Equal(t, tc.n, countElements([]byte(tc.array), 1), tc.array)
	}
}

func TestAppendFoldedNameValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"az", "AZ"},
		{"AZ", "AZ"},
		{"`{@[_09", "`{@[_09"},
		{"created_at", "CREATED_AT"},
		{"\u212aey", "KEY"},
		{"\u017ftatus", "STATUS"},
		{"\u00e9", "\u00c9"},
		{"\u00c9", "\u00c9"},
		{"\u00df", "\u00df"},
		{"\u1e9e", "\u00df"},
		{"\u65e5", "\u65e5"},
		{"a\x80", "A\ufffd"},
		{"\xffid", "\ufffdID"},
		{"\xc3", "\ufffd"},
		{"x\xc3\xa9y", "X\u00c9Y"},
	} {
		assert.Equal(t, tc.want, string(appendFoldedName(nil, []byte(tc.in))), "appendFoldedName(%q)", tc.in)
		assert.Equal(t, "p"+tc.want, string(appendFoldedName([]byte("p"), []byte(tc.in))), "appendFoldedName(%q) appending", tc.in)
	}
}

// skipValue keeps its stack of container kinds in a local array: it never
// allocates, however deep the value.
func TestSkipValueDoesNotAllocate(t *testing.T) {
	b := mixedNest(nestKinds(130, "bits"), `"s"`, -1)
	allocs := testing.AllocsPerRun(10, func() {
		if skipValue(b, 0, 0) != len(b) {
			t.Fatal("skipValue rejected a valid value")
		}
	})
	assert.Zero(t, allocs)
}
