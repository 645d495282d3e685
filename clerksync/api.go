package clerksync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// The Backend API, through clerk-sdk-go v2. The SDK builds each request
// and decodes each answer; below it, this package's transport paces the
// requests, waits out 429s and retries failures, so every call the SDK
// makes is one "logical" request that succeeds, is refused (4xx), or fails
// for good.

// APIURL is the Backend API's base URL, the default of WithAPIURL.
const APIURL = clerk.APIURL

// Defaults of the options.
const (
	// DefaultRequestsPer10s is how many requests a Mirror starts in any 10
	// seconds at most, an eighth of a second apart (WithRequestRate).
	// Clerk allows 100 per 10 seconds to a development instance (1000 to
	// a production one) and counts every client of the instance: the
	// margin is for the app's own calls.
	DefaultRequestsPer10s = 80
	// DefaultRetryLimit is how long a request is retried (5xx, 429,
	// network errors) before it fails with ErrUnavailable (WithRetryLimit).
	DefaultRetryLimit = 2 * time.Minute
)

const (
	// pageSize is the limit of every list request: the most Clerk serves.
	pageSize = 500
	// attemptTimeout bounds one attempt of a request, the answer's body
	// included (the SDK's default client allows 5 seconds, short for a
	// page of 500 users on a slow link).
	attemptTimeout = 30 * time.Second
	// maxBody is the largest answer read: a page of 500 users is about a
	// megabyte.
	maxBody = 32 << 20
	// defaultRetryAfter is the wait after a 429 without a Retry-After
	// Clerk's window.
	defaultRetryAfter = 10 * time.Second
	// Backoff between attempts after a 5xx or a network error: doubling
	// from minBackoff to maxBackoff, with jitter.
	minBackoff = 500 * time.Millisecond
	maxBackoff = 15 * time.Second
)

// A pacer spaces the starts of requests at least interval apart (so that
// at most n start in any period of n intervals, however many goroutines
// ask, and with no burst that the requests of another process, or of the
// process this one replaced, could add up with), and starts none before a
// pause ends (a 429's Retry-After).
type pacer struct {
	interval time.Duration

	mu     sync.Mutex
	next   time.Time // the earliest next start
	paused time.Time // no start before
}

func newPacer(n int, per time.Duration) *pacer {
	return &pacer{interval: per / time.Duration(n)}
}

// wait blocks until a request may start, and takes its place.
func (p *pacer) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := time.Now()
		if now.Before(p.paused) {
			d := p.paused.Sub(now)
			p.mu.Unlock()
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		at := now
		if p.next.After(at) {
			at = p.next
		}
		p.next = at.Add(p.interval)
		p.mu.Unlock()
		if err := sleep(ctx, at.Sub(now)); err != nil {
			return err
		}
		p.mu.Lock()
		now = time.Now()
		if !now.Before(p.paused) {
			// Spaced from when it really starts: a sleep that overran
			// moves the next start too.
			if next := now.Add(p.interval); next.After(p.next) {
				p.next = next
			}
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		// A 429 came while this one waited: wait it out, then take a
		// new place.
	}
}

