package clerkriver

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/seed77920f6a/clerkwebhook"
)

// Kind is the River job kind of Args: the kind column of every job this
// package inserts, for filtering with river.JobListParams.Kinds.
const Kind = "clerkwebhook.event"

// CompletedJobRetention is the least river.Config.CompletedJobRetentionPeriod
// to give every River client on the database (or PostgreSQL schema) that
// holds these jobs. A completed job's row is what rejects a later delivery
// of the same message, and River deletes it after that period: 24 hours by
// default, shorter than Svix's retry schedule (about 28 hours). Any client
// may be the leader that runs River's job cleaner, so set it on all of them;
// -1 keeps completed jobs for ever.
const CompletedJobRetention = 72 * time.Hour

// errNoMessageID is returned when encoding Args whose event has no ID: such
// jobs could not be told apart, and all but the first would be dropped as
// duplicates.
var errNoMessageID = errors.New("clerkriver: the event has no ID (svix-id), so its job cannot be made unique")

// Args are the arguments of the River job that runs one verified event's
// callback: the event itself and its message id. Queue inserts them;
// NewWorker works them.
//
// A job is unique by the message id alone (Event.ID, the svix-id shared by
// every retry of a delivery), not by the whole event: a retry has a later
// SignedAt. River's unique constraint covers the states available, pending,
// scheduled, running, retryable and completed, so a second insert of the
// same message is skipped until the completed job is deleted (see
// CompletedJobRetention). A cancelled or discarded job does not block a new
// insert: a delivery replayed from Clerk's dashboard after a fix runs again.
//
// Stored, Args are a JSON object of two strings: "message_id", and "event",
// the event's encoding/json encoding as a string. The event is a string and
// not a nested object because PostgreSQL stores River's args as jsonb, which
// refuses some valid JSON (the escape \u0000, a lone surrogate such as
// \ud800) that a Clerk payload can hold, for instance in metadata a user
// wrote: such an event could never be stored, and Svix would retry it until
// it gave up. As a string, any event is stored, and decoded back as
// encoding/json decodes it. In SQL, (args->>'event')::jsonb reads the event
// as an object (but for those few).
type Args struct {
	// Event is the verified event the job runs the callback for.
	Event clerkwebhook.Event
	// MessageID is Event.ID, the key of River's unique constraint (River
	// finds it by its river:"unique" tag). Encoding writes Event.ID here
	// whatever the field holds, so that it can never disagree with the
	// event; after decoding, in a worker, the two are equal.
	MessageID string `json:"message_id" river:"unique"`
}

// storedArgs is the JSON form of Args.
type storedArgs struct {
	Event     string `json:"event"`
	MessageID string `json:"message_id"`
}

// Kind implements river.JobArgs; it returns the constant Kind.
func (Args) Kind() string { return Kind }

// InsertOpts implements river.JobArgsWithInsertOpts: uniqueness by
// MessageID in every state but cancelled and discarded. Options given to an
// insert call that set UniqueOpts replace these; Queue gives none.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStateCompleted,
			rivertype.JobStatePending,
			rivertype.JobStateRetryable,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		},
	}}
}

// MarshalJSON encodes a with MessageID set to Event.ID. An event with an
// empty ID is an error: every such job would share one unique key.
func (a Args) MarshalJSON() ([]byte, error) {
	if a.Event.ID == "" {
		return nil, errNoMessageID
	}
	event, err := json.Marshal(a.Event)
	if err != nil {
		return nil, err
	}
	return json.Marshal(storedArgs{Event: string(event), MessageID: a.Event.ID})
}

// UnmarshalJSON decodes what MarshalJSON encoded. Other JSON, or an event
// that does not decode, is an error; River counts it as a failed attempt of
// the job, as it does an error from the worker.
func (a *Args) UnmarshalJSON(b []byte) error {
	var s storedArgs
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	var e clerkwebhook.Event
	if err := json.Unmarshal([]byte(s.Event), &e); err != nil {
		return fmt.Errorf("clerkriver: decoding the event of message %s: %w", s.MessageID, err)
	}
	*a = Args{Event: e, MessageID: s.MessageID}
	return nil
}
