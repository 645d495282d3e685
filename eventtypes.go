package clerkwebhook

// Event types Clerk sends. The names follow Clerk's: the resource prefix and
// the part after the dot are camelCase and case-sensitive.
const (
	UserCreated EventType = "user.created"
	UserUpdated EventType = "user.updated"
	UserDeleted EventType = "user.deleted"

	SessionCreated EventType = "session.created"
	SessionEnded   EventType = "session.ended"
	SessionRemoved EventType = "session.removed"
	SessionRevoked EventType = "session.revoked"
	// SessionPending is in Clerk's event catalog but not in its JS SDK's types.
	SessionPending EventType = "session.pending"

	EmailCreated EventType = "email.created"
	SMSCreated   EventType = "sms.created"

	OrganizationCreated EventType = "organization.created"
	OrganizationUpdated EventType = "organization.updated"
	OrganizationDeleted EventType = "organization.deleted"

	OrganizationDomainCreated EventType = "organizationDomain.created"
	OrganizationDomainUpdated EventType = "organizationDomain.updated"
	OrganizationDomainDeleted EventType = "organizationDomain.deleted"

	OrganizationMembershipCreated EventType = "organizationMembership.created"
	OrganizationMembershipUpdated EventType = "organizationMembership.updated"
	// OrganizationMembershipDeleted carries the full membership, not a
	// DeletedObject.
	OrganizationMembershipDeleted EventType = "organizationMembership.deleted"

	OrganizationInvitationCreated  EventType = "organizationInvitation.created"
	OrganizationInvitationRevoked  EventType = "organizationInvitation.revoked"
	OrganizationInvitationAccepted EventType = "organizationInvitation.accepted"

	RoleCreated EventType = "role.created"
	RoleUpdated EventType = "role.updated"
	RoleDeleted EventType = "role.deleted"

	PermissionCreated EventType = "permission.created"
	PermissionUpdated EventType = "permission.updated"
	PermissionDeleted EventType = "permission.deleted"

	WaitlistEntryCreated EventType = "waitlistEntry.created"
	WaitlistEntryUpdated EventType = "waitlistEntry.updated"

	SubscriptionCreated EventType = "subscription.created"
	SubscriptionUpdated EventType = "subscription.updated"
	SubscriptionActive  EventType = "subscription.active"
	// SubscriptionPastDue was "subscription.past_due" before Clerk's
	// backend SDK 2.12.0.
	SubscriptionPastDue EventType = "subscription.pastDue"

	SubscriptionItemCreated         EventType = "subscriptionItem.created"
	SubscriptionItemUpdated         EventType = "subscriptionItem.updated"
	SubscriptionItemActive          EventType = "subscriptionItem.active"
	SubscriptionItemCanceled        EventType = "subscriptionItem.canceled"
	SubscriptionItemUpcoming        EventType = "subscriptionItem.upcoming"
	SubscriptionItemEnded           EventType = "subscriptionItem.ended"
	SubscriptionItemAbandoned       EventType = "subscriptionItem.abandoned"
	SubscriptionItemIncomplete      EventType = "subscriptionItem.incomplete"
	SubscriptionItemPastDue         EventType = "subscriptionItem.pastDue"
	SubscriptionItemFreeTrialEnding EventType = "subscriptionItem.freeTrialEnding"

	PaymentAttemptCreated EventType = "paymentAttempt.created"
	PaymentAttemptUpdated EventType = "paymentAttempt.updated"
)

// EventTypes lists every event type this package knows, in Clerk's catalog
// order. The slice is a copy; changing it changes nothing here.
func EventTypes() []EventType {
	return append([]EventType(nil), eventTypes...)
}

var eventTypes = []EventType{
	UserCreated, UserUpdated, UserDeleted,
	SessionCreated, SessionEnded, SessionRemoved, SessionRevoked, SessionPending,
	EmailCreated, SMSCreated,
	OrganizationCreated, OrganizationUpdated, OrganizationDeleted,
	OrganizationDomainCreated, OrganizationDomainUpdated, OrganizationDomainDeleted,
	OrganizationMembershipCreated, OrganizationMembershipUpdated, OrganizationMembershipDeleted,
	OrganizationInvitationCreated, OrganizationInvitationRevoked, OrganizationInvitationAccepted,
	RoleCreated, RoleUpdated, RoleDeleted,
	PermissionCreated, PermissionUpdated, PermissionDeleted,
	WaitlistEntryCreated, WaitlistEntryUpdated,
	SubscriptionCreated, SubscriptionUpdated, SubscriptionActive, SubscriptionPastDue,
	SubscriptionItemCreated, SubscriptionItemUpdated, SubscriptionItemActive, SubscriptionItemCanceled,
	SubscriptionItemUpcoming, SubscriptionItemEnded, SubscriptionItemAbandoned, SubscriptionItemIncomplete,
	SubscriptionItemPastDue, SubscriptionItemFreeTrialEnding,
	PaymentAttemptCreated, PaymentAttemptUpdated,
}

var knownEventTypes = func() map[string]EventType {
	m := make(map[string]EventType, len(eventTypes))
	for _, t := range eventTypes {
		m[string(t)] = t
	}
	return m
}()

// Known reports whether t is one of the event types this package knows.
// An unknown type is not an error: Clerk adds event types over time.
func (t EventType) Known() bool {
	_, ok := knownEventTypes[string(t)]
	return ok
}

// knownType returns the constant for a known type, without allocating, or
// "" for any other.
func knownType(b []byte) EventType {
	return knownEventTypes[string(b)]
}

// nearestKnown returns the known event type closest to t in edit distance,
// for the message that refuses t.
func nearestKnown(t EventType) EventType {
	best, bestDist := EventType(""), -1
	for _, k := range eventTypes {
		if d := editDistance(string(t), string(k)); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
