// Command eventtypes writes eventtypes_gen.go in the repository root from
// the one table of Clerk event types below: the EventType constants with
// their documentation, the list EventTypes returns (in Clerk's catalog
// order), the payload kind of every Go type, and the registry from event
// type to payload kind that Known, Payload and the accessors use.
//
// Run it with "go generate" in the repository root after changing the
// table; a test fails while the committed file is stale.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"
)

// An eventType is one row of the table.
type eventType struct {
	name    string // the Go constant
	wire    string // the "type" Clerk sends
	payload string // the Go type of its data
	// stub: the data is the payload type or a DeletedObject stub, which
	// Clerk's sources disagree on (role.deleted, permission.deleted).
	stub bool
	note string // an extra sentence for the constant's documentation
}

// The table, in Clerk's catalog order. It is the only list of event types
// in the repository.
var table = []eventType{
	{"UserCreated", "user.created", "User", false, ""},
	{"UserUpdated", "user.updated", "User", false, ""},
	{"UserDeleted", "user.deleted", "DeletedObject", false, ""},

	{"SessionCreated", "session.created", "Session", false, ""},
	{"SessionEnded", "session.ended", "Session", false, ""},
	{"SessionRemoved", "session.removed", "Session", false, ""},
	{"SessionRevoked", "session.revoked", "Session", false, ""},
	{"SessionPending", "session.pending", "Session", false, "It is in Clerk's event catalog but not in its JS SDK's types."},

	{"EmailCreated", "email.created", "Email", false, ""},
	{"SMSCreated", "sms.created", "SMSMessage", false, ""},

	{"OrganizationCreated", "organization.created", "Organization", false, ""},
	{"OrganizationUpdated", "organization.updated", "Organization", false, ""},
	{"OrganizationDeleted", "organization.deleted", "DeletedObject", false, ""},

	{"OrganizationDomainCreated", "organizationDomain.created", "OrganizationDomain", false, ""},
	{"OrganizationDomainUpdated", "organizationDomain.updated", "OrganizationDomain", false, ""},
	{"OrganizationDomainDeleted", "organizationDomain.deleted", "DeletedObject", false, ""},

	{"OrganizationMembershipCreated", "organizationMembership.created", "OrganizationMembership", false, ""},
	{"OrganizationMembershipUpdated", "organizationMembership.updated", "OrganizationMembership", false, ""},
	{"OrganizationMembershipDeleted", "organizationMembership.deleted", "OrganizationMembership", false, "It carries the full membership, not a DeletedObject."},

	{"OrganizationInvitationCreated", "organizationInvitation.created", "OrganizationInvitation", false, ""},
	{"OrganizationInvitationRevoked", "organizationInvitation.revoked", "OrganizationInvitation", false, ""},
	{"OrganizationInvitationAccepted", "organizationInvitation.accepted", "OrganizationInvitation", false, ""},

	{"RoleCreated", "role.created", "Role", false, ""},
	{"RoleUpdated", "role.updated", "Role", false, ""},
	{"RoleDeleted", "role.deleted", "Role", true, ""},

	{"PermissionCreated", "permission.created", "Permission", false, ""},
	{"PermissionUpdated", "permission.updated", "Permission", false, ""},
	{"PermissionDeleted", "permission.deleted", "Permission", true, ""},

	{"WaitlistEntryCreated", "waitlistEntry.created", "WaitlistEntry", false, ""},
	{"WaitlistEntryUpdated", "waitlistEntry.updated", "WaitlistEntry", false, ""},

	{"SubscriptionCreated", "subscription.created", "Subscription", false, ""},
	{"SubscriptionUpdated", "subscription.updated", "Subscription", false, ""},
	{"SubscriptionActive", "subscription.active", "Subscription", false, ""},
	{"SubscriptionPastDue", "subscription.pastDue", "Subscription", false, `It was "subscription.past_due" before Clerk's backend SDK 2.12.0.`},

	{"SubscriptionItemCreated", "subscriptionItem.created", "SubscriptionItem", false, ""},
	{"SubscriptionItemUpdated", "subscriptionItem.updated", "SubscriptionItem", false, ""},
	{"SubscriptionItemActive", "subscriptionItem.active", "SubscriptionItem", false, ""},
	{"SubscriptionItemCanceled", "subscriptionItem.canceled", "SubscriptionItem", false, ""},
	{"SubscriptionItemUpcoming", "subscriptionItem.upcoming", "SubscriptionItem", false, ""},
	{"SubscriptionItemEnded", "subscriptionItem.ended", "SubscriptionItem", false, ""},
	{"SubscriptionItemAbandoned", "subscriptionItem.abandoned", "SubscriptionItem", false, ""},
	{"SubscriptionItemIncomplete", "subscriptionItem.incomplete", "SubscriptionItem", false, ""},
	{"SubscriptionItemPastDue", "subscriptionItem.pastDue", "SubscriptionItem", false, ""},
	{"SubscriptionItemFreeTrialEnding", "subscriptionItem.freeTrialEnding", "SubscriptionItem", false, ""},

	{"PaymentAttemptCreated", "paymentAttempt.created", "PaymentAttempt", false, ""},
	{"PaymentAttemptUpdated", "paymentAttempt.updated", "PaymentAttempt", false, ""},
}

