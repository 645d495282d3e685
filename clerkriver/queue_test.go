package clerkriver_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
)

// The Queue on each driver: one job per message id, while it waits and after
// it completed; inserts inside the app's transaction; an event without an id.

// Two deliveries of one message (the retry signed later) make one job, a
// second message makes another, and a delivery of the first after its job
// completed is still a duplicate: River skips it and Enqueue returns nil.
func TestUniqueByMessageID(t *testing.T) {
	t.Parallel()
	eachDriver(t, testUniqueByMessageID[pgx.Tx], testUniqueByMessageID[*sql.Tx])
}

func testUniqueByMessageID[TTx any](t *testing.T, b *backend[TTx]) {
	ctx := context.Background()
	calls := &runs{}
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		calls.called(e.ID, true)
		return nil
	})
	client := workerClient(t, b, h, 10) // started below, once both are stored
	q := clerkriver.NewQueue(client)

	first, second := newEvent(), newEvent()
	retry := first
	retry.SignedAt = first.SignedAt.Add(5 * time.Minute)
	require.NoError(t, q.Enqueue(ctx, first))
	require.NoError(t, q.Enqueue(ctx, retry), "a duplicate is success")
	res, err := client.Insert(ctx, clerkriver.Args{Event: retry}, nil)
	require.NoError(t, err)
	assert.True(t, res.UniqueSkippedAsDuplicate, "River inserted the retry as a new job")
	require.Len(t, jobs(t, client), 1, "two deliveries of one message")
	require.NoError(t, q.Enqueue(ctx, second))
	all := jobs(t, client)
	require.Len(t, all, 2, "two messages")

	start(t, client)
	for _, j := range all {
		waitForState(t, client, j.ID, rivertype.JobStateCompleted, 10*time.Second)
	}
	later := first
	later.SignedAt = first.SignedAt.Add(time.Hour)
	require.NoError(t, q.Enqueue(ctx, later), "a delivery of a completed message")
	require.Len(t, jobs(t, client), 2, "a delivery of a completed message was stored again")
	stopWorking(t, client) // a job run for it has run by now
	for _, e := range []clerkwebhook.Event{first, second} {
		n, _ := calls.of(e.ID)
		assert.Equal(t, 1, n, "runs of message %s", e.ID)
	}
	assert.Equal(t, first, onlyArgs(t, all[0]).Event, "the job holds the first delivery")
}

// onlyArgs decodes a job's args as River's worker would.
func onlyArgs(t *testing.T, j *rivertype.JobRow) clerkriver.Args {
	t.Helper()
	var a clerkriver.Args
	require.NoError(t, json.Unmarshal(j.EncodedArgs, &a))
	return a
}

// EnqueueTx stores the job with the app's transaction: not at all when it
// rolls back, once when it commits, and a duplicate within it is skipped.
func TestEnqueueTx(t *testing.T) {
	t.Parallel()
	eachDriver(t, testEnqueueTx[pgx.Tx], testEnqueueTx[*sql.Tx])
}

func testEnqueueTx[TTx any](t *testing.T, b *backend[TTx]) {
	// Bounded: on SQLite, an insert outside tx would wait for ever for the
	// one connection, which tx holds.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := insertClient(t, b)
	q := clerkriver.NewQueue(client)
	e := newEvent()

	tx, err := b.begin(ctx)
	require.NoError(t, err)
	require.NoError(t, q.EnqueueTx(ctx, tx, e))
	require.NoError(t, b.rollback(ctx, tx))
	assert.Empty(t, jobs(t, client), "a job of a rolled-back transaction")

	tx, err = b.begin(ctx)
	require.NoError(t, err)
	require.NoError(t, q.EnqueueTx(ctx, tx, e))
	require.NoError(t, q.EnqueueTx(ctx, tx, e), "a duplicate in the same transaction")
	require.NoError(t, b.commit(ctx, tx))
	j := onlyJob(t, client)
	assert.Equal(t, e, onlyArgs(t, j).Event)
	assert.Equal(t, rivertype.JobStateAvailable, j.State)
}

// An event without an id is refused, not stored under an empty key.
func TestEnqueueEventWithoutID(t *testing.T) {
	t.Parallel()
	eachDriver(t, testEnqueueEventWithoutID[pgx.Tx], testEnqueueEventWithoutID[*sql.Tx])
}

func testEnqueueEventWithoutID[TTx any](t *testing.T, b *backend[TTx]) {
	client := insertClient(t, b)
	e := newEvent()
	e.ID = ""
	err := clerkriver.NewQueue(client).Enqueue(context.Background(), e)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no ID")
	assert.Empty(t, jobs(t, client))
}

// Valid JSON that PostgreSQL's jsonb refuses (River stores args as jsonb):
// a NUL escape and a lone surrogate, in data a user can write (metadata).
// Such an event is stored like any other and reaches the callback as it
// was, byte for byte.
func TestEnqueueJSONThatJSONBRefuses(t *testing.T) {
	t.Parallel()
	eachDriver(t, testEnqueueJSONThatJSONBRefuses[pgx.Tx], testEnqueueJSONThatJSONBRefuses[*sql.Tx])
}

func testEnqueueJSONThatJSONBRefuses[TTx any](t *testing.T, b *backend[TTx]) {
	ctx := context.Background()
	var mu sync.Mutex
	got := map[string]clerkwebhook.Event{}
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserUpdated, func(_ context.Context, e clerkwebhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got[e.ID] = e
		return nil
	})
	client := workerClient(t, b, h, 10)
	start(t, client)
	q := clerkriver.NewQueue(client)
	var sent []clerkwebhook.Event
	for _, data := range []string{
		`{"id":"user_1","unsafe_metadata":{"nickname":"a\u0000b"}}`,
		`{"id":"user_1","unsafe_metadata":{"nickname":"\ud800"}}`,
		`{"id":"user_1","public_metadata":{"n":1.50,"big":123456789012345678901234567890,"z":1,"a":2}}`,
	} {
		e := newEvent()
		e.Type = clerkwebhook.UserUpdated
		e.Data = json.RawMessage(data)
		require.NoError(t, q.Enqueue(ctx, e), "data %s", data)
		sent = append(sent, e)
	}
	for _, j := range jobs(t, client) {
		waitForState(t, client, j.ID, rivertype.JobStateCompleted, 10*time.Second)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range sent {
		assert.Equal(t, e, got[e.ID], "the event the callback got")
	}
}
