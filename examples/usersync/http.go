package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// newWebhookMux serves the webhook deliveries, POST path, and nothing
// else: this listener is the one Svix must reach.
func newWebhookMux(path string, webhooks http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST "+path, webhooks)
	return mux
}

// newReadMux serves the read endpoints, from st:
//
//	GET /users/{id}                   {"id","email","first_name","last_name","image_url","updated_at"}
//	GET /organizations/{id}           {"id","name","slug","updated_at"}
//	GET /organizations/{id}/members   [{"user_id","role"}], sorted by user id
//
// An id unknown or deleted is 404. They return personal data and have no
// authentication: they are served on a listener of their own (--read-addr,
// loopback by default), never on the webhook listener. A request whose Host
// is not an IP address or localhost is refused with 421: a web page that
// points a name of its own at 127.0.0.1 (DNS rebinding) cannot read them
// from a browser on this machine.
func newReadMux(st *store, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
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