// output is the generated file, relative to the repository root.
const output = "eventtypes_gen.go"

func main() {
	src, err := generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(output, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// generate returns the formatted source of eventtypes_gen.go.
func generate() ([]byte, error) {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("// Code generated by go run ./internal/gen/eventtypes; DO NOT EDIT.\n\n")
	p("package clerkwebhook\n\n")

	p("// Event types Clerk sends. The names follow Clerk's: the resource prefix and\n")
	p("// the part after the dot are camelCase and case-sensitive.\n")
	p("const (\n")
	prefix := ""
	for _, t := range table {
		resource, _, _ := strings.Cut(t.wire, ".")
		if prefix != "" && resource != prefix {
			p("\n")
		}
		prefix = resource
		doc := fmt.Sprintf("%s is %q. %s %s", t.name, t.wire, carries(t), t.note)
		for _, line := range wrap(doc, 72) {
			p("\t// %s\n", line)
		}
		p("\t%s EventType = %q\n", t.name, t.wire)
	}
	p(")\n\n")

	p("// eventTypes lists every event type this package knows, in Clerk's catalog order.\n")
	p("var eventTypes = [...]EventType{\n")
	for _, t := range table {
		p("\t%s,\n", t.name)
	}
	p("}\n\n")

	p("// Payload kinds: how the data of each Go payload type decodes.\n")
	p("var (\n")
	seen := map[string]bool{"DeletedObject": true} // every stub needs it
	p("\tkindDeletedObject = kind[DeletedObject](%q)\n", "DeletedObject")
	for _, t := range table {
		if !seen[t.payload] {
			seen[t.payload] = true
			p("\tkind%s = kind[%s](%q)\n", t.payload, t.payload, t.payload)
		}
	}
	p(")\n\n")

	p("// payloadKinds maps every known event type to the kind of its data.\n")
	p("var payloadKinds = map[EventType]payloadKind{\n")
	for _, t := range table {
		if t.stub {
			p("\t%s: orStub(kind%s),\n", t.name, t.payload)
		} else {
			p("\t%s: kind%s,\n", t.name, t.payload)
		}
	}
	p("}\n")
	return format.Source(b.Bytes())
}

// carries documents what Event.Payload returns for the type. Each payload
// type's accessor on Event has the type's name.
func carries(t eventType) string {
	if t.stub {
		return fmt.Sprintf("Its data decodes into *%s (Event.%s), or into *DeletedObject (Event.DeletedObject) when Clerk sends the stub: its sources document both.", t.payload, t.payload)
	}
	return fmt.Sprintf("Its data decodes into *%s (Event.%s).", t.payload, t.payload)
}

// wrap splits text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
