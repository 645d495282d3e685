package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// newMux routes the webhook deliveries (POST path) to webhooks, and the read
// endpoints to st:
//
//	GET /users/{id}                   {"id","email","first_name","last_name","image_url","updated_at"}
//	GET /organizations/{id}           {"id","name","slug","updated_at"}
//	GET /organizations/{id}/members   [{"user_id","role"}], sorted by user id
//
// An id unknown or deleted is 404. The read endpoints show what the sync
// stored and have no authentication: keep them on loopback (the default
// --addr), or put your own authentication in front of them.
func newMux(path string, webhooks http.Handler, st *store, logger *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST "+path, webhooks)
	read := func(get func(r *http.Request) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			v, err := get(r)
			switch {
			case errors.Is(err, errNotFound):
				writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			case err != nil:
				logger.ErrorContext(r.Context(), "reading the database", "path", r.URL.Path, "error", err)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			default:
				writeJSON(w, http.StatusOK, v)
			}
		}
	}
	mux.Handle("GET /users/{id}", read(func(r *http.Request) (any, error) {
		return st.user(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("GET /organizations/{id}", read(func(r *http.Request) (any, error) {
		return st.organization(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("GET /organizations/{id}/members", read(func(r *http.Request) (any, error) {
		return st.members(r.Context(), r.PathValue("id"))
	}))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
