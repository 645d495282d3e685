package clerkwebhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accessors lists every typed accessor by the Go type it returns.
var accessors = map[string]func(Event) (any, error){
	"User":                   func(e Event) (any, error) { return e.User() },
	"Session":                func(e Event) (any, error) { return e.Session() },
	"Organization":           func(e Event) (any, error) { return e.Organization() },
	"OrganizationMembership": func(e Event) (any, error) { return e.OrganizationMembership() },
	"OrganizationInvitation": func(e Event) (any, error) { return e.OrganizationInvitation() },
	"OrganizationDomain":     func(e Event) (any, error) { return e.OrganizationDomain() },
	"Email":                  func(e Event) (any, error) { return e.Email() },
	"SMSMessage":             func(e Event) (any, error) { return e.SMSMessage() },
	"Role":                   func(e Event) (any, error) { return e.Role() },
	"Permission":             func(e Event) (any, error) { return e.Permission() },
	"WaitlistEntry":          func(e Event) (any, error) { return e.WaitlistEntry() },
	"DeletedObject":          func(e Event) (any, error) { return e.DeletedObject() },
	"Subscription":           func(e Event) (any, error) { return e.Subscription() },
	"SubscriptionItem":       func(e Event) (any, error) { return e.SubscriptionItem() },
	"PaymentAttempt":         func(e Event) (any, error) { return e.PaymentAttempt() },
}

// wantGoType is the specification table: the Go type each event type's
// primary fixture decodes to.
var wantGoType = map[EventType]string{
	UserCreated: "User", UserUpdated: "User", UserDeleted: "DeletedObject",
	SessionCreated: "Session", SessionEnded: "Session", SessionRemoved: "Session", SessionRevoked: "Session", SessionPending: "Session",
	EmailCreated: "Email", SMSCreated: "SMSMessage",
	OrganizationCreated: "Organization", OrganizationUpdated: "Organization", OrganizationDeleted: "DeletedObject",
	OrganizationDomainCreated: "OrganizationDomain", OrganizationDomainUpdated: "OrganizationDomain", OrganizationDomainDeleted: "DeletedObject",
	OrganizationMembershipCreated: "OrganizationMembership", OrganizationMembershipUpdated: "OrganizationMembership", OrganizationMembershipDeleted: "OrganizationMembership",
	OrganizationInvitationCreated: "OrganizationInvitation", OrganizationInvitationRevoked: "OrganizationInvitation", OrganizationInvitationAccepted: "OrganizationInvitation",
	RoleCreated: "Role", RoleUpdated: "Role", RoleDeleted: "DeletedObject",
	PermissionCreated: "Permission", PermissionUpdated: "Permission", PermissionDeleted: "DeletedObject",
	WaitlistEntryCreated: "WaitlistEntry", WaitlistEntryUpdated: "WaitlistEntry",
	SubscriptionCreated: "Subscription", SubscriptionUpdated: "Subscription", SubscriptionActive: "Subscription", SubscriptionPastDue: "Subscription",
	SubscriptionItemCreated: "SubscriptionItem", SubscriptionItemUpdated: "SubscriptionItem", SubscriptionItemActive: "SubscriptionItem",
	SubscriptionItemCanceled: "SubscriptionItem", SubscriptionItemUpcoming: "SubscriptionItem", SubscriptionItemEnded: "SubscriptionItem",
	SubscriptionItemAbandoned: "SubscriptionItem", SubscriptionItemIncomplete: "SubscriptionItem", SubscriptionItemPastDue: "SubscriptionItem",
	SubscriptionItemFreeTrialEnding: "SubscriptionItem",
	PaymentAttemptCreated:           "PaymentAttempt", PaymentAttemptUpdated: "PaymentAttempt",
}

