package clerkwebhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The generated decoders against encoding/json: on every input both succeed
// with reflect.DeepEqual values, or both fail. The fixtures, mutations of
// them, and table cases for each rule run as tests; the fuzz targets (one per
// payload type) search further from the same seeds.

// differential decodes data into T with T's generated decoder and with
// json.Unmarshal, and fails unless they agree.
func differential[T any, P decodable[T]](t *testing.T, data []byte) {
	t.Helper()
	got, err := decodePayload[T, P](data)
	want := new(T)
	wantErr := json.Unmarshal(data, want)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%T from %q:\ngenerated decoder: %v\nencoding/json:     %v", want, abbreviate(data), err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		assert.Equal(t, want, got, "%T from %q", want, abbreviate(data))
		t.FailNow() // in case assert.Equal's looser equality let it pass
	}
}

// differentials has the check of every decoded type: the payload types, by
// the name the registry gives them, and the stub probe.
var differentials = map[string]func(*testing.T, []byte){
	"User":                   differential[User],
	"Session":                differential[Session],
	"Organization":           differential[Organization],
	"OrganizationMembership": differential[OrganizationMembership],
	"OrganizationInvitation": differential[OrganizationInvitation],
	"OrganizationDomain":     differential[OrganizationDomain],
	"Email":                  differential[Email],
	"SMSMessage":             differential[SMSMessage],
	"Role":                   differential[Role],
	"Permission":             differential[Permission],
	"WaitlistEntry":          differential[WaitlistEntry],
	"DeletedObject":          differential[DeletedObject],
	"Subscription":           differential[Subscription],
	"SubscriptionItem":       differential[SubscriptionItem],
	"PaymentAttempt":         differential[PaymentAttempt],
	"stubProbe":              differentialStub,
}

// referenceProbe is what isStub stands for: the struct whose
// json.Unmarshal tells a deleted-object stub from a full object.
type referenceProbe struct {
	Deleted *bool `json:"deleted"`
}

// differentialStub checks isStub against json.Unmarshal into referenceProbe.
func differentialStub(t *testing.T, data []byte) {
	t.Helper()
	got, err := isStub(data)
	var probe referenceProbe
	wantErr := json.Unmarshal(data, &probe)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("stub probe of %q:\nisStub:        %v\nencoding/json: %v", abbreviate(data), err, wantErr)
	}
	if want := probe.Deleted != nil && *probe.Deleted; err == nil && got != want {
		t.Fatalf("stub probe of %q: isStub %v, encoding/json %v", abbreviate(data), got, want)
	}
}

// newPayload makes a zero value of each payload type, for referencePayload.
var newPayload = map[string]func() any{
	"User":                   func() any { return new(User) },
	"Session":                func() any { return new(Session) },
	"Organization":           func() any { return new(Organization) },
	"OrganizationMembership": func() any { return new(OrganizationMembership) },
	"OrganizationInvitation": func() any { return new(OrganizationInvitation) },
	"OrganizationDomain":     func() any { return new(OrganizationDomain) },
	"Email":                  func() any { return new(Email) },
	"SMSMessage":             func() any { return new(SMSMessage) },
	"Role":                   func() any { return new(Role) },
	"Permission":             func() any { return new(Permission) },
	"WaitlistEntry":          func() any { return new(WaitlistEntry) },
	"DeletedObject":          func() any { return new(DeletedObject) },
	"Subscription":           func() any { return new(Subscription) },
	"SubscriptionItem":       func() any { return new(SubscriptionItem) },
	"PaymentAttempt":         func() any { return new(PaymentAttempt) },
}

