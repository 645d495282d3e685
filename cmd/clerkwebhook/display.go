package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Everything the command prints that came from a request, a response or a
// capture file (event type, message id, data id, URL path, method, header
// names and values, a receiver's answer, an error that might quote any of
// them) goes through shown or shownText. Input is attacker-controlled: a
// JSON string can hold ESC, BEL, CR and LF, a URL path decodes %0a, a
// header value can carry C1 controls and invalid UTF-8. Printed raw, those
// retitle or clear the terminal and forge whole log lines.
//
// The rule, for both: the text is printed unchanged when it is valid UTF-8
// and every rune is printable by strconv.IsPrint (letters, marks, numbers,
// punctuation, symbols and U+0020; not controls such as ESC, BEL, CR, LF,
// TAB, DEL or U+0080-U+009F, not format characters such as U+202E, not
// other spaces). Otherwise it is printed strconv.Quote'd: in double quotes,
// with every such rune and every invalid byte escaped (\x1b, \a, \r, \n,
// \u202e, \xff), so that what is printed says exactly which bytes came in.
//
// shown is for a single value, printed as a column or a word in a sentence,
// and is stricter: a value that is empty, holds a space (which would forge a
// column in listen's two-space separated lines) or holds a double quote
// (which would make it look already quoted) is quoted too. So an unquoted
// value is always exactly the bytes received.
//
// shownText is for text that is a sentence anyway (an error message, a line
// of a receiver's answer), where spaces and quotes are expected.
//
// The diagnosis (internal/diagnose) quotes every value from input that it
// names (a renamed header's name, a malformed timestamp) with %q, which is
// strconv.Quote: the same escaping, with quotes even around a plain value.
// Its cause is printed through shownText all the same, since it may quote
// a library message; so it is printed unchanged unless something
// unprintable slipped in.

// shown returns a value from input as the command prints it.
func shown(s string) string {
	if s == "" || strings.ContainsAny(s, ` "`) {
		return strconv.Quote(s)
	}
	return shownText(s)
}

// shownText returns text from input as the command prints it.
func shownText(s string) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// shownOrDash shows an absent (empty) value as "-", and any other as shown.
func shownOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return shown(s)
}

// errorText is an error's message as the command prints it: library
// errors are built from constants and numbers today, but CallbackError
// quotes an event's type and id, and a future message may quote more.
func errorText(err error) string {
	return shownText(err.Error())
}

// visibleText returns a body from input as the inspector page shows it:
// line by line, each rune as it is when printable, and otherwise as the
// escape strconv.Quote would write for it (\x1b, \r, \u202e, \xff for an
// invalid byte), so that what the page shows says which bytes came in.
// Newlines and tabs are kept: they are a body's layout, and the page shows
// them as layout, not as markup.
func visibleText(b []byte) string {
	var out strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&out, `\x%02x`, b[0])
		case r == '\n' || r == '\t' || strconv.IsPrint(r):
			out.Write(b[:size])
		default:
			q := strconv.QuoteRune(r)
			out.WriteString(q[1 : len(q)-1])
		}
		b = b[size:]
	}
	return out.String()
}
