package clerkwebhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

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
	t.Parallel()
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
	t.Parallel()
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

// TestParseEnvelopeReasons pins what parseEnvelope says about each body: ""
// for an envelope it accepts, else the reason ErrInvalidPayload carries,
// with the byte the scanner stopped at.
func TestParseEnvelopeReasons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, reason string }{
		{"", "body is not a JSON object"},
		{" ", "body is not a JSON object"},
		{"[]", "body is not a JSON object"},
		{"null", "body is not a JSON object"},
		{"{", "malformed JSON at byte 1"},
		{"{ ", "malformed JSON at byte 2"},
		{"{}", "no \"type\""},
		{"{\"type\":\"x\",\"data\":{}}", ""},
		{"{\"type\":\"x\",\"data\":{}} x", "data after the JSON object"},
		{"{\"type\":\"x\",\"data\":{}}}", "data after the JSON object"},
		{"{\"type\":\"x\",\"data\":{}} ", ""},
		{"{\"data\":{}}", "no \"type\""},
		{"{\"type\":\"x\"}", "no \"data\""},
		{"{\"type\":\"\",\"data\":{}}", "\"type\" is empty"},
		{"{\"type\":null,\"data\":{}}", "\"type\" is not a string at byte 8"},
		{"{\"type\":1,\"data\":{}}", "\"type\" is not a string at byte 8"},
		{"{\"type\":\"x\\u\",\"data\":{}}", "\"type\" is not a string at byte 8"},
		{"{\"type\":\"x", "\"type\" is not a string at byte 8"},
		{"{\"type\":\"x\\", "\"type\" is not a string at byte 8"},
		{"{\"type\":", "\"type\" is not a string at byte 8"},
		{"{\"type\"", "malformed JSON at byte 7"},
		{"{\"type\"x", "malformed JSON at byte 7"},
		{"{\"type\":\"x\"", "malformed JSON at byte 11"},
		{"{\"type\":\"x\",", "malformed JSON at byte 12"},
		{"{\"type\":\"x\" ,", "malformed JSON at byte 13"},
		{"{\"type\":\"x\";", "malformed JSON at byte 11"},
		{"{\"type\":\"x\",\"data\":[]}", "\"data\" is not a JSON object at byte 19"},
		{"{\"type\":\"x\",\"data\":null}", "\"data\" is not a JSON object at byte 19"},
		{"{\"type\":\"x\",\"data\":", "\"data\" is not a JSON object at byte 19"},
		{"{\"type\":\"x\",\"data\":{", "\"data\" is not a JSON object at byte 19"},
		{"{\"type\":\"x\",\"data\":{]}", "\"data\" is not a JSON object at byte 19"},
		{"{\"type\":\"x\",\"type\":\"y\",\"data\":{}}", "duplicate key \"type\""},
		{"{\"type\":\"x\",\"data\":{},\"data\":{}}", "duplicate key \"data\""},
		{"{\"type\":\"x\",\"data\":{},\"object\":\"a\",\"object\":\"b\"}", "duplicate key \"object\""},
		{"{\"type\":\"x\",\"data\":{},\"instance_id\":\"a\",\"instance_id\":null}", "duplicate key \"instance_id\""},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":1,\"timestamp\":2}", "duplicate key \"timestamp\""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":null,\"event_attributes\":null}", "duplicate key \"event_attributes\""},
		{"{\"type\":\"x\",\"data\":{},\"x\":1,\"x\":2}", ""},
		{"{\"type\":\"x\",\"data\":{},\"object\":1}", "\"object\" is not a string at byte 31"},
		{"{\"type\":\"x\",\"data\":{},\"object\":nul}", "\"object\" is not a string at byte 31"},
		{"{\"type\":\"x\",\"data\":{},\"object\":null", "malformed JSON at byte 35"},
		{"{\"type\":\"x\",\"data\":{},\"object\":\"event\"", "malformed JSON at byte 38"},
		{"{\"type\":\"x\",\"data\":{},\"instance_id\":true}", "\"instance_id\" is not a string at byte 36"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":1.5}", "\"timestamp\" is not an integer at byte 37"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":1e3}", "\"timestamp\" is not an integer at byte 37"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":\"1\"}", "\"timestamp\" is not an integer at byte 34"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":9223372036854775808}", "\"timestamp\" is not an integer at byte 53"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":", "\"timestamp\" is not an integer at byte 34"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":12", "malformed JSON at byte 36"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":null", "malformed JSON at byte 38"},
		{"{\"type\":\"x\",\"data\":{},\"timestamp\":nul}", "\"timestamp\" is not an integer at byte 34"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":[]}", "\"event_attributes\" is malformed at byte 41"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":1}", "\"event_attributes\" is malformed at byte 41"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":1}}", "\"event_attributes\" is malformed at byte 57"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"client_ip\":1}}}", "\"event_attributes\" is malformed at byte 70"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"user_agent\":[]}}}", "\"event_attributes\" is malformed at byte 71"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"x\":tru}}}", "\"event_attributes\" is malformed at byte 62"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"x\":tru}}", "\"event_attributes\" is malformed at byte 46"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{}", "\"event_attributes\" is malformed at byte 59"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"client_ip\":\"a\",}}}", "\"event_attributes\" is malformed at byte 74"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"client_ip\":\"a\"]}}", "\"event_attributes\" is malformed at byte 73"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"client_ip\" \"a\"}}}", "\"event_attributes\" is malformed at byte 70"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{,}}", "\"event_attributes\" is malformed at byte 42"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{}", "malformed JSON at byte 43"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{", "\"event_attributes\" is malformed at byte 42"},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":", "\"event_attributes\" is malformed at byte 41"},
		{"{\"type\":\"x\",\"data\":{},\"x\":tru}", "malformed JSON at byte 26"},
		{"{\"type\":\"x\",\"data\":{},\"x\":[1}}", "malformed JSON at byte 26"},
		{"{\"type\":\"x\",\"data\":{},\"x\":", "malformed JSON at byte 26"},
		{"{\"type\":\"x\",\"data\":{},1:2}", "malformed JSON at byte 22"},
		{"{\"type\":\"x\",\"data\":{},}", "malformed JSON at byte 22"},
		{"{\"type\":\"x\",\"data\":{} \"x\":1}", "malformed JSON at byte 22"},
		{"{\"type\":\"x\",\"data\":{},\"x\":1 ,\"y\":2}", ""},
		{"{\"typ\\u0065\":\"x\",\"data\":{}}", ""},
		{"{\"type\":\"x\",\"data\":{},\"object\":null}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":null}}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":null}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{}}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{ }}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{ }}}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"http_request\":{\"client_ip\":null,\"user_agent\":null}}}", ""},
		{"{\"type\":\"x\",\"data\":{},\"event_attributes\":{\"a\":1,\"http_request\":{\"b\":[],\"client_ip\":\"c\"},\"d\":{}}}", ""},
		{" { \"type\" : \"x\" , \"data\" : { } , \"event_attributes\" : { \"http_request\" : { \"client_ip\" : \"a\" , \"user_agent\" : \"b\" } } } ", ""},
	} {
		var ev Event
		assert.Equal(t, tc.reason, parseEnvelope([]byte(tc.body), &ev, false), "%q", tc.body)
		checkEnvelopeAgainstOracle(t, []byte(tc.body))
	}
}

