package fakeclerk_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// fixtures is the core module's directory of real-shaped Clerk events.
var fixtures = filepath.Join("..", "..", "..", "internal", "fixtures", "events")

// keys returns the sorted keys of a JSON object.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	return slices.Sorted(maps.Keys(m))
}

type envelope struct {
	Data       json.RawMessage `json:"data"`
	Object     string          `json:"object"`
	Type       string          `json:"type"`
	Timestamp  int64           `json:"timestamp"`
	InstanceID string          `json:"instance_id"`
}

func decodeEvent(t *testing.T, body []byte) envelope {
	t.Helper()
	var e envelope
	require.NoError(t, json.Unmarshal(body, &e))
	return e
}

// The events have the keys of the repository's fixtures, at the top level
// and in data, except for fields the double does not model.
func TestEventsMatchFixtures(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(20, 5, 1, 3)
	u := srv.PutUser(fakeclerk.User{FirstName: "Elodie", LastName: "Marchetti", ExternalID: "nw-legacy-000418223",
		EmailAddress: "elodie.marchetti@example.com"})
	o := srv.Organizations()[0]
	m := srv.Memberships()[0]
	created := map[string][]byte{
		"user.created":                   srv.Event("user.created", u.ID),
		"organization.created":           srv.Event("organization.created", o.ID),
		"organizationMembership.created": srv.Event("organizationMembership.created", m.ID),
	}
	srv.DeleteUser(u.ID)
	srv.DeleteMembership(m.ID)
	srv.DeleteOrganization(o.ID)
	events := map[string][]byte{
		"user.deleted":                   srv.Event("user.deleted", u.ID),
		"organization.deleted":           srv.Event("organization.deleted", o.ID),
		"organizationMembership.deleted": srv.Event("organizationMembership.deleted", m.ID),
	}
	maps.Copy(events, created)

	// Keys in the fixtures that the double leaves out: user fields Clerk's
	// Go SDK does not decode (timezone, scim) or sends only on request
	// (organization_memberships), and the organization's last_active_at.
	notModelled := map[string][]string{
		"user.created":                   {"organization_memberships", "scim", "timezone"},
		"organization.created":           {"last_active_at"},
		"organizationMembership.created": {},
	}
	for typ, body := range events {
		t.Run(typ, func(t *testing.T) {
			fixture, err := os.ReadFile(filepath.Join(fixtures, typ+".json"))
			require.NoError(t, err)
			assert.Equal(t, keys(t, fixture), keys(t, body), "envelope keys")
			want, got := decodeEvent(t, fixture), decodeEvent(t, body)
			assert.Equal(t, "event", got.Object)
			assert.Equal(t, typ, got.Type)
			assert.Equal(t, srv.InstanceID(), got.InstanceID)
			assert.Regexp(t, `^ins_[0-9A-Za-z]{27}$`, got.InstanceID)
			assert.Greater(t, got.Timestamp, fakeclerk.Epoch-365*24*3600*1000)

			wantKeys, gotKeys := keys(t, want.Data), keys(t, got.Data)
			kind := typ[:len(typ)-len(".deleted")]
			if skip, ok := notModelled[kind+".created"]; ok && typ != "user.deleted" && typ != "organization.deleted" {
				wantKeys = slices.DeleteFunc(wantKeys, func(k string) bool { return slices.Contains(skip, k) })
			}
			assert.Subset(t, gotKeys, wantKeys, "data has the fixture's keys")
			if typ == "user.deleted" || typ == "organization.deleted" {
				assert.Equal(t, wantKeys, gotKeys, "a deleted stub has exactly the fixture's keys")
			}
		})
	}

	// Nested objects too.
	var fixture struct {
		Data struct {
			EmailAddresses []json.RawMessage `json:"email_addresses"`
		} `json:"data"`
	}
	raw, err := os.ReadFile(filepath.Join(fixtures, "user.created.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &fixture))
	var got struct {
		Data struct {
			EmailAddresses []json.RawMessage `json:"email_addresses"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(created["user.created"], &got))
	require.Len(t, got.Data.EmailAddresses, 1)
	assert.Subset(t, keys(t, got.Data.EmailAddresses[0]), keys(t, fixture.Data.EmailAddresses[1]))
	var mem struct {
		Data struct {
			Organization   json.RawMessage `json:"organization"`
			PublicUserData json.RawMessage `json:"public_user_data"`
		} `json:"data"`
	}
	raw, err = os.ReadFile(filepath.Join(fixtures, "organizationMembership.created.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &mem))
	wantOrg, wantPUD := keys(t, mem.Data.Organization), keys(t, mem.Data.PublicUserData)
	require.NoError(t, json.Unmarshal(created["organizationMembership.created"], &mem))
	assert.Subset(t, keys(t, mem.Data.Organization), slices.DeleteFunc(wantOrg, func(k string) bool { return k == "last_active_at" }))
	assert.Equal(t, wantPUD, keys(t, mem.Data.PublicUserData))
}

// get fetches path from the API with the key, as raw JSON.
func get(t *testing.T, srv *fakeclerk.Server, path string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Key())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, path)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

// An event describes the record exactly as the API serves it, so webhooks
// and listings of the same state agree; and it decodes into the SDK's
// structs.
func TestEventsAgreeWithTheAPI(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(21, 10, 2, 4)
	u := srv.Users()[3]
	o := srv.Organizations()[1]
	m := srv.Memberships()[5]

	ev := decodeEvent(t, srv.Event("user.updated", u.ID))
	assert.JSONEq(t, string(get(t, srv, "/users/"+u.ID)), string(ev.Data))
	assert.Equal(t, u.UpdatedAt, ev.Timestamp)
	var cu clerk.User
	require.NoError(t, json.Unmarshal(ev.Data, &cu))
	assert.Equal(t, u.ID, cu.ID)
	assert.Equal(t, u.UpdatedAt, cu.UpdatedAt)

	ev = decodeEvent(t, srv.Event("organization.updated", o.ID))
	assert.JSONEq(t, string(get(t, srv, "/organizations/"+o.ID+"?include_members_count=true")), string(ev.Data))
	var co clerk.Organization
	require.NoError(t, json.Unmarshal(ev.Data, &co))
	assert.EqualValues(t, 4, *co.MembersCount)

	ev = decodeEvent(t, srv.Event("organizationMembership.updated", m.ID))
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(get(t, srv, "/organizations/"+m.OrganizationID+"/memberships?user_id="+m.UserID), &list))
	require.Len(t, list.Data, 1)
	assert.JSONEq(t, string(list.Data[0]), string(ev.Data))
	var cm clerk.OrganizationMembership
	require.NoError(t, json.Unmarshal(ev.Data, &cm))
	assert.Equal(t, m.UserID, cm.PublicUserData.UserID)
	assert.Equal(t, m.OrganizationID, cm.Organization.ID)

	// After a change, the next event carries it and a later stamp.
	u.FirstName = "Changed"
	u2 := srv.PutUser(u)
	ev2 := decodeEvent(t, srv.Event("user.updated", u.ID))
	require.NoError(t, json.Unmarshal(ev2.Data, &cu))
	assert.Equal(t, "Changed", *cu.FirstName)
	assert.Greater(t, ev2.Timestamp, ev.Timestamp)
	assert.Equal(t, u2.UpdatedAt, cu.UpdatedAt)
}

func TestDeletedEvents(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Generate(22, 6, 1, 6)
	u := srv.PutUser(fakeclerk.User{FirstName: "Lena", ExternalID: "ext-7"})
	plain := srv.Users()[0]
	o := srv.Organizations()[0]
	m := srv.Memberships()[2]

	assert.PanicsWithValue(t, "fakeclerk: Event(user.deleted): "+u.ID+" is not deleted", func() { srv.Event("user.deleted", u.ID) })
	before := decodeEvent(t, srv.Event("organizationMembership.updated", m.ID))

	srv.DeleteUser(u.ID)
	srv.DeleteUser(plain.ID)
	srv.DeleteMembership(m.ID)
	_, _, left := srv.Count()
	cascaded, _ := srv.DeleteOrganization(o.ID)
	assert.Len(t, cascaded, left)
	_, _, left = srv.Count()
	assert.Zero(t, left)

	ev := decodeEvent(t, srv.Event("user.deleted", u.ID))
	assert.JSONEq(t, `{"object":"user","id":"`+u.ID+`","deleted":true,"external_id":"ext-7"}`, string(ev.Data))
	at, ok := srv.DeletedAt(u.ID)
	require.True(t, ok)
	assert.Equal(t, at, ev.Timestamp)
	assert.Greater(t, ev.Timestamp, u.UpdatedAt)
	ev = decodeEvent(t, srv.Event("user.deleted", plain.ID))
	assert.JSONEq(t, `{"object":"user","id":"`+plain.ID+`","deleted":true}`, string(ev.Data))

	ev = decodeEvent(t, srv.Event("organization.deleted", o.ID))
	assert.JSONEq(t, `{"object":"organization","id":"`+o.ID+`","slug":"`+o.Slug+`","deleted":true}`, string(ev.Data))
	var stub clerk.DeletedResource
	require.NoError(t, json.Unmarshal(ev.Data, &stub))
	assert.True(t, stub.Deleted)
	assert.Equal(t, o.Slug, stub.Slug)

	// organizationMembership.deleted carries the whole membership as it was
	// (its organization since deleted too), stamped with the deletion.
	ev = decodeEvent(t, srv.Event("organizationMembership.deleted", m.ID))
	var cm clerk.OrganizationMembership
	require.NoError(t, json.Unmarshal(ev.Data, &cm))
	assert.Equal(t, m.ID, cm.ID)
	assert.Equal(t, m.UpdatedAt, cm.UpdatedAt)
	assert.Equal(t, o.ID, cm.Organization.ID)
	assert.Equal(t, m.UserID, cm.PublicUserData.UserID)
	assert.Greater(t, ev.Timestamp, before.Timestamp)
	at, _ = srv.DeletedAt(m.ID)
	assert.Equal(t, at, ev.Timestamp)

	// A late update event of a deleted record carries its last state.
	ev = decodeEvent(t, srv.Event("user.updated", u.ID))
	var cu clerk.User
	require.NoError(t, json.Unmarshal(ev.Data, &cu))
	assert.Equal(t, "Lena", *cu.FirstName)

	for _, tc := range []struct{ typ, id, panic string }{
		{"user.banned", u.ID, `fakeclerk: Event: unsupported type "user.banned"`},
		{"session.created", u.ID, "fakeclerk: Event: unsupported type session.*"},
		{"user.updated", "user_unknown", `fakeclerk: Event(user.updated): no record "user_unknown"`},
		{"organization.updated", u.ID, "fakeclerk: Event(organization.updated): " + u.ID + " is a user"},
	} {
		assert.PanicsWithValue(t, tc.panic, func() { srv.Event(tc.typ, tc.id) }, tc.typ)
	}
}
