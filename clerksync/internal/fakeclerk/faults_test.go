package fakeclerk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// fakeNow is a clock a test moves by hand.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeNow) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeNow) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clock := &fakeNow{t: time.Unix(1767225600, 0)}
	srv := newServer(t, fakeclerk.WithNow(clock.now))
	u := srv.PutUser(fakeclerk.User{FirstName: "Ada"})
	srv.RateLimit(3, 10*time.Second)
	c := user.NewClient(srv.Config())
	ctx := context.Background()

	for range 3 {
		_, err := c.Get(ctx, u.ID)
		require.NoError(t, err)
		clock.add(time.Second)
	}
	// 3 admitted at 0s, 1s and 2s; now is 3s: the first leaves the window
	// at 10s, 7 seconds from now.
	_, err := c.Get(ctx, u.ID)
	e := apiError(t, err)
	assert.Equal(t, 429, e.HTTPStatusCode)
	assert.Equal(t, "too_many_requests", e.Errors[0].Code)
	assert.Equal(t, "7", e.Response.Header.Get("Retry-After"))

	clock.add(6500 * time.Millisecond) // 9.5s: still full, half a second left
	_, err = c.Get(ctx, u.ID)
	assert.Equal(t, "1", apiError(t, err).Response.Header.Get("Retry-After"), "rounded up, never 0")

	clock.add(500 * time.Millisecond) // 10s: the first request has left
	_, err = c.Get(ctx, u.ID)
	require.NoError(t, err)
	_, err = c.Get(ctx, u.ID)
	assert.Equal(t, 429, apiError(t, err).HTTPStatusCode, "refused requests do not use the window")

	// user.List makes two requests; a limited count call fails the list.
	srv.RateLimit(1, 10*time.Second)
	_, err = c.List(ctx, &user.ListParams{})
	assert.Equal(t, 429, apiError(t, err).HTTPStatusCode)
	assert.Equal(t, 1, srv.RequestCount("GET /v1/users"))
	assert.Equal(t, 1, srv.RequestCount("GET /v1/users/count"))

	srv.RateLimit(0, 0)
	_, err = c.List(ctx, &user.ListParams{})
	require.NoError(t, err)
}

func TestRateLimitRealClock(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.RateLimit(100, 10*time.Second)
	c := user.NewClient(srv.Config())
	var refused []*clerk.APIErrorResponse
	for range 110 {
		_, err := c.Count(context.Background(), &user.ListParams{})
		if err != nil {
			refused = append(refused, apiError(t, err))
		}
	}
	require.Len(t, refused, 10, "Clerk's development limit: 100 requests per 10 seconds")
	for _, e := range refused {
		assert.Equal(t, 429, e.HTTPStatusCode)
		assert.Contains(t, []string{"9", "10"}, e.Response.Header.Get("Retry-After"))
	}
}

func TestFailStatus(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(9, 20, 2, 3)
	c := user.NewClient(srv.Config())
	orgs := organization.NewClient(srv.Config())
	ctx := context.Background()

	srv.Fail(fakeclerk.Fault{Path: "/v1/users", Times: 2, Status: 500})
	srv.Fail(fakeclerk.Fault{Path: "/v1/organizations", Status: 503, Header: http.Header{"Retry-After": {"30"}}})

	// The organization fault is queued second but is the first to match.
	_, err := orgs.List(ctx, &organization.ListParams{})
	e := apiError(t, err)
	assert.Equal(t, 503, e.HTTPStatusCode)
	assert.Equal(t, "maintenance_mode", e.Errors[0].Code)
	assert.Equal(t, "30", e.Response.Header.Get("Retry-After"))

	for range 2 {
		_, err := c.List(ctx, &user.ListParams{})
		e := apiError(t, err)
		assert.Equal(t, 500, e.HTTPStatusCode)
		assert.Equal(t, "internal_clerk_error", e.Errors[0].Code)
	}
	_, err = c.List(ctx, &user.ListParams{})
	require.NoError(t, err, "the fault is used up")
	_, err = orgs.List(ctx, &organization.ListParams{})
	require.NoError(t, err)

	// A prefix as narrow as one user.
	id := srv.Users()[0].ID
	srv.Fail(fakeclerk.Fault{Path: "/v1/users/" + id, Status: 502})
	_, err = c.Get(ctx, srv.Users()[1].ID)
	require.NoError(t, err)
	_, err = c.Get(ctx, id)
	assert.Equal(t, 502, apiError(t, err).HTTPStatusCode)
}

