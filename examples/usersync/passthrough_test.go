package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// What the service does not know passes through: fields Clerk adds are
// ignored, and event types it does not handle (known to the library or
// not) are acknowledged without a job and without an error.
func TestUnknownFieldsAndTypes(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		svc := startService(t, newDB(t))
		u := caseUser("passthrough", t0)
		o := caseOrg("passthrough", t0)
		handled := []message{
			// The fixture as the test kit ships it: legacy keys such as
			// profile_image_url, and every field Clerk sends.
			{ID: "msg_fixture_user", Type: clerkwebhook.UserCreated, Body: clerkwebhooktest.Fixture(clerkwebhook.UserCreated)},
			// Keys no Clerk sends, in the envelope, in data and nested.
			{ID: "msg_unknown_fields_user", Type: clerkwebhook.UserCreated, Body: u.body(clerkwebhook.UserCreated)},
			{ID: "msg_unknown_fields_org", Type: clerkwebhook.OrganizationCreated, Body: o.body(clerkwebhook.OrganizationCreated)},
		}
		future := clerkwebhooktest.Fixture("unknown.future")
		var newType map[string]any
		require.NoError(t, json.Unmarshal(clerkwebhooktest.Fixture(clerkwebhook.OrganizationMembershipCreated), &newType))
		newType["type"] = "organizationMembership.transferred"
		transferred, err := json.Marshal(newType)
		require.NoError(t, err)
		dropped := []message{
			{ID: "msg_unknown_type", Type: "unknown.future", Body: future},
			{ID: "msg_unknown_type_known_family", Type: "organizationMembership.transferred", Body: transferred},
			{ID: "msg_known_type_not_synced", Type: clerkwebhook.SessionCreated, Body: clerkwebhooktest.Fixture(clerkwebhook.SessionCreated)},
			{ID: "msg_known_type_not_synced_2", Type: clerkwebhook.OrganizationInvitationCreated, Body: clerkwebhooktest.Fixture(clerkwebhook.OrganizationInvitationCreated)},
		}
		client := &http.Client{Timeout: 10 * time.Second}
		for _, m := range append(handled, dropped...) {
			assert.Equal(t, http.StatusOK, post(client, svc.URL, m), "%s (%s)", m.ID, m.Type)
		}
		waitDrained(t, svc.db.sql, len(handled), 30*time.Second)

		status, got := get(t, client, svc.ReadURL, "/users/user_30TbaSJBhmLScO0rTRMoSYc7BTg")
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, map[string]any{"id": "user_30TbaSJBhmLScO0rTRMoSYc7BTg", "email": "elodie.marchetti@example.com",
			"first_name": "Elodie", "last_name": "Marchetti",
			"image_url":  "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18yWnQ4dlEza0xtTjRwUjdzVDl1VzF4WTViQyIsInJpZCI6InVzZXJfMzBUYmFTSkJobUxTY08wclRSTW9TWWM3QlRnIn0",
			"updated_at": float64(1764331199874)}, got)
		assert.True(t, checkState(t, svc.ReadURL, &history{messages: handled[1:], userIDs: []string{u.ID}, orgIDs: []string{o.ID}}))
		assert.Empty(t, problems(svc.logs.String()), "warnings and errors logged")
	})
}

// An event the service can never apply (here: a user without updated_at,
// a deleted stub without an id) is acknowledged, and its job is cancelled
// at once (clerkwebhook.Permanent), not retried for weeks; it stays in
// River for inspection. Nothing is stored.
func TestUnappliableEventsAreCancelled(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		svc := startService(t, newDB(t))
		var user map[string]any
		require.NoError(t, json.Unmarshal(caseUser("unappliable", t0).body(clerkwebhook.UserCreated), &user))
		delete(user["data"].(map[string]any), "updated_at")
		noStamp, err := json.Marshal(user)
		require.NoError(t, err)
		var stub map[string]any
		require.NoError(t, json.Unmarshal(deletedBody(clerkwebhook.UserDeleted, "user_unappliable", nil, t0+1), &stub))
		delete(stub["data"].(map[string]any), "id")
		noID, err := json.Marshal(stub)
		require.NoError(t, err)

		client := &http.Client{Timeout: 10 * time.Second}
		for _, m := range []message{{ID: "msg_no_updated_at", Body: noStamp}, {ID: "msg_stub_without_id", Body: noID}} {
			assert.Equal(t, http.StatusOK, post(client, svc.URL, m), m.ID)
		}
		stop := time.Now().Add(30 * time.Second)
		for {
			n, err := unfinishedJobs(context.Background(), svc.db.sql)
			require.NoError(t, err)
			if n == 0 {
				break
			}
			require.True(t, time.Now().Before(stop), "%d jobs unfinished after 30s", n)
			time.Sleep(20 * time.Millisecond)
		}
		assert.Equal(t, map[string]int{"cancelled": 2}, jobStates(t, svc.db.sql))
		status, _ := get(t, client, svc.ReadURL, "/users/user_unappliable")
		assert.Equal(t, http.StatusNotFound, status)
	})
}

// problems returns the log lines at level WARN or ERROR.
func problems(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return out
}
