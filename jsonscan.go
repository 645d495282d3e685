package clerkwebhook

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit, kept equal so that the two agree
// on which documents are valid.
const maxDepth = 10000

// scanner is a minimal JSON reader over a byte slice: it validates the
// grammar of RFC 8259 while skipping values, and decodes only the strings and
// integers the envelope needs. It never allocates on the success path except
// for strings that contain escapes.
type scanner struct {
	b []byte
	i int
}

// ws skips whitespace. Indented JSON is mostly runs of spaces, which
// skipWS crosses eight at a time.
func (s *scanner) ws() { s.i = skipWS(s.b, s.i) }

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

func (s *scanner) failure(reason string) string {
	return reason + " at byte " + strconv.Itoa(s.i)
}

// key reads an object key and the colon after it, returning the decoded key.
func (s *scanner) key() ([]byte, bool) {
	k, ok := s.stringBytes(false)
	if !ok {
		return nil, false
	}
	s.ws()
	if !s.consume(':') {
		return nil, false
	}
	s.ws()
	return k, true
}

// object reads an object whose members are handled by member, which must
// consume the value (the scanner is positioned at it, whitespace skipped).
func (s *scanner) object(member func(key []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	s.ws()
	if s.consume('}') {
		return true
	}
	for {
		s.ws()
		k, ok := s.key()
		if !ok || !member(k) {
			return false
		}
		s.ws()
		if s.consume(',') {
			continue
		}
		return s.consume('}')
	}
}

// stringBytes reads a string value and returns its decoded content; with
// allowNull, a JSON null reads as an empty string. The content aliases the
// input unless the string has escapes or invalid UTF-8, which encoding/json
// then decodes (replacing bad bytes with U+FFFD, as it does everywhere).
func (s *scanner) stringBytes(allowNull bool) ([]byte, bool) {
	if allowNull && s.literal("null") {
		return nil, true
	}
	start := s.i
	escaped, ok := s.skipString()
	if !ok {
		return nil, false
	}
	content := s.b[start+1 : s.i-1]
	if !escaped && utf8.Valid(content) {
		return content, true
	}
	var str string
	if json.Unmarshal(s.b[start:s.i], &str) != nil {
		return nil, false
	}
	return []byte(str), true
}

// intValue reads an integer (or null, as 0). A number with a fraction or an
// exponent, or one that overflows int64, is rejected.
func (s *scanner) intValue() (int64, bool) {
	if s.literal("null") {
		return 0, true
	}
	start := s.i
	if !s.skipNumber() {
		return 0, false
	}
	n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	return n, err == nil
}

// skipValue validates and skips one value; depth is the number of
// containers already open around it.
func (s *scanner) skipValue(depth int) bool {
	i := skipValue(s.b, s.i, depth)
	if i == -1 {
		return false
	}
	s.i = i
	return true
}

// skipString validates and skips the string at the scanner's position and
// reports whether it had escapes.
func (s *scanner) skipString() (escaped, ok bool) {
	i, escaped := skipString(s.b, s.i)
	if i == -1 {
		return false, false
	}
	s.i = i
	return escaped, true
}

func (s *scanner) skipNumber() bool {
	i := skipNumber(s.b, s.i)
	if i == -1 {
		return false
	}
	s.i = i
	return true
}

// The skip functions below take the input and a position and return the
// position after what they skipped, or -1 if the input is not valid JSON
// there. They work on locals rather than the scanner's fields because they
// are the hot loop: all of data goes through them.
//
// Their length checks name the last byte they read (i < len(b)-7 before an
// eight-byte load from b[i:], i+5 >= len(b) before b[i+5]): an off-by-one
// then reads past the end instead of quietly taking the byte-wise path to
// the same result, so the tests can see it, and the load needs no bounds
// check.

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\n', '\r', '\t':
			i++
			for i < len(b)-7 && binary.LittleEndian.Uint64(b[i:]) == lsb*' ' {
				i += 8
			}
		default:
			return i
		}
	}
	return i
}

