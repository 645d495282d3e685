package clerkriver

import (
	"context"
	"errors"

	"github.com/riverqueue/river"

	"github.com/seed77920f6a/clerkwebhook"
)

// NewWorker returns the River worker of Args: its Work runs h.Dispatch with
// the job's event, that is the callback h has for the event's type (On,
// OnNewType, or OnOther), and turns the result into River's:
//
//	nil                                    the job is completed
//	an error wrapping clerkwebhook.ErrPermanent (clerkwebhook.Permanent)
//	                                       river.JobCancel: cancelled, never retried
//	any other error, or a panic            retried with River's backoff, and
//	                                       discarded after the last attempt
//
// A type with no callback completes without running anything. Register it
// with river.AddWorker(workers, clerkriver.NewWorker(h)). The callback gets
// the job's context, which River cancels after the job's timeout
// (river.Config.JobTimeout, one minute by default). A nil h panics.
func NewWorker(h *clerkwebhook.Handler) river.Worker[Args] {
	if h == nil {
		panic("clerkriver: NewWorker(nil)")
	}
	return &worker{handler: h}
}

type worker struct {
	river.WorkerDefaults[Args]
	handler *clerkwebhook.Handler
}

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	err := w.handler.Dispatch(ctx, job.Args.Event)
	if errors.Is(err, clerkwebhook.ErrPermanent) {
		return river.JobCancel(err)
	}
	return err
}
