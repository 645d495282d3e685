package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// newWebhookMux serves the webhook deliveries, POST path, and nothing
// else: this listener is the one Svix must reach.
func newWebhookMux(path string, webhooks http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST "+path, webhooks)
	return mux
}

// The read endpoints' answers.
type (
	userJSON struct {
		ID        string  `json:"id"`
		Email     *string `json:"email"`
		FirstName *string `json:"first_name"`
		LastName  *string `json:"last_name"`
		ImageURL  *string `json:"image_url"`
		UpdatedAt int64   `json:"updated_at"`
	}
	organizationJSON struct {
		ID        string  `json:"id"`
		Name      *string `json:"name"`
		Slug      *string `json:"slug"`
		UpdatedAt int64   `json:"updated_at"`
	}
	memberJSON struct {
		UserID string `json:"user_id"`
		Role   string `json:"role"`
	}
)

// newReadMux serves the read endpoints, from the mirror:
//
//	GET /users/{id}                   {"id","email","first_name","last_name","image_url","updated_at"}
//	GET /organizations/{id}           {"id","name","slug","updated_at"}
//	GET /organizations/{id}/members   [{"user_id","role"}], sorted by user id
//
// An id never seen is 404 {"error":"not found"}, a deleted one 404
// {"error":"deleted"}. GET /users/{id} asks Clerk about an id the mirror
// never saw, when there is a secret key (clerksync.Mirror.LookupUser); if
// Clerk cannot be asked, the answer is 502. The endpoints return personal
// data and have no authentication: they are served on a listener of their
// own (--read-addr, loopback by default), never on the webhook listener. A
// request whose Host is not an IP address or localhost is refused with
// 421: a web page that points a name of its own at 127.0.0.1 (DNS
// rebinding) cannot read them from a browser on this machine.
func newReadMux(m *clerksync.Mirror, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	read := func(get func(r *http.Request) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			v, err := get(r)
			var apiErr *clerksync.APIError
			switch {
			case errors.Is(err, clerksync.ErrNotFound):
				writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			case errors.Is(err, clerksync.ErrDeleted):
				writeJSON(w, http.StatusNotFound, map[string]string{"error": "deleted"})
			case errors.As(err, &apiErr):
				logger.ErrorContext(r.Context(), "asking Clerk's Backend API", "path", r.URL.Path, "error", err)
				writeJSON(w, http.StatusBadGateway, map[string]string{"error": "Clerk's Backend API could not be asked"})
			case err != nil:
				logger.ErrorContext(r.Context(), "reading the database", "path", r.URL.Path, "error", err)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			default:
				writeJSON(w, http.StatusOK, v)
			}
		}
	}
	mux.Handle("GET /users/{id}", read(func(r *http.Request) (any, error) {
		u, err := m.LookupUser(r.Context(), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return userJSON{ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, ImageURL: u.ImageURL, UpdatedAt: u.UpdatedAt}, nil
	}))
	mux.Handle("GET /organizations/{id}", read(func(r *http.Request) (any, error) {
		o, err := m.Organization(r.Context(), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return organizationJSON{ID: o.ID, Name: o.Name, Slug: o.Slug, UpdatedAt: o.UpdatedAt}, nil
	}))
	mux.Handle("GET /organizations/{id}/members", read(func(r *http.Request) (any, error) {
		ms, err := m.Members(r.Context(), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		out := make([]memberJSON, len(ms))
		for i, mb := range ms {
			out[i] = memberJSON{UserID: mb.UserID, Role: mb.Role}
		}
		return out, nil
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localHost(r.Host) {
			writeJSON(w, http.StatusMisdirectedRequest, map[string]string{"error": "the read endpoints answer only to an IP address or localhost"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// localHost reports whether a Host header names the server by an IP
// address or as localhost, with or without a port: no name that someone
// else's DNS could point here.
func localHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return strings.EqualFold(host, "localhost")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
