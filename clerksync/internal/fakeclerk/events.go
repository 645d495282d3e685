package fakeclerk

import (
	"encoding/json"
	"fmt"
	"strings"
)

// envelopeJSON is Clerk's webhook envelope, keys in Clerk's order.
type envelopeJSON struct {
	Data            any             `json:"data"`
	EventAttributes eventAttributes `json:"event_attributes"`
	InstanceID      string          `json:"instance_id"`
	Object          string          `json:"object"`
	Timestamp       int64           `json:"timestamp"`
	Type            string          `json:"type"`
}

type eventAttributes struct {
	HTTPRequest struct {
		ClientIP  string `json:"client_ip"`
		UserAgent string `json:"user_agent"`
	} `json:"http_request"`
}

// deletedJSON is the data of user.deleted and organization.deleted.
type deletedJSON struct {
	Object     string `json:"object"`
	ID         string `json:"id"`
	Slug       string `json:"slug,omitempty"`
	Deleted    bool   `json:"deleted"`
	ExternalID string `json:"external_id,omitempty"`
}

// Event returns the body of the webhook event Clerk sends for a change of
// the record with the id, in Clerk's envelope ({"data", "event_attributes",
// "instance_id", "object":"event", "timestamp", "type"}), for typ one of
// user.created, user.updated, user.deleted, organization.created,
// organization.updated, organization.deleted,
// organizationMembership.created, organizationMembership.updated and
// organizationMembership.deleted.
//
// A created or updated event carries the record as the API serves it now
// (or its last state, if it was deleted since) and is stamped with its
// updated_at. A deleted event needs the record deleted and is stamped with
// the deletion: user.deleted and organization.deleted carry Clerk's stub
// ({"object","id","deleted":true}, with the user's external_id or the
// organization's slug), organizationMembership.deleted the whole
// membership as it was. Event panics on another type, an unknown id, or a
// deleted event for a record that exists.
func (s *Server) Event(typ, id string) []byte {
	kind, action, _ := strings.Cut(typ, ".")
	switch action {
	case "created", "updated", "deleted":
	default:
		panic(fmt.Sprintf("fakeclerk: Event: unsupported type %q", typ))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.live(kind, id)
	gone, isGone := s.st.gone[id]
	if live == nil && !isGone {
		panic(fmt.Sprintf("fakeclerk: Event(%s): no record %q", typ, id))
	}
	if action == "deleted" && !isGone {
		panic(fmt.Sprintf("fakeclerk: Event(%s): %s is not deleted", typ, id))
	}
	rec := live
	if rec == nil {
		rec = gone.record
	}
	env := envelopeJSON{InstanceID: s.instance, Object: "event", Type: typ}
	env.EventAttributes.HTTPRequest.ClientIP = "192.0.2.1"
	env.EventAttributes.HTTPRequest.UserAgent = "fakeclerk"
	switch r := rec.(type) {
	case User:
		if kind != "user" {
			panic(fmt.Sprintf("fakeclerk: Event(%s): %s is a user", typ, id))
		}
		if action == "deleted" {
			env.Data, env.Timestamp = deletedJSON{Object: "user", ID: id, Deleted: true, ExternalID: r.ExternalID}, gone.at
		} else {
			env.Data, env.Timestamp = s.renderUser(&r), r.UpdatedAt
		}
	case Organization:
		if kind != "organization" {
			panic(fmt.Sprintf("fakeclerk: Event(%s): %s is an organization", typ, id))
		}
		if action == "deleted" {
			env.Data, env.Timestamp = deletedJSON{Object: "organization", ID: id, Slug: r.Slug, Deleted: true}, gone.at
		} else {
			env.Data, env.Timestamp = s.renderOrganization(&r, true), r.UpdatedAt
		}
	case Membership:
		if kind != "organizationMembership" {
			panic(fmt.Sprintf("fakeclerk: Event(%s): %s is a membership", typ, id))
		}
		env.Data, env.Timestamp = s.renderMembership(&r), r.UpdatedAt
		if action == "deleted" {
			env.Timestamp = gone.at
		}
	}
	body, err := json.Marshal(env)
	if err != nil {
		panic("fakeclerk: " + err.Error())
	}
	return body
}

// live returns the existing record of the kind with the id, as a value, or
// nil.
func (s *Server) live(kind, id string) any {
	switch kind {
	case "user":
		if u := s.st.userByID[id]; u != nil {
			return *u
		}
	case "organization":
		if o := s.st.orgByID[id]; o != nil {
			return *o
		}
	case "organizationMembership":
		if m := s.st.mems[id]; m != nil {
			return *m
		}
	default:
		panic(fmt.Sprintf("fakeclerk: Event: unsupported type %s.*", kind))
	}
	return nil
}
