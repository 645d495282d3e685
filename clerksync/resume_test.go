package clerksync

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// A reconcile stopped after three pages of users (its context cancelled, as
// a signal does) is resumed by the next: it lists the users from where the
// first stopped, without counting them again, and ends with exactly
// Clerk's state; the summary is the whole run's.
func TestReconcileResumesAfterAStop(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(15, 2500, 20, 5)
		db := newDB(t)
		ctx, cancel := context.WithCancel(context.Background())
		pages := 0
		srv.BeforePage(func(p fakeclerk.Page) {
			if p.Path == "/v1/users" {
				if pages++; pages == 4 {
					cancel()
				}
			}
		})
		m := newMirror(t, db, srv)
		first, err := m.Reconcile(ctx, nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.False(t, first.Complete)
		assert.EqualValues(t, 3*500-2*pageOverlap, first.Users.Listed)
		srv.BeforePage(nil)
		status, err := m.ReconcileStatus(context.Background())
		require.NoError(t, err)
		assert.True(t, status.Unfinished)
		assert.True(t, status.LastCompleted.IsZero())

		before := len(srv.Requests())
		second, err := newMirror(t, db, srv).Reconcile(context.Background(), nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		assert.True(t, second.Resumed)
		assert.True(t, second.Complete)
		assert.Equal(t, first.Run, second.Run)
		assert.Equal(t, Counts{Listed: 2500, Inserted: 2500}, second.Users)
		var offsets []int
		for _, r := range srv.Requests()[before:] {
			switch r.Route {
			case "GET /v1/users/count":
				t.Error("the resumed run counted the users again")
			case "GET /v1/users":
				o, _ := strconv.Atoi(r.Query.Get("offset"))
				offsets = append(offsets, o)
			}
		}
		assert.Equal(t, []int{3 * (500 - pageOverlap), 4 * (500 - pageOverlap), 5 * (500 - pageOverlap)}, offsets)
		status, err = m.ReconcileStatus(context.Background())
		require.NoError(t, err)
		assert.False(t, status.Unfinished)
		assert.WithinDuration(t, time.Now(), status.LastCompleted, time.Minute)
	})
}

// One reconcile at a time per database: while one holds the lease (here,
// waiting for a held request), another, on another Mirror, returns
// ErrReconcileRunning at once, sending nothing. A run whose holder stopped
// renewing (a killed process) is taken over once its lease has expired.
func TestOneReconcileAtATime(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(16, 300, 5, 3)
		db := newDB(t)
		hold := make(chan struct{})
		srv.Fail(fakeclerk.Fault{Path: "/v1/users/count", Hold: hold})
		first := newMirror(t, db, srv)
		done := make(chan error, 1)
		go func() {
			_, err := first.Reconcile(context.Background(), nil)
			done <- err
		}()
		for srv.RequestCount("GET /v1/users/count") == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		sent := len(srv.Requests())
		_, err := newMirror(t, db, srv).Reconcile(context.Background(), nil)
		require.ErrorIs(t, err, ErrReconcileRunning)
		assert.Equal(t, sent, len(srv.Requests()))
		t.Logf("%v", err)
		close(hold)
		require.NoError(t, <-done)
		requireMirrorsClerk(t, db, srv)

		// A holder that died: after its lease's length (seen here from a
		// clock that far ahead), its run is taken over.
		r, err := newMirror(t, db, srv).acquire(context.Background())
		require.NoError(t, err)
		_, err = newMirror(t, db, srv).Reconcile(context.Background(), nil)
		require.ErrorIs(t, err, ErrReconcileRunning)
		later := newMirror(t, db, srv)
		later.now = func() time.Time { return time.Now().Add(leaseTTL + time.Second) }
		sum, err := later.Reconcile(context.Background(), nil)
		require.NoError(t, err)
		assert.True(t, sum.Resumed)
		assert.Equal(t, r.id, sum.Run)
		// The dead holder, were it to wake up, stores nothing more.
		err = r.step(context.Background(), func(*sql.Tx, *run) error { return nil })
		assert.True(t, errors.Is(err, errLeaseLost), "%v", err)
	})
}
