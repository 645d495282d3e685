package clerkriver_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// The queue's database unavailable when a delivery arrives: PostgreSQL
// unreachable (connections refused), or the SQLite file's write lock held
// by another process past the busy timeout. Nothing is acknowledged that
// was not stored: the Handler answers 500, so Svix retries, and the retry
// after the outage is stored and runs once.
func TestQueueUnavailable(t *testing.T) {
	t.Parallel()
	eachDriver(t, testQueueUnavailable[pgx.Tx], func(t *testing.T, _ *backend[*sql.Tx]) {
		// A short busy timeout, so that the locked file fails the
		// request quickly instead of after the default ten seconds.
		testQueueUnavailable(t, newSQLite(t, 300*time.Millisecond))
	})
}

func testQueueUnavailable[TTx any](t *testing.T, b *backend[TTx]) {
	errs := &errorLog{}
	calls := &runs{}
	insertOnly := insertClient(t, b) // the web side
	h := newHandler(t, clerkriver.NewQueue(insertOnly), errs)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		calls.called(e.ID, true)
		return nil
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{Timeout: 10 * time.Second}
	ds := storetest.Deliveries(t, 3)
	before, during := ds[0], ds[1:]

	require.Equal(t, http.StatusOK, storetest.Post(client, srv.URL, before))

	up := b.down(t)
	for _, d := range during {
		for range 2 { // Svix retries while the database is away
			assert.Equal(t, http.StatusInternalServerError, storetest.Post(client, srv.URL, d), "a delivery during the outage")
		}
	}
	up()
	reported := errs.all()
	require.Len(t, reported, 2*len(during))
	for _, err := range reported {
		assert.ErrorIs(t, err, clerkwebhook.ErrQueue)
	}
	t.Logf("%s: reported during the outage: %v", b.name, reported[0])
	stored := jobs(t, insertOnly)
	require.Len(t, stored, 1, "jobs after the outage: only the message acknowledged before it")
	assert.Equal(t, before.ID, onlyArgs(t, stored[0]).MessageID)

	// Svix's next retry, after the outage, is stored; the workers run each
	// message once.
	for _, d := range during {
		require.Equal(t, http.StatusOK, storetest.Post(client, srv.URL, d), "a retry after the outage")
	}
	workers := workerClient(t, b, h, 10)
	start(t, workers)
	all := jobs(t, workers)
	require.Len(t, all, len(ds))
	for _, j := range all {
		waitForState(t, workers, j.ID, rivertype.JobStateCompleted, 10*time.Second)
	}
	for _, d := range ds {
		n, _ := calls.of(d.ID)
		assert.Equal(t, 1, n, "runs of message %s", d.ID)
	}
}
