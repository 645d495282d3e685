package clerkwebhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envelopeOracle reads an envelope with encoding/json only, applying the
// same rules parseEnvelope documents: a JSON object; "type" a non-empty
// string; "data" an object; object and instance_id strings or null;
// timestamp an integer or null; event_attributes and http_request objects or
// null, with string-or-null client_ip and user_agent; no envelope key twice.
func envelopeOracle(body []byte) (Event, bool) {
	if !json.Valid(body) {
		return Event{}, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top == nil {
		return Event{}, false
	}
	if duplicateEnvelopeKey(body) {
		return Event{}, false
	}
	var ev Event
	var typ *string
	if json.Unmarshal(top["type"], &typ) != nil || typ == nil || *typ == "" {
		return Event{}, false
	}
	ev.Type = EventType(*typ)
	data, ok := top["data"]
	if !ok || data[0] != '{' {
		return Event{}, false
	}
	ev.Data = data
	optString := func(raw json.RawMessage, dst *string) bool {
		if raw == nil {
			return true
		}
		var s *string
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		if s != nil {
			*dst = *s
		}
		return true
	}
	optObject := func(raw json.RawMessage) (map[string]json.RawMessage, bool) {
		if raw == nil {
			return nil, true
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return nil, false
		}
		return m, true
	}
	if !optString(top["object"], &ev.Object) || !optString(top["instance_id"], &ev.InstanceID) {
		return Event{}, false
	}
	if raw, ok := top["timestamp"]; ok && json.Unmarshal(raw, &ev.Timestamp) != nil {
		return Event{}, false
	}
	attrs, ok := optObject(top["event_attributes"])
	if !ok {
		return Event{}, false
	}
	req, ok := optObject(attrs["http_request"])
	if !ok || !optString(req["client_ip"], &ev.Attributes.HTTPRequest.ClientIP) || !optString(req["user_agent"], &ev.Attributes.HTTPRequest.UserAgent) {
		return Event{}, false
	}
	return ev, true
}

// duplicateEnvelopeKey walks the top-level keys with the token reader.
func duplicateEnvelopeKey(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := tok.(string)
		switch k {
		case "type", "object", "instance_id", "timestamp", "data", "event_attributes":
			if seen[k] {
				return true
			}
			seen[k] = true
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}

func checkEnvelopeAgainstOracle(t *testing.T, body []byte) {
	var got Event
	reason := parseEnvelope(body, &got, false)
	want, ok := envelopeOracle(body)
	require.Equal(t, ok, reason == "", "body %q: oracle ok=%v, parseEnvelope reason=%q", abbreviate(body), ok, reason)
	if !ok {
		return
	}
	assert.Equal(t, want.Type, got.Type)
	assert.Equal(t, want.Object, got.Object)
	assert.Equal(t, want.InstanceID, got.InstanceID)
	assert.Equal(t, want.Timestamp, got.Timestamp)
	assert.Equal(t, want.Attributes, got.Attributes)
	assert.Equal(t, string(want.Data), string(got.Data))
}

func TestParseEnvelopeCases(t *testing.T) {
	for _, body := range []string{
		`{"type":"user.created","data":{}}`,
		` {"type" : "user.created" , "data" : { "a" : [ 1 , -2.5e+3 , true , false , null , "x\"y\\z\u00e9\/" ] } } `,
		`{"type":"user.created","data":{},"object":null,"instance_id":null,"timestamp":null,"event_attributes":null}`,
		`{"type":"user.created","data":{},"event_attributes":{"http_request":null}}`,
		`{"type":"user.created","data":{},"event_attributes":{"http_request":{"client_ip":"a"},"http_request":{"user_agent":"b"}}}`,
		`{"type":"user.created","data":{},"event_attributes":{"http_request":{"client_ip":"a","client_ip":"c"}}}`,
		`{"type":"us\u0065r.created","data":{}}`,
		`{"typ\u0065":"user.created","data":{}}`,
		`{"type":"user.created","data":{},"instance_id":"ins_\ud83d\ude00"}`,
		"{\"type\":\"user.created\",\"data\":{},\"instance_id\":\"bad \xff utf8\"}",
		`{"type":"user.created","data":{},"timestamp":-0}`,
		`{"type":"user.created","data":{},"timestamp":9223372036854775808}`,
		`{"type":"user.created","data":{},"timestamp":1e3}`,
		`{"type":"user.created","data":{"x":01}}`,
		`{"type":"user.created","data":{"x":"tab	inside"}}`,
		`{"type":"user.created","data":{"x":"\x"}}`,
		`{"type":"user.created","data":{"x":[1,]}}`,
		`{"type":"user.created","data":{"x":{"a":1,}}}`,
		`{"type":"user.created","data":{"x":{"a" 1}}}`,
		`{"type":"user.created","data":{"x":[}}`,
		`{"type":"user.created","data":{}}}`,
		`{"type":"user.created","data":{},}`,
		`{"Type":"user.created","data":{}}`,
		`{"type":"user.created","data":{"x":"\u12"}}`,
		`{"type":"user.created","data":{"x":- 1}}`,
		`{"type":"user.created","data":{"x":1.}}`,
		`{"type":"user.created","data":{"x":.5}}`,
		`{"type":"user.created","data":{"x":nul}}`,
		`{"type":"user.created","data":{"x":"unterminated}}`,
		`{"type":"user.created","data":{"long string past eight bytes with \"quotes\" and \\ slashes":"v"}}`,
		``, `null`, `"type"`, `{}`, `{"type":null,"data":{}}`, `[]`,
	} {
		checkEnvelopeAgainstOracle(t, []byte(body))
	}
}

func TestParseEnvelopeDepthLimit(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(`{"type":"x","data":{"a":` + string(bytes.Repeat([]byte("["), n)) + string(bytes.Repeat([]byte("]"), n)) + `}}`)
	}
	// encoding/json allows 10000 levels of nesting in all; the envelope and
	// data take two of them.
	checkEnvelopeAgainstOracle(t, nest(9998))
	checkEnvelopeAgainstOracle(t, nest(9999))
	inAttrs := func(n int) []byte {
		open, closing := string(bytes.Repeat([]byte("["), n)), string(bytes.Repeat([]byte("]"), n))
		return []byte(`{"type":"x","data":{},"event_attributes":{"a":` + open + closing + `,"http_request":{"b":` + open + closing + `}}}`)
	}
	checkEnvelopeAgainstOracle(t, inAttrs(9997))
	checkEnvelopeAgainstOracle(t, inAttrs(9998))
	checkEnvelopeAgainstOracle(t, inAttrs(9999))
	var ev Event
	assert.NotEqual(t, "", parseEnvelope(nest(20000), &ev, false))
}

func TestEventJSONRoundTrip(t *testing.T) {
	body := readFixture(t, "organization.created.json")
	h := signed(t, testSecret, "msg_rt", testNow, body)
	ev, err := mustVerifier(t, testSecret, WithClock(fixedClock(testNow))).Verify(body, h)
	require.NoError(t, err)
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	var back Event
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, ev.ID, back.ID)
	assert.Equal(t, ev.Type, back.Type)
	assert.True(t, ev.SignedAt.Equal(back.SignedAt))
	assert.Equal(t, ev.Attributes, back.Attributes)
	assert.Equal(t, ev.Timestamp, back.Timestamp)
	assert.JSONEq(t, string(ev.Data), string(back.Data))
}

// FuzzEnvelope: parseEnvelope accepts exactly what encoding/json accepts
// under the envelope rules, and reads the same values.
func FuzzEnvelope(f *testing.F) {
	for _, name := range []string{"user.created.json", "session.created.json", "unknown.future.json", "sms.created.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"type":"user.created","data":{"a":[1,"\u00e9",{"b":null}]},"event_attributes":{"http_request":{"client_ip":"x"}}}`))
	f.Add([]byte(`{"type":"x","data":{},"type":"y"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkEnvelopeAgainstOracle(t, body)
	})
}

func TestErrInvalidPayloadIsNotAuthenticationFailure(t *testing.T) {
	for _, auth := range []error{ErrMissingHeader, ErrInvalidHeader, ErrNoMatchingSignature, ErrTimestampTooOld, ErrTimestampTooNew} {
		assert.False(t, errors.Is(ErrInvalidPayload, auth))
	}
}

func abbreviate(b []byte) string {
	if len(b) > 200 {
		return string(b[:100]) + "..." + string(b[len(b)-100:])
	}
	return string(b)
}