func TestEventTypeCatalogue(t *testing.T) {
	t.Parallel()
	assert.Len(t, EventTypes(), 46)
	assert.Len(t, wantGoType, 46)
	seen := map[EventType]bool{}
	for _, et := range EventTypes() {
		assert.False(t, seen[et], "listed twice: %s", et)
		seen[et] = true
		assert.True(t, et.Known())
		_, ok := payloadKinds[et]
		assert.True(t, ok, "no payload type registered for %s", et)
		_, ok = wantGoType[et]
		assert.True(t, ok, "specification table misses %s", et)
	}
	assert.Len(t, payloadKinds, 46)
	assert.False(t, EventType("subscription.past_due").Known(), "the pre-2.12 spelling is not a known type")
	assert.False(t, EventType("User.Created").Known(), "types are case-sensitive")
	// The constants' spelling, checked against Clerk's catalog where it is
	// easy to get wrong.
	assert.Equal(t, "subscription.pastDue", string(SubscriptionPastDue))
	assert.Equal(t, "subscriptionItem.freeTrialEnding", string(SubscriptionItemFreeTrialEnding))
	assert.Equal(t, "organizationMembership.deleted", string(OrganizationMembershipDeleted))
	assert.Equal(t, "waitlistEntry.updated", string(WaitlistEntryUpdated))
	assert.Equal(t, "session.pending", string(SessionPending))
}

// verifiedFixture runs a fixture through Verify with its recorded,
// reference-signed headers.
func verifiedFixture(t *testing.T, name string) Event {
	t.Helper()
	for _, d := range loadGolden(t) {
		if d.Fixture == name {
			v := mustVerifier(t, testSecret, WithClock(fixedClock(d.signedAt(t))))
			ev, err := v.Verify(readFixture(t, name), d.header())
			require.NoError(t, err)
			return ev
		}
	}
	t.Fatalf("no recorded delivery for %s", name)
	return Event{}
}

func typeName(v any) string {
	return reflect.TypeOf(v).Elem().Name()
}

// legacyKeys are documented only as keys to ignore (fact sheet §6.14).
var legacyKeys = map[string]bool{"birthday": true, "gender": true}

func withoutLegacyKeys(t *testing.T, data []byte) []byte {
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	for k := range legacyKeys {
		delete(m, k)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// TestEveryFixtureDecodes is the round-trip test: each fixture goes through
// Verify, then Payload and its accessor; every key of the payload has a
// field (a strict decode), and every non-null value survives json.Marshal.
func TestEveryFixtureDecodes(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			ev := verifiedFixture(t, name)
			p, err := ev.Payload()
			require.NoError(t, err)
			if !ev.Type.Known() {
				raw, ok := p.(json.RawMessage)
				require.True(t, ok, "an unknown type yields the raw data, got %T", p)
				assert.Equal(t, string(ev.Data), string(raw))
				for _, get := range accessors {
					_, err := get(ev)
					assert.ErrorIs(t, err, ErrWrongEventType)
				}
				return
			}
			got := typeName(p)
			if !strings.Contains(name, "--") {
				assert.Equal(t, wantGoType[ev.Type], got, "Go type for %s", ev.Type)
			}
			for accName, get := range accessors {
				v, err := get(ev)
				if accName == got {
					require.NoError(t, err)
					assert.Equal(t, p, v, "accessor and Payload agree")
				} else {
					assert.ErrorIs(t, err, ErrWrongEventType, "%s() on %s", accName, name)
					assert.Nil(t, v)
				}
			}

			// Nothing unplaced: a strict decode knows every key.
			strict := json.NewDecoder(bytes.NewReader(withoutLegacyKeys(t, ev.Data)))
			strict.DisallowUnknownFields()
			fresh := reflect.New(reflect.TypeOf(p).Elem()).Interface()
			require.NoError(t, strict.Decode(fresh), "a key of %s has no field", name)

			// Nothing lost or renamed: every non-null value comes back.
			out, err := json.Marshal(p)
			require.NoError(t, err)
			assertSubtree(t, "data", decodeTree(t, ev.Data), decodeTree(t, out))
		})
	}
}

