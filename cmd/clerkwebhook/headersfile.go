package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/httpheader"
)

// capture is a recorded delivery's headers, as read from a headers file.
type capture struct {
	// header holds every header under the name exactly as written, not
	// canonicalised: a name with a stray space or an x- prefix is part of
	// what went wrong, and the diagnosis needs to see it. The library
	// matches names case-insensitively, so a map keyed this way verifies.
	header http.Header
	// body is what followed the head of a raw HTTP request capture, or nil.
	body []byte
}

// requestLine matches the first line of a raw HTTP/1.x request head.
var requestLine = regexp.MustCompile(`^[A-Z]+ \S+ HTTP/\d(\.\d)?$`)

// parseHeadersFile reads "Name: value" lines. It also accepts a raw HTTP
// request head (the first line a request line such as "POST /x HTTP/1.1"),
// in which case the first blank line ends the head and anything after it is
// the body. Otherwise blank lines are skipped. Lines starting with "#" are
// comments, and lines starting with ":" (HTTP/2 pseudo-headers copied from
// browser tools) are skipped.
func parseHeadersFile(data []byte) (capture, error) {
	c := capture{header: http.Header{}}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from an editor
	raw := false
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		text := strings.TrimSuffix(string(line), "\r")
		if lineNo == 1 && requestLine.MatchString(text) {
			raw = true
			continue
		}
		if strings.TrimSpace(text) == "" {
			if raw {
				if len(data) > 0 {
					c.body = data
				}
				break
			}
			continue
		}
		if strings.HasPrefix(text, "#") || strings.HasPrefix(text, ":") {
			continue
		}
		name, value, ok := strings.Cut(text, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return capture{}, fmt.Errorf("line %d: expected \"Name: value\"", lineNo)
		}
		c.header[name] = append(c.header[name], strings.TrimSpace(value))
	}
	return c, nil
}

// messageID returns the svix-id, or else the webhook-id, to show a delivery
// and to keep a replayed one's id. Names are matched as the library matches
// them (internal/httpheader).
func messageID(h http.Header) string {
	for _, name := range []string{clerkwebhook.HeaderSvixID, clerkwebhook.HeaderWebhookID} {
		for _, v := range httpheader.Values(h, name) {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return ""
}

// readCaptureFile reads and parses a captured delivery's headers file.
func readCaptureFile(path string) (capture, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return capture{}, err
	}
	capt, err := parseHeadersFile(raw)
	if err != nil {
		return capture{}, fmt.Errorf("%s: %w", path, err)
	}
	return capt, nil
}

// captureFile writes a delivery in the form parseHeadersFile reads back
// as a raw HTTP request: the request line, a comment saying how to check
// the capture as of when it arrived, one "Name: value" line per header
// value, a blank line, and the body byte for byte. So
// "clerkwebhook verify --headers FILE" needs no body file, and
// "clerkwebhook send --from-capture FILE" replays it.
func captureFile(received time.Time, method, uri string, header http.Header, body []byte, truncated bool) []byte {
	var b bytes.Buffer
	line := method + " " + uri + " HTTP/1.1"
	if !requestLine.MatchString(line) { // a method parseHeadersFile would not take for one
		line = "POST " + uri + " HTTP/1.1"
		fmt.Fprintf(&b, "%s\n# the method was %s\n", line, strconv.Quote(method))
	} else {
		b.WriteString(line + "\n")
	}
	when := unixTime{received.Unix(), int64(received.Nanosecond())}
	fmt.Fprintf(&b, "# received by clerkwebhook listen at %s; to check it as of then:\n", received.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(&b, "#   clerkwebhook verify --now %s --headers THIS_FILE\n", when.String())
	if truncated {
		fmt.Fprintf(&b, "# the body was over the size limit: these are its first %d bytes\n", len(body))
	}
	for _, name := range sortedNames(header) {
		for _, value := range header[name] {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
		}
	}
	b.WriteString("\n")
	b.Write(body)
	return b.Bytes()
}
