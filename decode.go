package clerkwebhook

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The payload decoders. decode_gen.go, generated from the struct definitions
// of the payload files, holds one decodeJSON method per struct type; this
// file holds what they share: the decoder with its memory, and the readers
// of single values, built on the scanner (jsonscan.go).
//
// A decoder means what json.Unmarshal means into the same struct, whatever
// the input: keys match fields exactly first, then without regard to case
// (as encoding/json folds them); unknown keys are ignored; a repeated key
// decodes again into what the first one left (merging into structs, slices
// and pointers as encoding/json does); null leaves a non-pointer unchanged,
// sets a pointer or a slice to nil, and reads as the text null into a
// json.RawMessage; integers refuse fractions, exponents and overflow; and
// strings are unescaped with invalid UTF-8 and unpaired surrogates replaced
// by U+FFFD. A type mismatch fails the decode, as it makes json.Unmarshal
// return an error, and so does invalid JSON anywhere in the input. The
// differential fuzz targets (decode_test.go) hold the two to this.
//
// Unlike encoding/json, a decoder stops at the first error, since the caller
// discards a value that failed.
//
// The payload types get no UnmarshalJSON method: json.Unmarshal into them
// keeps its own, reflective, behaviour. An UnmarshalJSON would change what
// json.Unmarshal does with a struct of the caller's that holds a payload
// type: an error from a method stops encoding/json at once, where a
// mismatch in a field it decodes itself lets it decode the rest.

// decodable is a payload type with a generated decoder.
type decodable[T any] interface {
	*T
	// decodeNew decodes data into a new T. Its receiver is nil, unused: it
	// is a method only so that a type parameter can name it.
	decodeNew(data []byte) (*T, error)
}

// decodePayload decodes data into a new T with T's generated decoder. It
// succeeds exactly when json.Unmarshal(data, new(T)) does, with an equal
// value.
func decodePayload[T any, P decodable[T]](data []byte) (*T, error) {
	return P(nil).decodeNew(data)
}

// newDecoder returns a decoder of data, at its first value. Each type's
// decodeNew (generated) has its own, on its stack.
func newDecoder(data []byte) decoder {
	d := decoder{scanner: scanner{b: data}}
	d.ws()
	return d
}

// end checks that nothing but whitespace follows the value, and returns
// the decode's error.
func (d *decoder) end() error {
	if d.err == nil {
		d.ws()
		if d.i < len(d.b) {
			d.syntaxError()
		}
	}
	return d.err
}

// decoder is the state of one decode: the scanner over the data, the first
// error, and the memory the decoded value is built from.
//
// Memory: a decode allocates few, shared blocks. The value, with the
// targets of the pointers it has outside its slices (*string, *bool, ...,
// and the structs it points to, such as a Session's *User) and room for
// small json.RawMessage values, is one allocation (the block decodeNew
// allocates); pointers beyond those, inside slices, come from arenas whose
// chunks grow. The strings of the payload are cut from a few chunks of a
// strings.Builder, which hands out strings over its buffer without copying.
// A slice is allocated once, at its length: its first elements are decoded
// on the stack, and the rest counted before it is allocated. So keeping one
// string or pointer of a payload keeps its chunk alive, never the data.
type decoder struct {
	scanner
	err error
	// scratch receives strings with escapes or invalid UTF-8 while they are
	// decoded.
	scratch []byte
	strs    strings.Builder // the current chunk of string memory
	raw     []byte          // the current chunk of json.RawMessage memory

	stringPtrs     arena[string]
	boolPtrs       arena[bool]
	intPtrs        arena[int]
	int64Ptrs      arena[int64]
	unixMillisPtrs arena[UnixMillis]
	structArenas   // generated: one arena per struct type that fields point to
}

// arena hands out pointers to zero values of T: first from the slots of
// the block decodeNew allocated, then from chunks it allocates, each twice
// the size of the one before (up to maxArenaChunk), so that n pointers in
// the slices of a payload cost about log2(n) allocations.
type arena[T any] struct {
	free []T
	next int // the length of the next chunk; 0 before the first
}

// Chunk lengths: a first chunk of arenaChunk for the small targets of
// *string, *bool and the integer pointers, of one for structs.
const (
	arenaChunk    = 8
	maxArenaChunk = 64
)

// new returns a pointer to a zero T; first is the length of the first chunk.
func (a *arena[T]) new(first int) *T {
	if len(a.free) == 0 {
		n := a.next
		if n == 0 {
			n = first
		}
		a.free = make([]T, n)
		a.next = min(2*n, maxArenaChunk)
	}
	p := &a.free[0]
	a.free = a.free[1:]
	return p
}