// pause stops every start until t.
func (p *pacer) pause(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.paused) {
		p.paused = t
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// A transport is the http.RoundTripper under the SDK: pacing, Retry-After,
// retries. Each answer is read whole (up to maxBody) within the attempt's
// timeout and handed to the SDK from memory.
type transport struct {
	base       http.RoundTripper
	pacer      *pacer
	retryLimit time.Duration
	sent       atomic.Int64 // attempts sent, for Summary.Requests
}

// callInfo is filled by the transport for the call whose context carries
// it: what the error messages need and the SDK does not keep.
type callInfo struct {
	method, path string // path with the query, /v1/users?limit=500
	status       int    // the last answer's
	attempts     int
}

type callInfoKey struct{}

// exhaustedError is the transport's failure once the retry limit is
// reached: the last attempt's status (0 when none answered) and error.
type exhaustedError struct {
	status   int
	code     string
	message  string
	attempts int
	err      error
}

func (e *exhaustedError) Error() string {
	if e.status == 0 {
		return fmt.Sprintf("no answer after %d attempts: %v", e.attempts, e.err)
	}
	return fmt.Sprintf("answered %d on each of %d attempts", e.status, e.attempts)
}

func (e *exhaustedError) Unwrap() error { return e.err }

// errTooLarge is an answer longer than maxBody.
var errTooLarge = fmt.Errorf("the answer is longer than %d bytes", maxBody)

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	info, _ := ctx.Value(callInfoKey{}).(*callInfo)
	if info == nil {
		info = &callInfo{}
	}
	info.method, info.path = req.Method, req.URL.RequestURI()
	first := time.Now()
	for attempt := 1; ; attempt++ {
		if err := t.pacer.wait(ctx); err != nil {
			return nil, err
		}
		info.attempts = attempt
		t.sent.Add(1)
		resp, err := t.attempt(req)
		var delay time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, context.Cause(ctx)
		case errors.Is(err, errTooLarge):
			info.status = resp.StatusCode
			return nil, err
		case err != nil:
			info.status = 0
			delay = backoff(attempt)
		case resp.StatusCode == http.StatusTooManyRequests:
			info.status = resp.StatusCode
			// No request of this Mirror starts before Retry-After has
			// elapsed: Clerk counts them all.
			delay = retryAfter(resp.Header)
			t.pacer.pause(time.Now().Add(delay))
		case resp.StatusCode >= 500:
			info.status = resp.StatusCode
			delay = backoff(attempt)
		default:
			info.status = resp.StatusCode
			return resp, nil
		}
		if time.Since(first)+delay > t.retryLimit {
			e := &exhaustedError{status: info.status, attempts: attempt, err: err}
			if resp != nil {
				e.code, e.message = clerkError(resp)
			}
			return nil, e
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// attempt sends req once and reads the whole answer.
func (t *transport) attempt(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), attemptTimeout)
	defer cancel()
	resp, err := t.base.RoundTrip(req.Clone(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > maxBody {
		return resp, errTooLarge
	}
	return resp, nil
}

// backoff is the wait before attempt+1 after a failure: doubling from
// minBackoff, at most maxBackoff, less up to a quarter at random so that
// clients that failed together do not retry together.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 16 {
		d = min(minBackoff<<(attempt-1), maxBackoff)
	}
	return d - rand.N(d/4)
}

// retryAfter reads a 429's Retry-After, whole seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return defaultRetryAfter
}

// clerkError returns the first of Clerk's errors in an answer read by
// attempt, if it has Clerk's error JSON.
func clerkError(resp *http.Response) (code, message string) {
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e clerk.APIErrorResponse
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		return e.Errors[0].Code, e.Errors[0].LongMessage
	}
	return "", ""
}

// An api is the Backend API of one instance, through the SDK's clients.
type api struct {
	prefix  string // the base URL's path, /v1
	t       *transport
	users   *user.Client
	orgs    *organization.Client
	members *organizationmembership.Client
}

func newAPI(key, baseURL string, base http.RoundTripper, p *pacer, retryLimit time.Duration) *api {
	t := &transport{base: base, pacer: p, retryLimit: retryLimit}
	cfg := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{
		HTTPClient: &http.Client{Transport: t}, // no Timeout: the transport bounds each attempt
		URL:        &baseURL,
		Key:        &key,
	}}
	a := &api{t: t, users: user.NewClient(cfg), orgs: organization.NewClient(cfg), members: organizationmembership.NewClient(cfg)}
	if u, err := url.Parse(baseURL); err == nil {
		a.prefix = strings.TrimRight(u.Path, "/")
	}
	return a
}

// call runs one SDK call and turns its error into an *APIError (or the
// context's error).
func (a *api) call(ctx context.Context, fn func(ctx context.Context) error) error {
	info := &callInfo{}
	err := fn(context.WithValue(ctx, callInfoKey{}, info))
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	e := &APIError{Method: info.method, Path: info.path, Status: info.status, Attempts: info.attempts}
	var refused *clerk.APIErrorResponse
	var exhausted *exhaustedError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &refused):
		e.Status = refused.HTTPStatusCode
		e.TraceID = refused.TraceID
		if len(refused.Errors) > 0 {
			e.Code, e.Message = refused.Errors[0].Code, refused.Errors[0].LongMessage
		}
		if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
			e.kind = ErrUnauthorized
		}
	case errors.As(err, &exhausted):
		e.Status, e.Code, e.Message, e.Attempts = exhausted.status, exhausted.code, exhausted.message, exhausted.attempts
		e.Err, e.kind = exhausted.err, ErrUnavailable
	case errors.Is(err, errTooLarge), errors.As(err, &syntax), errors.As(err, &typ):
		e.Err, e.kind = err, ErrMalformedResponse
	case info.status >= 400:
		// The SDK returns the body itself as the error when it is not
		// Clerk's error JSON: a proxy's page, say.
		e.Err, e.kind = fmt.Errorf("not Clerk's error JSON: %q", truncate(err.Error(), 120)), ErrMalformedResponse
		if info.status == http.StatusUnauthorized || info.status == http.StatusForbidden {
			e.kind = ErrUnauthorized
		}
	default:
		e.Err = err
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// notFound reports whether err is Clerk's answer that the record does not
// exist: a 404 with Clerk's error JSON. A 404 of anything else (a proxy's
// page) confirms nothing.
func notFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound && e.kind == nil
}

