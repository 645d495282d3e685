//go:build ignore

// The program scripts/release-check builds outside the repository against
// the modules it published to a file proxy, as a user would after go get:
// every published package is imported and used. It runs with no server:
// River on a temporary SQLite file carries a signed delivery from the Handler
// to its callback, observed by clerkotel; each store deduplicates for a
// Handler whose database is not there, which must fail closed (500, so that
// Svix retries); clerksync reconciles a mirror with a stand-in of Clerk's
// Backend API through clerk-sdk-go, then looks users up. It prints one line
// per module and exits non-zero on anything unexpected.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	redislogging "github.com/redis/go-redis/v9/logging"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkotel"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/clerksync"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/pgstore"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("release-check program: ")
	ctx := context.Background()

	// The core and its test kit: a verifier on a fresh secret.
	secret := clerkwebhooktest.NewSecret()
	verifier, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}

	// clerkotel: an observer on the global (no-op) providers, wrapped to
	// count what it saw.
	observe := clerkotel.NewObserver()
	var observed []clerkwebhook.Delivery
	observer := func(r *http.Request, d clerkwebhook.Delivery) {
		observe(r, d)
		observed = append(observed, d)
	}

	// clerkriver: River on a temporary SQLite file.
	dir, err := os.MkdirTemp("", "release-check-program")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "jobs.sqlite3")+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		log.Fatal(err)
	}
	workers := river.NewWorkers()
	client, err := river.NewClient(driver, &river.Config{
		CompletedJobRetentionPeriod: clerkriver.CompletedJobRetention,
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:                     workers,
		Logger:                      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		log.Fatal(err)
	}
	// The observers report every outcome; the Handlers' own log would
	// repeat the expected failures.
	handler := clerkwebhook.NewHandler(verifier, clerkwebhook.WithoutLog(),
		clerkwebhook.WithQueue(clerkriver.NewQueue(client)),
		clerkwebhook.WithObserver(observer))
	river.AddWorker(workers, clerkriver.NewWorker(handler))
	ran := make(chan string, 1)
	handler.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		u, err := e.User()
		if err != nil {
			return clerkwebhook.Permanent(err)
		}
		ran <- u.ID
		return nil
	})
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer client.Stop(ctx)

	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	deliver := func(header http.Header) int {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
		r.Header = header
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w.Code
	}
	signed := clerkwebhooktest.Sign(secret, "msg_releasecheck", time.Now(), body)
	if code := deliver(signed); code != http.StatusOK {
		log.Fatalf("a signed delivery was answered %d, want 200", code)
	}
	select {
	case id := <-ran:
		fmt.Printf("clerkwebhook, clerkwebhooktest, clerkriver: signed user.created answered 200; River's worker ran the callback for %s\n", id)
	case <-time.After(20 * time.Second):
		log.Fatal("River's worker did not run the callback within 20s")
	}
	forged := clerkwebhooktest.Sign(clerkwebhooktest.NewSecret(), "msg_releasecheck", time.Now(), body)
	code := deliver(forged)
	last := observed[len(observed)-1]
	if code != http.StatusBadRequest || !errors.Is(last.Err, clerkwebhook.ErrNoMatchingSignature) {
		log.Fatalf("a delivery signed with another secret was answered %d (%v), want 400 and ErrNoMatchingSignature", code, last.Err)
	}
	fmt.Printf("clerkwebhook: a delivery signed with another secret answered %d: %v\n", code, last.Err)
	if len(observed) != 2 {
		log.Fatalf("the observer saw %d deliveries, want 2", len(observed))
	}
	fmt.Printf("clerkotel: the observer recorded %d deliveries (statuses %d, %d)\n", len(observed), observed[0].Status, observed[1].Status)

	// pgstore and redisstore: each is the Deduplicator of a Handler whose
	// server is not there (a closed loopback port); the delivery must be
	// refused with 500 and ErrDeduplicator, its callback not run.
	pool, err := pgxpool.New(ctx, "postgres://release-check@127.0.0.1:1/none?connect_timeout=5")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	redislogging.Disable() // its pool logs each failed dial
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 5 * time.Second})
	defer rdb.Close()
	for _, store := range []struct {
		name  string
		dedup clerkwebhook.Deduplicator
	}{
		{"pgstore", pgstore.New(pool)},
		{"redisstore", redisstore.New(rdb)},
	} {
		h := clerkwebhook.NewHandler(verifier, clerkwebhook.WithoutLog(), clerkwebhook.WithDeduplicator(store.dedup),
			clerkwebhook.WithObserver(func(r *http.Request, d clerkwebhook.Delivery) { observed = append(observed, d) }))
		h.On(clerkwebhook.UserCreated, func(context.Context, clerkwebhook.Event) error {
			log.Fatalf("%s: the callback ran without a claim", store.name)
			return nil
		})
		r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
		r.Header = clerkwebhooktest.Sign(secret, "msg_releasecheck_"+store.name, time.Now(), body)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		last := observed[len(observed)-1]
		if w.Code != http.StatusInternalServerError || !errors.Is(last.Err, clerkwebhook.ErrDeduplicator) {
			log.Fatalf("%s with no server: answered %d (%v), want 500 and ErrDeduplicator", store.name, w.Code, last.Err)
		}
		fmt.Printf("%s: with no server, a signed delivery answered %d (ErrDeduplicator), its callback not run\n", store.name, w.Code)
	}

	checkClerksync(ctx, dir, verifier, secret)
}