func decodeTree(t *testing.T, b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// assertSubtree fails unless every non-null value in want appears, equal,
// at the same place in got. Legacy keys are exempt.
func assertSubtree(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !assert.True(t, ok, "%s: want an object, got %T", path, got) {
			return
		}
		for k, wv := range w {
			if wv == nil || legacyKeys[k] {
				continue
			}
			gv, ok := g[k]
			if !assert.True(t, ok, "%s.%s is lost", path, k) {
				continue
			}
			assertSubtree(t, path+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !assert.True(t, ok, "%s: want an array, got %T", path, got) || !assert.Len(t, g, len(w), path) {
			return
		}
		for i := range w {
			assertSubtree(t, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	default:
		assert.Equal(t, want, got, path)
	}
}

func TestDeletedStubOrFullObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture, goType string
	}{
		{"role.deleted.json", "DeletedObject"},
		{"role.deleted--full.json", "Role"},
		{"permission.deleted.json", "DeletedObject"},
		{"permission.deleted--full.json", "Permission"},
	} {
		ev := verifiedFixture(t, tc.fixture)
		p, err := ev.Payload()
		require.NoError(t, err)
		assert.Equal(t, tc.goType, typeName(p), tc.fixture)
	}
	ev := verifiedFixture(t, "role.deleted.json")
	_, err := ev.Role()
	assert.ErrorIs(t, err, ErrWrongEventType)
	assert.ErrorContains(t, err, "role.deleted carries DeletedObject data, not Role data")
	d, err := ev.DeletedObject()
	require.NoError(t, err)
	assert.True(t, d.Deleted)
	assert.Equal(t, "role", d.Object)
	assert.Nil(t, d.Slug, "the catalog's stub sends slug: null")
}

func TestUserHelpers(t *testing.T) {
	t.Parallel()
	u, err := verifiedFixture(t, "user.created.json").User()
	require.NoError(t, err)
	require.Greater(t, len(u.EmailAddresses), 1)
	require.NotNil(t, u.PrimaryEmailAddressID)
	require.NotEqual(t, *u.PrimaryEmailAddressID, u.EmailAddresses[0].ID, "the fixture's primary address is not the first")
	primary := u.PrimaryEmailAddress()
	require.NotNil(t, primary)
	assert.Equal(t, *u.PrimaryEmailAddressID, primary.ID)
	phone := u.PrimaryPhoneNumber()
	require.NotNil(t, phone)
	assert.Equal(t, *u.PrimaryPhoneNumberID, phone.ID)
	assert.NotEqual(t, u.PhoneNumbers[0].ID, phone.ID)
	assert.Equal(t, *u.FirstName+" "+*u.LastName, u.FullName())
	assert.False(t, u.CreatedAt.Time().IsZero())
	assert.Equal(t, int64(u.CreatedAt), u.CreatedAt.Time().UnixMilli())

	full, err := verifiedFixture(t, "user.updated.json").User()
	require.NoError(t, err)
	wallet := full.PrimaryWeb3Wallet()
	require.NotNil(t, wallet)
	assert.Equal(t, *full.PrimaryWeb3WalletID, wallet.ID)

	// The email-only sign-up: nulls everywhere a name or phone would be.
	u, err = verifiedFixture(t, "user.created--email-only.json").User()
	require.NoError(t, err)
	assert.Nil(t, u.FirstName)
	assert.Nil(t, u.LastName)
	assert.Equal(t, "", u.FullName())
	assert.Nil(t, u.PrimaryPhoneNumber())
	assert.Nil(t, u.PrimaryWeb3Wallet())
	require.NotNil(t, u.PrimaryEmailAddress())

	var nilUser *User
	assert.Nil(t, nilUser.PrimaryEmailAddress())
	assert.Equal(t, "", nilUser.FullName())
	first := "Ada"
	assert.Equal(t, "Ada", (&User{FirstName: &first}).FullName())
	assert.Equal(t, "Ada", (&User{LastName: &first}).FullName())
	dangling := "idn_gone"
	assert.Nil(t, (&User{PrimaryEmailAddressID: &dangling, EmailAddresses: []EmailAddress{{ID: "idn_other"}}}).PrimaryEmailAddress())
}

func TestSessionCarriesUser(t *testing.T) {
	t.Parallel()
	s, err := verifiedFixture(t, "session.created.json").Session()
	require.NoError(t, err)
	require.NotNil(t, s.User)
	assert.Equal(t, s.UserID, s.User.ID)
	assert.NotEmpty(t, s.User.EmailAddresses)

	p, err := verifiedFixture(t, "session.pending.json").Session()
	require.NoError(t, err)
	assert.Equal(t, "pending", p.Status)
}

func TestActorKeepsExtraKeys(t *testing.T) {
	t.Parallel()
	in := `{"sub":"user_admin","type":"agent","iss":"https://dashboard.clerk.com","sid":"sess_x","nested":{"a":[1,2]}}`
	var a Actor
	require.NoError(t, json.Unmarshal([]byte(in), &a))
	assert.Equal(t, "user_admin", a.Sub)
	assert.Equal(t, "agent", a.Type)
	out, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
}

func TestSubscriptionItemShapes(t *testing.T) {
	t.Parallel()
	b3, err := verifiedFixture(t, "subscriptionItem.active.json").SubscriptionItem()
	require.NoError(t, err)
	assert.NotNil(t, b3.PlanPeriod, "the JS SDK shape has plan_period")
	assert.Nil(t, b3.Interval)
	cat, err := verifiedFixture(t, "subscriptionItem.active--cat.json").SubscriptionItem()
	require.NoError(t, err)
	assert.NotNil(t, cat.Interval, "the catalog shape has interval")
	require.NotNil(t, cat.IsFreeTrial)
	assert.True(t, *cat.IsFreeTrial)
	assert.Nil(t, cat.PlanPeriod)
}

func TestConflictingSpellings(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"organizationDomain.created.json", "organizationDomain.updated.json"} {
		d, err := verifiedFixture(t, name).OrganizationDomain()
		require.NoError(t, err)
		require.NotNil(t, d.Verification)
		exp := d.Verification.Expiry()
		assert.Equal(t, 2025, exp.Year(), "%s: expiry under either spelling", name)
	}
	assert.True(t, (&SMSMessage{}).Created().IsZero(), "absent is the zero time")
	assert.True(t, (&OrganizationDomainVerification{}).Expiry().IsZero(), "absent is the zero time")
	assert.True(t, (*OrganizationDomainVerification)(nil).Expiry().IsZero())
	for _, name := range []string{"sms.created.json", "sms.created--created_at_ms.json"} {
		m, err := verifiedFixture(t, name).SMSMessage()
		require.NoError(t, err)
		assert.Equal(t, 2025, m.Created().Year(), name)
	}
	w, err := verifiedFixture(t, "waitlistEntry.updated.json").WaitlistEntry()
	require.NoError(t, err)
	assert.Equal(t, "waitlistEntry", w.Object, "the catalog example's spelling decodes too")
	require.NotNil(t, w.Invitation)
}

func TestOccurredAt(t *testing.T) {
	t.Parallel()
	ms := Event{Timestamp: 1764331200123}
	assert.Equal(t, time.UnixMilli(1764331200123).UTC(), ms.OccurredAt())
	s := Event{Timestamp: 1716883200}
	assert.Equal(t, time.Unix(1716883200, 0).UTC(), s.OccurredAt(), "seconds, as in the catalog's examples")
	assert.True(t, Event{}.OccurredAt().IsZero())
	assert.Equal(t, 2025, verifiedFixture(t, "user.created.json").OccurredAt().Year())
}

func TestPayloadErrors(t *testing.T) {
	t.Parallel()
	bad := Event{ID: "msg_bad", Type: UserCreated, Data: json.RawMessage(`{"id":7}`)}
	_, err := bad.Payload()
	assert.ErrorIs(t, err, ErrInvalidPayload)
	assert.ErrorContains(t, err, "user.created msg_bad")
	_, err = bad.User()
	assert.ErrorIs(t, err, ErrInvalidPayload)

	_, err = Event{Type: RoleDeleted, Data: json.RawMessage(`[]`)}.Payload()
	assert.ErrorIs(t, err, ErrInvalidPayload)

	_, err = Event{}.User()
	assert.ErrorIs(t, err, ErrWrongEventType)
	assert.ErrorContains(t, err, "an event with no type")

	p, err := Event{Type: "agentTask.created", Data: json.RawMessage(`{"x":1}`)}.Payload()
	require.NoError(t, err)
	assert.Equal(t, json.RawMessage(`{"x":1}`), p)
	assert.False(t, errors.Is(err, ErrWrongEventType))
}

// FuzzPayload: arbitrary data under every event type decodes or errors,
// and never panics; a non-nil error wraps one of the two sentinels.
func FuzzPayload(f *testing.F) {
	for _, name := range []string{"user.created.json", "role.deleted.json", "subscriptionItem.active.json", "session.created.json"} {
		var env struct{ Data json.RawMessage }
		require.NoError(f, json.Unmarshal(readFixture(f, name), &env))
		f.Add(uint8(0), []byte(env.Data))
	}
	f.Add(uint8(24), []byte(`{"deleted":true}`))
	f.Add(uint8(200), []byte(`null`))
	types := append(EventTypes(), "agentTask.created", "")
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		ev := Event{Type: types[int(which)%len(types)], Data: data}
		p, err := ev.Payload()
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPayload)
			require.Nil(t, p)
		}
		for _, get := range accessors {
			if _, err := get(ev); err != nil {
				require.True(t, errors.Is(err, ErrInvalidPayload) || errors.Is(err, ErrWrongEventType), "%v", err)
			}
		}
	})
}