func TestParseEnvelopeValues(t *testing.T) {
	t.Parallel()
	type req = HTTPRequest
	for _, tc := range []struct {
		body string
		want Event
	}{
		{`{"type":"user.created","object":"event","instance_id":"ins_1","timestamp":10,"data":{"a":1},"event_attributes":{"http_request":{"client_ip":"1.2.3.4","user_agent":"ua"}}}`,
			Event{Type: "user.created", Object: "event", InstanceID: "ins_1", Timestamp: 10, Data: []byte(`{"a":1}`), Attributes: EventAttributes{req{"1.2.3.4", "ua"}}}},
		{`{"type":"x.y","object":"obj","instance_id":"ins","timestamp":-90,"data":{}}`,
			Event{Type: "x.y", Object: "obj", InstanceID: "ins", Timestamp: -90, Data: []byte(`{}`)}},
		{`{"type":"user.created","data":{}}`, Event{Type: "user.created", Data: []byte(`{}`)}},
		{`{"type":"x.y","data":{}}`, Event{Type: "x.y", Data: []byte(`{}`)}},
		{`{"type":"session.created","object":"event","data":{ }}`, Event{Type: "session.created", Object: "event", Data: []byte(`{ }`)}},
		{`{"type":"user.created","object":"event","instance_id":"","data":{}}`, Event{Type: "user.created", Object: "event", Data: []byte(`{}`)}},
		{`{"type":"user.created","object":"","instance_id":"i","data":{}}`, Event{Type: "user.created", InstanceID: "i", Data: []byte(`{}`)}},
		{`{"type":"x.y","object":"event","instance_id":"i","data":{}}`, Event{Type: "x.y", Object: "event", InstanceID: "i", Data: []byte(`{}`)}},
		{`{"type":"us\u0065r.created","object":"ev\u0065nt","data":{}}`, Event{Type: "user.created", Object: "event", Data: []byte(`{}`)}},
		{`{"type":"x\u00af\u00AFy","data":{}}`, Event{Type: "x\u00af\u00afy", Data: []byte(`{}`)}},
		{"{\"type\":\"x\xffy\",\"data\":{}}", Event{Type: "x\ufffdy", Data: []byte(`{}`)}},
		{`{"type":"user.created","object":null,"instance_id":null,"timestamp":null,"data":{},"event_attributes":{"http_request":{"client_ip":null,"user_agent":"\u00e9"}}}`,
			Event{Type: "user.created", Data: []byte(`{}`), Attributes: EventAttributes{req{"", "\u00e9"}}}},
		{`{"type":"user.created","data":{},"event_attributes":{"http_request":{"client_ip":"a"},"http_request":{"user_agent":"b"}}}`,
			Event{Type: "user.created", Data: []byte(`{}`), Attributes: EventAttributes{req{"", "b"}}}},
		{`{"type":"user.created","data":{},"event_attributes":{"http_request":{"client_ip":"a","user_agent":"b"},"http_request":null}}`,
			Event{Type: "user.created", Data: []byte(`{}`)}},
		{`{"type":"x","data":{},"timestamp":1234567890}`, Event{Type: "x", Timestamp: 1234567890, Data: []byte(`{}`)}},
		{`{"type":"x","data":{},"timestamp":-9223372036854775808}`, Event{Type: "x", Timestamp: -9223372036854775808, Data: []byte(`{}`)}},
		{`{"type":"x","data":{},"timestamp":-0}`, Event{Type: "x", Data: []byte(`{}`)}},
		{`{"type":"x","data":{"a":[1,{"b":"\u00e9"}]} }`, Event{Type: "x", Data: []byte(`{"a":[1,{"b":"\u00e9"}]}`)}},
	} {
		var got Event
		if assert.Equal(t, "", parseEnvelope([]byte(tc.body), &got, false), "%q", tc.body) {
			assert.Equal(t, tc.want, got, "%q", tc.body)
		}
		checkEnvelopeAgainstOracle(t, []byte(tc.body))
	}
}

