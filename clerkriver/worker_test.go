package clerkriver_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
)

// The worker on each driver: River retries a failing callback, keeps one
// that fails every attempt as discarded (the dead letter) until JobRetry,
// and cancels one that returns Permanent without retrying it.

// A callback failing twice, then succeeding: River retries it, and it
// succeeds once, on the third attempt.
func TestWorkerRetries(t *testing.T) {
	t.Parallel()
	eachDriver(t, testWorkerRetries[pgx.Tx], testWorkerRetries[*sql.Tx])
}

func testWorkerRetries[TTx any](t *testing.T, b *backend[TTx]) {
	calls := &runs{}
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		if n, _ := calls.of(e.ID); n < 2 {
			calls.called(e.ID, false)
			return errors.New("the app's database is restarting")
		}
		calls.called(e.ID, true)
		return nil
	})
	client := workerClient(t, b, h, 10)
	start(t, client)
	e := newEvent()
	require.NoError(t, clerkriver.NewQueue(client).Enqueue(context.Background(), e))

	job := waitForState(t, client, onlyJob(t, client).ID, rivertype.JobStateCompleted, 10*time.Second)
	assert.Equal(t, 3, job.Attempt)
	require.Len(t, job.Errors, 2, "the failed attempts River recorded")
	assert.Contains(t, job.Errors[0].Error, "the app's database is restarting")
	stopWorking(t, client) // a wrong extra attempt has run by now, or is due
	assert.Equal(t, 3, waitForState(t, client, job.ID, rivertype.JobStateCompleted, 0).Attempt)
	n, ok := calls.of(e.ID)
	assert.Equal(t, 3, n, "calls")
	assert.Equal(t, 1, ok, "successes")
}

// A callback that fails every attempt ends discarded after MaxAttempts,
// where JobList finds it (the dead letter); once the app is fixed,
// JobRetry runs it again, with one more attempt.
func TestWorkerDiscardsThenJobRetry(t *testing.T) {
	t.Parallel()
	eachDriver(t, testWorkerDiscardsThenJobRetry[pgx.Tx], testWorkerDiscardsThenJobRetry[*sql.Tx])
}

func testWorkerDiscardsThenJobRetry[TTx any](t *testing.T, b *backend[TTx]) {
	const attempts = 3
	ctx := context.Background()
	var fixed atomic.Bool
	calls := &runs{}
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		if !fixed.Load() {
			calls.called(e.ID, false)
			return errors.New("a bug in the app")
		}
		calls.called(e.ID, true)
		return nil
	})
	client := workerClient(t, b, h, 10, func(c *river.Config) { c.MaxAttempts = attempts })
	start(t, client)
	e := newEvent()
	require.NoError(t, clerkriver.NewQueue(client).Enqueue(ctx, e))

	job := waitForState(t, client, onlyJob(t, client).ID, rivertype.JobStateDiscarded, 10*time.Second)
	assert.Equal(t, attempts, job.Attempt)
	assert.Len(t, job.Errors, attempts)
	n, _ := calls.of(e.ID)
	assert.Equal(t, attempts, n, "calls before the job was discarded")

	// The dead letters, as the package documentation lists them.
	dead, err := client.JobList(ctx, river.NewJobListParams().
		Kinds(clerkriver.Kind).States(rivertype.JobStateDiscarded))
	require.NoError(t, err)
	require.Len(t, dead.Jobs, 1)
	assert.Equal(t, job.ID, dead.Jobs[0].ID)
	assert.Equal(t, e, onlyArgs(t, dead.Jobs[0]).Event)

	fixed.Store(true)
	_, err = client.JobRetry(ctx, job.ID)
	require.NoError(t, err)
	job = waitForState(t, client, job.ID, rivertype.JobStateCompleted, 10*time.Second)
	assert.Equal(t, attempts+1, job.Attempt)
	assert.Equal(t, attempts+1, job.MaxAttempts, "JobRetry adds the attempt")
	n, ok := calls.of(e.ID)
	assert.Equal(t, attempts+1, n, "calls")
	assert.Equal(t, 1, ok, "successes")
}

// Permanent from a callback cancels the job: one attempt, no retry. A
// cancelled job does not hold the message id, so a replay of the message
// (from Clerk's dashboard, after a fix) is a new job that runs; and then
// JobRetry of the cancelled one fails instead of running it again.
func TestWorkerPermanentCancels(t *testing.T) {
	t.Parallel()
	eachDriver(t, testWorkerPermanentCancels[pgx.Tx], testWorkerPermanentCancels[*sql.Tx])
}

func testWorkerPermanentCancels[TTx any](t *testing.T, b *backend[TTx]) {
	ctx := context.Background()
	var fixed atomic.Bool
	calls := &runs{}
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		if !fixed.Load() {
			calls.called(e.ID, false)
			return clerkwebhook.Permanent(errors.New("a user without an email address"))
		}
		calls.called(e.ID, true)
		return nil
	})
	client := workerClient(t, b, h, 10)
	start(t, client)
	q := clerkriver.NewQueue(client)
	e := newEvent()
	require.NoError(t, q.Enqueue(ctx, e))

	job := waitForState(t, client, onlyJob(t, client).ID, rivertype.JobStateCancelled, 10*time.Second)
	assert.Equal(t, 1, job.Attempt)
	require.Len(t, job.Errors, 1)
	assert.Contains(t, job.Errors[0].Error, "a user without an email address")
	n, _ := calls.of(e.ID)
	assert.Equal(t, 1, n, "calls of a cancelled job")

	fixed.Store(true)
	replay := e
	replay.SignedAt = e.SignedAt.Add(time.Hour)
	require.NoError(t, q.Enqueue(ctx, replay))
	all := jobs(t, client)
	require.Len(t, all, 2, "a replay after the job was cancelled")
	waitForState(t, client, all[1].ID, rivertype.JobStateCompleted, 10*time.Second)

	// Retrying the cancelled job now would run the message a second time:
	// the unique constraint refuses it.
	_, err := client.JobRetry(ctx, job.ID)
	require.Error(t, err, "JobRetry of a cancelled job whose message a replay completed")
	t.Logf("%s: JobRetry refused: %v", b.name, err)
	stopWorking(t, client) // a retry of the cancelled job has run by now, or is due
	assert.Equal(t, 1, waitForState(t, client, job.ID, rivertype.JobStateCancelled, 0).Attempt)
	n, ok := calls.of(e.ID)
	assert.Equal(t, 2, n, "calls")
	assert.Equal(t, 1, ok, "successes")
}
