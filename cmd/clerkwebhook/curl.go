package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// curlCommand writes a delivery as one line of shell that sends it again
// with curl: the method, every header but the hop-by-hop ones and Host,
// and the body, byte for byte. Every argument is quoted so that the line
// holds no control character whatever the delivery held: pasted into a
// terminal, it can neither run a second command nor send escape
// sequences (see shellQuote). curl adds an Accept header of its own.
func curlCommand(target, method string, header http.Header, body []byte) string {
	var b strings.Builder
	if bytes.IndexByte(body, 0) >= 0 {
		// A shell argument cannot hold a NUL byte; printf can make one.
		fmt.Fprintf(&b, "printf %s | ", shellQuote(printfFormat(body)))
	}
	b.WriteString("curl -sS")
	if method != http.MethodPost {
		b.WriteString(" -X " + shellQuote(method))
	}
	b.WriteString(" " + shellQuote(target))
	fwd := forwardedHeader(header)
	for _, name := range sortedNames(fwd) {
		for _, value := range fwd[name] {
			if name == "User-Agent" && value == "" {
				continue // forwardedHeader's mark of a request without one
			}
			if value == "" {
				b.WriteString(" -H " + shellQuote(name+";")) // curl's way of sending an empty header
			} else {
				b.WriteString(" -H " + shellQuote(name+": "+value))
			}
		}
	}
	switch {
	case bytes.IndexByte(body, 0) >= 0:
		b.WriteString(" --data-binary @-")
	case len(body) > 0 || method == http.MethodPost:
		// --data-raw, not --data-binary: a body starting with @ is not a
		// file name.
		b.WriteString(" --data-raw " + shellQuote(string(body)))
	}
	return b.String()
}

// shellQuote quotes s as one shell word. Printable text goes in single
// quotes; text with a control character or an invalid byte goes in
// $'...' with those bytes as \xHH escapes, which bash, zsh and ksh read
// (and POSIX sh since 2024).
func shellQuote(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) < 0 {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteString("'")
	return b.String()
}

// printfFormat is a printf format that prints body exactly: every byte
// but printable ASCII as a three-digit octal escape, % and \ escaped.
func printfFormat(body []byte) string {
	var b strings.Builder
	for _, c := range body {
		switch {
		case c == '%':
			b.WriteString("%%")
		case c == '\\':
			b.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\%03o`, c)
		}
	}
	return b.String()
}