// Data is a copy of the body's bytes, unless the caller owns the body.
func TestParseEnvelopeDataOwnership(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"x","data":{"a":1},"object":"o"}`)
	var ev Event
	require.Equal(t, "", parseEnvelope(body, &ev, false))
	body[20] = 'X'
	assert.Equal(t, `{"a":1}`, string(ev.Data))

	body = []byte(`{"type":"x","data":{"a":1},"object":"o"}`)
	var owned Event
	require.Equal(t, "", parseEnvelope(body, &owned, true))
	assert.Same(t, &body[19], &owned.Data[0])
	assert.Equal(t, len(owned.Data), cap(owned.Data), "appending to Data must not write into the body")
}

func TestOccurredAtBoundaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ts   int64
		want time.Time
	}{
		{0, time.Time{}},
		{1, time.Unix(1, 0).UTC()},
		{-1, time.Unix(-1, 0).UTC()},
		{1e11 - 1, time.Unix(1e11-1, 0).UTC()},
		{1e11, time.UnixMilli(1e11).UTC()},
		{-1e11 + 1, time.Unix(-1e11+1, 0).UTC()},
		{-1e11, time.UnixMilli(-1e11).UTC()},
	} {
		assert.Equal(t, tc.want, Event{Timestamp: tc.ts}.OccurredAt(), "timestamp %d", tc.ts)
	}
}

func TestEventJSONRoundTrip(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
