package clerkwebhook

import (
	"encoding/json"
	"fmt"
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
	// accessors. Verify copies it out of the body: the Event owns it, and
	// reusing or changing the body afterwards changes nothing here.
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

// UnixMillis is a Clerk timestamp: milliseconds since the Unix epoch, as
// every "*_at" field in a webhook payload is. It encodes as a JSON number.
type UnixMillis int64

// Time converts the timestamp to a time.Time in UTC.
func (ms UnixMillis) Time() time.Time { return time.UnixMilli(int64(ms)).UTC() }

// OccurredAt returns when the event happened, from the body's "timestamp".
// Clerk documents it in milliseconds, but some of Clerk's own examples send
// seconds; a value too small to be milliseconds after 1973 is read as
// seconds. It returns the zero time when the body had no timestamp: like
// every optional time in this package, absent is the zero time.Time.
func (e Event) OccurredAt() time.Time {
	if e.Timestamp == 0 {
		return time.Time{}
	}
	if e.Timestamp < 1e11 && e.Timestamp > -1e11 {
		return time.Unix(e.Timestamp, 0).UTC()
	}
	return time.UnixMilli(e.Timestamp).UTC()
}

// payloadKind is the Go type an event type's data decodes into.
type payloadKind struct {
	name   string // the Go type's name, for error messages
	decode func(json.RawMessage) (any, error)
	// orStub marks role.deleted and permission.deleted: Clerk's JS SDK types
	// the full object, its event catalog a DeletedObject stub. Either is
	// accepted; Payload picks by the payload's "deleted" key.
	orStub bool
}

// kind is the payload kind of T, decoded by T's generated decoder
// (decode_gen.go), which means what json.Unmarshal into a new T means.
func kind[T any, P decodable[T]](name string) payloadKind {
	return payloadKind{name: name, decode: func(data json.RawMessage) (any, error) {
		v, err := decodePayload[T, P](data)
		if err != nil {
			return nil, err
		}
		return v, nil
	}}
}

func orStub(k payloadKind) payloadKind { k.orStub = true; return k }

// isStub reports whether data is a deleted-object stub ({"deleted": true}):
// whether json.Unmarshal of data into a struct{ Deleted *bool
// `json:"deleted"` } leaves Deleted pointing to true, with the error that
// decode would have. It reads data with the decoder's readers (decode.go),
// as a generated decoder of that struct would, but keeps the bool itself
// rather than a pointer to it, which would cost an allocation on every stub.
func isStub(data json.RawMessage) (bool, error) {
	d := newDecoder(data)
	deleted := false // *Deleted, or false while Deleted is nil
	if d.openObject("stubProbe") {
		for key, more := d.firstMember(); more; key, more = d.nextMember() {
			if !isDeletedKey(key) {
				d.skip(1)
			} else if d.null() {
				deleted = false
			} else if d.bool(&deleted); d.err != nil {
				d.inField([]string{"deleted"}, 0)
			}
			if d.err != nil {
				break
			}
		}
	}
	if err := d.end(); err != nil {
		return false, err
	}
	return deleted, nil
}

// isDeletedKey reports whether an object key names the field "deleted", as
// encoding/json matches keys: exactly, or folded.
func isDeletedKey(key []byte) bool {
	if string(key) == "deleted" {
		return true
	}
	if len(key) > 4*len("deleted") { // a key that folds to it has as many runes
		return false
	}
	var buf [4 * len("deleted")]byte
	return string(appendFoldedName(buf[:0], key)) == "DELETED"
}

// resolve returns the kind the event's data has: its registered kind, or
// DeletedObject for a stub on role.deleted and permission.deleted.
func (e Event) resolve() (payloadKind, bool, error) {
	k, ok := payloadKinds[e.Type]
	if !ok {
		return payloadKind{}, false, nil
	}
	if k.orStub {
		stub, err := isStub(e.Data)
		if err != nil {
			return payloadKind{}, true, e.decodeError(err)
		}
		if stub {
			return kindDeletedObject, true, nil
		}
	}
	return k, true, nil
}

func (e Event) decodeError(err error) error {
	return fmt.Errorf("%w: decoding the data of %s %s: %v", ErrInvalidPayload, e.Type, e.ID, err)
}

// Payload decodes Data into the Go type for the event's type and returns a
// pointer to it, for a type switch:
//
//	switch p := p.(type) {
//	case *clerkwebhook.User: ...
//	case *clerkwebhook.DeletedObject: ...
//	}
//
// For an event type this package does not know, it returns Data as a
// json.RawMessage and no error, so that a new Clerk event never breaks a
// receiver. role.deleted and permission.deleted yield *DeletedObject when
// the payload is the {"deleted": true} stub and *Role or *Permission when it
// is the full object. A payload that does not decode is ErrInvalidPayload.
func (e Event) Payload() (any, error) {
	k, known, err := e.resolve()
	if err != nil {
		return nil, err
	}
	if !known {
		return e.Data, nil
	}
	v, err := k.decode(e.Data)
	if err != nil {
		return nil, e.decodeError(err)
	}
	return v, nil
}

// decodeAs decodes Data as T when the event carries a T, and fails with
// ErrWrongEventType otherwise.
func decodeAs[T any](e Event, want payloadKind) (*T, error) {
	k, known, err := e.resolve()
	if err != nil {
		return nil, err
	}
	if !known || k.name != want.name {
		carries := "data of a type this package does not know"
		if known {
			carries = k.name + " data"
		}
		return nil, fmt.Errorf("%w: %s carries %s, not %s data", ErrWrongEventType, e.typeForError(), carries, want.name)
	}
	v, err := k.decode(e.Data)
	if err != nil {
		return nil, e.decodeError(err)
	}
	return v.(*T), nil
}

func (e Event) typeForError() string {
	if e.Type == "" {
		return "an event with no type"
	}
	return string(e.Type)
}

// User decodes the data of user.created and user.updated. (user.deleted
// carries a DeletedObject; a session's user is Session().User.)
func (e Event) User() (*User, error) { return decodeAs[User](e, kindUser) }

// Session decodes the data of the session.* events, including the nested user.
func (e Event) Session() (*Session, error) { return decodeAs[Session](e, kindSession) }

// Organization decodes the data of organization.created and organization.updated.
func (e Event) Organization() (*Organization, error) {
	return decodeAs[Organization](e, kindOrganization)
}

// OrganizationMembership decodes the data of the organizationMembership.*
// events; organizationMembership.deleted carries the full membership too.
func (e Event) OrganizationMembership() (*OrganizationMembership, error) {
	return decodeAs[OrganizationMembership](e, kindOrganizationMembership)
}

// OrganizationInvitation decodes the data of the organizationInvitation.*
// events; UserID is set on organizationInvitation.accepted.
func (e Event) OrganizationInvitation() (*OrganizationInvitation, error) {
	return decodeAs[OrganizationInvitation](e, kindOrganizationInvitation)
}

// OrganizationDomain decodes the data of organizationDomain.created and
// organizationDomain.updated.
func (e Event) OrganizationDomain() (*OrganizationDomain, error) {
	return decodeAs[OrganizationDomain](e, kindOrganizationDomain)
}

// Email decodes the data of email.created.
func (e Event) Email() (*Email, error) { return decodeAs[Email](e, kindEmail) }

// SMSMessage decodes the data of sms.created.
func (e Event) SMSMessage() (*SMSMessage, error) { return decodeAs[SMSMessage](e, kindSMSMessage) }

// Role decodes the data of role.created, role.updated, and role.deleted when
// Clerk sends the full role; a role.deleted stub is ErrWrongEventType (use
// DeletedObject).
func (e Event) Role() (*Role, error) { return decodeAs[Role](e, kindRole) }

// Permission decodes the data of permission.created, permission.updated, and
// permission.deleted when Clerk sends the full permission; a stub is
// ErrWrongEventType (use DeletedObject).
func (e Event) Permission() (*Permission, error) { return decodeAs[Permission](e, kindPermission) }

// WaitlistEntry decodes the data of the waitlistEntry.* events.
func (e Event) WaitlistEntry() (*WaitlistEntry, error) {
	return decodeAs[WaitlistEntry](e, kindWaitlistEntry)
}

// DeletedObject decodes the data of user.deleted, organization.deleted,
// organizationDomain.deleted, and the stub form of role.deleted and
// permission.deleted.
func (e Event) DeletedObject() (*DeletedObject, error) {
	return decodeAs[DeletedObject](e, kindDeletedObject)
}

// Subscription decodes the data of the subscription.* events.
func (e Event) Subscription() (*Subscription, error) {
	return decodeAs[Subscription](e, kindSubscription)
}

// SubscriptionItem decodes the data of the subscriptionItem.* events, in
// either of the two shapes Clerk documents.
func (e Event) SubscriptionItem() (*SubscriptionItem, error) {
	return decodeAs[SubscriptionItem](e, kindSubscriptionItem)
}

// PaymentAttempt decodes the data of paymentAttempt.created and paymentAttempt.updated.
func (e Event) PaymentAttempt() (*PaymentAttempt, error) {
	return decodeAs[PaymentAttempt](e, kindPaymentAttempt)
}