// Chunks: a string chunk is a third of the data still to read (strings are 20-70%
// of a payload), within bounds; RawMessage chunks start small, since
// metadata is mostly small, and each is twice the one before. A value too
// long to share (a quarter of its chunk) has an allocation of its own.
const (
	minStrChunk   = 64
	maxStrChunk   = 4096
	sharedStrings = maxStrChunk / 4
	rawChunk      = 128
	maxRawChunk   = 4096
)

// keep returns b as a string, in shared string memory unless it is long.
func (d *decoder) keep(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if d.strs.Cap()-d.strs.Len() < n {
		if n > sharedStrings {
			return string(b)
		}
		d.strs = strings.Builder{}
		d.strs.Grow(max(minStrChunk, min(maxStrChunk, (len(d.b)-d.i)/3+n)))
	}
	start := d.strs.Len()
	d.strs.Write(b)
	return d.strs.String()[start:]
}

// keepRaw returns a copy of b, in shared memory unless it is long. The copy's
// capacity is its length, so that appending to it cannot reach its
// neighbours.
func (d *decoder) keepRaw(b []byte) []byte {
	n := len(b)
	if cap(d.raw)-len(d.raw) < n {
		size := max(rawChunk, min(maxRawChunk, 2*cap(d.raw)))
		if n > size/4 {
			return append([]byte(nil), b...)
		}
		d.raw = make([]byte, 0, size)
	}
	start := len(d.raw)
	d.raw = append(d.raw, b...)
	return d.raw[start:len(d.raw):len(d.raw)]
}

// unquote returns the decoded content of a string with escapes or invalid
// UTF-8, in d.scratch.
func (d *decoder) unquote(s []byte) []byte {
	if cap(d.scratch) < len(s) { // the usual length, if not the longest
		d.scratch = make([]byte, 0, len(s))
	}
	d.scratch = unquote(d.scratch[:0], s)
	return d.scratch
}

// --- Errors ---

// payloadError is why data did not decode: a type mismatch, where, and the
// JSON keys leading to it; or invalid JSON.
type payloadError struct {
	msg  string
	off  int
	path []string // JSON keys, innermost first
}

func (e *payloadError) Error() string {
	msg := e.msg
	if len(e.path) > 0 {
		var b strings.Builder
		for i := len(e.path) - 1; i >= 0; i-- {
			b.WriteString(e.path[i])
			if i > 0 {
				b.WriteByte('.')
			}
		}
		msg += " in " + b.String()
	}
	return msg + " at byte " + strconv.Itoa(e.off)
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = &payloadError{msg: msg, off: d.i}
	}
}

func (d *decoder) syntaxError() {
	if d.i >= len(d.b) {
		d.fail("unexpected end of JSON input")
		return
	}
	d.fail("invalid JSON")
}

// mismatch records that the value at the decoder's position cannot go into
// a Go value of type goType, or a syntax error if no value starts there.
func (d *decoder) mismatch(goType string) {
	var value string
	switch c := d.peek(); {
	case c == '"':
		value = "string"
	case c == '{':
		value = "object"
	case c == '[':
		value = "array"
	case c == 't' || c == 'f':
		value = "bool"
	case c == 'n':
		value = "null"
	case c == '-' || '0' <= c && c <= '9':
		value = "number"
	default:
		d.syntaxError()
		return
	}
	d.fail("cannot unmarshal " + value + " into a Go value of type " + goType)
}

// inField adds the JSON key of the field whose value failed to the error's
// path; names are the struct's keys, f the field's index (or -1).
func (d *decoder) inField(names []string, f int) {
	if e, ok := d.err.(*payloadError); ok && f >= 0 {
		e.path = append(e.path, names[f])
	}
}

// --- Objects and arrays ---

// openObject consumes the '{' of an object to be decoded into a struct of
// type goType, and reports true. On null it consumes it and reports false,
// leaving the struct unchanged; on any other value it records a mismatch.
func (d *decoder) openObject(goType string) bool {
	switch d.peek() {
	case '{':
		d.i++
		return true
	case 'n':
		d.null()
		return false
	}
	d.mismatch(goType)
	return false
}

// firstMember reads the first key of an object, with the colon after it,
// and reports true; at the closing brace, or on an error, it reports false.
// The key is unescaped, a slice of the data or of d.scratch. (Keys are
// returned, not kept in the decoder: a store of a pointer into the decoder
// would cost a write barrier whenever the garbage collector is marking.)
func (d *decoder) firstMember() ([]byte, bool) {
	d.ws()
	if d.consume('}') {
		return nil, false
	}
	return d.member()
}

// nextMember reads the comma and the key after a member's value, or the
// closing brace (false).
func (d *decoder) nextMember() ([]byte, bool) {
	if d.i < len(d.b) && d.b[d.i] <= ' ' {
		d.ws()
	}
	if d.consume(',') {
		if d.i < len(d.b) && d.b[d.i] <= ' ' {
			d.ws()
		}
		return d.member()
	}
	if !d.consume('}') {
		d.syntaxError()
	}
	return nil, false
}

