// Package redisstore is a clerkwebhook.Deduplicator on Redis, shared by
// every replica of a service.
//
//	client := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	store := redisstore.New(client)
//	if err := store.Check(ctx); err != nil { ... } // an evicting Redis, or none
//	...
//	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(store))
//
// # How it works
//
// Each message id has one key, the prefix followed by the id
// ("clerkwebhook:msg_2x..."). Claim sets it to "processing:" and the
// clerkwebhook.ClaimToken of the delivery attempt; Complete, by that owner
// only, sets it to "done", kept for the retention (72 hours by default);
// Release, by the owner only, deletes it. Each of the three is one Lua
// script on that one key, so it is atomic, and works through any
// redis.UniversalClient, Redis Cluster included. Every time is Redis's own
// (PX and PTTL), never the clock of the process.
//
// A claim holds its message for the lease (one minute by default): until
// then, other deliveries of it are InProgress and the Handler answers 409.
// After it, the next delivery takes the claim over; the old owner's late
// Complete or Release then changes nothing and returns an error wrapping
// clerkwebhook.ErrLeaseExpired. Until someone takes it over, the owner can
// still complete it, so a slow callback that succeeded is not run again. A
// claim whose process died is forgotten the lease plus the retention after
// it was made.
//
// # What it guarantees
//
// Delivery stays at least once: a message is acknowledged only after its
// callback succeeded, so a failure anywhere means a retry. Deduplication
// removes the repeats: among deliveries of one message, one at a time runs
// its callback, and none runs it once a run has completed and Redis still
// remembers that. A callback can still run twice for one message when
// either is true:
//
//   - its process died, or lost Redis for a whole lease, so that the
//     Handler could not renew the claim (Renew, every third of the lease),
//     and another delivery took it over (the first callback's context is
//     cancelled when a renewal finds the claim lost);
//   - Redis forgot the claim or the completion (below).
//
// For writes that must happen exactly once, make the callback idempotent
// (an upsert keyed on the user id, say), or keep the dedupe record in the
// same database transaction as the writes.
//
// Every Redis error is returned, wrapped (errors.Is finds go-redis's error,
// and the context's). The Handler answers 500 to a failed Claim, so the
// sender retries the delivery later; it still answers 200 when only the
// Complete after a successful callback failed, since the work is done, and
// reports the error. A Redis outage therefore delays deliveries; it does not
// drop them, nor run a callback without a claim.
//
// # What it does not guarantee
//
// Redis must keep what it was told for the dedupe to hold:
//
//   - Eviction: under any maxmemory-policy other than noeviction, a full
//     Redis deletes keys, and the messages they recorded run again when
//     redelivered. Use noeviction (writes then fail, the Handler answers
//     500 and the sender retries), or a Redis of its own for these keys.
//     Store.Check refuses any other policy; call it at start-up. Claim
//     checks too, until the check passes once, so a Store on an evicting
//     Redis claims nothing (WithoutEvictionCheck is for a Redis whose
//     access control refuses INFO). A policy changed later, while the
//     process runs, is not seen.
//   - FLUSHDB, FLUSHALL, a restart without persistence, or a restore from an
//     old snapshot forget every id, done or in progress: deliveries after it
//     run their callbacks again. Use a database no other tool flushes.
//   - Failover: replication is asynchronous, so a replica promoted after
//     the primary failed may lack the last claims and completions the
//     primary acknowledged. A delivery then claimed on the old primary can
//     be claimed again on the new one, and a completed message can run
//     again. WAIT would narrow this window, not close it; this package does
//     not use it.
package redisstore
