package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// The reconcile job's decisions, one by one: it reconciles when due, does
// nothing when the last reconcile is recent, snoozes when another holds
// the lease or when serve stops (to resume), and cancels itself on a
// refused key.
func TestReconcileJob(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	srv.Generate(35, 300, 5, 3)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := openDatabase(context.Background(), newSQLite(t), 4, logger)
	require.NoError(t, err)
	t.Cleanup(db.close)
	mirror := func(key string) *clerksync.Mirror {
		m, err := clerksync.New(db.sql, db.dialect, mirrorOptions(key, apiFlags{url: srv.URL(), rate: 100000}, 0, logger)...)
		require.NoError(t, err)
		return m
	}
	worker := func(m *clerksync.Mirror, every time.Duration) *reconcileWorker {
		return &reconcileWorker{mirror: m, every: every, logger: logger}
	}
	job := &river.Job[reconcileArgs]{}
	ctx := context.Background()

	require.NoError(t, worker(mirror(srv.Key()), time.Hour).Work(ctx, job), "the first, due")
	requireCountsMatch(t, db.sql, srv)
	sent := len(srv.Requests())
	require.NoError(t, worker(mirror(srv.Key()), time.Hour).Work(ctx, job), "not due")
	assert.Equal(t, sent, len(srv.Requests()), "requests when not due")

	// Another reconcile holds the lease, waiting for a held request.
	hold := make(chan struct{})
	srv.Fail(fakeclerk.Fault{Path: "/v1/users/count", Hold: hold})
	other := make(chan error, 1)
	go func() { _, err := mirror(srv.Key()).Reconcile(ctx, nil); other <- err }()
	require.Eventually(t, func() bool { return srv.RequestCount("GET /v1/users/count") == 2 }, 10*time.Second, time.Millisecond)
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, worker(mirror(srv.Key()), time.Nanosecond).Work(ctx, job), &snooze, "beside another reconcile")
	assert.Equal(t, busySnooze, snooze.Duration)
	close(hold)
	require.NoError(t, <-other)

	// serve stops while the job reconciles: snoozed, to resume at once.
	hold = make(chan struct{})
	defer close(hold)
	srv.Fail(fakeclerk.Fault{Path: "/v1/users/count", Hold: hold})
	w := worker(mirror(srv.Key()), time.Nanosecond)
	stopping := make(chan struct{})
	w.stopping = stopping
	stopped := make(chan error, 1)
	go func() { stopped <- w.Work(ctx, job) }()
	require.Eventually(t, func() bool { return srv.RequestCount("GET /v1/users/count") == 3 }, 10*time.Second, time.Millisecond)
	close(stopping)
	require.ErrorAs(t, <-stopped, &snooze, "when serve stops")
	assert.Zero(t, snooze.Duration)

	var cancel *river.JobCancelError
	err = worker(mirror("sk_test_wrongwrongwrongwrong"), time.Nanosecond).Work(ctx, job)
	require.ErrorAs(t, err, &cancel, "a refused key")
	assert.True(t, errors.Is(err, clerksync.ErrUnauthorized))
}
