package diagnose

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Signs of re-encoding. When no repair makes the signature verify, a body
// that a middleware decoded and encoded again (a Go map, a struct, a
// pretty-printer) fails exactly like a wrong secret, and most such changes
// cannot be undone: sorted keys lose Clerk's order, a struct loses the
// fields it does not declare. Telling a user "wrong secret" then sends them
// rotating secrets instead of fixing the body, so the diagnosis only says
// "wrong secret" when the body shows none of these signs.
//
// Each sign is a difference from what Clerk sends: compact JSON on one line
// with no BOM and no trailing newline, keys in Clerk's own order (which is
// not sorted at every level: the envelope's keys are, the data's are not),
// <, >, & and non-ASCII characters unescaped (as JavaScript's
// JSON.stringify writes them), and an envelope with "object" and
// "timestamp". A sign is evidence, not proof: a hand-written test body can
// show one too, which is why the diagnosis says how to tell the two apart.

var utf8BOM = []byte("\xef\xbb\xbf")

// reencodingSigns describes each sign of re-encoding in body, or returns
// nil when it has none.
func reencodingSigns(body []byte) []string {
	var signs []string
	add := func(s string) { signs = append(signs, s) }
	if bytes.HasPrefix(body, utf8BOM) {
		add("it starts with a UTF-8 byte order mark, as some editors and text encoders write (Clerk sends none)")
	}
	if bytes.Contains(body, []byte("\r\n")) {
		add("it has CRLF line endings (Clerk sends a single line)")
	}
	unBOMed := bytes.TrimPrefix(body, utf8BOM)
	core := bytes.TrimRight(unBOMed, " \t\r\n")
	switch {
	case bytes.HasSuffix(unBOMed, []byte("\n")):
		add("it ends with a newline (Clerk sends none)")
	case len(core) < len(unBOMed):
		add("it ends with whitespace (Clerk sends none)")
	}
	compact := compactJSON(core)
	if compact != nil && !bytes.Equal(compact, core) {
		if bytes.Contains(core, []byte("\n")) {
			add("it is indented (Clerk sends compact JSON)")
		} else {
			add("it has spaces between its tokens, as Python's json.dumps writes (Clerk sends compact JSON)")
		}
	}
	goStyle, nonASCII := jsonEscapes(core)
	if len(goStyle) > 0 {
		add("it has " + joinAnd(goStyle) + " escapes, as Go's encoding/json writes for " +
			"<, >, &, U+2028 and U+2029 (Clerk sends those characters unescaped)")
	}
	if nonASCII {
		add(`it has \u escapes of non-ASCII characters, as Python's json.dumps writes by default (Clerk sends them as UTF-8)`)
	}
	if compact != nil {
		if sortedAtEveryLevel(compact) {
			add("its keys are sorted at every level, as a Go map or json.Marshal of a map produces (Clerk sends keys in its own order)")
		}
		if missing := missingEnvelopeFields(compact); len(missing) > 0 {
			add("its envelope lacks " + joinAnd(missing) +
				", as a struct that does not declare them drops them (Clerk always sends them)")
		}
	}
	return signs
}

// jsonEscapes scans the \-escapes of a JSON text. goStyle lists, in the
// order first found, the escapes that Go's encoding/json writes and
// JavaScript's JSON.stringify never does (\u003c, \u003e, \u0026, \u2028,
// \u2029); nonASCII reports \u escapes of non-ASCII characters other than
// surrogates (JSON.stringify escapes a lone surrogate, nothing else above
// U+007F).
func jsonEscapes(text []byte) (goStyle []string, nonASCII bool) {
	for i := 0; i+1 < len(text); i++ {
		if text[i] != '\\' {
			continue
		}
		if text[i+1] == 'u' && i+6 <= len(text) {
			hex := string(text[i+2 : i+6])
			switch hex {
			case "003c", "003e", "0026", "2028", "2029":
				if esc := `\u` + hex; !slices.Contains(goStyle, esc) {
					goStyle = append(goStyle, esc)
				}
			default:
				if r, err := strconv.ParseUint(hex, 16, 32); err == nil && r >= 0x80 && (r < 0xd800 || r > 0xdfff) {
					nonASCII = true
				}
			}
		}
		i++ // past the escaped character, so that \\u003c is not an escape
	}
	return goStyle, nonASCII
}

// sortedAtEveryLevel reports whether a JSON text has at least one object
// with two or more keys, and every such object has its keys in strictly
// increasing byte order, as encoding/json writes a map.
func sortedAtEveryLevel(text []byte) bool {
	type frame struct {
		object, wantKey bool
		keys            int
		last            string
	}
	var stack []frame
	multiKey := 0
	dec := json.NewDecoder(bytes.NewReader(text))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return multiKey > 0
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.object {
					top.wantKey = true // this value fills the slot; a key comes next
				}
				stack = append(stack, frame{object: d == '{', wantKey: d == '{'})
			case '}', ']':
				if top.object && top.keys >= 2 {
					multiKey++
				}
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if !top.wantKey {
			top.wantKey = true
			continue
		}
		key, _ := tok.(string)
		if top.keys > 0 && key <= top.last {
			return false
		}
		top.keys, top.last, top.wantKey = top.keys+1, key, false
	}
}

// missingEnvelopeFields returns the fields Clerk always sends that an
// envelope (an object with "type" and "data") lacks, quoted.
func missingEnvelopeFields(text []byte) []string {
	var env map[string]json.RawMessage
	if json.Unmarshal(text, &env) != nil || env["type"] == nil || env["data"] == nil {
		return nil
	}
	var missing []string
	for _, f := range []string{"object", "timestamp"} {
		if _, ok := env[f]; !ok {
			missing = append(missing, strconv.Quote(f))
		}
	}
	return missing
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
