package pgstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errApp = errors.New("app failed after its write")

// app is an application's table, written by callbacks through InTx, and the
// callbacks that write it.
type app struct {
	pool  *pgxpool.Pool
	table string
	calls atomic.Int64 // how many times fn was called
}

// newApp creates the application's table next to the store's table.
func newApp(t *testing.T, pool *pgxpool.Pool, storeTable string) *app {
	t.Helper()
	a := &app{pool: pool, table: storeTable + "_app"}
	dropAfter(t, pool, a.table)
	_, err := pool.Exec(context.Background(), "CREATE TABLE "+pgx.Identifier{a.table}.Sanitize()+" (message_id text NOT NULL)")
	require.NoError(t, err)
	return a
}

// write is an InTx callback: it records e in the app's table through tx,
// then returns then(n), where n counts the calls from 1.
func (a *app) write(then func(n int64) error) func(context.Context, pgx.Tx, clerkwebhook.Event) error {
	return func(ctx context.Context, tx pgx.Tx, e clerkwebhook.Event) error {
		n := a.calls.Add(1)
		if _, err := tx.Exec(ctx, "INSERT INTO "+pgx.Identifier{a.table}.Sanitize()+" (message_id) VALUES ($1)", e.ID); err != nil {
			return err
		}
		return then(n)
	}
}

func succeed(int64) error { return nil }

// rows returns how many rows the app's table has for id.
func (a *app) rows(t *testing.T, id string) int {
	t.Helper()
	return countRows(t, a.pool, a.table, "message_id = $1", id)
}

// An error in fn rolls back its write and the record of the message, so the
// retry runs fn again; once it succeeds, later deliveries are skipped.
func TestInTxErrorRollsBack(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	a := newApp(t, pool, table)
	e := userCreated(t, "msg_error")
	cb := store.InTx(a.write(func(n int64) error {
		if n == 1 {
			return errApp
		}
		return nil
	}))

	err := cb(context.Background(), e)
	require.ErrorIs(t, err, errApp, "fn's error is returned as it is")
	requireNoTxOpen(t, pool)
	assert.Zero(t, a.rows(t, e.ID), "fn's write was committed")
	assert.Empty(t, stateOf(t, pool, table, e.ID), "the message was recorded")

	require.NoError(t, cb(context.Background(), e), "the retry")
	assert.Equal(t, 1, a.rows(t, e.ID))
	assert.Equal(t, "done", stateOf(t, pool, table, e.ID))

	require.NoError(t, cb(context.Background(), e), "a duplicate")
	requireNoTxOpen(t, pool)
	assert.EqualValues(t, 2, a.calls.Load(), "fn ran for a duplicate")
	assert.Equal(t, 1, a.rows(t, e.ID))
}

// A panic in fn rolls back and goes on, and the connection returns to the
// pool.
func TestInTxPanicRollsBack(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	a := newApp(t, pool, table)
	e := userCreated(t, "msg_panic")
	explode := store.InTx(a.write(func(int64) error { panic("callback exploded") }))

	require.PanicsWithValue(t, "callback exploded", func() { _ = explode(context.Background(), e) })
	assert.Zero(t, a.rows(t, e.ID), "fn's write was committed")
	assert.Empty(t, stateOf(t, pool, table, e.ID), "the message was recorded")
	requireNoTxOpen(t, pool)

	require.NoError(t, store.InTx(a.write(succeed))(context.Background(), e), "the retry")
	assert.Equal(t, 1, a.rows(t, e.ID))
}

