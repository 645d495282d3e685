// Command mirror is the smallest program that keeps a mirror of a Clerk
// instance with package clerksync: it applies Clerk's webhooks as they
// arrive, reconciles with the Backend API at start-up, and answers
// GET /users/{id} from the mirror (or from Clerk, for a user who signed up
// a moment ago).
//
//	CLERK_WEBHOOK_SIGNING_SECRET=whsec_… CLERK_SECRET_KEY=sk_… go run .
//
// The mirror is an SQLite file, mirror.db. For a queue between the
// webhooks and the database, PostgreSQL, a periodic reconcile and private
// read endpoints, run the clerksync command instead
// (github.com/seed77920f6a/clerkwebhook/clerksync/cmd/clerksync).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

func main() {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:mirror.db?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	handler, mirror, err := newServer(ctx, db, os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET"), os.Getenv("CLERK_SECRET_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	if mirror.HasAPI() {
		go func() {
			sum, err := mirror.Reconcile(ctx, nil)
			if err != nil {
				slog.Error("reconcile failed; the next start resumes it", "error", err)
				return
			}
			slog.Info("reconciled", "users", sum.Users, "organizations", sum.Organizations, "memberships", sum.Memberships)
		}()
	}
	// Loopback only: GET /users/{id} returns personal data.
	srv := &http.Server{Addr: "127.0.0.1:3000", Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newServer creates the mirror's tables in db and returns the mirror and
// its handler: POST /webhooks/clerk, verified with secret, and
// GET /users/{id}. With no key, the mirror follows the webhooks only.
func newServer(ctx context.Context, db *sql.DB, secret, key string) (http.Handler, *clerksync.Mirror, error) {
	verifier, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		return nil, nil, err
	}
	if err := clerksync.Migrate(ctx, db, clerksync.SQLite); err != nil {
		return nil, nil, err
	}
	var opts []clerksync.Option
	if key != "" {
		opts = append(opts, clerksync.WithSecretKey(key))
	}
	mirror, err := clerksync.New(db, clerksync.SQLite, append(opts, clerksync.WithLogger(slog.Default()))...)
	if err != nil {
		return nil, nil, err
	}
	// The callbacks run in the request: each delivery is applied before
	// it is answered, and the order rule makes Svix's retries harmless.
	webhooks := clerkwebhook.NewHandler(verifier)
	mirror.Register(webhooks)

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", webhooks)
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		user, err := mirror.LookupUser(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, clerksync.ErrNotFound), errors.Is(err, clerksync.ErrDeleted):
			http.NotFound(w, r)
		case err != nil:
			slog.Error("looking a user up", "error", err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(user)
		}
	})
	return mux, mirror, nil
}
