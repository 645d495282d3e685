package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A NUL character ("\u0000") in a user's name, organization's name or a
// membership's role is stored as U+FFFD on both databases, at once (before,
// PostgreSQL refused it and the job was retried for weeks while SQLite
// stored it). An id with one is refused: its job is cancelled at once.
func TestNULCharacters(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		svc := startService(t, newDB(t))
		client := &http.Client{Timeout: 10 * time.Second}
		u := caseUser("nul", t0)
		first, last := "A\x00da", "\x00"
		u.FirstName, u.LastName = &first, &last
		u.Emails = []string{"ada\x00@example.com"}
		u.Primary = 0
		o := caseOrg("nul", t0)
		o.Name = "Acme\x00 Inc"
		m := caseMembership("orgmem", "nul", "org:\x00admin", t0)
		m.Organization = o
		bad := caseUser("nul\x00id", t0)
		for _, msg := range []message{
			{ID: "msg_nul_user", Body: u.body(clerkwebhook.UserCreated)},
			{ID: "msg_nul_org", Body: o.body(clerkwebhook.OrganizationCreated)},
			{ID: "msg_nul_membership", Body: m.body(clerkwebhook.OrganizationMembershipCreated, t0)},
			{ID: "msg_nul_id", Body: bad.body(clerkwebhook.UserCreated)},
		} {
			require.Equal(t, http.StatusOK, post(client, svc.URL, msg), msg.ID)
		}
		stop := time.Now().Add(30 * time.Second)
		for {
			n, err := unfinishedJobs(context.Background(), svc.db.sql)
			require.NoError(t, err)
			if n == 0 {
				break
			}
			require.True(t, time.Now().Before(stop), "%d jobs unfinished after 30s: %v", n, jobStates(t, svc.db.sql))
			time.Sleep(20 * time.Millisecond)
		}
		assert.Equal(t, map[string]int{"completed": 3, "cancelled": 1}, jobStates(t, svc.db.sql))

		status, got := get(t, client, svc.ReadURL, "/users/"+u.ID)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "A\uFFFDda", got.(map[string]any)["first_name"])
		assert.Equal(t, "\uFFFD", got.(map[string]any)["last_name"])
		assert.Equal(t, "ada\uFFFD@example.com", got.(map[string]any)["email"])
		status, got = get(t, client, svc.ReadURL, "/organizations/"+o.ID)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "Acme\uFFFD Inc", got.(map[string]any)["name"])
		status, got = get(t, client, svc.ReadURL, "/organizations/"+o.ID+"/members")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, []any{map[string]any{"user_id": u.ID, "role": "org:\uFFFDadmin"}}, got)
	})
}