// member reads a key and the colon after it. A key needs no UTF-8
// validation: the field names are ASCII, and appendFoldedName reads invalid
// bytes as U+FFFD, as encoding/json's unescaping would have.
func (d *decoder) member() ([]byte, bool) {
	start := d.i
	i, kind := scanString(d.b, start)
	if i < 0 {
		d.syntaxError()
		return nil, false
	}
	d.i = i
	key := d.b[start+1 : i-1]
	if kind == escapedString {
		key = d.unquote(key)
	}
	if d.consume(':') {
		d.ws()
		return key, true
	}
	d.ws()
	if !d.consume(':') {
		d.syntaxError()
		return nil, false
	}
	d.ws()
	return key, true
}

// openArray starts decoding an array into *p, and reports true positioned
// at its first element. Otherwise it has done all there is to do: null sets
// *p to nil, an empty array makes it empty (not nil), and another value is
// a mismatch.
//
// The generated code then decodes the elements with element, into the
// elements *p already has (what encoding/json does with a repeated key), or,
// when *p has no capacity, with smallElement and smallSlice, which allocate
// the slice once, at its length.
func openArray[T any](d *decoder, p *[]T) bool {
	switch d.peek() {
	case '[':
	case 'n':
		if d.null() {
			*p = nil
		}
		return false
	default:
		d.mismatch(fmt.Sprintf("%T", *p))
		return false
	}
	d.i++
	d.ws()
	if d.consume(']') {
		*p = []T{}
		return false
	}
	return true
}

// element returns s with an element at index i, the next one: the existing
// element if there is one (which encoding/json decodes into, even one left
// beyond the length by an earlier, longer array of a repeated key), or a new
// zero element.
func element[T any](s []T, i int) []T {
	switch {
	case i < len(s):
		return s
	case i < cap(s):
		return s[:i+1]
	}
	var zero T
	return append(s, zero)
}

// smallArray is how many elements of a new slice are decoded on the stack
// before the slice is allocated.
const smallArray = 4

// smallElement returns where element i of a new slice goes: in buf (on the
// caller's stack) while it has room, then in *s, allocated when buf is full
// at the length the array has then (its remaining elements are counted).
func smallElement[T any](d *decoder, buf *[smallArray]T, s *[]T, i int) *T {
	if i < len(buf) {
		return &buf[i]
	}
	if i == len(buf) {
		*s = make([]T, len(buf)+max(countElements(d.b, d.i), 1))
		copy(*s, buf[:])
	}
	*s = element(*s, i)
	return &(*s)[i]
}

// smallSlice returns the n elements smallElement placed, as one allocation.
func smallSlice[T any](buf *[smallArray]T, s []T, n int) []T {
	if n > len(buf) {
		return s[:n]
	}
	return append([]T(nil), buf[:n]...)
}

// nextElement reads the comma before the next element, or the closing ']'
// (false).
func (d *decoder) nextElement() bool {
	d.ws()
	if d.consume(',') {
		d.ws()
		return true
	}
	if !d.consume(']') {
		d.syntaxError()
	}
	return false
}

// --- Single values ---

// null consumes a null and reports true, or reports false when the value is
// not null. A value that starts like null but is not is a syntax error
// (reported as true: the caller stops at the error).
func (d *decoder) null() bool {
	if d.peek() != 'n' {
		return false
	}
	if !d.literal("null") {
		d.syntaxError()
	}
	return true
}

// skip validates and skips a value; depth is the number of containers open
// around it.
func (d *decoder) skip(depth int) {
	var i int
	switch c := d.peek(); c {
	case '"':
		i, _ = skipString(d.b, d.i)
	case '{', '[':
		i = skipValue(d.b, d.i, depth)
	case 't':
		i = skipLiteral(d.b, d.i, "true")
	case 'f':
		i = skipLiteral(d.b, d.i, "false")
	case 'n':
		i = skipLiteral(d.b, d.i, "null")
	default:
		i = skipNumber(d.b, d.i)
	}
	if i < 0 {
		d.syntaxError()
		return
	}
	d.i = i
}

// str reads a string value into *p; null leaves *p unchanged.
func (d *decoder) str(p *string) {
	switch d.peek() {
	case '"':
	case 'n':
		d.null()
		return
	default:
		d.mismatch("string")
		return
	}
	start := d.i
	i, kind := scanString(d.b, start)
	if i < 0 {
		d.syntaxError()
		return
	}
	d.i = i
	s := d.b[start+1 : i-1]
	if kind == escapedString || kind == unicodeString && !utf8.Valid(s) {
		s = d.unquote(s)
	}
	*p = d.keep(s)
}

