package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHeadersFile(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in     string
		header map[string][]string
		body   string
	}{
		"plain lines, comments and blanks": {
			in:     "# captured from ngrok\nsvix-id: msg_1\n\nsvix-timestamp:  1764331200 \nsvix-signature: v1,a v1,b\n",
			header: map[string][]string{"svix-id": {"msg_1"}, "svix-timestamp": {"1764331200"}, "svix-signature": {"v1,a v1,b"}},
		},
		"raw request head with CRLF and a body": {
			in:     "POST /webhooks/clerk HTTP/1.1\r\nHost: x\r\nSvix-Id: msg_2\r\n\r\n{\"a\":1}\n\nmore",
			header: map[string][]string{"Host": {"x"}, "Svix-Id": {"msg_2"}},
			body:   "{\"a\":1}\n\nmore",
		},
		"HTTP/2 pseudo-headers skipped, names kept as written": {
			in:     ":method: POST\nX-Svix-Id : msg_3\nsvix_timestamp: 1\n",
			header: map[string][]string{"X-Svix-Id ": {"msg_3"}, "svix_timestamp": {"1"}},
		},
		"repeated header": {
			in:     "svix-signature: v1,a\nsvix-signature: v1,b\n",
			header: map[string][]string{"svix-signature": {"v1,a", "v1,b"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := parseHeadersFile([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.header, map[string][]string(c.header))
			assert.Equal(t, tc.body, string(c.body))
		})
	}
	_, err := parseHeadersFile([]byte("svix-id: msg_1\nnot a header\n"))
	assert.EqualError(t, err, `line 2: expected "Name: value"`)
}