// skipValue skips one value without recursion: a bit stack records whether
// each open container is an object (1) or an array (0), and obj caches the
// innermost one. Strings, keys included, are scanned inline (the string
// loop is the hottest code in Verify); inKey says where a string returns to.
func skipValue(b []byte, i, depth int) int {
	var stack [maxDepth/64 + 1]uint64
	open := 0    // containers opened by this call
	obj := false // whether the innermost open container is an object
	inKey := false
	var c byte

value: // a value starts at i, after optional whitespace
	if i < len(b) && b[i] <= ' ' {
		i = skipWS(b, i)
	}
	if i >= len(b) {
		return -1
	}
	switch c = b[i]; c {
	case '"':
		goto str
	case '{', '[':
		if depth+open >= maxDepth {
			return -1
		}
		obj = c == '{'
		if obj {
			stack[open/64] |= 1 << (open % 64)
		} else {
			stack[open/64] &^= 1 << (open % 64)
		}
		open++
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
			i++
			open--
			obj = open > 0 && stack[(open-1)/64]>>((open-1)%64)&1 == 1
			goto ended // an empty container is a complete value
		}
		if obj {
			goto key
		}
		goto value // the array's first element
	case 't':
		i = skipLiteral(b, i, "true")
	case 'f':
		i = skipLiteral(b, i, "false")
	case 'n':
		i = skipLiteral(b, i, "null")
	default:
		i = skipNumber(b, i)
	}
	if i == -1 {
		return -1
	}

ended: // a value ended at i: close containers until one takes another element
	if open == 0 {
		return i
	}
	if i < len(b) && b[i] <= ' ' {
		i = skipWS(b, i)
	}
	if i >= len(b) {
		return -1
	}
	c = b[i]
	if c == ',' {
		i++
		if obj {
			i = skipWS(b, i)
			goto key
		}
		goto value
	}
	if obj && c == '}' || !obj && c == ']' {
		i++
		open--
		obj = open > 0 && stack[(open-1)/64]>>((open-1)%64)&1 == 1
		goto ended
	}
	return -1

key: // an object key starts at i
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	inKey = true

str: // a string starts at i, on its opening quote
	if i, _ = skipString(b, i); i == -1 {
		return -1
	}
	if !inKey {
		goto ended
	}
	inKey = false
	if i < len(b) && b[i] <= ' ' {
		i = skipWS(b, i)
	}
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	i++
	goto value
}

// skipEscape skips the escape sequence at b[i] (a backslash).
func skipEscape(b []byte, i int) int {
	if i+1 >= len(b) {
		return -1
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
			return -1
		}
		return i + 6
	}
	return -1
}

