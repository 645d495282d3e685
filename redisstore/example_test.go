package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/redisstore"
)

// A webhook endpoint whose replicas share one Redis, so that each Clerk
// message runs its callback once however many replicas receive its
// retries. It needs a Redis server, so it is compiled, not run.
func Example() {
	// A database of its own, with maxmemory-policy noeviction: evicted or
	// flushed keys are forgotten messages (see the package documentation).
	client := redis.NewClient(&redis.Options{Addr: "localhost:6379", DB: 1})
	defer client.Close()
	store := redisstore.New(client, redisstore.WithPrefix("myapp:clerk:"))

	v, err := clerkwebhook.NewVerifier(os.Getenv("CLERK_WEBHOOK_SIGNING_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(store))
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		u, err := e.User()
		if err != nil {
			return err
		}
		log.Printf("new user %s", u.ID)
		return nil // a returned error releases the claim: Svix retries
	})

	http.Handle("POST /webhooks/clerk", h)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
