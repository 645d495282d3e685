package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/seed77920f6a/clerkwebhook/clerksync"
)

// The periodic reconcile, as a River job.
//
// River's leader inserts a reconcileArgs job when serve starts and at each
// check (every --reconcile-every, at most an hour apart), as a unique job:
// while one is waiting or running, another is not inserted, so that with
// several replicas on one PostgreSQL one reconcile runs at a time (the
// mirror's reconcile lease guarantees it too, against a clerksync
// reconcile run by hand). The job reconciles only when the last complete
// reconcile is older than --reconcile-every, or one is unfinished: River's
// schedule lives in the leader's memory and restarts with it, the
// database's record does not. A reconcile works in slices of
// reconcileSlice, each resuming the run where the last one stopped (the
// job snoozes between them), so that a job never runs long enough to look
// stuck, and a replica that dies mid-run leaves a job that River rescues
// and another replica resumes.

const (
	reconcileQueue = "clerksync_reconcile"
	// reconcileSlice is how long one run of the job reconciles before
	// snoozing; reconcileJobTimeout, River's timeout for the job (and the
	// time after which it rescues the job of a dead process).
	reconcileSlice      = 5 * time.Minute
	reconcileJobTimeout = 10 * time.Minute
	// maxCheckInterval is the longest time between two checks of whether
	// a reconcile is due.
	maxCheckInterval = time.Hour
	// busySnooze is how long the job waits when another reconcile holds
	// the lease.
	busySnooze = 30 * time.Second
)

// reconcileArgs are the (empty) arguments of the reconcile job.
type reconcileArgs struct{}

func (reconcileArgs) Kind() string { return "clerksync.reconcile" }

func (reconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       reconcileQueue,
		MaxAttempts: 10,
		// Unique while waiting, running or retrying; River requires the
		// first four.
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateScheduled, rivertype.JobStateRetryable,
		}},
	}
}

// addReconcileJob adds the reconcile worker, its queue (one at a time) and
// its periodic schedule to River's configuration.
func addReconcileJob(cfg *river.Config, workers *river.Workers, w *reconcileWorker) {
	river.AddWorker(workers, w)
	cfg.Queues[reconcileQueue] = river.QueueConfig{MaxWorkers: 1}
	cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(
		river.PeriodicInterval(min(w.every, maxCheckInterval)),
		func() (river.JobArgs, *river.InsertOpts) { return reconcileArgs{}, nil },
		&river.PeriodicJobOpts{ID: "clerksync.reconcile", RunOnStart: true},
	))
}

// reconcileWorker works the reconcile job.
type reconcileWorker struct {
	river.WorkerDefaults[reconcileArgs]
	mirror   *clerksync.Mirror
	every    time.Duration
	logger   *slog.Logger
	stopping <-chan struct{} // closed when serve stops
}

func (w *reconcileWorker) Timeout(*river.Job[reconcileArgs]) time.Duration {
	return reconcileJobTimeout
}

var errSliceOver = errors.New("the reconcile's slice is over")

func (w *reconcileWorker) Work(ctx context.Context, _ *river.Job[reconcileArgs]) error {
	status, err := w.mirror.ReconcileStatus(ctx)
	if err != nil {
		return err
	}
	if !status.Unfinished && !status.LastCompleted.IsZero() && time.Since(status.LastCompleted) < w.every {
		return nil // not due
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-w.stopping:
			cancel(context.Canceled)
		case <-ctx.Done():
		}
	}()
	slice, cancelSlice := context.WithTimeoutCause(ctx, reconcileSlice, errSliceOver)
	defer cancelSlice()
	began := time.Now()
	sum, err := w.mirror.Reconcile(slice, nil)
	switch {
	case err == nil:
		w.logger.Info("clerksync: reconcile complete", "run", sum.Run, "took", time.Since(began).Round(time.Millisecond),
			"users", sum.Users, "organizations", sum.Organizations, "memberships", sum.Memberships, "requests", sum.Requests)
		return nil
	case errors.Is(err, clerksync.ErrReconcileRunning):
		w.logger.Info("clerksync: a reconcile is running elsewhere; checking again later", "error", err)
		return river.JobSnooze(busySnooze)
	case ctx.Err() != nil:
		// serve is stopping: the next start resumes the run.
		return river.JobSnooze(0)
	case errors.Is(context.Cause(slice), errSliceOver):
		w.logger.Info("clerksync: reconcile continues", "run", sum.Run, "users", sum.Users.Listed,
			"organizations", sum.Organizations.Listed, "memberships", sum.Memberships.Listed)
		return river.JobSnooze(0)
	case errors.Is(err, clerksync.ErrUnauthorized):
		w.logger.Error("clerksync: reconcile refused: check "+EnvSecretKey, "error", err)
		return river.JobCancel(err) // retries cannot fix the key; the next check tries again
	default:
		w.logger.Error("clerksync: reconcile failed; River retries it, and the retry resumes the run", "run", sum.Run, "error", err)
		return err
	}
}
