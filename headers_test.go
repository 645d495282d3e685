package clerkwebhook

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// How the three signature headers are read: repeated values, hand-built
// maps with any spelling of the names, the two families, and what a missing
// or ambiguous header reports. Every signature comes from the reference
// library.
func TestReadHeaders(t *testing.T) {
	t.Parallel()
	body := readFixture(t, "user.created.json")
	ts := strconv.FormatInt(testNow.Unix(), 10)
	sig := func(id string) string { return refSign(t, testSecret, id, testNow, body) }
	wrong := refSign(t, otherSecret, "msg_1", testNow, body)

	cases := []struct {
		name    string
		h       http.Header
		want    error    // nil: accepted
		id      string   // the event's ID, or the error's MessageID
		header  string   // VerificationError.Header
		reason  Reason   // VerificationError.Reason
		missing []string // VerificationError.Missing
		message string   // the whole error message, when given
	}{
		// Values of one header.
		{name: "signature split over two values, valid one second",
			h:  http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {ts}, "Svix-Signature": {wrong, sig("msg_1")}},
			id: "msg_1"},
		{name: "signature split over three values, padded, valid one last",
			h:  http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {ts}, "Svix-Signature": {" v1a,abc ", wrong + " ", "  " + sig("msg_1") + "\t"}},
			id: "msg_1"},
		{name: "signature values all blank",
			h:    http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {ts}, "Svix-Signature": {" ", "\t"}},
			want: ErrMissingHeader, id: "msg_1", missing: []string{"svix-signature"},
			message: "clerkwebhook: missing webhook header: svix-signature"},
		{name: "empty id value before the id",
			h:  http.Header{"Svix-Id": {"", "msg_1"}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig("msg_1")}},
			id: "msg_1"},
		{name: "blank timestamp value before the timestamp",
			h:  http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {" ", ts}, "Svix-Signature": {sig("msg_1")}},
			id: "msg_1"},
		{name: "id repeated with the same value",
			h:  http.Header{"Svix-Id": {"msg_1", " msg_1 ", "", "msg_1"}, "Svix-Timestamp": {ts, ts}, "Svix-Signature": {sig("msg_1")}},
			id: "msg_1"},
		{name: "two different ids",
			h:    http.Header{"Svix-Id": {"msg_1", "msg_2"}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "svix-id", reason: ReasonAmbiguousHeader,
			message: "clerkwebhook: invalid webhook header: svix-id has more than one distinct value"},
		{name: "same id, then a different one after a blank",
			h:    http.Header{"Svix-Id": {"msg_1", "msg_1", " ", "msg_2"}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "svix-id", reason: ReasonAmbiguousHeader},
		{name: "two different timestamps",
			h:    http.Header{"Svix-Id": {"msg_1"}, "Svix-Timestamp": {ts, "1764331201"}, "Svix-Signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "svix-timestamp", reason: ReasonAmbiguousHeader,
			message: "clerkwebhook: invalid webhook header: svix-timestamp has more than one distinct value"},
		{name: "two different webhook-timestamps",
			h:    http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts, "1"}, "Webhook-Signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "webhook-timestamp", reason: ReasonAmbiguousHeader},
		{name: "two different webhook-ids",
			h:    http.Header{"Webhook-Id": {"msg_1", "msg_2"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "webhook-id", reason: ReasonAmbiguousHeader},

		// Hand-built maps: names in any case, spread over several keys.
		{name: "svix-id and SVIX-ID with different values",
			h:    http.Header{"svix-id": {"msg_1"}, "SVIX-ID": {"msg_2"}, "svix-timestamp": {ts}, "svix-signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "svix-id", reason: ReasonAmbiguousHeader},
		{name: "svix-timestamp and SVIX-TIMESTAMP with different values",
			h:    http.Header{"svix-id": {"msg_1"}, "svix-timestamp": {ts}, "SVIX-TIMESTAMP": {"1764331201"}, "svix-signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "svix-timestamp", reason: ReasonAmbiguousHeader},
		{name: "svix-id and SVIX-ID with the same value",
			h:  http.Header{"svix-id": {"msg_1"}, "SVIX-ID": {"msg_1"}, "svix-timestamp": {ts}, "svix-signature": {sig("msg_1")}},
			id: "msg_1"},
		{name: "signature spread over two spellings",
			h:  http.Header{"svix-id": {"msg_1"}, "svix-timestamp": {ts}, "svix-signature": {wrong}, "SVIX-SIGNATURE": {sig("msg_1")}},
			id: "msg_1"},
		{name: "mixed-case names",
			h:  http.Header{"sViX-iD": {"msg_1"}, "SVIX-timestamp": {ts}, "Svix-SIGNATURE": {sig("msg_1")}},
			id: "msg_1"},

		// The families.
		{name: "complete webhook set",
			h:  http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig("msg_1")}},
			id: "msg_1"},
		{name: "ambiguous svix-id stops the read before the complete webhook set",
			h: http.Header{"Svix-Id": {"msg_1", "msg_2"},
				"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig("msg_1")}},
			want: ErrInvalidHeader, header: "svix-id", reason: ReasonAmbiguousHeader},
		{name: "tie between incomplete families reports svix",
			h:    http.Header{"Svix-Id": {"msg_s"}, "Webhook-Id": {"msg_w"}},
			want: ErrMissingHeader, id: "msg_s", missing: []string{"svix-timestamp", "svix-signature"},
			message: "clerkwebhook: missing webhook header: svix-timestamp, svix-signature"},
		{name: "tie with two of each reports svix",
			h:    http.Header{"Svix-Id": {"msg_s"}, "Svix-Signature": {"v1,x"}, "Webhook-Id": {"msg_w"}, "Webhook-Timestamp": {ts}},
			want: ErrMissingHeader, id: "msg_s", missing: []string{"svix-timestamp"}},
		{name: "closer webhook family is reported",
			h:    http.Header{"Svix-Id": {"msg_s"}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1,x"}},
			want: ErrMissingHeader, id: "", missing: []string{"webhook-id"},
			message: "clerkwebhook: missing webhook header: webhook-id"},
		{name: "closer svix family is reported",
			h:    http.Header{"Svix-Timestamp": {ts}, "Svix-Signature": {"v1,x"}, "Webhook-Id": {"msg_w"}},
			want: ErrMissingHeader, id: "", missing: []string{"svix-id"}},
		{name: "only a webhook signature",
			h:    http.Header{"Webhook-Signature": {"v1,x"}},
			want: ErrMissingHeader, missing: []string{"webhook-id", "webhook-timestamp"}},
		{name: "only a timestamp",
			h:    http.Header{"Svix-Timestamp": {ts}},
			want: ErrMissingHeader, missing: []string{"svix-id", "svix-signature"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := mustVerifier(t, testSecret, WithClock(fixedClock(testNow)))
			ev, err := v.Verify(body, tc.h)
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.id, ev.ID)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assertOneSentinel(t, err)
			var ve *VerificationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.want, ve.Err)
			assert.Equal(t, tc.id, ve.MessageID)
			assert.Equal(t, tc.header, ve.Header)
			assert.Equal(t, tc.reason, ve.Reason)
			assert.Equal(t, tc.missing, ve.Missing)
			if tc.message != "" {
				assert.Equal(t, tc.message, err.Error())
			}
		})
	}
}
