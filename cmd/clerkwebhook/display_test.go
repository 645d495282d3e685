package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShownEscapesWhatATerminalWouldObey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"user_30TbaSJBhmLScO0rTRMoSYc7BTg": "user_30TbaSJBhmLScO0rTRMoSYc7BTg",
		"/webhooks/clerk":                  "/webhooks/clerk",
		"élodie@exämple.com":               "élodie@exämple.com", // printable Unicode stays as is
		`back\slash`:                       `back\slash`,
		"":                                 `""`,
		"two words":                        `"two words"`, // would forge a column
		`say "hi"`:                         `"say \"hi\""`,
		"\x1b]0;PWNED\a":                   `"\x1b]0;PWNED\a"`,
		"a\r\nb":                           `"a\r\nb"`,
		"tab\there":                        `"tab\there"`,
		"del\x7f":                          `"del\x7f"`,
		"csi\u009b2J":                      `"csi\u009b2J"`,
		"rtl\u202eoverride":                `"rtl\u202eoverride"`,
		"nbsp\u00a0":                       `"nbsp\u00a0"`,
		"invalid\xff":                      `"invalid\xff"`,
	} {
		assert.Equal(t, want, shown(in), "%q", in)
	}
	for in, want := range map[string]string{
		`clerkwebhook: invalid payload ("type" is not a string)`: `clerkwebhook: invalid payload ("type" is not a string)`,
		"ok":                 "ok",
		"line\nforged":       `"line\nforged"`,
		"\x1b[2J cleared":    `"\x1b[2J cleared"`,
		"invalid \xc3 UTF-8": `"invalid \xc3 UTF-8"`,
	} {
		assert.Equal(t, want, shownText(in), "%q", in)
	}
}

func TestSendEscapesWhatItPrints(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("fine\r\n\x1b]0;PWNED\a\x1b[2J\nlast\xff"))
	}))
	t.Cleanup(srv.Close)
	body := hostileBody(t)
	r := runCmd(t, "", "send", "--url", srv.URL, "--secret", newTestSecret(t), "--id", "msg_send\u009b", writeFile(t, "b.json", body))
	require.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stdout, "  "+strconv.Quote(hostile)+`  "msg_send\u009b"`+"\n")
	assert.Contains(t, r.stdout, "418 I'm a teapot\nfine\n"+`"\x1b]0;PWNED\a\x1b[2J"`+"\n"+`"last\xff"`+"\n")
	assertTerminalSafe(t, r.stdout)
	assertTerminalSafe(t, r.stderr)
}
