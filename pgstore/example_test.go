package pgstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
)

// A service that keeps a users table in sync with Clerk, on every replica:
// the Store is the Handler's Deduplicator, the callback writes through InTx
// so that each user is inserted exactly once, and a ticker prunes the
// table. (It needs a database, so it is compiled, not run.)
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	store := pgstore.New(pool)                 // table clerk_webhook_messages, lease 1 min, retention 72 h
	if err := store.Migrate(ctx); err != nil { // every replica, at start-up
		log.Fatal(err)
	}
	go func() {
		for range time.Tick(time.Hour) {
			if n, err := store.Prune(ctx); err != nil {
				log.Printf("pruning webhook messages: %v", err)
			} else {
				log.Printf("pruned %d webhook messages", n)
			}
		}
	}()

	v, err := clerkwebhook.NewVerifier(os.Getenv(clerkwebhook.EnvSigningSecret))
	if err != nil {
		log.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(store))
	h.On(clerkwebhook.UserCreated, store.InTx(func(ctx context.Context, tx pgx.Tx, e clerkwebhook.Event) error {
		u, err := e.User()
		if err != nil {
			return err
		}
		// Committed with the record of the message, or not at all.
		_, err = tx.Exec(ctx, "INSERT INTO users (clerk_id, username) VALUES ($1, $2)", u.ID, u.Username)
		return err
	}))
	http.Handle("POST /webhooks/clerk", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}

// Without InTx, the Store suppresses duplicates for any callback: at least
// once, and once in the usual case. A callback with effects outside the
// database (an email here) can run twice if its process dies mid-way.
func ExampleStore_Claim() {
	pool, err := pgxpool.New(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store := pgstore.New(pool,
		pgstore.WithTable("webhooks.clerk_messages"), // in a schema of its own
		pgstore.WithLease(2*time.Minute),             // the slowest callback, with a margin
	)
	v, err := clerkwebhook.NewVerifier(os.Getenv(clerkwebhook.EnvSigningSecret))
	if err != nil {
		log.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(store))
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		return sendWelcomeEmail(ctx, e)
	})
	http.Handle("POST /webhooks/clerk", h)
}

func sendWelcomeEmail(context.Context, clerkwebhook.Event) error { return nil }
