package clerkriver_test

import (
	"context"
	"database/sql"
	"errors"
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

// CompletedJobRetention as River's job cleaner applies it: a message
// completed 25 hours ago (past River's default of 24, within Svix's 28 of
// retries) is still a duplicate; one completed 73 hours ago is deleted, and
// a delivery of it is a new job.
func TestCompletedJobRetention(t *testing.T) {
	t.Parallel()
	eachDriver(t, testCompletedJobRetention[pgx.Tx], testCompletedJobRetention[*sql.Tx])
}

func testCompletedJobRetention[TTx any](t *testing.T, b *backend[TTx]) {
	ctx := context.Background()
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserCreated, func(context.Context, clerkwebhook.Event) error { return nil })
	first := workerClient(t, b, h, 10)
	start(t, first)
	q := clerkriver.NewQueue(first)
	kept, expired := newEvent(), newEvent()
	require.NoError(t, q.Enqueue(ctx, kept))
	require.NoError(t, q.Enqueue(ctx, expired))
	all := jobs(t, first)
	require.Len(t, all, 2)
	for _, j := range all {
		waitForState(t, first, j.ID, rivertype.JobStateCompleted, 10*time.Second)
	}
	require.NoError(t, first.Stop(ctx)) // resigns leadership for the next client
	require.NoError(t, b.setFinalizedAt(ctx, all[0].ID, time.Now().Add(-25*time.Hour)))
	require.NoError(t, b.setFinalizedAt(ctx, all[1].ID, time.Now().Add(-73*time.Hour)))

	// A new leader runs the cleaner as it starts.
	second := workerClient(t, b, h, 10)
	start(t, second)
	stop := time.Now().Add(20 * time.Second)
	for {
		_, err := second.JobGet(ctx, all[1].ID)
		if errors.Is(err, river.ErrNotFound) {
			break
		}
		require.NoError(t, err)
		if time.Now().After(stop) {
			t.Fatal("River's job cleaner did not delete the job completed 73 hours ago within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	j, err := second.JobGet(ctx, all[0].ID)
	require.NoError(t, err, "the job completed 25 hours ago")
	assert.Equal(t, rivertype.JobStateCompleted, j.State)

	q = clerkriver.NewQueue(second)
	kept.SignedAt = kept.SignedAt.Add(25 * time.Hour)
	expired.SignedAt = expired.SignedAt.Add(73 * time.Hour)
	require.NoError(t, q.Enqueue(ctx, kept))
	require.NoError(t, q.Enqueue(ctx, expired))
	now := jobs(t, second)
	require.Len(t, now, 2, "jobs after the late deliveries")
	assert.Equal(t, all[0].ID, now[0].ID, "the message completed 25 hours ago")
	assert.Equal(t, expired.ID, onlyArgs(t, now[1]).MessageID, "a new job for the message past the retention")
}