// A message already done is skipped without calling fn: done through InTx,
// or completed through the Store as a Deduplicator. After the retention it
// runs again.
func TestInTxSkipsDone(t *testing.T) {
	t.Parallel()
	const retention = time.Hour
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool, pgstore.WithRetention(retention))
	a := newApp(t, pool, table)
	cb := store.InTx(a.write(succeed))
	ctx := context.Background()

	viaInTx := userCreated(t, "msg_done_intx")
	require.NoError(t, cb(ctx, viaInTx))
	require.NoError(t, cb(ctx, viaInTx))
	requireNoTxOpen(t, pool)
	assert.EqualValues(t, 1, a.calls.Load(), "fn ran for a message done through InTx")

	viaDedup := userCreated(t, "msg_done_dedup")
	owner := clerkwebhook.ClaimContext(ctx)
	state, err := store.Claim(owner, viaDedup.ID)
	require.NoError(t, err)
	require.Equal(t, clerkwebhook.Claimed, state)
	require.NoError(t, store.Complete(owner, viaDedup.ID))
	require.NoError(t, cb(ctx, viaDedup))
	assert.EqualValues(t, 1, a.calls.Load(), "fn ran for a message completed through the Deduplicator")
	assert.Zero(t, a.rows(t, viaDedup.ID))

	backdate(t, pool, table, viaInTx.ID, retention+retention/2)
	require.NoError(t, cb(ctx, viaInTx))
	assert.EqualValues(t, 2, a.calls.Load(), "fn did not run after the retention")
	assert.Equal(t, 2, a.rows(t, viaInTx.ID))
}

// Deliveries of one message at the same moment wait for each other on the
// row lock: fn commits once. If the first fails, one waiting delivery runs
// it, and only that one commits.
func TestInTxConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	const n = 20
	for _, tc := range []struct {
		name            string
		then            func(int64) error
		wantCalls, fail int
	}{
		{"all succeed", func(int64) error { time.Sleep(20 * time.Millisecond); return nil }, 1, 0},
		{"the first fails", func(n int64) error {
			time.Sleep(20 * time.Millisecond)
			if n == 1 {
				return errApp
			}
			return nil
		}, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
			store, table := newStore(t, pool)
			a := newApp(t, pool, table)
			e := userCreated(t, "msg_concurrent")
			cb := store.InTx(a.write(tc.then))
			errs := make([]error, n)
			var start, done sync.WaitGroup
			start.Add(1)
			for i := range errs {
				done.Add(1)
				go func() {
					defer done.Done()
					start.Wait()
					errs[i] = cb(context.Background(), e)
				}()
			}
			start.Done()
			done.Wait()
			failed := 0
			for _, err := range errs {
				if err != nil {
					require.ErrorIs(t, err, errApp)
					failed++
				}
			}
			assert.Equal(t, tc.fail, failed, "failed deliveries")
			assert.EqualValues(t, tc.wantCalls, a.calls.Load(), "calls of fn")
			assert.Equal(t, 1, a.rows(t, e.ID), "committed writes")
			assert.Equal(t, "done", stateOf(t, pool, table, e.ID))
		})
	}
}

// A statement that failed inside fn aborts the transaction even if fn
// ignores the error: InTx reports it, nothing commits, and the retry runs.
func TestInTxFailedStatementIgnoredByFn(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	a := newApp(t, pool, table)
	e := userCreated(t, "msg_aborted")
	ignoring := store.InTx(func(ctx context.Context, tx pgx.Tx, e clerkwebhook.Event) error {
		if err := a.write(succeed)(ctx, tx, e); err != nil {
			return err
		}
		_, _ = tx.Exec(ctx, "SELECT no_such_column FROM "+pgx.Identifier{a.table}.Sanitize())
		return nil
	})

	err := ignoring(context.Background(), e)
	requireNoTxOpen(t, pool)
	require.ErrorIs(t, err, pgx.ErrTxCommitRollback)
	require.ErrorContains(t, err, "pgstore: transaction for message")
	assert.Zero(t, a.rows(t, e.ID), "a write of an aborted transaction was committed")
	assert.Empty(t, stateOf(t, pool, table, e.ID))

	require.NoError(t, store.InTx(a.write(succeed))(context.Background(), e), "the retry")
	assert.Equal(t, 1, a.rows(t, e.ID))
}

// A cancelled context fails before fn runs, and records nothing.
func TestInTxCancelledContext(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	a := newApp(t, pool, table)
	e := userCreated(t, "msg_cancelled")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := store.InTx(a.write(succeed))(ctx, e)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, a.calls.Load())
	assert.Empty(t, stateOf(t, pool, table, e.ID))
}

