package fakeclerk

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// apiError is one of Clerk's error answers. The codes and messages are
// those of Clerk's error reference (clerk-docs docs/errors/backend-api.mdx).
type apiError struct {
	status  int
	code    string
	message string
	long    string
	meta    map[string]any
}

// errorBody is Clerk's error JSON (the ClerkErrors schema of the Backend
// API's OpenAPI document), which clerk.APIErrorResponse decodes.
type errorBody struct {
	Errors []errorJSON `json:"errors"`
	// ClerkTraceID is also sent as the Clerk-Trace-Id header, which is
	// where the SDK reads it from.
	ClerkTraceID string `json:"clerk_trace_id"`
}

type errorJSON struct {
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Code        string         `json:"code"`
	Meta        map[string]any `json:"meta,omitempty"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	trace := traceID()
	w.Header().Set("Clerk-Trace-Id", trace)
	writeJSON(w, e.status, errorBody{
		Errors:       []errorJSON{{Message: e.message, LongMessage: e.long, Code: e.code, Meta: e.meta}},
		ClerkTraceID: trace,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic("fakeclerk: " + err.Error()) // the wire types always marshal
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func traceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func errTooManyRequests() *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: "too_many_requests",
		message: "Too many requests", long: "Too many requests, retry later"}
}

func errNotFound(long string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "resource_not_found", message: "not found", long: long}
}

// errParam is Clerk's answer to a query parameter with a value it rejects.
func errParam(name, long string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "form_param_value_invalid",
		message: "is invalid", long: long, meta: map[string]any{"param_name": name}}
}

// errUnsupported answers a parameter or value the real API accepts but this
// double does not model.
func errUnsupported(name, long string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "fakeclerk_unsupported",
		message: "not modelled by fakeclerk", long: long, meta: map[string]any{"param_name": name}}
}

// errForStatus is the error JSON of an injected status.
func errForStatus(status int) *apiError {
	switch {
	case status == http.StatusTooManyRequests:
		return errTooManyRequests()
	case status == http.StatusServiceUnavailable:
		return &apiError{status: status, code: "maintenance_mode", message: "System under maintenance",
			long: "We are currently undergoing maintenance and only essential operations are permitted. We will be back shortly."}
	case status >= 500:
		return &apiError{status: status, code: "internal_clerk_error", message: "Oops, an unexpected error occurred",
			long: "There was an internal error on our servers. We've been notified and are working on fixing it."}
	case status == http.StatusUnauthorized:
		return &apiError{status: status, code: "authentication_invalid", message: "Invalid authentication",
			long: "Unable to authenticate the request, you need to supply an active session"}
	case status == http.StatusNotFound:
		return errNotFound("Resource not found")
	default:
		return &apiError{status: status, code: "bad_request", message: "Bad request", long: "Bad request"}
	}
}
