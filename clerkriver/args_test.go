package clerkriver_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
)

// Args, NewQueue and NewWorker without a database: the job's encoding, its
// unique options, the worker's mapping of errors, and the nil panics.

func TestArgsKind(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "clerkwebhook.event", clerkriver.Args{}.Kind())
	assert.Equal(t, clerkriver.Kind, clerkriver.Args{}.Kind())
}

// The event survives the job's JSON (as River stores and reads it), and
// the message id is always Event.ID, whatever the field held.
func TestArgsJSON(t *testing.T) {
	t.Parallel()
	e := newEvent()
	e.InstanceID = "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S"
	e.Timestamp = 1716883200123
	e.Attributes.HTTPRequest.ClientIP = "192.0.2.1"
	for _, held := range []string{"", e.ID, "msg_another"} {
		encoded, err := json.Marshal(clerkriver.Args{Event: e, MessageID: held})
		require.NoError(t, err)
		var decoded clerkriver.Args
		require.NoError(t, json.Unmarshal(encoded, &decoded))
		assert.Equal(t, e, decoded.Event, "the event after a round trip")
		assert.Equal(t, e.ID, decoded.MessageID, "the message id encoded for a field holding %q", held)
	}
}

// An event with no id cannot be a unique job: encoding it fails, and so
// does enqueueing it (see TestEnqueueEventWithoutID).
func TestArgsWithoutMessageID(t *testing.T) {
	t.Parallel()
	e := newEvent()
	e.ID = ""
	_, err := json.Marshal(clerkriver.Args{Event: e, MessageID: "msg_1"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no ID")
}

// Unique by the message id in every state but cancelled and discarded.
func TestArgsInsertOpts(t *testing.T) {
	t.Parallel()
	u := clerkriver.Args{}.InsertOpts().UniqueOpts
	assert.True(t, u.ByArgs)
	assert.False(t, u.ByQueue)
	assert.Zero(t, u.ByPeriod)
	assert.False(t, u.ExcludeKind)
	states := slices.Clone(u.ByState)
	slices.Sort(states)
	assert.Equal(t, []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStateCompleted, rivertype.JobStatePending,
		rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}, states)
}

func TestNewQueueNil(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "clerkriver: NewQueue(nil)", func() { clerkriver.NewQueue[*struct{}](nil) })
}

func TestNewWorkerNil(t *testing.T) {
	t.Parallel()
	assert.PanicsWithValue(t, "clerkriver: NewWorker(nil)", func() { clerkriver.NewWorker(nil) })
}

// The worker's answer to River for each outcome of the callback: nil,
// JobCancel for a Permanent error (wrapped or not), the error itself
// otherwise, and nil without running anything for a type with no callback.
func TestWorkerResults(t *testing.T) {
	t.Parallel()
	errApp := errors.New("the app's database is down")
	tests := []struct {
		name       string
		callback   clerkwebhook.Callback
		wantCancel bool
		wantErr    error
	}{
		{"success", func(context.Context, clerkwebhook.Event) error { return nil }, false, nil},
		{"error", func(context.Context, clerkwebhook.Event) error { return errApp }, false, errApp},
		{"panic", func(context.Context, clerkwebhook.Event) error { panic("boom") }, false, clerkwebhook.ErrCallback},
		{"permanent", func(context.Context, clerkwebhook.Event) error { return clerkwebhook.Permanent(errApp) }, true, errApp},
		{"wrapped permanent", func(context.Context, clerkwebhook.Event) error {
			return fmt.Errorf("syncing: %w", clerkwebhook.Permanent(errApp))
		}, true, errApp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, nil, nil)
			h.On(clerkwebhook.UserCreated, tt.callback)
			err := clerkriver.NewWorker(h).Work(context.Background(), &river.Job[clerkriver.Args]{
				JobRow: &rivertype.JobRow{ID: 1}, Args: clerkriver.Args{Event: newEvent()},
			})
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var cancel *river.JobCancelError
			assert.Equal(t, tt.wantCancel, errors.As(err, &cancel), "river.JobCancel: %v", err)
		})
	}

	t.Run("no callback", func(t *testing.T) {
		h := newHandler(t, nil, nil)
		h.On(clerkwebhook.UserDeleted, func(context.Context, clerkwebhook.Event) error { return errApp })
		err := clerkriver.NewWorker(h).Work(context.Background(), &river.Job[clerkriver.Args]{
			JobRow: &rivertype.JobRow{ID: 1}, Args: clerkriver.Args{Event: newEvent()},
		})
		require.NoError(t, err)
	})
}
