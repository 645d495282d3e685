package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

// The acknowledgement does not wait for the apply: with applies that take
// 3 seconds, deliveries are answered 200 at once, before their data is
// stored, and the data is there once the applies have run.
func TestAcknowledgedBeforeApplied(t *testing.T) {
	t.Parallel()
	const applyTime = 3 * time.Second
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		svc := startService(t, newDB(t), func(c *config) { c.applyDelay = applyTime })
		client := &http.Client{Timeout: 10 * time.Second}
		var users []userVersion
		began := time.Now()
		for i := range 5 {
			u := caseUser(fmt.Sprint("ack", i), t0)
			users = append(users, u)
			require.Equal(t, http.StatusOK, post(client, svc.URL, message{ID: "msg_ack_" + u.ID, Body: u.body(clerkwebhook.UserCreated)}))
		}
		acked := time.Since(began)
		for _, u := range users {
			status, _ := get(t, client, svc.ReadURL, "/users/"+u.ID)
			require.Equal(t, http.StatusNotFound, status, "%s stored before its apply's delay was over", u.ID)
		}
		assert.Less(t, acked, applyTime, "5 deliveries answered")
		waitDrained(t, svc.db.sql, len(users), 30*time.Second)
		for _, u := range users {
			status, _ := get(t, client, svc.ReadURL, "/users/"+u.ID)
			assert.Equal(t, http.StatusOK, status, u.ID)
		}
		t.Logf("5 deliveries answered in %v; applies take %v", acked.Round(time.Millisecond), applyTime)
	})
}
