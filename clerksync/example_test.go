package clerksync_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerksync"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// openMirror opens a new SQLite file in dir as New's documentation says,
// and creates the mirror's tables.
func openMirror(dir string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "mirror.db")+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if err := clerksync.Migrate(context.Background(), db, clerksync.SQLite); err != nil {
		log.Fatal(err)
	}
	return db
}

// A mirror kept by webhooks alone: Register puts its callbacks on a
// Handler, which verifies each delivery and applies it.
func Example() {
	dir, _ := os.MkdirTemp("", "clerksync-example")
	defer os.RemoveAll(dir)
	db := openMirror(dir)
	defer db.Close()

	mirror, err := clerksync.New(db, clerksync.SQLite) // no secret key: webhooks only
	if err != nil {
		log.Fatal(err)
	}
	secret := clerkwebhooktest.NewSecret()
	v, err := clerkwebhook.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v)
	mirror.Register(h)

	// A delivery of user.created, as Svix makes it.
	body := clerkwebhooktest.Fixture(clerkwebhook.UserCreated)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(body))
	for k, vs := range clerkwebhooktest.Sign(secret, "msg_example", time.Now(), body) {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	u, err := mirror.User(context.Background(), "user_30TbaSJBhmLScO0rTRMoSYc7BTg")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.FirstName, *u.LastName, *u.Email)
	// Output:
	// 200
	// Elodie Marchetti elodie.marchetti@example.com
}

// A reconcile of an instance's users, organizations and memberships into
// an empty mirror. The Backend API here is fakeclerk, a test double: leave
// WithAPIURL out for Clerk's.
func ExampleMirror_Reconcile() {
	clerk := fakeclerk.New()
	defer clerk.Close()
	clerk.Generate(1, 1200, 10, 5)

	dir, _ := os.MkdirTemp("", "clerksync-example")
	defer os.RemoveAll(dir)
	db := openMirror(dir)
	defer db.Close()
	mirror, err := clerksync.New(db, clerksync.SQLite,
		clerksync.WithSecretKey(clerk.Key()), clerksync.WithAPIURL(clerk.URL()),
		clerksync.WithRequestRate(1000, time.Second))
	if err != nil {
		log.Fatal(err)
	}
	sum, err := mirror.Reconcile(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("users %+v\norganizations %+v\nmemberships %+v\nrequests %d\n", sum.Users, sum.Organizations, sum.Memberships, sum.Requests)
	// Output:
	// users {Listed:1200 Inserted:1200 Updated:0 Unchanged:0 Stale:0 Deleted:0}
	// organizations {Listed:10 Inserted:10 Updated:0 Unchanged:0 Stale:0 Deleted:0}
	// memberships {Listed:50 Inserted:50 Updated:0 Unchanged:0 Stale:0 Deleted:0}
	// requests 15
}

// The first request of a user who just signed up can come before the
// user.created webhook: LookupUser fetches the user from the Backend API,
// stores it, and returns it. An id Clerk does not know is ErrNotFound.
func ExampleMirror_LookupUser() {
	clerk := fakeclerk.New()
	defer clerk.Close()
	signedUp := clerk.PutUser(fakeclerk.User{FirstName: "Amara", EmailAddress: "amara@example.com"})

	dir, _ := os.MkdirTemp("", "clerksync-example")
	defer os.RemoveAll(dir)
	db := openMirror(dir)
	defer db.Close()
	mirror, err := clerksync.New(db, clerksync.SQLite, clerksync.WithSecretKey(clerk.Key()), clerksync.WithAPIURL(clerk.URL()))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	u, err := mirror.LookupUser(ctx, signedUp.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*u.FirstName, *u.Email)
	_, err = mirror.LookupUser(ctx, "user_2neverseen000000000000000")
	fmt.Println(errors.Is(err, clerksync.ErrNotFound))
	// Output:
	// Amara amara@example.com
	// true
}