// checkClerksync reconciles a mirror on SQLite with a stand-in of Clerk's
// Backend API that holds one user (the user.created fixture's), then looks
// that user and an unknown one up, and applies a webhook to the mirror.
func checkClerksync(ctx context.Context, dir string, verifier *clerkwebhook.Verifier, secret string) {
	const key = "sk_test_releasecheck"
	var fixture struct{ Data json.RawMessage }
	if err := json.Unmarshal(clerkwebhooktest.Fixture(clerkwebhook.UserCreated), &fixture); err != nil {
		log.Fatal(err)
	}
	var user struct{ ID string }
	if err := json.Unmarshal(fixture.Data, &user); err != nil {
		log.Fatal(err)
	}
	requests := 0
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+key {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"clerk_key_invalid","message":"invalid key","long_message":"invalid key"}]}`)
			return
		}
		switch r.URL.Path {
		case "/v1/users/count":
			fmt.Fprint(w, `{"object":"total_count","total_count":1}`)
		case "/v1/users":
			fmt.Fprintf(w, "[%s]", fixture.Data)
		case "/v1/users/" + user.ID:
			w.Write(fixture.Data)
		case "/v1/organizations":
			fmt.Fprint(w, `{"data":[],"total_count":0}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":"resource_not_found","message":"not found","long_message":"not found"}]}`)
		}
	}))
	defer api.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "mirror.sqlite3")+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := clerksync.Migrate(ctx, db, clerksync.SQLite); err != nil {
		log.Fatal(err)
	}
	mirror, err := clerksync.New(db, clerksync.SQLite, clerksync.WithSecretKey(key), clerksync.WithAPIURL(api.URL+"/v1"))
	if err != nil {
		log.Fatal(err)
	}
	sum, err := mirror.Reconcile(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	if !sum.Complete || sum.Users.Inserted != 1 {
		log.Fatalf("clerksync: the reconcile inserted %d users, want 1: %+v", sum.Users.Inserted, sum)
	}
	u, err := mirror.LookupUser(ctx, user.ID)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := mirror.LookupUser(ctx, "user_2releasecheckunknown000000"); !errors.Is(err, clerksync.ErrNotFound) {
		log.Fatalf("clerksync: an unknown user: %v, want ErrNotFound", err)
	}
	h := clerkwebhook.NewHandler(verifier, clerkwebhook.WithoutLog())
	mirror.Register(h)
	deleted := clerkwebhooktest.Fixture(clerkwebhook.UserDeleted)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(deleted))
	r.Header = clerkwebhooktest.Sign(secret, "msg_releasecheck_deleted", time.Now(), deleted)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		log.Fatalf("clerksync: user.deleted answered %d", w.Code)
	}
	fmt.Printf("clerksync: reconciled %s (%s) from a stand-in of the Backend API in %d requests; an unknown user is ErrNotFound; user.deleted applied\n",
		u.ID, *u.Email, requests)
}