// referencePayload is Event.Payload done with encoding/json alone, as it was
// before the generated decoders.
func referencePayload(e Event) (any, error) {
	k, ok := payloadKinds[e.Type]
	if !ok {
		return e.Data, nil
	}
	name := k.name
	if k.orStub {
		var probe referenceProbe
		if err := json.Unmarshal(e.Data, &probe); err != nil {
			return nil, err
		}
		if probe.Deleted != nil && *probe.Deleted {
			name = "DeletedObject"
		}
	}
	v := newPayload[name]()
	if err := json.Unmarshal(e.Data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkPayload compares Event.Payload with referencePayload.
func checkPayload(t *testing.T, e Event) {
	t.Helper()
	got, err := e.Payload()
	want, wantErr := referencePayload(e)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s payload %q:\nPayload:   %v\nreference: %v", e.Type, abbreviate(e.Data), err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		assert.Equal(t, want, got, "%s payload %q", e.Type, abbreviate(e.Data))
		t.FailNow()
	}
}

// fixtureData returns the data of every fixture, by fixture name.
func fixtureData(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, name := range fixtureNames(tb) {
		var env struct{ Data json.RawMessage }
		require.NoError(tb, json.Unmarshal(readFixture(tb, name), &env))
		out[name] = env.Data
	}
	return out
}

// TestDecodersMatchEncodingJSON decodes every fixture's data as every
// payload type (most are the wrong type, which exercises unknown keys and
// mismatches) with both decoders, and every verified fixture through
// Payload and the reference.
func TestDecodersMatchEncodingJSON(t *testing.T) {
	t.Parallel()
	for name, data := range fixtureData(t) {
		for typ, check := range differentials {
			t.Run(name+"/"+typ, func(t *testing.T) { check(t, data) })
		}
		t.Run(name+"/Payload", func(t *testing.T) {
			ev := verifiedFixture(t, name)
			checkPayload(t, ev)
			if ev.Type.Known() {
				_, err := ev.Payload()
				require.NoError(t, err, "a fixture decodes")
			}
		})
	}
}

// TestDecoderSeeds runs the fuzz seeds (the fixtures' mutations) through
// every decoder, so that a plain go test covers them all.
func TestDecoderSeeds(t *testing.T) {
	t.Parallel()
	for _, data := range decoderSeeds(t) {
		for _, check := range differentials {
			check(t, data)
		}
	}
}

// TestDecoderRules pins each rule of encoding/json the decoders follow with
// a case of its own, each checked against encoding/json and, where it says
// something worth stating, against the value it must give.
func TestDecoderRules(t *testing.T) {
	t.Parallel()
	type check func(t *testing.T, data []byte)
	user := func(want func(t *testing.T, u *User)) check {
		return func(t *testing.T, data []byte) {
			differential[User](t, data)
			u, err := decodePayload[User](data)
			require.NoError(t, err)
			want(t, u)
		}
	}
	fails := func(t *testing.T, data []byte) {
		for _, check := range differentials {
			check(t, data)
		}
		_, err := decodePayload[User](data)
		assert.Error(t, err)
	}
	for _, tc := range []struct {
		name, data string
		check      check
	}{
		// Keys: exact first, then folded; unknown ignored; the last repeat wins.
		{"folded key", `{"ID":"a","First_Name":"b"}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "a", u.ID)
			assert.Equal(t, "b", *u.FirstName)
		})},
		{"Kelvin sign folds to k", "{\"loc\u212ae\":false,\"loc\u212aed\":true}", user(func(t *testing.T, u *User) {
			assert.True(t, u.Locked)
		})},
		{"long s folds to s", "{\"\u017fcim\":{\"directory_id\":\"d\"}}", user(func(t *testing.T, u *User) {
			require.NotNil(t, u.SCIM)
			assert.Equal(t, "d", u.SCIM.DirectoryID)
		})},
		{"dotless i does not fold to i", "{\"\u0131d\":\"a\"}", user(func(t *testing.T, u *User) {
			assert.Equal(t, "", u.ID)
		})},
		{"exact and folded keys: the last wins", `{"id":"a","ID":"b","Id":"c"}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "c", u.ID)
		})},
		{"escaped key", `{"\u0069\u0064":"a","first_n\u0061me":"b"}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "a", u.ID)
			assert.Equal(t, "b", *u.FirstName)
		})},
		{"unknown keys of every type", `{"birthday":"","x":{"a":[1,{"b":null}]},"y":[],"z":1e5,"w":true,"id":"a"}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "a", u.ID)
		})},
		{"key with invalid UTF-8", "{\"id\xff\":\"a\",\"\xffid\":\"b\"}", user(func(t *testing.T, u *User) {
			assert.Equal(t, "", u.ID)
		})},
		// Repeated keys decode into what the earlier one left.
		{"repeated pointer to struct merges", `{"scim":{"directory_id":"d","external_id":"e"},"scim":{"external_id":null}}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "d", u.SCIM.DirectoryID)
			assert.Nil(t, u.SCIM.ExternalID)
		})},
		{"repeated array reuses elements", `{"email_addresses":[{"id":"1","email_address":"a"},{"id":"2","email_address":"b"}],` +
			`"email_addresses":[{"id":"3"}],"email_addresses":[{"id":"4"},{"reserved":true}]}`, user(func(t *testing.T, u *User) {
			require.Len(t, u.EmailAddresses, 2)
			assert.Equal(t, "4", u.EmailAddresses[0].ID)
			assert.Equal(t, "a", u.EmailAddresses[0].EmailAddress)
			assert.Equal(t, "2", u.EmailAddresses[1].ID, "the element beyond the shorter array's length is reused")
		})},
		{"repeated array then empty then longer", `{"phone_numbers":[{"id":"1"},{"id":"2"}],"phone_numbers":[],"phone_numbers":[{},{}]}`, user(func(t *testing.T, u *User) {
			require.Len(t, u.PhoneNumbers, 2)
			assert.Equal(t, "", u.PhoneNumbers[1].ID, "an empty array drops the old elements")
		})},
		{"repeated string array with null elements", `{"scim":null,"organization_memberships":[{"permissions":["a","b"]}],"organization_memberships":[{"permissions":["c"]}],"organization_memberships":[{"permissions":[null,null]}]}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, []string{"c", "b"}, u.OrganizationMemberships[0].Permissions)
		})},
		{"repeated pointer to struct, then null", `{"scim":{"directory_id":"d"},"scim":null}`, user(func(t *testing.T, u *User) {
			assert.Nil(t, u.SCIM)
		})},
		{"repeated array, then null inside a reused element", `{"email_addresses":[{"id":"1","verification":{"status":"verified"}}],` +
			`"email_addresses":[{"verification":null}]}`, user(func(t *testing.T, u *User) {
			require.Len(t, u.EmailAddresses, 1)
			assert.Equal(t, "1", u.EmailAddresses[0].ID)
			assert.Nil(t, u.EmailAddresses[0].Verification)
		})},
		{"repeated metadata replaces", `{"public_metadata":{"a":1},"public_metadata":[2]}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, `[2]`, string(u.PublicMetadata))
		})},
		// Null.
		{"null leaves values, clears pointers and slices", `{"id":null,"has_image":null,"created_at":null,"first_name":null,"email_addresses":null,"scim":null}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "", u.ID)
			assert.Nil(t, u.FirstName)
			assert.Nil(t, u.EmailAddresses)
			assert.Nil(t, u.SCIM)
		})},
		{"null after a value", `{"id":"a","id":null,"first_name":"b","first_name":null,"email_addresses":[],"email_addresses":null}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "a", u.ID, "null leaves a string as it was")
			assert.Nil(t, u.FirstName)
			assert.Nil(t, u.EmailAddresses)
		})},
		{"empty array is empty, not nil", `{"email_addresses":[],"passkeys":[ ]}`, user(func(t *testing.T, u *User) {
			assert.NotNil(t, u.EmailAddresses)
			assert.Empty(t, u.EmailAddresses)
			assert.NotNil(t, u.Passkeys)
		})},
		{"null RawMessage is the text null", `{"public_metadata":null,"unsafe_metadata": {"a" : [1, 2]} }`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "null", string(u.PublicMetadata))
			assert.Equal(t, `{"a" : [1, 2]}`, string(u.UnsafeMetadata), "the raw bytes, inner spaces kept")
			assert.Nil(t, u.PrivateMetadata)
		})},
		{"top-level null is the zero value", `null`, user(func(t *testing.T, u *User) {
			assert.Equal(t, User{}, *u)
		})},
		{"top-level whitespace", " \n{\"id\":\"a\"}\t ", user(func(t *testing.T, u *User) {
			assert.Equal(t, "a", u.ID)
		})},
		// Numbers.
		{"integers", `{"created_at":-0,"updated_at":9223372036854775807,"last_active_at":-9223372036854775808,"verification_attempts_remaining":3}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, UnixMillis(0), u.CreatedAt)
			assert.Equal(t, UnixMillis(9223372036854775807), u.UpdatedAt)
			assert.Equal(t, UnixMillis(-9223372036854775808), *u.LastActiveAt)
			assert.Equal(t, 3, *u.VerificationAttemptsRemaining)
		})},
		{"a fraction is no integer", `{"created_at":1.0}`, fails},
		{"an exponent is no integer", `{"created_at":1e3}`, fails},
		{"overflow", `{"created_at":9223372036854775808}`, fails},
		{"underflow", `{"lockout_expires_in_seconds":-9223372036854775809}`, fails},
		{"integer as a string", `{"created_at":"1"}`, fails},
		// Strings.
		{"escapes", `{"id":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac"}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "a\"b\\c/d\b\f\n\r\té€", u.ID)
		})},
		{"surrogates", `{"id":"\ud83d\ude00|\ud800|\ude00|\ud800\u0041|\ud800\ud800\udc00"}`, user(func(t *testing.T, u *User) {
			assert.Equal(t, "😀|\ufffd|\ufffd|\ufffdA|\ufffd\U00010000", u.ID)
		})},
		{"invalid UTF-8", "{\"id\":\"a\xffb\xed\xa0\x80c\xc3\"}", user(func(t *testing.T, u *User) {
			assert.Equal(t, "a\ufffdb\ufffd\ufffd\ufffdc\ufffd", u.ID)
		})},
		// Type mismatches fail, wherever they are.
		{"number into string", `{"id":7}`, fails},
		{"string into bool", `{"has_image":"true"}`, fails},
		{"object into slice", `{"email_addresses":{}}`, fails},
		{"array into struct pointer", `{"scim":[]}`, fails},
		{"bool into string pointer", `{"first_name":true}`, fails},
		{"mismatch deep inside", `{"email_addresses":[{"verification":{"attempts":"1"}}]}`, fails},
		{"mismatch in an element", `{"organization_memberships":[{"permissions":[1]}]}`, fails},
		{"top-level array", `[]`, fails},
		{"top-level string", `"user"`, fails},
		{"actor not an object", `{"actor":"x"}`, func(t *testing.T, data []byte) { differential[Session](t, data) }},
		// Invalid JSON fails even where nothing is decoded.
		{"empty", ``, fails},
		{"trailing data", `{} {}`, fails},
		{"bad unknown value", `{"x":[1,]}`, fails},
		{"bad literal", `{"has_image":tru}`, fails},
		{"bad number", `{"created_at":01}`, fails},
		{"truncated", `{"id":"a"`, fails},
		{"unterminated array", `{"email_addresses":[{}`, fails},
		{"missing comma in array", `{"email_addresses":[{} {}]}`, fails},
		{"control character", "{\"id\":\"a\tb\"}", fails},
		{"bad escape", `{"id":"\x"}`, fails},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, []byte(tc.data)) })
	}
}

func TestDecoderActor(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{"actor":{"sub":"user_1","iss":"x","type":"agent"}}`,
		`{"actor":null}`,
		`{"actor":{}}`,
		`{"actor":{"sub":"a","extra":1},"actor":{"sub":"b"}}`,
		`{"actor":{"sub":1}}`,
		`{"actor":[]}`,
		`{"actor":"x"}`,
		`{"actor":{"sub":1,"sub":"a"}}`,       // the last "sub" counts
		`{"actor":{"sub":"a","sub":1}}`,       // ... and fails
		`{"actor":{"sub":"a","sub":null}}`,    // ... and leaves ""
		`{"actor":{"type":"a","type":{}}}`,    // the same for "type"
		`{"actor":{"type":false,"type":"x"}}`, //
		`{"actor":{"SUB":"a","Type":"b"}}`,    // map keys match exactly
		`{"actor":{"\u0073ub":"a","\u0074ype":"b","i\u0073s":"c"}}`,
		"{\"actor\":{\"\xff\":1,\"\xfe\":2,\"sub\":\"\xffa\"}}", // invalid UTF-8: U+FFFD, once
		`{"actor":{"iss":1,"iss":[1, 2],"sid":null}}`,
		`{"actor":{ "sub" : "a" , "x" : { "y" : [ ] } }}`,
		`{"actor":{"sub":"a"},"actor":{"iss":"b"}}`, // a repeated actor replaces
		`{"actor":{"sub":"a"},"actor":null}`,
		`{"actor":{"x":tru}}`,
		`{"actor":{"x":1,}}`,
		`{"actor":{"sub":"a"`,
	} {
		differential[Session](t, []byte(data))
	}
	s, err := decodePayload[Session]([]byte(`{"actor":{"sub":"user_1","iss":"https://dashboard.clerk.com"}}`))
	require.NoError(t, err)
	assert.Equal(t, "user_1", s.Actor.Sub)
	assert.Equal(t, `"https://dashboard.clerk.com"`, string(s.Actor.Extra["iss"]))
}

// TestStubProbe: isStub tells a deleted-object stub from a full object as
// json.Unmarshal into referenceProbe does, and fails where it fails.
func TestStubProbe(t *testing.T) {
	for _, data := range []string{
		`{"deleted":true}`,
		`{"deleted":false}`,
		`{"deleted":null}`,
		`{}`,
		`null`,
		`{"DELETED":true}`,
		`{"Deleted":true,"deleted":false}`,
		`{"deleted":true,"deleted":null}`, // null sets the pointer to nil
		`{"deleted":null,"deleted":true}`, //
		`{"deleted":true,"deleted":1}`,    // a mismatch fails
		`{"deleted":"true"}`,              //
		`{"deleted2":true,"x":[1,{"deleted":true}]}`,
		`{"del\u0065ted":true}`,
		`{"deleted":tru}`,
		`{"deleted":true} x`,
		`[]`,
		`"deleted"`,
		``,
	} {
		differentialStub(t, []byte(data))
	}
}

// TestDecoderDepthLimit: encoding/json refuses more than 10000 nested
// containers, counted from the top of the data.
func TestDecoderDepthLimit(t *testing.T) {
	t.Parallel()
	nest := func(n int) []byte {
		return []byte(`{"public_metadata":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}
	for _, n := range []int{9998, 9999, 10000} {
		differential[User](t, nest(n))
	}
	deep := func(n int) []byte {
		return []byte(`{"email_addresses":[{"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}]}`)
	}
	for _, n := range []int{9996, 9997, 9998} {
		differential[User](t, deep(n))
	}
}

// TestDecodedStringsShareMemoryOnlyWithEachOther: a payload's strings are
// cut from shared chunks, never from the data, which the caller may reuse.
func TestDecodedStringsDoNotAliasTheData(t *testing.T) {
	t.Parallel()
	data := bytes.Clone(fixtureData(t)["user.created.json"])
	u, err := decodePayload[User](data)
	require.NoError(t, err)
	want, err := decodePayload[User](bytes.Clone(data))
	require.NoError(t, err)
	for i := range data {
		data[i] = 'x'
	}
	assert.Equal(t, want, u)
}

// TestDecodeAllocations holds every accessor, on every fixture, to a third
// of the allocations of json.Unmarshal of the same data into the same
// struct, and pins the counts of two small payloads: a role.deleted stub
// (the block and its strings: telling the stub from a full role allocates
// nothing) and a session with an actor (the block with its user and
// activity, the strings, and the user's slices: the Actor decodes without
// encoding/json).
func TestDecodeAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	allocs := func(t *testing.T, name string) (ours, theirs float64) {
		t.Helper()
		var ev Event
		require.Equal(t, "", parseEnvelope(compactFixture(t, name), &ev, false))
		p, err := ev.Payload()
		require.NoError(t, err)
		typ := typeName(p)
		get := accessors[typ]
		ours = testing.AllocsPerRun(20, func() {
			if _, err := get(ev); err != nil {
				t.Fatal(err)
			}
		})
		theirs = testing.AllocsPerRun(20, func() {
			if err := json.Unmarshal(ev.Data, newPayload[typ]()); err != nil {
				t.Fatal(err)
			}
		})
		return ours, theirs
	}
	for _, name := range fixtureNames(t) {
		if name == "unknown.future.json" {
			continue // no accessor: Payload returns the raw data
		}
		t.Run(name, func(t *testing.T) {
			ours, theirs := allocs(t, name)
			assert.LessOrEqual(t, 3*ours, theirs, "%v allocations, encoding/json %v", ours, theirs)
		})
	}
	for _, tc := range []struct {
		fixture string
		want    float64
	}{
		{"role.deleted.json", 2},
		{"session.revoked.json", 7},
	} {
		ours, _ := allocs(t, tc.fixture)
		assert.Equal(t, tc.want, ours, "%s: allocations of its accessor", tc.fixture)
	}
}

// --- Fuzzing ---

// One target per payload type: each checks its decoder, and Payload on an
// event type of that type, against encoding/json.
func FuzzDecodeUser(f *testing.F)                   { fuzzDecoder(f, "User") }
func FuzzDecodeSession(f *testing.F)                { fuzzDecoder(f, "Session") }
func FuzzDecodeOrganization(f *testing.F)           { fuzzDecoder(f, "Organization") }
func FuzzDecodeOrganizationMembership(f *testing.F) { fuzzDecoder(f, "OrganizationMembership") }
func FuzzDecodeOrganizationInvitation(f *testing.F) { fuzzDecoder(f, "OrganizationInvitation") }
func FuzzDecodeOrganizationDomain(f *testing.F)     { fuzzDecoder(f, "OrganizationDomain") }
func FuzzDecodeEmail(f *testing.F)                  { fuzzDecoder(f, "Email") }
func FuzzDecodeSMSMessage(f *testing.F)             { fuzzDecoder(f, "SMSMessage") }
func FuzzDecodeRole(f *testing.F)                   { fuzzDecoder(f, "Role") }
func FuzzDecodePermission(f *testing.F)             { fuzzDecoder(f, "Permission") }
func FuzzDecodeWaitlistEntry(f *testing.F)          { fuzzDecoder(f, "WaitlistEntry") }
func FuzzDecodeDeletedObject(f *testing.F)          { fuzzDecoder(f, "DeletedObject") }
func FuzzDecodeSubscription(f *testing.F)           { fuzzDecoder(f, "Subscription") }
func FuzzDecodeSubscriptionItem(f *testing.F)       { fuzzDecoder(f, "SubscriptionItem") }
func FuzzDecodePaymentAttempt(f *testing.F)         { fuzzDecoder(f, "PaymentAttempt") }

func fuzzDecoder(f *testing.F, typ string) {
	check := differentials[typ]
	// The event type whose Payload the target also checks: the one that
	// reads the stub probe, if the type has one.
	var et EventType
	for _, t := range EventTypes() {
		if k := payloadKinds[t]; k.name == typ && (et == "" || k.orStub) {
			et = t
		}
	}
	for _, data := range decoderSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data)
		checkPayload(t, Event{ID: "msg_fuzz", Type: et, Data: data})
	})
}

var (
	seedsOnce sync.Once
	seeds     [][]byte
)

// decoderSeeds are every fixture's data, compact and as written, and
// mutations of each: truncated, with values of other types, with keys in
// other cases, with repeated keys, and with escaped, surrogate and invalid
// UTF-8 text.
func decoderSeeds(tb testing.TB) [][]byte {
	seedsOnce.Do(func() {
		byName := fixtureData(tb)
		names := make([]string, 0, len(byName))
		for name := range byName {
			names = append(names, name)
		}
		sort.Strings(names)
		r := rand.New(rand.NewSource(13))
		for _, name := range names {
			data := byName[name]
			var compact bytes.Buffer
			if err := json.Compact(&compact, data); err != nil {
				tb.Fatal(err)
			}
			seeds = append(seeds, data, compact.Bytes(),
				data[:len(data)/2], data[:len(data)-1])
			tree := parseTree(tb, data)
			for _, m := range treeMutations {
				seeds = append(seeds, m(r, tree.clone()).appendTo(nil))
			}
		}
	})
	return seeds
}

// jsonNode is a JSON value that keeps its keys' order and repeats, for
// mutating the fixtures.
type jsonNode struct {
	kind byte   // '{', '[', or 'v' for any other value
	text string // of a value: its JSON text
	keys []string
	vals []*jsonNode
}

func parseTree(tb testing.TB, data []byte) *jsonNode {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var read func() *jsonNode
	read = func() *jsonNode {
		tok, err := dec.Token()
		if err != nil {
			tb.Fatal(err)
		}
		switch tok := tok.(type) {
		case json.Delim:
			n := &jsonNode{kind: byte(tok)}
			for dec.More() {
				if n.kind == '{' {
					k, err := dec.Token()
					if err != nil {
						tb.Fatal(err)
					}
					n.keys = append(n.keys, k.(string))
				}
				n.vals = append(n.vals, read())
			}
			if _, err := dec.Token(); err != nil {
				tb.Fatal(err)
			}
			return n
		default:
			b, err := json.Marshal(tok)
			if err != nil {
				tb.Fatal(err)
			}
			return &jsonNode{kind: 'v', text: string(b)}
		}
	}
	return read()
}

func (n *jsonNode) clone() *jsonNode {
	c := *n
	c.keys = append([]string(nil), n.keys...)
	c.vals = make([]*jsonNode, len(n.vals))
	for i, v := range n.vals {
		c.vals[i] = v.clone()
	}
	return &c
}

// walk calls fn on n and every node inside it.
func (n *jsonNode) walk(fn func(*jsonNode)) {
	fn(n)
	for _, v := range n.vals {
		v.walk(fn)
	}
}

// appendTo writes n; keys are written as they are, so that a key may hold
// raw escapes or bytes.
func (n *jsonNode) appendTo(b []byte) []byte {
	switch n.kind {
	case '{', '[':
		b = append(b, n.kind)
		for i, v := range n.vals {
			if i > 0 {
				b = append(b, ',')
			}
			if n.kind == '{' {
				b = append(append(append(b, '"'), n.keys[i]...), `":`...)
			}
			b = v.appendTo(b)
		}
		return append(b, n.kind+2)
	}
	return append(b, n.text...)
}

var otherValues = []string{`null`, `true`, `false`, `0`, `-0`, `1.5`, `1e3`, `-7`, `9223372036854775808`, `""`, `"x"`, `{}`, `[]`, `[null]`, `{"a":1}`}

// treeMutations each change a parsed fixture in one way.
var treeMutations = []func(r *rand.Rand, n *jsonNode) *jsonNode{
	// Every value of one object replaced by a value of another type.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			if m.kind == '{' && r.Intn(3) == 0 {
				for i := range m.vals {
					m.vals[i] = &jsonNode{kind: 'v', text: otherValues[r.Intn(len(otherValues))]}
				}
			}
		})
		return n
	},
	// A few values anywhere replaced by values of other types.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			for i := range m.vals {
				if r.Intn(8) == 0 {
					m.vals[i] = &jsonNode{kind: 'v', text: otherValues[r.Intn(len(otherValues))]}
				}
			}
		})
		return n
	},
	// Values nulled.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			for i := range m.vals {
				if r.Intn(4) == 0 {
					m.vals[i] = &jsonNode{kind: 'v', text: `null`}
				}
			}
		})
		return n
	},
	// Keys in upper case, title case, or with the Kelvin sign and the long s.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			for i, k := range m.keys {
				switch r.Intn(4) {
				case 0:
					m.keys[i] = strings.ToUpper(k)
				case 1:
					if k != "" {
						m.keys[i] = strings.ToUpper(k[:1]) + k[1:]
					}
				case 2:
					m.keys[i] = strings.NewReplacer("k", "\u212a", "s", "\u017f").Replace(k)
				}
			}
		})
		return n
	},
	// Every member repeated: first with another value, or the same value
	// shortened, so that the repeat decodes into what the first left.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			if m.kind != '{' {
				return
			}
			keys, vals := m.keys, m.vals
			m.keys, m.vals = nil, nil
			for i, k := range keys {
				v := vals[i]
				var first *jsonNode
				switch {
				case v.kind == '[' && len(v.vals) > 0:
					first = v.clone()
					first.vals = append(first.vals, first.vals[0].clone()) // longer first
					v.vals = v.vals[:r.Intn(len(v.vals))]
				case v.kind == '{' && len(v.vals) > 1:
					first = v.clone()
					cut := r.Intn(len(v.vals))
					v.keys, v.vals = v.keys[:cut], v.vals[:cut]
				default:
					first = &jsonNode{kind: 'v', text: otherValues[r.Intn(len(otherValues))]}
				}
				m.keys = append(m.keys, k, k)
				m.vals = append(m.vals, first, v)
			}
		})
		return n
	},
	// Every member repeated, its value first and null after: null clears
	// pointers and slices, and leaves other values as the first left them.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			if m.kind != '{' {
				return
			}
			keys, vals := m.keys, m.vals
			m.keys, m.vals = nil, nil
			for i, k := range keys {
				m.keys = append(m.keys, k, k)
				m.vals = append(m.vals, vals[i], &jsonNode{kind: 'v', text: `null`})
			}
		})
		return n
	},
	// Every member repeated, its value first and an empty object or array
	// after, which merge into what the first left (or empty it).
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		n.walk(func(m *jsonNode) {
			if m.kind != '{' {
				return
			}
			keys, vals := m.keys, m.vals
			m.keys, m.vals = nil, nil
			for i, k := range keys {
				m.keys = append(m.keys, k)
				m.vals = append(m.vals, vals[i])
				if v := vals[i]; v.kind != 'v' {
					m.keys = append(m.keys, k)
					m.vals = append(m.vals, &jsonNode{kind: v.kind})
				}
			}
		})
		return n
	},
	// Keys and strings escaped, with surrogate pairs, lone surrogates and
	// invalid UTF-8.
	func(r *rand.Rand, n *jsonNode) *jsonNode {
		odd := []string{`\ud83d\ude00`, `\ud800`, `\udc00x`, `\ud800\u0041`, "\xff", "\xed\xa0\x80", `\u00e9`, `\"`, `\\`, `\/`, `\n`, "\u00e9"}
		escape := func(s string) string {
			var b strings.Builder
			for _, c := range []byte(s) {
				if r.Intn(3) == 0 {
					fmt.Fprintf(&b, `\u%04x`, c)
				} else {
					b.WriteByte(c)
				}
			}
			return b.String()
		}
		n.walk(func(m *jsonNode) {
			for i, k := range m.keys {
				if r.Intn(3) == 0 {
					m.keys[i] = escape(k)
				}
			}
			if m.kind == 'v' && strings.HasPrefix(m.text, `"`) && r.Intn(2) == 0 {
				s := m.text[1 : len(m.text)-1]
				at := r.Intn(len(s) + 1)
				m.text = `"` + s[:at] + odd[r.Intn(len(odd))] + s[at:] + `"`
			}
		})
		return n
	},
}