func skipLiteral(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// skipNumber validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	if b[i] == '0' {
		i++
	} else if '1' <= b[i] && b[i] <= '9' {
		i = skipDigits(b, i)
	} else {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialMask has the high bit set in the lowest byte of w that is a quote,
// a backslash or a control character (bits above the lowest may be spurious),
// and is zero when w has none: the only bytes that end the fast path inside
// a string. It uses the "has a byte less than n" test of Hacker's Delight
// (x - n*lsb) &^ x & msb, exact for the lowest such byte. Flipping bit 1 maps
// the quote (0x22) to 0x20 and keeps 0x00-0x1F in place, so one test below
// 0x21 finds both the quote and the control characters.
func specialMask(w uint64) uint64 {
	qc := w ^ (lsb * 0x02)
	bs := w ^ (lsb * '\\')
	return ((qc-lsb*0x21)&^qc | (bs-lsb)&^bs) & msb
}

// skipString validates and skips a string starting at its opening quote,
// eight bytes at a time through runs of ordinary characters (most of any
// JSON document). It reports whether the string had escapes.
func skipString(b []byte, i int) (next int, escaped bool) {
	if i >= len(b) || b[i] != '"' {
		return -1, false
	}
	i++
	for {
		if i < len(b)-7 {
			m := specialMask(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else {
			for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
				i++
			}
			if i >= len(b) {
				return -1, false
			}
		}
		switch b[i] {
		case '"':
			return i + 1, escaped
		case '\\':
			escaped = true
			if i = skipEscape(b, i); i == -1 {
				return -1, false
			}
		default: // a control character
			return -1, false
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// The functions below serve the payload decoders (decode.go): they read what
// the skip functions only validate, with encoding/json's semantics.

// unquote appends to dst the content of a JSON string, s without its quotes,
// decoded as encoding/json decodes it: escapes resolved, a \u surrogate pair
// joined, and an unpaired surrogate or a byte that is not valid UTF-8
// replaced by U+FFFD. s must be what skipString accepted.
func unquote(dst, s []byte) []byte {
	for r := 0; ; {
		j := plainRun(s, r)
		dst = append(dst, s[r:j]...)
		if j == len(s) {
			return dst
		}
		r = j
		if s[r] != '\\' { // plainRun stopped at a byte above ASCII
			rr, size := utf8.DecodeRune(s[r:])
			dst = utf8.AppendRune(dst, rr)
			r += size
			continue
		}
		switch s[r+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			rr := getu4(s[r:])
			r += 6
			if utf16.IsSurrogate(rr) {
				if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != utf8.RuneError {
					dst = utf8.AppendRune(dst, dec)
					r += 6
					continue
				}
				rr = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, rr)
			continue
		default: // '"', '\\' or '/'
			dst = append(dst, s[r+1])
		}
		r += 2
	}
}

// Kinds of string content, as scanString reports them.
const (
	plainString   = iota // ASCII with no escapes: the bytes are the value
	unicodeString        // no escapes, but bytes above ASCII, which may not be valid UTF-8
	escapedString        // escapes, to be resolved by unquote
)

// scanString is skipString for the decoders: it validates and skips the
// string at b[i], and says what its content needs before it is a value.
func scanString(b []byte, i int) (next, kind int) {
	if i >= len(b) || b[i] != '"' {
		return -1, 0
	}
	j := i + 1
	var high uint64 // the bytes before j, ORed, for their top bits
	for j < len(b)-7 {
		w := binary.LittleEndian.Uint64(b[j:])
		if m := specialMask(w); m != 0 {
			k := bits.TrailingZeros64(m) >> 3
			high |= w & (1<<(8*k) - 1)
			j += k
			goto special
		}
		high |= w
		j += 8
	}
	for ; j < len(b); j++ {
		c := b[j]
		if c == '"' || c == '\\' || c < 0x20 {
			goto special
		}
		high |= uint64(c)
	}
	return -1, 0
special:
	if b[j] != '"' {
		next, _ := skipString(b, i)
		return next, escapedString
	}
	if high&msb != 0 {
		return j + 1, unicodeString
	}
	return j + 1, plainString
}

// plainRun returns the index of the first byte of s from r on that is a
// backslash or not ASCII, or len(s).
func plainRun(s []byte, r int) int {
	for ; r < len(s)-7; r += 8 {
		w := binary.LittleEndian.Uint64(s[r:])
		bs := w ^ (lsb * '\\')
		if m := ((bs-lsb)&^bs | w) & msb; m != 0 {
			return r + bits.TrailingZeros64(m)>>3
		}
	}
	for ; r < len(s) && s[r] != '\\' && s[r] < utf8.RuneSelf; r++ {
	}
	return r
}

// getu4 decodes the \uXXXX escape at the start of s, or returns -1 if s
// does not start with one. s is a suffix of what skipString accepted, so the
// four digits after a \u are hex.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		if c <= '9' {
			c -= '0'
		} else if c >= 'a' {
			c = c - 'a' + 10
		} else {
			c = c - 'A' + 10
		}
		r = r*16 + rune(c)
	}
	return r
}

// countElements returns the number of elements from b[i], the first of an
// array's elements still to read, to the array's end, by counting the
// commas at its top level, so that a slice can be allocated once. It does
// not validate the elements (the decoder reading them does): on valid JSON
// the count is exact. It returns -1 if the array does not end.
func countElements(b []byte, i int) int {
	depth, commas := 0, 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			if i, _ = skipString(b, i); i == -1 {
				return -1
			}
			i--
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return commas + 1
			}
			depth--
		case ',':
			if depth == 0 {
				commas++
			}
		}
	}
	return -1
}

// appendFoldedName appends the key k folded as encoding/json folds object
// keys to match them to field names without regard to case: ASCII letters
// upper-cased, any other rune replaced by the smallest rune of its Unicode
// case-folding orbit (so that the Kelvin sign K matches "k" and the long s ſ
// matches "s"), and invalid UTF-8 by U+FFFD.
func appendFoldedName(out, k []byte) []byte {
	for i := 0; i < len(k); {
		if c := k[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(k[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

// foldRune returns the smallest rune of r's case-folding orbit.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
