// Package clerksync keeps a mirror of a Clerk instance's users,
// organizations and organization memberships in your SQLite or PostgreSQL
// database, in tables your app can join, and keeps it complete: Clerk's
// webhooks keep it current, a reconcile with Clerk's Backend API fills what
// no webhook brought (the users who existed before the endpoint did, the
// events of an outage longer than Svix's retries), and a lookup fetches a
// user whose first request comes before the user.created webhook.
//
// # The two commands
//
// The command clerksync (github.com/seed77920f6a/clerkwebhook/clerksync/cmd/clerksync)
// runs it all. On a new instance, copy everything once:
//
//	export CLERK_SECRET_KEY=sk_live_…
//	clerksync reconcile --db sqlite:clerksync.db
//
// It prints its progress and a summary (listed, inserted, updated,
// unchanged, skipped as stale, deleted), and exits 0 once the mirror is
// complete. Then serve: receive the webhooks, apply them, serve the mirror
// read-only on a private listener, and reconcile again every day:
//
//	export CLERK_WEBHOOK_SIGNING_SECRET=whsec_…
//	clerksync serve --db sqlite:clerksync.db
//
// See the README of the module for the flags, the output, and how it works.
//
// # In your program
//
// The package is what the command runs:
//
//	db, err := sql.Open("sqlite", "file:mirror.db?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
//	...
//	err = clerksync.Migrate(ctx, db, clerksync.SQLite)
//	mirror, err := clerksync.New(db, clerksync.SQLite, clerksync.WithSecretKey(os.Getenv("CLERK_SECRET_KEY")))
//	...
//	mirror.Register(handler)                  // a *clerkwebhook.Handler: user.*, organization.*, organizationMembership.*
//	summary, err := mirror.Reconcile(ctx, nil) // now, and from time to time
//	user, err := mirror.LookupUser(ctx, id)    // the mirror's, or Clerk's if the mirror never saw it
//
// # The order rule
//
// Svix delivers each event at least once, in any order, and a reconcile
// reads Clerk while events keep coming. Every change is therefore one
// version of one row, stamped with its updated_at (a deletion with its
// time), and a version replaces the row only when it is newer. A deletion
// leaves a tombstone, with the person's data erased, so a late update
// changes nothing; and a version read from the Backend API never changes a
// tombstone, whatever its stamp, so a listing read before a deletion never
// brings the user back.
//
// # Reconcile
//
// Reconcile lists every user, organization and membership, 500 a page,
// and stores each as a version. A row the listings did not return is
// deleted only once Clerk confirms it: a get answering 404, or for a
// membership its organization's membership list filtered by its user.
// Pages overlap, and a page that does not hold the end of the one before
// is read again from further back, so that records deleted during the
// listing never make it skip one. Requests are spaced under Clerk's limit
// (100 in 10 seconds; 80 by default), a 429 stops every request until its
// Retry-After, and 5xx answers and network errors are retried with backoff
// for up to two minutes. Pages stream into the database, where the
// bookkeeping is (a run id on each row read), so memory stays flat
// whatever the instance's size. A run's progress is stored with each page:
// a reconcile stopped anywhere (a kill, a failure) is resumed by the next,
// and one reconcile runs at a time per database, under a lease.
//
// # Databases
//
// SQLite (modernc.org/sqlite, "sqlite") and PostgreSQL (pgx's stdlib,
// "pgx") run the same statements. On SQLite, open the file in WAL mode
// with a busy timeout and immediate transactions, as above, so that a
// reconcile and a server can share it; every transaction is short. On
// PostgreSQL the tables go to the first schema of the connection's
// search_path, and several servers may share them.
package clerksync
