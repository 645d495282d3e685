package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// A user.created delivery is applied, and GET /users/{id} answers the
// user; an id never seen is 404 (no key: no one to ask).
func TestWebhookThenRead(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "mirror.db")+"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	secret := clerkwebhooktest.NewSecret()
	handler, _, err := newServer(context.Background(), db, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	delivery := clerkwebhooktest.NewRequest(t, secret, clerkwebhooktest.Fixture(clerkwebhook.UserCreated))
	delivery.URL.Path = "/webhooks/clerk"
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, delivery)
	if rec.Code != http.StatusOK {
		t.Fatalf("the delivery was answered %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/users/user_30TbaSJBhmLScO0rTRMoSYc7BTg", nil))
	var user struct {
		Email string `json:"email"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &user); rec.Code != http.StatusOK || err != nil || user.Email != "elodie.marchetti@example.com" {
		t.Fatalf("GET /users/{id}: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/users/user_2neverseen000000000000000", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("an id never seen: %d", rec.Code)
	}
}
