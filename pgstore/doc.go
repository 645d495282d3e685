// Package pgstore is a clerkwebhook.Deduplicator on PostgreSQL, shared by
// every replica of a service, with exactly-once effects for the writes a
// callback makes in the same transaction (Store.InTx).
//
// Make a Store on a pgxpool.Pool, create its table once at start-up, give it
// to the Handler, and prune it periodically:
//
//	store := pgstore.New(pool)
//	if err := store.Migrate(ctx); err != nil { ... }
//	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(store))
//	h.On(clerkwebhook.UserCreated, store.InTx(createUser))
//
// # What each mode guarantees
//
// As the Handler's Deduplicator, a Store gives at-least-once processing with
// duplicates suppressed, across replicas: a message whose callback succeeded
// is acknowledged without running it again for the retention (72 hours by
// default); a failed one is released, and the retry runs it; two deliveries
// at once run it once (the other gets 409 and Svix retries it). A claim in
// progress is leased (one minute by default) and renewed by the Handler
// while its callback runs: if its process dies, the next delivery after
// the lease takes the message over, so a callback can run twice, and the
// first one's late Complete or Release is refused with
// clerkwebhook.ErrLeaseExpired. A crash between a callback's success
// and Complete also runs it again. Callbacks must therefore tolerate a
// repeat, as with any at-least-once delivery.
//
// With InTx, the record that a message is done commits in the same
// transaction as what the callback writes through that transaction: they
// commit together or not at all, so those writes happen exactly once for each
// message, crashes, lost commit answers and concurrent deliveries included.
// Nothing else the callback does is covered: calls to other systems (HTTP,
// email, queues, another database) are still at least once. InTx works with
// or without the Store as the Handler's Deduplicator; with it, a duplicate is
// answered without opening a transaction.
//
// Every database error is returned wrapped, never swallowed, so the Handler
// answers 500 (clerkwebhook.ErrDeduplicator) and Svix retries. Leases and
// retention use the database's clock, never the Go process's.
//
// # Retention and pruning
//
// A completed message is remembered for the retention (WithRetention), after
// which a new delivery of it runs again. Expired rows are not deleted by
// Claim: run Store.Prune periodically (hourly is plenty; any replica, or
// all of them) to delete completed ids past their retention and claims
// abandoned longer than that. Without it, the table grows by one row per
// message for good.
//
// Message ids are stored as bytea, since ids are opaque bytes; in psql, read
// them with convert_from(id, 'UTF8').
package pgstore
