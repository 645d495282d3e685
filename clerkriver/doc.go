// Package clerkriver is a clerkwebhook.Queue on River
// (github.com/riverqueue/river): a Handler stores each verified event as a
// River job and acknowledges the delivery at once, and River's workers run
// the callbacks later, with retries, a dead-letter state, and the rescue of
// jobs whose process died. River runs on SQLite (riverdriver/riversqlite),
// an embedded default for one machine, and on PostgreSQL
// (riverdriver/riverpgxv5) when several machines share the work; this
// package is generic over the driver's transaction type and imports
// neither.
//
// # The flow
//
//	Svix ── POST ──▶ Handler (WithQueue) ── verify ──▶ Queue.Enqueue ── INSERT, unique by message id ──▶ 200
//	River client ──▶ NewWorker's Work ──▶ Handler.Dispatch ──▶ the callback registered with On
//	    nil                          → the job is completed
//	    an error, a panic            → retried with backoff; discarded after the last attempt
//	    clerkwebhook.Permanent(err)  → river.JobCancel: cancelled, never retried
//
// The Handler answers 200 once the job's insert has committed, and 500 when
// it failed (clerkwebhook.ErrQueue), so that Svix retries: nothing is
// acknowledged that was not stored. Only events with a callback (On,
// OnNewType, or OnOther) are stored; others are acknowledged and dropped, as
// without a queue. No Deduplicator is needed: the unique job is one.
//
// # Wiring
//
// The Queue needs the client and the worker needs the Handler, so the client
// gets a Workers bundle that the worker joins once the Handler exists:
//
//	workers := river.NewWorkers()
//	client, err := river.NewClient(driver, &river.Config{
//		CompletedJobRetentionPeriod: clerkriver.CompletedJobRetention,
//		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
//		Workers:                     workers,
//	})
//	...
//	h := clerkwebhook.NewHandler(v, clerkwebhook.WithQueue(clerkriver.NewQueue(client)))
//	river.AddWorker(workers, clerkriver.NewWorker(h))
//	h.On(clerkwebhook.UserCreated, createUser)
//	err = client.Start(ctx)
//	http.Handle("POST /webhooks/clerk", h)
//
// A web process may insert with a client that has no Queues or Workers, and
// leave the work to worker processes. Its Handler must have callbacks for
// the same event types as theirs, since it decides which events are stored.
//
// River's tables are created and upgraded with rivermigrate, at start-up or
// in a deploy step (River's command, river migrate-up, does the same):
//
//	migrator, err := rivermigrate.New(driver, nil)
//	...
//	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
//
// On PostgreSQL, river.Config.Schema and rivermigrate.Config.Schema put them
// in a schema of their own. On SQLite, give River a *sql.DB with one
// connection, as riversqlite advises, in WAL mode, waiting for a lock that
// another process holds instead of failing at once (with modernc.org/sqlite):
//
//	db, err := sql.Open("sqlite", "file:jobs.db?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
//	...
//	db.SetMaxOpenConns(1)
//	driver := riversqlite.New(db)
//
// SQLite has no LISTEN/NOTIFY: a worker in another process finds new jobs by
// polling (FetchPollInterval, 1 second by default). Each Enqueue is a
// transaction synced to disk (a few milliseconds), and so is each of River's
// fetches and completions on the same connection: a few hundred a second in
// all, past which deliveries wait in line for the connection. That is ample
// for a Clerk endpoint; PostgreSQL spreads inserts over a pool.
//
// # How often a callback runs
//
// One job per message: Svix's retries and concurrent deliveries of a message
// insert nothing after the first (the insert is "skipped as duplicate", and
// Enqueue returns nil), whether its job is waiting, running, retrying, or
// completed. River enforces it with a unique index on the message id (see
// Args), so it holds across processes and machines.
//
// The callback runs at least once: once in the usual case, and again when
// its process dies (or loses the database) after the callback succeeded but
// before River recorded the job as completed, or when a job still running
// is rescued (below). Make callbacks idempotent; for writes to PostgreSQL
// that must happen exactly once, the pgstore module's InTx records the
// message id in the callback's own transaction.
//
// # Retention: CompletedJobRetention
//
// A completed job's row is what rejects a later delivery of its message, and
// River deletes completed jobs after river.Config.CompletedJobRetentionPeriod:
// 24 hours by default, less than the 28 hours over which Svix retries a
// message whose answer it did not get. Set it to CompletedJobRetention (72
// hours) or more on every client of the database or schema, since whichever
// is the leader deletes them. After it, a delivery of the message is a new
// job.
//
// # River's defaults that matter here
//
//   - Attempts: river.Config.MaxAttempts, 25. A job that fails them all is
//     discarded (the dead letter, below).
//   - Backoff: DefaultClientRetryPolicy, attempt⁴ seconds with 10% jitter:
//     1s, 16s, 81s, 4m16s, 10m25s, ..., the 25th attempt about 20 days
//     after the first. Set RetryPolicy, or MaxAttempts, to change it.
//   - Job timeout: river.Config.JobTimeout, 1 minute: the callback's context
//     is cancelled then, and a callback that ignores it keeps running.
//   - Stuck jobs: a job still running after RescueStuckJobsAfter (1 hour by
//     default; it must not be shorter than JobTimeout) is taken for one whose
//     process died, and retried. River's rescuer looks every 30 seconds, on
//     the leader. Lower it to recover faster from a crash (a killed worker's
//     job waits for it): a callback still really running then runs twice.
//   - Retention: completed jobs 24 hours (raise it, above), cancelled jobs
//     24 hours (CancelledJobRetentionPeriod), discarded jobs 7 days
//     (DiscardedJobRetentionPeriod); -1 keeps them for ever.
//   - Leader: one client per database (or schema) is elected leader and runs
//     the rescuer, the cleaner and the scheduler of retries. A client with
//     LeaderElectionDisabled never leads; at least one must be able to.
//   - Logger: River logs to standard output unless river.Config.Logger is
//     set.
//
// # Dead letters
//
// A job whose every attempt failed is discarded: River keeps it, with each
// attempt's error, for DiscardedJobRetentionPeriod. List them with
//
//	res, err := client.JobList(ctx, river.NewJobListParams().
//		Kinds(clerkriver.Kind).States(rivertype.JobStateDiscarded))
//
// and, once the cause is fixed, run one again with client.JobRetry(ctx, id),
// which gives it one more attempt. A job cancelled by Permanent is in the
// state cancelled, and JobRetry runs it again too. River UI (riverui, a web
// app run beside the service) lists, inspects and retries jobs in a browser.
//
// A cancelled or discarded job does not hold its message id: a delivery
// replayed from Clerk's dashboard inserts a new job. Once that job is
// stored, JobRetry of the old one fails with a unique violation instead of
// running the message twice.
//
// With a queue, Svix has its 200 before the callback runs, so a Permanent
// error is not answered 422 with "webhook-delivery: abort-message" as it is
// without one: the job is cancelled instead, and the event stays in River
// for CancelledJobRetentionPeriod.
package clerkriver
