package clerkwebhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Handler with a Queue (acknowledge when stored, run later through
// Dispatch), Dispatch itself, and Permanent failures. The queue here only
// records what the Handler gives it: real queues are tested in their own
// modules, against real databases.

type recordingQueue struct {
	mu     sync.Mutex
	events []Event
	err    error
}

func (q *recordingQueue) Enqueue(_ context.Context, e Event) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.events = append(q.events, e)
	return nil
}

func (q *recordingQueue) stored() []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Event(nil), q.events...)
}

func TestHandlerWithQueueEnqueuesInsteadOfRunning(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	log := &errorLog{}
	h := NewHandler(testVerifier(t), WithQueue(q), WithObserver(log.observe))
	calls := &recorder{}
	h.On(UserCreated, calls.ok)
	body := readFixture(t, "user.created.json")

	rec := recordDelivery(t, h, "msg_q1", body)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, calls.seen(), "the callback ran in the request")
	stored := q.stored()
	require.Len(t, stored, 1)
	want, err := testVerifier(t).Verify(body, signed(t, testSecret, "msg_q1", testNow, body))
	require.NoError(t, err)
	assert.Equal(t, want, stored[0], "the queue got another event than Verify returns")

	// A type with no callback is acknowledged and not stored.
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_q2", readFixture(t, "session.created.json")).Code)
	assert.Len(t, q.stored(), 1)

	// The workers' side: Dispatch runs the callback with the stored event.
	require.NoError(t, h.Dispatch(context.Background(), stored[0]))
	require.Len(t, calls.seen(), 1)
	assert.Equal(t, stored[0], calls.seen()[0])
	assert.Empty(t, log.all())
}

// Nothing is acknowledged that was not stored: a queue failure is 500, and
// with a Deduplicator the claim is released so that the retry stores it.
func TestHandlerWithQueueFailure(t *testing.T) {
	t.Parallel()
	errDown := errors.New("queue database unreachable")
	q := &recordingQueue{err: errDown}
	log := &errorLog{}
	h := NewHandler(testVerifier(t), WithQueue(q), WithDeduplicator(NewMemoryDeduplicator()), WithObserver(log.observe))
	h.On(UserCreated, func(context.Context, Event) error { return nil })
	body := readFixture(t, "user.created.json")

	rec := recordDelivery(t, h, "msg_qf", body)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	reported := log.all()
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], ErrQueue)
	assert.ErrorIs(t, reported[0], errDown)
	assertOneSentinel(t, reported[0])

	q.mu.Lock()
	q.err = nil
	q.mu.Unlock()
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_qf", body).Code, "the retry after a queue failure")
	assert.Len(t, q.stored(), 1)
	assert.Equal(t, http.StatusOK, recordDelivery(t, h, "msg_qf", body).Code, "a duplicate")
	assert.Len(t, q.stored(), 1, "a duplicate of a stored message was stored again")
}

// Dispatch runs what ServeHTTP runs, with the same event, for every
// fixture: the callbacks registered with On, the OnNewType one, and OnOther
// for the rest.
func TestDispatchParity(t *testing.T) {
	t.Parallel()
	type call struct {
		by string
		ev Event
	}
	var mu sync.Mutex
	var got []call
	record := func(by string) Callback {
		return func(_ context.Context, e Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, call{by, e})
			return nil
		}
	}
	h := NewHandler(testVerifier(t), failOnError(t))
	for i, et := range EventTypes() {
		if i%2 == 0 { // half by On, half left to OnOther
			h.On(et, record("On "+string(et)))
		}
	}
	h.OnNewType("agentTask.created", record("OnNewType"))
	h.OnOther(record("OnOther"))

	names := fixtureNames(t)
	require.Greater(t, len(names), 46)
	for _, name := range names {
		body := readFixture(t, name)
		mu.Lock()
		got = nil
		mu.Unlock()
		id := "msg_parity_" + strings.TrimSuffix(name, ".json")
		require.Equal(t, http.StatusOK, recordDelivery(t, h, id, body).Code, name)
		ev, err := testVerifier(t).Verify(body, signed(t, testSecret, id, testNow, body))
		require.NoError(t, err)
		require.NoError(t, h.Dispatch(context.Background(), ev), name)
		mu.Lock()
		require.Len(t, got, 2, name)
		assert.Equal(t, got[0], got[1], "%s: ServeHTTP and Dispatch differ", name)
		mu.Unlock()
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	h := NewHandler(testVerifier(t))
	ev := Event{ID: "msg_d", Type: UserCreated, Data: []byte(`{}`)}
	assert.NoError(t, h.Dispatch(context.Background(), ev), "no callback: nothing to run")

	h.On(UserCreated, func(context.Context, Event) error { panic("boom") })
	err := h.Dispatch(context.Background(), ev)
	var ce *CallbackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "boom", ce.Panic)
	assert.ErrorIs(t, err, ErrCallback)

	// No request to abort: http.ErrAbortHandler is an error like any panic.
	h.On(UserCreated, func(context.Context, Event) error { panic(http.ErrAbortHandler) })
	assert.NotPanics(t, func() { err = h.Dispatch(context.Background(), ev) })
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.ErrAbortHandler, ce.Panic)

	errApp := errors.New("app failure")
	h.On(UserCreated, func(context.Context, Event) error { return Permanent(errApp) })
	err = h.Dispatch(context.Background(), ev)
	assert.ErrorIs(t, err, ErrCallback)
	assert.ErrorIs(t, err, ErrPermanent)
	assert.ErrorIs(t, err, errApp)

	assert.PanicsWithValue(t, "clerkwebhook: WithQueue(nil)", func() { WithQueue(nil) })
}

// A Permanent failure stops Svix retrying: 422 and
// "webhook-delivery: abort-message"; an ordinary failure carries no such
// header. The claim is released either way, so that a replay from the
// dashboard after a fix runs the callback.
func TestHandlerPermanentFailure(t *testing.T) {
	t.Parallel()
	errBad := errors.New("profile refers to a plan that does not exist")
	var runs int
	log := &errorLog{}
	h := NewHandler(testVerifier(t), WithDeduplicator(NewMemoryDeduplicator()), WithObserver(log.observe))
	permanent := true
	h.On(UserCreated, func(context.Context, Event) error {
		runs++
		if permanent {
			return fmt.Errorf("creating user: %w", Permanent(errBad))
		}
		return errBad
	})
	body := readFixture(t, "user.created.json")

	rec := recordDelivery(t, h, "msg_perm", body)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Equal(t, "abort-message", rec.Header().Get("Webhook-Delivery"))
	assert.Equal(t, "cannot be processed\n", rec.Body.String())
	assertNoDetail(t, rec.Body.String())
	reported := log.all()
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], ErrPermanent)
	assert.ErrorIs(t, reported[0], errBad)
	var ce *CallbackError
	assert.ErrorAs(t, reported[0], &ce)

	permanent = false
	rec = recordDelivery(t, h, "msg_perm", body)
	assert.Equal(t, 2, runs, "the claim was not released after a permanent failure")
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Empty(t, rec.Header().Get("Webhook-Delivery"), "an ordinary failure must be retried")

	assert.NoError(t, Permanent(nil))
	assert.Equal(t, "permanent: "+errBad.Error(), Permanent(errBad).Error())
}
