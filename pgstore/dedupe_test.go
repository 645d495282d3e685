package pgstore_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/stretchr/testify/require"
)

// The Deduplicator's behaviour beyond the conformance suite.

// As the memory deduplicator does: Release of an id nobody holds has
// nothing to release and returns nil, while Complete of it is refused;
// neither records anything.
func TestReleaseOrCompleteUnclaimed(t *testing.T) {
	t.Parallel()
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	store, table := newStore(t, pool)
	ctx := clerkwebhook.ClaimContext(context.Background())
	require.NoError(t, store.Release(ctx, "msg_nobody"))
	require.ErrorIs(t, store.Complete(ctx, "msg_nobody"), clerkwebhook.ErrLeaseExpired)
	require.Empty(t, stateOf(t, pool, table, "msg_nobody"))
}

// A claim that finds the id held, and then finds its row gone when it
// reads its state (the holder released it in between), claims again
// rather than answering InProgress for a message nobody holds.
func TestClaimWhenTheRowVanishes(t *testing.T) {
	t.Parallel()
	other := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES")
	holder := clerkwebhook.ClaimContext(context.Background())
	tracer := &afterEmptyClaim{}
	pool := testPool(t, "CLERKWEBHOOK_TEST_POSTGRES", func(cfg *pgxpool.Config) { cfg.ConnConfig.Tracer = tracer })
	store, table := newStore(t, pool)

	state, err := store.Claim(holder, "msg_vanishing")
	require.NoError(t, err)
	require.Equal(t, clerkwebhook.Claimed, state)
	// Between the next claim statement and the read of the state, the
	// holder releases the message, through another pool.
	var released atomic.Bool
	tracer.then = func() {
		released.Store(true)
		_, err := other.Exec(context.Background(), "DELETE FROM "+pgx.Identifier{table}.Sanitize()+" WHERE id = $1", []byte("msg_vanishing"))
		require.NoError(t, err)
	}
	tracer.armed.Store(true)
	retry := clerkwebhook.ClaimContext(context.Background())
	state, err = store.Claim(retry, "msg_vanishing")
	require.NoError(t, err)
	require.True(t, released.Load(), "the tracer did not run")
	require.Equal(t, clerkwebhook.Claimed, state, "a message nobody holds was reported in progress")
	require.NoError(t, store.Complete(retry, "msg_vanishing"))
}

// afterEmptyClaim is a pgx tracer that, once armed, calls then after the
// first claim statement that claimed nothing.
type afterEmptyClaim struct {
	armed atomic.Bool
	then  func()
}

type tracedSQL struct{}

func (a *afterEmptyClaim) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, tracedSQL{}, d.SQL)
}

func (a *afterEmptyClaim) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	sql, _ := ctx.Value(tracedSQL{}).(string)
	if strings.HasPrefix(sql, "INSERT") && strings.Contains(sql, "'processing'") &&
		d.Err == nil && d.CommandTag.RowsAffected() == 0 && a.armed.CompareAndSwap(true, false) {
		a.then()
	}
}
