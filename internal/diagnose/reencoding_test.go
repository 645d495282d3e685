package diagnose

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed77920f6a/clerkwebhook"
)

// What Clerk sends must show no sign of re-encoding, or a wrong secret would
// never be called one.
func TestClerkFixturesShowNoSignOfReencoding(t *testing.T) {
	t.Parallel()
	for _, et := range clerkwebhook.EventTypes() {
		assert.Empty(t, reencodingSigns(compactFixtureOf(t, et)), "%s", et)
	}
}

func TestReencodingSigns(t *testing.T) {
	t.Parallel()
	body := compactFixture(t)
	email := compactFixtureOf(t, clerkwebhook.EmailCreated)
	for name, tc := range map[string]struct {
		body []byte
		want []string // one substring per sign, in order
	}{
		"compact":              {body: body},
		"map round trip":       {body: mapRoundTrip(t, body), want: []string{"sorted at every level"}},
		"map round trip, HTML": {body: mapRoundTrip(t, email), want: []string{`\u003c and \u003e escapes`, "sorted at every level"}},
		"struct round trip":    {body: structRoundTrip(t, body), want: []string{`lacks "object" and "timestamp"`}},
		"Go-escaped":           {body: goEscaped(email), want: []string{"Go's encoding/json"}},
		"indented":             {body: indented(t, body, "\t"), want: []string{"indented"}},
		"spaced":               {body: spaced(t, body), want: []string{"spaces between its tokens"}},
		"CRLF":                 {body: []byte(strings.ReplaceAll(string(indented(t, body, " ")), "\n", "\r\n")), want: []string{"CRLF", "indented"}},
		"BOM":                  {body: append([]byte("\xef\xbb\xbf"), body...), want: []string{"byte order mark"}},
		"trailing newline":     {body: append(append([]byte{}, body...), '\n'), want: []string{"ends with a newline"}},
		"trailing space":       {body: append(append([]byte{}, body...), ' '), want: []string{"ends with whitespace"}},
		"non-ASCII escaped":    {body: []byte(`{"data":{"name":"\u00c9lodie","id":"x"},"type":"t","object":"event","timestamp":1}`), want: []string{`\u escapes of non-ASCII`}},
		// An escaped backslash before "u003c" is text, not an escape; a
		// lone surrogate is escaped by JSON.stringify too.
		"escaped backslash": {body: []byte(`{"type":"t","data":{"x":"\\u003c","id":"1"},"object":"event","timestamp":1}`)},
		"lone surrogate":    {body: []byte(`{"type":"t","data":{"x":"\ud800","id":"1"},"object":"event","timestamp":1}`)},
		// Sorted by chance is still sorted: one object with two keys in
		// order is enough, and the diagnosis says how to tell.
		"one sorted object":       {body: []byte(`{"a":1,"b":{"c":[{"d":1,"e":2}]}}`), want: []string{"sorted at every level"}},
		"one object out of order": {body: []byte(`{"a":1,"b":{"d":1,"c":2}}`)},
		"no object with two keys": {body: []byte(`{"a":{"b":[1,2,{"c":3}]}}`)},
		"duplicate keys":          {body: []byte(`{"a":1,"a":2}`)},
		"not JSON":                {body: []byte("plain text")},
	} {
		t.Run(name, func(t *testing.T) {
			signs := reencodingSigns(tc.body)
			if assert.Len(t, signs, len(tc.want), "%q", signs) {
				for i, w := range tc.want {
					assert.Contains(t, signs[i], w)
				}
			}
		})
	}
}