func TestFailBody(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(10, 5, 0, 0)
	c := user.NewClient(srv.Config())
	ctx := context.Background()

	// A proxy's page: the SDK cannot read Clerk's error from it and returns
	// the body as a plain error, without the status.
	srv.Fail(fakeclerk.Fault{Path: "/v1/users", Status: 502, Header: http.Header{"Content-Type": {"text/html"}},
		Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"})
	_, err := c.List(ctx, &user.ListParams{})
	require.Error(t, err)
	var e *clerk.APIErrorResponse
	assert.False(t, errors.As(err, &e))
	assert.Contains(t, err.Error(), "502 Bad Gateway")

	// Invalid JSON with 200.
	srv.Fail(fakeclerk.Fault{Path: "/v1/users", Status: 200, Body: `[{"id":"user_1",`})
	_, err = c.List(ctx, &user.ListParams{})
	var syntax *json.SyntaxError
	assert.ErrorAs(t, err, &syntax)

	// Valid JSON of the wrong shape: an object where users are an array.
	srv.Fail(fakeclerk.Fault{Path: "/v1/users", Status: 200, Body: `{"data":[],"total_count":0}`})
	_, err = c.List(ctx, &user.ListParams{})
	var typ *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &typ)

	// A field of the wrong type inside a user.
	srv.Fail(fakeclerk.Fault{Path: "/v1/users/", Status: 200, Body: `{"object":"user","id":"user_1","updated_at":"yesterday"}`})
	_, err = c.Get(ctx, srv.Users()[0].ID)
	assert.ErrorAs(t, err, &typ)

	_, err = c.List(ctx, &user.ListParams{})
	require.NoError(t, err)
}

func TestFailDrop(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	u := srv.PutUser(fakeclerk.User{FirstName: "Ada"})
	// No kept-alive connections: Go's transport retries a GET once when a
	// reused connection is dropped before any answer, and whether one is
	// reused depends on timing. Each drop then reaches the client.
	cfg := srv.Config()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	c := user.NewClient(cfg)
	ctx := context.Background()
	line := "GET /v1/users/" + u.ID

	srv.Fail(fakeclerk.Fault{Path: "/v1/users", Times: 2, Drop: true})
	for i := 0; i < 2; i++ {
		_, err := c.Get(ctx, u.ID)
		require.Error(t, err, "drop %d", i+1)
		var e *clerk.APIErrorResponse
		assert.False(t, errors.As(err, &e))
		assert.Contains(t, err.Error(), "EOF")
	}
	assert.Equal(t, 2, srv.RequestCount(line))
	reqs := srv.Requests()
	assert.Zero(t, reqs[len(reqs)-1].Status, "a dropped request has no status")

	// The fault is spent: the next request is answered.
	_, err := c.Get(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.RequestCount(line))
}

func TestFailHold(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	u := srv.PutUser(fakeclerk.User{FirstName: "Ada"})
	c := user.NewClient(srv.Config())

	// Held until the client gives up.
	srv.Fail(fakeclerk.Fault{Path: "/v1/users", Hold: make(chan struct{})})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, u.ID)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// Held until released, then answered: concurrent requests pile up
	// behind the channel, as when testing single flight.
	release := make(chan struct{})
	srv.Fail(fakeclerk.Fault{Path: "/v1/users/" + u.ID, Times: 3, Hold: release})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() { _, errs[i] = c.Get(context.Background(), u.ID) })
	}
	require.Eventually(t, func() bool { return srv.RequestCount("GET /v1/users/"+u.ID) == 4 }, 5*time.Second, time.Millisecond)
	for _, r := range srv.Requests()[1:] {
		assert.Zero(t, r.Status, "held")
	}
	close(release)
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	for _, r := range srv.Requests()[1:] {
		assert.Equal(t, 200, r.Status)
	}
}

func TestCloseDropsHeldRequests(t *testing.T) {
	t.Parallel()
	srv := fakeclerk.New()
	srv.Fail(fakeclerk.Fault{Hold: make(chan struct{})})
	done := make(chan error)
	go func() {
		_, err := user.NewClient(srv.Config()).Get(context.Background(), "user_1")
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.RequestCount("") == 1 }, 5*time.Second, time.Millisecond)
	srv.Close() // returns: the held request is dropped
	assert.Error(t, <-done)
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v1/sessions", 404, "resource_not_found"},
		{"GET", "/v2/users", 404, "resource_not_found"},
		{"DELETE", "/v1/users/user_1", 405, "fakeclerk_unsupported"},
		{"POST", "/v1/organizations", 405, "fakeclerk_unsupported"},
		{"GET", "/v1/users/user_1?include=x", 422, "fakeclerk_unsupported"},
	} {
		req, err := http.NewRequest(tc.method, strings.TrimSuffix(srv.URL(), "/v1")+tc.path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.Key())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body struct {
			Errors []struct{ Code string }
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.path)
		require.Len(t, body.Errors, 1)
		assert.Equal(t, tc.code, body.Errors[0].Code, tc.path)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		assert.NotEmpty(t, resp.Header.Get("Clerk-Trace-Id"))
	}
	reqs := srv.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, "", reqs[0].Route)
	assert.Equal(t, "GET /v1/users/{user_id}", reqs[4].Route)
	assert.Equal(t, "x", reqs[4].Query.Get("include"))
}
