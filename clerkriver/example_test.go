package clerkriver_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/doctest"
)

// A service on one machine, with River on an SQLite file: the Handler
// stores each verified event as a job and answers 200, and the client's
// workers run the callback. Here the file is temporary, and the example
// signs a delivery itself and sends it twice: a retry of a message whose
// job completed is acknowledged and not run again. riverOnSQLite is the
// recipe of docs/recipes.md.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "clerkriver-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	secret := clerkwebhooktest.NewSecret() // in production: os.Getenv(clerkwebhook.EnvSigningSecret)
	v, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	h, client, db, err := riverOnSQLite(ctx, filepath.Join(dir, "jobs.sqlite3"), v)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		u, err := e.User()
		if err != nil {
			return clerkwebhook.Permanent(err) // no retry decodes it: cancel the job
		}
		fmt.Println("worker: created user", u.ID)
		return nil
	})

	completed, stopListening := client.Subscribe(river.EventKindJobCompleted)
	defer stopListening()
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer client.Stop(ctx)

	// In production: http.Handle("POST /webhooks/clerk", h).
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	deliver := func() {
		header, err := clerkwebhook.Sign(secret, "msg_2rGg9cQNdsOIgrG1mvdfq1zNxrO", time.Now(), body)
		if err != nil {
			log.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
		r.Header = header
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println("handler: answered", w.Code)
	}

	deliver()
	select {
	case <-completed:
	case <-time.After(10 * time.Second):
		fmt.Println("the job did not complete")
	}
	deliver() // Svix's retry: a duplicate of a completed job
	res, err := client.JobList(ctx, river.NewJobListParams().Kinds(clerkriver.Kind))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("jobs:", len(res.Jobs), res.Jobs[0].State)
	// Output:
	// handler: answered 200
	// worker: created user user_30TbaSJBhmLScO0rTRMoSYc7BTg
	// handler: answered 200
	// jobs: 1 completed
}

// riverOnSQLite opens (or creates) the SQLite file at path, brings River's
// tables up to date, and returns a Handler that stores each verified event
// as a River job, with the client whose workers run its callbacks. Register
// the callbacks with h.On, then client.Start. Close db after client.Stop.
func riverOnSQLite(ctx context.Context, path string, v *clerkwebhook.Verifier) (
	h *clerkwebhook.Handler, client *river.Client[*sql.Tx], db *sql.DB, err error,
) {
	// The driver is modernc.org/sqlite (no cgo), imported for its "sqlite"
	// name. One connection, as riversqlite advises: SQLite has one writer
	// at a time. WAL, and a wait for a lock another process holds.
	db, err = sql.Open("sqlite", "file:"+path+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return nil, nil, nil, err
	}
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)

	// River's tables, created on a new file or brought up to date. Without
	// them River fails at start: "no such table: river_notification".
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		db.Close()
		return nil, nil, nil, err
	}

	// The Queue needs the client, and the worker the Handler: the client
	// gets the Workers bundle, which the worker joins once the Handler exists.
	workers := river.NewWorkers()
	client, err = river.NewClient(driver, &river.Config{
		CompletedJobRetentionPeriod: clerkriver.CompletedJobRetention, // duplicates refused for 72 h, not River's 24
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Workers:                     workers,
		// River logs to stdout by default.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	h = clerkwebhook.NewHandler(v, clerkwebhook.WithQueue(clerkriver.NewQueue(client)))
	river.AddWorker(workers, clerkriver.NewWorker(h))
	return h, client, db, nil
}

// Replicas on PostgreSQL, with EnqueueTx: a Queue of the app's own that
// stores an audit row and the job in one transaction, so that neither
// exists without the other. River's tables are in a schema of their own.
// (It needs a database, so it is compiled, not run.)
func ExampleQueue_EnqueueTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	driver := riverpgxv5.New(pool)
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: "river"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		log.Fatal(err)
	}

	workers := river.NewWorkers()
	client, err := river.NewClient(driver, &river.Config{
		CompletedJobRetentionPeriod: clerkriver.CompletedJobRetention,
		DiscardedJobRetentionPeriod: 30 * 24 * time.Hour, // dead letters: a month to look at them
		JobTimeout:                  2 * time.Minute,     // the slowest callback, with a margin
		RescueStuckJobsAfter:        10 * time.Minute,    // a killed replica's jobs run again after this
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}},
		Schema:                      "river",
		Workers:                     workers,
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := clerkwebhook.NewVerifier(os.Getenv(clerkwebhook.EnvSigningSecret))
	if err != nil {
		log.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithQueue(auditedQueue{pool, clerkriver.NewQueue(client)}))
	river.AddWorker(workers, clerkriver.NewWorker(h))
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		u, err := e.User()
		if err != nil {
			return clerkwebhook.Permanent(err)
		}
		_, err = pool.Exec(ctx, "INSERT INTO users (clerk_id) VALUES ($1) ON CONFLICT DO NOTHING", u.ID)
		return err // an error: River retries the job
	})
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	http.Handle("POST /webhooks/clerk", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

// auditedQueue stores a row of the app's and River's job together.
type auditedQueue struct {
	pool  *pgxpool.Pool
	river *clerkriver.Queue[pgx.Tx]
}

func (q auditedQueue) Enqueue(ctx context.Context, e clerkwebhook.Event) error {
	return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO clerk_events (message_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING", e.ID, e.Type)
		if err != nil {
			return err
		}
		return q.river.EnqueueTx(ctx, tx, e)
	})
}

// The recipe in docs/recipes.md is riverOnSQLite, which Example runs.
func TestRecipeInDocs(t *testing.T) {
	t.Parallel()
	doctest.RequireRecipe(t, "example_test.go", "riverOnSQLite", filepath.Join("..", "docs", "recipes.md"))
}