// The fields clerk-sdk-go v2.5–v2.7 added to the payloads decode, from the
// fixtures that carry them (TestEveryFixtureDecodes checks that nothing of
// them is lost on the way back out).
func TestSDKv27Fields(t *testing.T) {
	t.Parallel()
	org, err := verifiedFixture(t, "organization.updated.json").Organization()
	require.NoError(t, err)
	require.NotNil(t, org.MembershipLimitSetBy)
	assert.Equal(t, "billing_plan", *org.MembershipLimitSetBy)
	org, err = verifiedFixture(t, "organization.created.json").Organization()
	require.NoError(t, err)
	assert.Nil(t, org.MembershipLimitSetBy, "null")

	user, err := verifiedFixture(t, "user.updated.json").User()
	require.NoError(t, err)
	require.NotEmpty(t, user.Passkeys)
	assert.Equal(t, UnixMillis(1764538120562), user.Passkeys[0].CreatedAt)
	assert.Equal(t, UnixMillis(1764664287449), user.Passkeys[0].UpdatedAt)
	var channels []string
	for _, p := range user.PhoneNumbers {
		if p.Verification != nil && p.Verification.Channel != nil {
			channels = append(channels, *p.Verification.Channel)
		}
	}
	assert.Equal(t, []string{"sms"}, channels)
	var connections []string
	for _, a := range user.EnterpriseAccounts {
		if a.EnterpriseConnection != nil {
			connections = append(connections, a.EnterpriseConnection.EnterpriseConnectionID)
		}
	}
	assert.Equal(t, []string{"ent_conn_35Dq9fRjY2b5kWm8xN1pL4sT7vZ"}, connections)

	inv, err := verifiedFixture(t, "organizationInvitation.created.json").OrganizationInvitation()
	require.NoError(t, err)
	require.NotNil(t, inv.PublicOrganizationData)
	require.NotNil(t, inv.PublicOrganizationData.Object)
	assert.Equal(t, "organization", *inv.PublicOrganizationData.Object)
}
