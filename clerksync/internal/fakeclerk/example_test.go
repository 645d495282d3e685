package fakeclerk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// A listing through the real SDK: user.List makes two requests per page,
// the page and the count.
func Example() {
	srv := fakeclerk.New()
	defer srv.Close()
	srv.Generate(1, 1200, 0, 0)

	users := user.NewClient(srv.Config())
	seen := 0
	for offset := int64(0); ; offset += 500 {
		page, err := users.List(context.Background(), &user.ListParams{
			ListParams: clerk.ListParams{Limit: clerk.Int64(500), Offset: clerk.Int64(offset)},
		})
		if err != nil {
			log.Fatal(err)
		}
		seen += len(page.Users)
		if len(page.Users) < 500 {
			break
		}
	}
	fmt.Println(seen, "users in", srv.RequestCount(""), "requests")
	// Output: 1200 users in 6 requests
}

// Clerk's rate limit, and a 5xx for the next request under a path.
func ExampleServer_Fail() {
	srv := fakeclerk.New()
	defer srv.Close()
	u := srv.PutUser(fakeclerk.User{FirstName: "Ada", EmailAddress: "ada@example.com"})
	users := user.NewClient(srv.Config())
	ctx := context.Background()

	srv.Fail(fakeclerk.Fault{Path: "/v1/users/", Status: 503})
	_, err := users.Get(ctx, u.ID)
	var apiErr *clerk.APIErrorResponse
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.HTTPStatusCode, apiErr.Errors[0].Code)
	}

	srv.RateLimit(1, 10*time.Second)
	_, err = users.Get(ctx, u.ID)
	fmt.Println(err)
	_, err = users.Get(ctx, u.ID)
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.HTTPStatusCode, apiErr.Errors[0].Code, "Retry-After:", apiErr.Response.Header.Get("Retry-After"))
	}
	// Output:
	// 503 maintenance_mode
	// <nil>
	// 429 too_many_requests Retry-After: 10
}