// malformed returns an ErrMalformedResponse about the answer to a GET of
// path (under the API's base URL) that decoded but does not hold what it
// must.
func (a *api) malformed(path string, format string, args ...any) error {
	return &APIError{Method: http.MethodGet, Path: a.prefix + path, Status: http.StatusOK,
		Err: fmt.Errorf(format, args...), kind: ErrMalformedResponse}
}

// clerkID matches the ids Clerk makes: a prefix, an underscore, base62.
// Only such ids are put in a request's path: one read from a webhook or a
// caller could otherwise name another endpoint ("user_x/../..").
var clerkID = regexp.MustCompile(`^[a-z]+_[0-9A-Za-z]{1,64}$`)

// userPage is a page of GET /users, which Clerk serves as a bare array.
type userPage []*clerk.User

func (*userPage) Read(*clerk.APIResponse) {}

// listUsers returns a page of users, oldest first. It reads the list
// without the count that the SDK's user.List adds to every page: one
// request a page instead of two.
func (a *api) listUsers(ctx context.Context, offset int) ([]*clerk.User, error) {
	var page userPage
	err := a.call(ctx, func(ctx context.Context) error {
		req := clerk.NewAPIRequest(http.MethodGet, "/users")
		req.SetParams(&user.ListParams{
			ListParams: clerk.ListParams{Limit: clerk.Int64(pageSize), Offset: clerk.Int64(int64(offset))},
			OrderBy:    clerk.String("+created_at"),
		})
		return a.users.Backend.Call(ctx, req, &page)
	})
	return page, err
}

// countUsers returns how many users the instance has.
func (a *api) countUsers(ctx context.Context) (int64, error) {
	var n int64
	err := a.call(ctx, func(ctx context.Context) error {
		c, err := a.users.Count(ctx, &user.ListParams{})
		if err == nil {
			n = c.TotalCount
		}
		return err
	})
	return n, err
}

// getUser returns the user, or ok false when Clerk answers that it does not
// exist.
func (a *api) getUser(ctx context.Context, id string) (u *clerk.User, ok bool, err error) {
	if !clerkID.MatchString(id) {
		return nil, false, fmt.Errorf("clerksync: %q is not a Clerk id", id)
	}
	err = a.call(ctx, func(ctx context.Context) error {
		u, err = a.users.Get(ctx, id)
		return err
	})
	if notFound(err) {
		return nil, false, nil
	}
	return u, err == nil, err
}

// listOrganizations returns a page of organizations, oldest first, with
// their members counts.
func (a *api) listOrganizations(ctx context.Context, offset int) (*clerk.OrganizationList, error) {
	var list *clerk.OrganizationList
	err := a.call(ctx, func(ctx context.Context) (err error) {
		list, err = a.orgs.List(ctx, &organization.ListParams{
			ListParams:          clerk.ListParams{Limit: clerk.Int64(pageSize), Offset: clerk.Int64(int64(offset))},
			OrderBy:             clerk.String("+created_at"),
			IncludeMembersCount: clerk.Bool(true),
		})
		return err
	})
	return list, err
}

// getOrganization returns the organization, or ok false when Clerk answers
// that it does not exist.
func (a *api) getOrganization(ctx context.Context, id string) (o *clerk.Organization, ok bool, err error) {
	if !clerkID.MatchString(id) {
		return nil, false, fmt.Errorf("clerksync: %q is not a Clerk id", id)
	}
	err = a.call(ctx, func(ctx context.Context) error {
		o, err = a.orgs.Get(ctx, id)
		return err
	})
	if notFound(err) {
		return nil, false, nil
	}
	return o, err == nil, err
}

// listMemberships returns a page of an organization's memberships, oldest
// first, only those of userIDs when there are any (at most 100), or ok
// false when Clerk answers that the organization does not exist.
func (a *api) listMemberships(ctx context.Context, orgID string, offset int, userIDs []string) (list *clerk.OrganizationMembershipList, ok bool, err error) {
	if !clerkID.MatchString(orgID) {
		return nil, false, fmt.Errorf("clerksync: %q is not a Clerk id", orgID)
	}
	err = a.call(ctx, func(ctx context.Context) error {
		list, err = a.members.List(ctx, &organizationmembership.ListParams{
			ListParams:     clerk.ListParams{Limit: clerk.Int64(pageSize), Offset: clerk.Int64(int64(offset))},
			OrderBy:        clerk.String("+created_at"),
			UserIDs:        userIDs,
			OrganizationID: orgID,
		})
		return err
	})
	if notFound(err) {
		return nil, false, nil
	}
	return list, err == nil, err
}

// redactURL is u without user information or query, for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(an invalid URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}