func TestInTxNilPanics(t *testing.T) {
	t.Parallel()
	store := pgstore.New(idlePool(t))
	require.PanicsWithValue(t, "pgstore: InTx(nil)", func() { store.InTx(nil) })
}

// The Store as the Handler's Deduplicator and InTx as its callback, over
// HTTP: a delivery writes once, a retry is acknowledged without writing, a
// failed delivery is retried, and nothing is reported.
func TestInTxWithHandler(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	a := newApp(t, pool, table)
	var errs errorLog
	h := clerkwebhook.NewHandler(testVerifier(t), clerkwebhook.WithDeduplicator(store), clerkwebhook.WithObserver(errs.Observe))
	failFirst := &atomic.Bool{}
	failFirst.Store(true)
	h.On(clerkwebhook.UserCreated, store.InTx(a.write(func(int64) error {
		if failFirst.Swap(false) {
			return errApp
		}
		return nil
	})))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	// The first delivery fails: nothing is written, the claim is released.
	require.Equal(t, http.StatusInternalServerError, deliverUserCreated(t, srv.URL, "msg_handler"))
	assert.Zero(t, a.rows(t, "msg_handler"))
	assert.Empty(t, stateOf(t, pool, table, "msg_handler"), "the claim was not released")
	require.Len(t, errs.All(), 1)
	require.ErrorIs(t, errs.All()[0], errApp)

	// The retry succeeds once; the next is a duplicate.
	require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, "msg_handler"))
	assert.Equal(t, 1, a.rows(t, "msg_handler"))
	assert.Equal(t, "done", stateOf(t, pool, table, "msg_handler"))
	require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, "msg_handler"))
	assert.Equal(t, 1, a.rows(t, "msg_handler"))
	assert.EqualValues(t, 2, a.calls.Load(), "calls of fn")

	// Another message: one delivery, one row, and a retry.
	require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, "msg_other"))
	require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, "msg_other"))
	assert.Equal(t, 1, a.rows(t, "msg_other"))
	assert.EqualValues(t, 3, a.calls.Load(), "calls of fn")
	assert.Len(t, errs.All(), 1, "reported: %v", errs.All())
}

// An InTx callback longer than the lease: its transaction holds the claim's
// row, and the Handler's renewals find it locked. They never wait for the
// lock, and report the claim as still the owner's, so the callback is not
// cancelled and nothing is reported.
func TestInTxOutlivesItsLease(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	const lease = 150 * time.Millisecond
	store, table := newStore(t, pool, pgstore.WithLease(lease))
	a := newApp(t, pool, table)
	var errs errorLog
	h := clerkwebhook.NewHandler(testVerifier(t), clerkwebhook.WithDeduplicator(store), clerkwebhook.WithObserver(errs.Observe), clerkwebhook.WithoutLog())
	h.On(clerkwebhook.UserCreated, store.InTx(a.write(func(int64) error {
		time.Sleep(5 * lease) // the work, inside the transaction
		return nil
	})))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	require.Equal(t, http.StatusOK, deliverUserCreated(t, srv.URL, "msg_long_tx"))
	assert.Equal(t, 1, a.rows(t, "msg_long_tx"))
	assert.Empty(t, errs.All(), "reported: %v", errs.All())
}

// Renew of a claim whose row a transaction holds returns at once: nil for
// the owner, whose transaction it is, and ErrLeaseExpired for anyone else.
func TestRenewNeverWaitsForALock(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	owner := clerkwebhook.ClaimContext(context.Background())
	state, err := store.Claim(owner, "msg_locked")
	require.NoError(t, err)
	require.Equal(t, clerkwebhook.Claimed, state)
	tx, err := pool.Begin(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	_, err = tx.Exec(context.Background(), "SELECT 1 FROM "+pgx.Identifier{table}.Sanitize()+" WHERE id = $1 FOR UPDATE", []byte("msg_locked"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(owner, 10*time.Second)
	defer cancel()
	assert.NoError(t, store.Renew(ctx, "msg_locked"))
	assert.ErrorIs(t, store.Renew(clerkwebhook.ClaimContext(ctx), "msg_locked"), clerkwebhook.ErrLeaseExpired)
	assert.NoError(t, ctx.Err(), "Renew waited for the lock")
}
