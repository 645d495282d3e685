package clerkwebhook

import (
	"encoding/json"
	"strings"
)

// Envelope keys, as bits for the duplicate check.
const (
	keyType       = 0x01
	keyObject     = 0x02
	keyInstanceID = 0x04
	keyTimestamp  = 0x08
	keyData       = 0x10
	keyAttributes = 0x20
)

// parseEnvelope reads the top-level keys of body into ev and validates the
// rest of the document as JSON without decoding it. It returns "" on success,
// otherwise a short reason for ErrInvalidPayload.
//
// A full encoding/json decode of the envelope costs several times the HMAC
// over the same bytes, because it materialises every nested value of data.
// This reads one pass with no allocation beyond the few strings it keeps.
// Its accept/reject decision is fuzzed against encoding/json (FuzzEnvelope).
//
// Duplicate envelope keys are rejected: parsers disagree on which copy wins,
// and a signed body must mean one thing to every reader.
//
// The event shares no memory with body unless owned is set: Data is copied
// (owned: sliced), and the strings are copied out together into one
// allocation.
func parseEnvelope(body []byte, ev *Event, owned bool) string {
	s := scanner{b: body}
	var text envelopeText
	s.ws()
	if !s.consume('{') {
		return "body is not a JSON object"
	}
	seen := 0
	s.ws()
	if !s.consume('}') {
		for {
			s.ws()
			key, ok := s.key()
			if !ok {
				return s.failure("malformed JSON")
			}
			bit := 0
			switch string(key) {
			case "type":
				bit = keyType
				if text.typ, ok = s.stringBytes(false); !ok {
					return s.failure(`"type" is not a string`)
				}
				if len(text.typ) == 0 {
					return `"type" is empty`
				}
			case "object":
				bit = keyObject
				if text.object, ok = s.stringBytes(true); !ok {
					return s.failure(`"object" is not a string`)
				}
			case "instance_id":
				bit = keyInstanceID
				if text.instanceID, ok = s.stringBytes(true); !ok {
					return s.failure(`"instance_id" is not a string`)
				}
			case "timestamp":
				bit = keyTimestamp
				if ev.Timestamp, ok = s.intValue(); !ok {
					return s.failure(`"timestamp" is not an integer`)
				}
			case "data":
				bit = keyData
				start := s.i
				if s.peek() != '{' || !s.skipValue(1) {
					return s.failure(`"data" is not a JSON object`)
				}
				ev.Data = json.RawMessage(body[start:s.i:s.i])
			case "event_attributes":
				bit = keyAttributes
				if !s.attributes(&text) {
					return s.failure(`"event_attributes" is malformed`)
				}
			default:
				if !s.skipValue(1) {
					return s.failure("malformed JSON")
				}
			}
			if seen&bit != 0 {
				return `duplicate key "` + string(key) + `"`
			}
			seen |= bit
			s.ws()
			if s.consume(',') {
				continue
			}
			if s.consume('}') {
				break
			}
			return s.failure("malformed JSON")
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return "data after the JSON object"
	}
	if seen&keyType == 0 {
		return `no "type"`
	}
	if seen&keyData == 0 {
		return `no "data"`
	}
	if !owned {
		// A make and a copy from a local, which the compiler turns into
		// an allocation it does not zero (bytes.Clone zeroes the tail of
		// its size class).
		src := ev.Data
		data := make([]byte, len(src))
		copy(data, src)
		ev.Data = data
	}
	text.copyTo(ev)
	return ""
}

// envelopeText holds the envelope's strings while the body is parsed, as
// slices of the body (or decoded copies, for strings with escapes).
type envelopeText struct {
	typ, object, instanceID, clientIP, userAgent []byte
}

// copyTo sets ev's string fields from t. The known event types and the
// object "event" are constants; the rest are copied into one string that
// they share, so the event holds no reference to the body and costs one
// allocation for all its strings.
func (t *envelopeText) copyTo(ev *Event) {
	ev.Type = knownType(t.typ)
	typ := t.typ
	if ev.Type != "" {
		typ = nil
	}
	object := t.object
	if string(object) == "event" {
		ev.Object, object = "event", nil
	}
	parts := [...]struct {
		src []byte
		dst *string
	}{
		{object, &ev.Object},
		{t.instanceID, &ev.InstanceID},
		{t.clientIP, &ev.Attributes.HTTPRequest.ClientIP},
		{t.userAgent, &ev.Attributes.HTTPRequest.UserAgent},
	}
	n := len(typ)
	for _, p := range parts {
		n += len(p.src)
	}
	if n == 0 {
		return
	}
	var b strings.Builder
	b.Grow(n)
	b.Write(typ)
	for _, p := range parts {
		b.Write(p.src)
	}
	all := b.String()
	if len(typ) > 0 {
		ev.Type, all = EventType(all[:len(typ)]), all[len(typ):]
	}
	for _, p := range parts {
		if len(p.src) > 0 {
			*p.dst, all = all[:len(p.src)], all[len(p.src):]
		}
	}
}

// attributes reads event_attributes: null, or an object whose http_request
// is null or an object with string client_ip and user_agent.
func (s *scanner) attributes(t *envelopeText) bool {
	if s.literal("null") {
		return true
	}
	return s.object(func(key []byte) bool {
		if string(key) != "http_request" {
			return s.skipValue(2)
		}
		t.clientIP, t.userAgent = nil, nil // a repeated key replaces, as in encoding/json
		if s.literal("null") {
			return true
		}
		return s.object(func(key []byte) bool {
			var ok bool
			switch string(key) {
			case "client_ip":
				t.clientIP, ok = s.stringBytes(true)
			case "user_agent":
				t.userAgent, ok = s.stringBytes(true)
			default:
				ok = s.skipValue(3)
			}
			return ok
		})
	})
}
