package clerksync

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a caller can branch on with errors.Is. The errors of the Backend
// API are *APIError values that match one of ErrUnauthorized,
// ErrUnavailable or ErrMalformedResponse (or none, for another refusal).
var (
	// ErrNotFound: the mirror has no such record and, for LookupUser,
	// neither has Clerk.
	ErrNotFound = errors.New("clerksync: not found")
	// ErrDeleted: the record was deleted; the mirror keeps its tombstone.
	ErrDeleted = errors.New("clerksync: deleted")
	// ErrNoSecretKey: Reconcile needs the Backend API, and the Mirror was
	// made without WithSecretKey.
	ErrNoSecretKey = errors.New("clerksync: no Backend API secret key (CLERK_SECRET_KEY)")
	// ErrUnauthorized: the Backend API refused the secret key (401 or
	// 403). Retrying does not help; the key is wrong, revoked, or of
	// another instance.
	ErrUnauthorized = errors.New("clerksync: the Backend API refused the secret key")
	// ErrUnavailable: the Backend API did not answer, or answered 429 or
	// 5xx, on every attempt until the retry limit (two minutes by default,
	// WithRetryLimit).
	ErrUnavailable = errors.New("clerksync: the Backend API is unavailable")
	// ErrMalformedResponse: the Backend API answered with something that is
	// not what the SDK or this package can read: not JSON, JSON of another
	// shape, a record without an id or updated_at, a filtered list with
	// records the filter excludes. Nothing is changed on the strength of
	// such an answer.
	ErrMalformedResponse = errors.New("clerksync: malformed Backend API response")
	// ErrReconcileRunning: another reconcile holds this database's
	// reconcile lease (in this process or another, on this machine or
	// another); see Reconcile.
	ErrReconcileRunning = errors.New("clerksync: another reconcile is running on this database")
)

// An APIError is a request to the Backend API that failed. It matches
// (errors.Is) ErrUnauthorized for a 401 or 403, ErrUnavailable when no
// attempt got an answer other than 429 or 5xx, and ErrMalformedResponse
// for an answer that could not be read. Its message names the request and
// Clerk's error code, never the secret key.
type APIError struct {
	// Method and Path are the request's, with the query: "GET
	// /v1/users?limit=500&offset=1000".
	Method, Path string
	// Status is the last answer's HTTP status, 0 when there was none.
	Status int
	// Code and Message are the first of Clerk's errors in the answer
	// (clerk_key_invalid, "The provided Clerk Secret Key is invalid…"), if
	// it had Clerk's error JSON.
	Code, Message string
	// TraceID is the answer's Clerk-Trace-Id, for Clerk's support.
	TraceID string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the cause: the network error of the last attempt, or the
	// decoding error of a malformed answer; nil for a refusal.
	Err error

	kind error // one of the sentinels above, or nil
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clerksync: %s %s: ", e.Method, e.Path)
	switch {
	case e.kind == ErrUnavailable && e.Status == 0:
		fmt.Fprintf(&b, "the Backend API is unreachable after %d attempts", e.Attempts)
	case e.kind == ErrUnavailable:
		fmt.Fprintf(&b, "the Backend API answered %d on each of %d attempts", e.Status, e.Attempts)
	case e.kind == ErrMalformedResponse:
		fmt.Fprintf(&b, "malformed response (status %d)", e.Status)
	case e.kind == ErrUnauthorized:
		fmt.Fprintf(&b, "the Backend API refused the secret key (%d)", e.Status)
	default:
		fmt.Fprintf(&b, "the Backend API answered %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
		if e.Message != "" {
			fmt.Fprintf(&b, " (%s)", e.Message)
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the sentinel the error matches and its cause.
func (e *APIError) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
