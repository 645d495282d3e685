package clerkwebhook

import (
	"encoding/json"
	"time"
)

// Event is a verified Clerk webhook delivery: the envelope of the body plus
// the message id and timestamp from the signature headers.
//
// Dedupe on ID, not on Data's "id": ID is the svix-id, the same for every
// retry of one delivery and different for every event, while the object id in
// Data is shared by all the events about one user, session or organization.
//
// Event round-trips through encoding/json, so a verified event can be queued
// and handled later without its request.
type Event struct {
	// ID is the message id (svix-id header, "msg_..."): the idempotency key.
	ID string `json:"id"`
	// Type is the event type, such as "user.created".
	Type EventType `json:"type"`
	// Object is the envelope's "object", always "event" from Clerk today.
	Object string `json:"object,omitempty"`
	// InstanceID is the Clerk instance ("ins_...") that sent the event.
	InstanceID string `json:"instance_id,omitempty"`
	// Timestamp is the body's "timestamp" as sent: Unix milliseconds per
	// Clerk's docs, though some of Clerk's examples are in seconds.
	// OccurredAt interprets it.
	Timestamp int64 `json:"timestamp,omitempty"`
	// Attributes describes the request that caused the event, when Clerk
	// sends it (it is absent from older payloads and empty for some
	// system-triggered events).
	Attributes EventAttributes `json:"event_attributes"`
	// Data is the raw "data" object, decoded on demand by the typed
	// accessors. After Verify it aliases the verified body.
	Data json.RawMessage `json:"data"`
	// SignedAt is the svix-timestamp header: when this delivery attempt was
	// signed (a retry has a later SignedAt than the first attempt).
	SignedAt time.Time `json:"signed_at"`
}

// EventAttributes is the envelope's "event_attributes".
type EventAttributes struct {
	HTTPRequest HTTPRequest `json:"http_request"`
}

// HTTPRequest is the request that caused an event, as Clerk saw it.
type HTTPRequest struct {
	ClientIP  string `json:"client_ip"`
	UserAgent string `json:"user_agent"`
}

// EventType is a Clerk event type such as "user.created". Types are
// case-sensitive ("subscription.pastDue"). A value not among this package's
// constants is a new Clerk event type, not an error.
type EventType string

// String returns the type as sent, such as "user.created".
func (t EventType) String() string { return string(t) }

// Envelope keys, as bits for the duplicate check.
const (
	keyType = 1 << iota
	keyObject
	keyInstanceID
	keyTimestamp
	keyData
	keyAttributes
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
func parseEnvelope(body []byte, ev *Event) string {
	s := scanner{b: body}
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
				str, ok := s.stringBytes(false)
				if !ok {
					return s.failure(`"type" is not a string`)
				}
				if len(str) == 0 {
					return `"type" is empty`
				}
				ev.Type = internType(str)
			case "object":
				bit = keyObject
				str, ok := s.stringBytes(true)
				if !ok {
					return s.failure(`"object" is not a string`)
				}
				ev.Object = internObject(str)
			case "instance_id":
				bit = keyInstanceID
				if ev.InstanceID, ok = s.stringValue(true); !ok {
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
				if !s.attributes(&ev.Attributes) {
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
	return ""
}

// attributes reads event_attributes: null, or an object whose http_request
// is null or an object with string client_ip and user_agent.
func (s *scanner) attributes(a *EventAttributes) bool {
	if s.literal("null") {
		return true
	}
	return s.object(func(key []byte) bool {
		if string(key) != "http_request" {
			return s.skipValue(2)
		}
		a.HTTPRequest = HTTPRequest{} // a repeated key replaces, as in encoding/json
		if s.literal("null") {
			return true
		}
		return s.object(func(key []byte) bool {
			var ok bool
			switch string(key) {
			case "client_ip":
				a.HTTPRequest.ClientIP, ok = s.stringValue(true)
			case "user_agent":
				a.HTTPRequest.UserAgent, ok = s.stringValue(true)
			default:
				ok = s.skipValue(3)
			}
			return ok
		})
	})
}

// internObject avoids an allocation for the one value Clerk sends.
func internObject(b []byte) string {
	if string(b) == "event" {
		return "event"
	}
	return string(b)
}

// UnixMillis is a Clerk timestamp: milliseconds since the Unix epoch, as
// every "*_at" field in a webhook payload is. It encodes as a JSON number.
type UnixMillis int64

// Time converts the timestamp to a time.Time in UTC.
func (ms UnixMillis) Time() time.Time { return time.UnixMilli(int64(ms)).UTC() }