// strPtr reads a string or null into *p.
func (d *decoder) strPtr(p **string) {
	if d.null() {
		*p = nil
		return
	}
	if *p == nil {
		*p = d.stringPtrs.new(arenaChunk)
	}
	d.str(*p)
}

// bool reads true or false into *p; null leaves *p unchanged.
func (d *decoder) bool(p *bool) {
	switch d.peek() {
	case 't':
		if d.literal("true") {
			*p = true
			return
		}
	case 'f':
		if d.literal("false") {
			*p = false
			return
		}
	case 'n':
		d.null()
		return
	default:
		d.mismatch("bool")
		return
	}
	d.syntaxError()
}

// boolPtr reads true, false or null into *p.
func (d *decoder) boolPtr(p **bool) {
	if d.null() {
		*p = nil
		return
	}
	if *p == nil {
		*p = d.boolPtrs.new(arenaChunk)
	}
	d.bool(*p)
}

// isNumber reports whether a number starts at the decoder's position.
func (d *decoder) isNumber() bool {
	c := d.peek()
	return c == '-' || '0' <= c && c <= '9'
}

// number reads the number at the decoder's position.
func (d *decoder) number() ([]byte, bool) {
	start := d.i
	i := skipNumber(d.b, d.i)
	if i < 0 {
		d.syntaxError()
		return nil, false
	}
	d.i = i
	return d.b[start:i], true
}

// integer is the integer types of payload fields.
type integer interface{ ~int | ~int64 }

// decodeInt reads an integer into *p; null leaves *p unchanged. A number
// that is not an integer of T's range is a mismatch.
func decodeInt[T integer](d *decoder, p *T) {
	start := d.i
	switch n, got := d.integer(); got {
	case gotInteger:
		if int64(T(n)) == n {
			*p = T(n)
			return
		}
		d.i = start
		d.failNumber(fmt.Sprintf("%T", *p))
	case gotOther:
		d.mismatch(fmt.Sprintf("%T", *p))
	}
}

// What decoder.integer read.
const (
	gotInteger = iota
	gotNull
	gotOther // a value that is not a number
	gotError // recorded in d.err
)

// integer reads an integer of int64's range. A number that is not one is
// an error, and so is invalid JSON; any other value is left unread.
func (d *decoder) integer() (int64, int) {
	b, i := d.b, d.i
	if i >= len(b) {
		d.syntaxError()
		return 0, gotError
	}
	neg := b[i] == '-'
	if neg {
		i++
	}
	var n int64
	switch {
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		start := i
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			n = n*10 + int64(b[i]-'0')
		}
		if i-start > 18 { // may have overflowed: let strconv decide
			v, err := strconv.ParseInt(string(b[d.i:i]), 10, 64)
			if err != nil {
				return 0, d.notInteger()
			}
			n, neg = v, false
		}
	case i < len(b) && b[i] == '0':
		i++
	case neg:
		d.syntaxError()
		return 0, gotError
	case b[i] == 'n':
		if d.null() && d.err != nil {
			return 0, gotError
		}
		return 0, gotNull
	default:
		return 0, gotOther
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, d.notInteger()
	}
	d.i = i
	if neg {
		n = -n
	}
	return n, gotInteger
}

// notInteger records that the number at the decoder's position, valid or
// not, is no integer.
func (d *decoder) notInteger() int {
	if skipNumber(d.b, d.i) < 0 {
		d.syntaxError()
	} else {
		d.failNumber("int64")
	}
	return gotError
}

// failNumber records that the number at the decoder's position does not
// fit goType.
func (d *decoder) failNumber(goType string) {
	end := skipNumber(d.b, d.i)
	d.fail("cannot unmarshal number " + string(d.b[d.i:end]) + " into a Go value of type " + goType)
}

// decodeIntPtr reads an integer or null into *p, taking new targets from a.
func decodeIntPtr[T integer](d *decoder, p **T, a *arena[T]) {
	if d.null() {
		*p = nil
		return
	}
	if *p == nil {
		*p = a.new(arenaChunk)
	}
	decodeInt(d, *p)
}

// float64 reads a number into *p; null leaves *p unchanged.
func (d *decoder) float64(p *float64) {
	if d.null() {
		return
	}
	if !d.isNumber() {
		d.mismatch("float64")
		return
	}
	b, ok := d.number()
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		d.i -= len(b)
		d.fail("cannot unmarshal number " + string(b) + " into a Go value of type float64")
		return
	}
	*p = f
}

// rawMessage copies any value, null included, into *p, as
// json.RawMessage's UnmarshalJSON does.
func (d *decoder) rawMessage(p *json.RawMessage, depth int) {
	start := d.i
	d.skip(depth)
	if d.err == nil {
		*p = d.keepRaw(d.b[start:d.i])
	}
}
