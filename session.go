package clerkwebhook

import (
	"encoding/json"
	"unicode/utf8"
)

// Session is the data of the session.* events (session.created,
// session.ended, session.removed, session.revoked and, in the catalog only,
// session.pending).
type Session struct {
	ID       string `json:"id"`        // "sess_..."
	Object   string `json:"object"`    // "session"
	ClientID string `json:"client_id"` // "client_..."
	UserID   string `json:"user_id"`
	// Status is one of "active", "revoked", "ended", "expired", "removed",
	// "abandoned", "replaced" or "pending"; treat other values as possible.
	Status string `json:"status"`
	// LastActiveOrganizationID may be null or absent.
	LastActiveOrganizationID *string `json:"last_active_organization_id,omitempty"`
	// Actor is the impersonator, or nil when the session is not an
	// impersonation session.
	Actor *Actor `json:"actor"`
	// LatestActivity describes the device of the session; it may be null
	// or absent.
	LatestActivity *SessionActivity `json:"latest_activity,omitempty"`

	LastActiveAt UnixMillis `json:"last_active_at"`
	ExpireAt     UnixMillis `json:"expire_at"`
	// AbandonAt is when the session is abandoned if never used again.
	AbandonAt UnixMillis `json:"abandon_at"`
	CreatedAt UnixMillis `json:"created_at"`
	UpdatedAt UnixMillis `json:"updated_at"`

	// User is the session's user as of the event. Webhook payloads always
	// carry it (since @clerk/backend 2.x), but it is typed as nullable.
	User *User `json:"user"`
}

// SessionActivity describes the device and place a session was last used
// from. Clerk derives it from the request; any of the optional strings may
// be missing.
type SessionActivity struct {
	ID       string `json:"id"`     // "activity_..."
	Object   string `json:"object"` // "session_activity"
	IsMobile bool   `json:"is_mobile"`
	// DeviceType is such as "Macintosh" or "iPhone".
	DeviceType     *string `json:"device_type,omitempty"`
	BrowserName    *string `json:"browser_name,omitempty"`
	BrowserVersion *string `json:"browser_version,omitempty"`
	IPAddress      *string `json:"ip_address,omitempty"`
	City           *string `json:"city,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code such as "GB".
	Country *string `json:"country,omitempty"`
}

// Actor is the "act" claim of an impersonation session: who is acting as the
// session's user. Clerk defines only "sub" and "type" and allows any other
// keys (for example "iss" and "sid" for impersonation from the Dashboard).
//
// Actor round-trips losslessly: UnmarshalJSON keeps every key other than
// "sub" and "type" in Extra as raw JSON, and MarshalJSON writes them back. A
// "type" that is present but empty is the one thing not preserved.
type Actor struct {
	// Sub is the id of the acting user (or agent).
	Sub string `json:"sub"`
	// Type is "agent" for an agent acting for the user; otherwise empty.
	Type string `json:"type,omitempty"`
	// Extra holds every other key of the object, with its raw JSON value.
	// On encoding, a "sub" or "type" key in Extra is overridden by the
	// fields.
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an actor object, keeping unknown keys in Extra.
// JSON null leaves a zero Actor.
func (a *Actor) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	*a = Actor{}
	if raw, ok := all["sub"]; ok {
		if err := json.Unmarshal(raw, &a.Sub); err != nil {
			return err
		}
		delete(all, "sub")
	}
	if raw, ok := all["type"]; ok {
		if err := json.Unmarshal(raw, &a.Type); err != nil {
			return err
		}
		delete(all, "type")
	}
	if len(all) > 0 {
		a.Extra = all
	}
	return nil
}

// decodeJSON is UnmarshalJSON for the payload decoders (decode.go): it
// decodes what UnmarshalJSON decodes, and fails where it fails, without the
// map and the copies UnmarshalJSON makes on its way. As in the map that
// UnmarshalJSON reads, the last "sub" and the last "type" count, keys are
// matched exactly, and Extra takes every other key, the last value of a
// repeated one. The differential fuzz target of Session holds the two to
// this.
func (a *Actor) decodeJSON(d *decoder, depth int) {
	if d.null() {
		*a = Actor{}
		return
	}
	if !d.openObject("Actor") {
		return
	}
	*a = Actor{}
	sub, typ := -1, -1 // where the last "sub" and "type" values start
	for key, more := d.firstMember(); more; key, more = d.nextMember() {
		if !utf8.Valid(key) { // raw bytes (an unescaped key is valid UTF-8 already)
			key = d.unquote(key)
		}
		start := d.i
		d.skip(depth + 1)
		if d.err != nil {
			return
		}
		switch string(key) {
		case "sub":
			sub = start
		case "type":
			typ = start
		default:
			if a.Extra == nil {
				a.Extra = make(map[string]json.RawMessage)
			}
			a.Extra[d.keep(key)] = d.keepRaw(d.b[start:d.i])
		}
	}
	if d.err != nil {
		return
	}
	end := d.i
	if sub >= 0 {
		d.i = sub
		d.str(&a.Sub)
	}
	if typ >= 0 && d.err == nil {
		d.i = typ
		d.str(&a.Type)
	}
	if d.err == nil {
		d.i = end
	}
}

// MarshalJSON encodes the actor as one object: the keys of Extra plus "sub",
// and "type" when it is not empty. Keys are written in sorted order.
func (a Actor) MarshalJSON() ([]byte, error) {
	all := make(map[string]json.RawMessage, len(a.Extra)+2)
	for k, v := range a.Extra {
		all[k] = v
	}
	sub, err := json.Marshal(a.Sub)
	if err != nil {
		return nil, err
	}
	all["sub"] = sub
	if a.Type != "" {
		typ, err := json.Marshal(a.Type)
		if err != nil {
			return nil, err
		}
		all["type"] = typ
	} else {
		delete(all, "type")
	}
	return json.Marshal(all)
}
