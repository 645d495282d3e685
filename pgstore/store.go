package pgstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed77920f6a/clerkwebhook"
)

// DefaultTable is the table a Store uses when not given WithTable.
const DefaultTable = "clerk_webhook_messages"

// Store is a clerkwebhook.Deduplicator on a PostgreSQL table, shared by every
// replica that uses the same database and table, and the home of InTx. It is
// safe for concurrent use. Make one with New and create its table with
// Migrate.
//
// The table has one row per message id:
//
//	id          bytea PRIMARY KEY     -- the message id (svix-id), as bytes
//	state       text NOT NULL         -- 'processing' or 'done'
//	owner       text NOT NULL         -- ClaimToken of the claimer
//	expires_at  timestamptz NOT NULL  -- end of the lease, or of the retention once done
//
// Every time is the database's (now()), never the Go process's, so replicas
// with skewed clocks agree on when a lease or a retention ends.
//
// Used as a Deduplicator (clerkwebhook.WithDeduplicator), a Store gives
// at-least-once processing with duplicates suppressed: a message that
// succeeded is not run again for the retention, two deliveries at once run
// it once, and a failed one runs again on the retry. The Handler renews a
// claim while its callback runs (Renew), so a long callback runs once; a
// claim whose process crashed or lost the database for a whole lease is
// taken over by the next delivery, so its callback can run twice (the
// first one's context is cancelled once a renewal finds the claim lost);
// and a crash between a callback's success and Complete leaves the claim to
// expire and the message to run again.
// For effects that must happen exactly once, write them through InTx.
//
// Completed rows stay in the table until Prune deletes them (a Claim after
// the retention reuses the row). Run Prune periodically; see Prune.
type Store struct {
	pool      *pgxpool.Pool
	table     string // as given, validated
	lease     time.Duration
	retention time.Duration
	lockKey   int64 // Migrate's advisory lock, one per table
	sql       statements
}

// An Option configures New. A nil Option is ignored. An Option given a value
// it can never use panics, naming it: the rule of every module of this
// repository for configuration mistakes (see package clerkwebhook).
type Option func(*Store)

// WithTable sets the table that holds the message ids (DefaultTable when
// not given): a name, or a schema and a name separated by a dot, each made of
// ASCII letters, digits and underscores, not starting with a digit, and at
// most 63 bytes long (PostgreSQL's limit). The name is quoted in SQL, so it
// is case-sensitive. Any other name, including an empty one, panics: the
// name is never spliced into SQL unchecked.
func WithTable(name string) Option {
	if !validTable(name) {
		panic(fmt.Sprintf("pgstore: WithTable(%q): want a name or schema.name, each of letters, digits and _ (not starting with a digit), 1 to 63 bytes", name))
	}
	return func(s *Store) { s.table = name }
}

// WithLease sets how long an in-progress claim blocks other deliveries of
// the message (clerkwebhook.DefaultLease, one minute, when not given); after
// it, the next delivery takes the message over, and the late Complete or
// Release of the old claim returns an error wrapping
// clerkwebhook.ErrLeaseExpired. The Handler renews it every third of the
// lease while the callback runs, so it need not be longer than a callback
// can take; it is how long a crashed process holds the message. It is
// rounded up to whole microseconds, PostgreSQL's resolution. A lease of zero
// or less panics.
func WithLease(d time.Duration) Option {
	if d <= 0 {
		panic("pgstore: WithLease(" + d.String() + "): the lease must be positive")
	}
	return func(s *Store) { s.lease = d }
}

// WithRetention sets how long a completed message is remembered
// (clerkwebhook.DefaultRetention, 72 hours, when not given): a delivery of
// it within the retention is skipped, and after it the message runs again.
// Make it longer than Svix retries a message (about 28 hours) and than any
// replay from the Dashboard you want skipped. It is rounded up to whole
// microseconds. A retention of zero or less panics.
func WithRetention(d time.Duration) Option {
	if d <= 0 {
		panic("pgstore: WithRetention(" + d.String() + "): the retention must be positive")
	}
	return func(s *Store) { s.retention = d }
}

// New returns a Store on pool. It does not touch the database: call Migrate
// to create the table. A nil pool panics.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	if pool == nil {
		panic("pgstore: New: nil pool")
	}
	s := &Store{pool: pool, table: DefaultTable, lease: clerkwebhook.DefaultLease, retention: clerkwebhook.DefaultRetention}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	schema, name, _ := strings.Cut(s.table, ".")
	ident := pgx.Identifier{schema}
	if name != "" {
		ident = pgx.Identifier{schema, name}
	} else {
		name = schema
	}
	s.sql = newStatements(ident.Sanitize(), pgx.Identifier{indexName(name)}.Sanitize())
	h := fnv.New64a()
	h.Write([]byte("clerkwebhook/pgstore.Migrate:" + s.table))
	s.lockKey = int64(h.Sum64())
	return s
}

// validTable reports whether name is "name" or "schema.name", each part
// [A-Za-z_][A-Za-z0-9_]{0,62}.
func validTable(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 63 || ('0' <= p[0] && p[0] <= '9') {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}

// indexName names the table's index on expires_at. PostgreSQL would cut a
// name past 63 bytes, and two long table names could then share an index
// name, so a long one is shortened with a hash of the whole.
func indexName(table string) string {
	name := table + "_expires_at_idx"
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(table))
	return table[:40] + "_" + hex.EncodeToString(h.Sum(nil)) + "_expires_at_idx"
}

// interval is d as a PostgreSQL interval, rounded up to microseconds.
func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: int64((d + time.Microsecond - 1) / time.Microsecond), Valid: true}
}

// Migrate creates the table and its index if they do not exist. It is
// idempotent, and safe to run from every replica at start-up at once: it
// holds a transaction-scoped advisory lock, so that concurrent runs wait for
// each other instead of failing on PostgreSQL's race between two CREATE
// TABLE IF NOT EXISTS. It needs the privilege to create the table in its
// schema; a database error (including a schema that does not exist) is
// returned wrapped, and nothing is created.
func (s *Store) Migrate(ctx context.Context) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate %s: %w", s.table, err)
	}
	defer func() { err = rollback(ctx, tx, err) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey); err != nil {
		return fmt.Errorf("pgstore: migrate %s: lock: %w", s.table, err)
	}
	for _, q := range []string{s.sql.createTable, s.sql.createIndex} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("pgstore: migrate %s: %w", s.table, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate %s: commit: %w", s.table, err)
	}
	return nil
}

// rollback ends tx if it is still open, for a deferred call, and adds a
// failure to roll back to err. The rollback outlives a cancelled ctx: the
// connection must go back to the pool clean.
func rollback(ctx context.Context, tx pgx.Tx, err error) error {
	rbErr := tx.Rollback(context.WithoutCancel(ctx))
	if rbErr == nil || errors.Is(rbErr, pgx.ErrTxClosed) {
		return err
	}
	if err == nil {
		return fmt.Errorf("pgstore: rollback: %w", rbErr)
	}
	return fmt.Errorf("%w (and rollback: %w)", err, rbErr)
}
