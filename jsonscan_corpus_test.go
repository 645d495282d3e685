package clerkwebhook

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The seed corpus of FuzzEnvelope, testdata/fuzz/FuzzEnvelope, is what
// envelopeSeeds returns; go test runs every file of it through the fuzz
// target, which judges parseEnvelope against encoding/json. Regenerate it
// after changing envelopeSeeds with
//
//	go test -run TestFuzzEnvelopeCorpus -update-fuzz-corpus .
var updateFuzzCorpus = flag.Bool("update-fuzz-corpus", false, "rewrite testdata/fuzz/FuzzEnvelope from envelopeSeeds")

const fuzzEnvelopeDir = "testdata/fuzz/FuzzEnvelope"

// realisticEnvelope has every kind of value, escapes of each kind, and
// "type" last, so that its prefixes miss it.
const realisticEnvelope = `{"data":{"id":"user_2x","first_name":"Jo\u00e9 \"J\"","emails":[{"id":"e1","verified":true,"primary":false},{"id":"e2"}],` +
	`"tags":[],"meta":{},"score":-12.5e+3,"count":0,"ratio":0.25,"nested":[[1,2],{"a":null}],"note":"tab\tslash\\\/\ud83d\ude00"},` +
	`"event_attributes":{"http_request":{"client_ip":"203.0.113.7","user_agent":"Mozilla/5.0"}},` +
	`"instance_id":"ins_2x","object":"event","timestamp":1716883200123,"type":"user.created"}`

const indentedEnvelope = "{\n  \"type\": \"user.created\",\n  \"object\": \"event\",\n  \"data\": {\n" +
	"          \"list\": [\n                  1,\n                  \"two\"\n          ],\n" +
	"          \"empty\": {        }\n  },\n  \"timestamp\" :\t1716883200123\r\n}\n"

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func envelopeSeeds() [][]byte {
	var seeds [][]byte
	add := func(s string) { seeds = append(seeds, []byte(s)) }

	// Every prefix that ends at or just after a byte that is not part of a
	// word: each structural character, quote, escape, sign and point.
	for _, env := range []string{realisticEnvelope, indentedEnvelope} {
		add(env)
		for n := 0; n < len(env); n++ {
			if n == 0 || !isWordByte(env[n]) || !isWordByte(env[n-1]) {
				add(env[:n])
			}
		}
	}

	// Values, valid and not, where the envelope skips them, and some where it
	// reads them.
	values := []string{
		`1e5`, `1E+5`, `-0.5e-3`, `0`, `-0`, `19`, `90`, `true`, `false`, `null`, `[]`, `{}`, `[1,[2,{}]]`,
		`""`, `"\u00af\u00AF"`, `"a b"`,
		`01`, `1.`, `-`, `.5`, `+1`, `1e`, `1e+`, `1E-`, `--1`, `1.e5`, `trux`, `fals`, `nul`, `tru`, `nulll`,
		`[1}`, `{"a":1]`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:2}`, `[`, `{`,
		`"abc`, `"a\`, `"\u12"`, `"\x"`, `"\a"`, "\"a\tb\"", `'a'`, ``,
	}
	for _, v := range values {
		add(`{"type":"t","data":{"v":` + v + `}}`)
		add(`{"type":"t","data":{},"x":` + v + `}`)
	}
	for _, v := range []string{`1e5`, `-0`, `19`, `90`, `null`, `01`, `1.`, `-`, `1e`, `trux`, `nul`, `"1"`, `[1}`, `9223372036854775808`} {
		add(`{"type":"t","data":{},"timestamp":` + v + `}`)
	}
	for _, v := range []string{`""`, `null`, `"\u00af\u00AF"`, `"a\`, `"\u12"`, `"\a"`, `1`, `[]`, `nul`, `"abc`} {
		add(`{"data":{},"type":` + v + `}`)
		add(`{"type":"t","data":{},"object":` + v + `}`)
		add(`{"type":"t","data":{},"event_attributes":{"http_request":{"client_ip":` + v + `}}}`)
	}

	// \u escapes: each hex class and a byte just outside one in each of the
	// four positions.
	for pos := 0; pos < 4; pos++ {
		for _, d := range "09afAF/:`g@G" {
			digits := []byte("0000")
			digits[pos] = byte(d)
			add(`{"data":{},"type":"t\u` + string(digits) + `"}`)
		}
	}

	// Nesting across the 64-bit words of the scanner's kind stack, valid and
	// with one wrong bracket.
	for _, n := range []int{62, 63, 64, 65, 127, 128} {
		for _, pattern := range []string{"alternating", "bits"} {
			kinds := nestKinds(n, pattern)
			for _, bad := range []int{-1, 0, n / 2, n - 1} {
				add(`{"type":"t","data":{"v":` + string(mixedNest(kinds, "[]", bad)) + `}}`)
			}
		}
	}
	// Mixed nesting at encoding/json's depth limit and one past it: the
	// envelope and data are two levels.
	for _, levels := range []int{maxDepth - 2, maxDepth - 1} {
		var b strings.Builder
		b.WriteString(`{"type":"t","data":`)
		for l := 0; l < levels; l++ {
			if l%2 == 0 {
				b.WriteString(`{"":`)
			} else {
				b.WriteString(`[`)
			}
		}
		b.WriteString(`0`)
		for l := levels - 1; l >= 0; l-- {
			if l%2 == 0 {
				b.WriteString(`}`)
			} else {
				b.WriteString(`]`)
			}
		}
		b.WriteString(`}`)
		add(b.String())
	}

	// A byte of each class at each position of a 16-byte string that ends
	// the body, so that it falls in the eight-byte loop or the byte loop.
	for p := 0; p < 16; p++ {
		for _, c := range []string{"\x00", "\x1f", " ", "\x7f", `\t`} {
			content := strings.Repeat("a", p) + c + strings.Repeat("a", 15-p)
			add(`{"data":{},"type":"` + content + `"}`)
		}
	}
	return seeds
}

func corpusFile(seed []byte) (name string, content []byte) {
	sum := sha256.Sum256(seed)
	return hex.EncodeToString(sum[:8]), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed))
}

// TestFuzzEnvelopeCorpus checks that the checked-in corpus holds every seed
// (go test runs them through FuzzEnvelope), or rewrites it.
func TestFuzzEnvelopeCorpus(t *testing.T) {
	t.Parallel()
	seeds := envelopeSeeds()
	if *updateFuzzCorpus {
		if err := os.RemoveAll(fuzzEnvelopeDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(fuzzEnvelopeDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, seed := range seeds {
			name, content := corpusFile(seed)
			if err := os.WriteFile(filepath.Join(fuzzEnvelopeDir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, seed := range seeds {
		name, content := corpusFile(seed)
		got, err := os.ReadFile(filepath.Join(fuzzEnvelopeDir, name))
		if err != nil || string(got) != string(content) {
			t.Fatalf("%s does not hold the seed %q; run go test -run TestFuzzEnvelopeCorpus -update-fuzz-corpus .", name, abbreviate(seed))
		}
	}
}
