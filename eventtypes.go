package clerkwebhook

// EventType is a Clerk event type such as "user.created". Types are
// case-sensitive ("subscription.pastDue"). A value not among this package's
// constants is a new Clerk event type, not an error.
//
// The constants, EventTypes, Known and the payload registry all derive from
// one table, in internal/gen/eventtypes.
type EventType string

// String returns the type as sent, such as "user.created".
func (t EventType) String() string { return string(t) }

// EventTypes lists every event type this package knows, in Clerk's catalog
// order. The slice is a copy; changing it changes nothing here.
func EventTypes() []EventType {
	return append([]EventType(nil), eventTypes[:]...)
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
