package clerkriver_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkriver"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// A worker process killed with SIGKILL in the middle of a job: River's
// rescuer (on the leader, another process) finds the job still running
// after RescueStuckJobsAfter, schedules it again, and another worker
// completes it, once.

// The environment of a worker process: this test binary started again.
const (
	envWorker       = "CLERKRIVER_TEST_WORKER" // the driver: "pgx" or "sqlite"
	envWorkerDSN    = "CLERKRIVER_TEST_WORKER_DSN"
	envWorkerSchema = "CLERKRIVER_TEST_WORKER_SCHEMA"
)

// TestMain lets this test binary run as a worker process for
// TestWorkerKilledMidJob.
func TestMain(m *testing.M) {
	if driver := os.Getenv(envWorker); driver != "" {
		runWorkerProcess(driver)
		return
	}
	os.Exit(m.Run())
}

// runWorkerProcess is the whole life of a worker process: a River client
// on the parent's database, not eligible to lead (the parent's client leads
// and rescues), whose user.created callback prints "started <id>" and never
// returns. It prints "ready" once started, and runs until it is killed.
func runWorkerProcess(driver string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "worker process:", err)
		os.Exit(3)
	}
	v, err := clerkwebhook.NewVerifier(storetest.Secret)
	if err != nil {
		fail(err)
	}
	h := clerkwebhook.NewHandler(v)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		fmt.Println("started", e.ID)
		select {} // stuck, until the parent kills this process
	})
	workers := river.NewWorkers()
	river.AddWorker(workers, clerkriver.NewWorker(h))
	cfg := &river.Config{
		CompletedJobRetentionPeriod: clerkriver.CompletedJobRetention,
		FetchCooldown:               10 * time.Millisecond,
		FetchPollInterval:           50 * time.Millisecond,
		LeaderElectionDisabled:      true,
		Logger:                      quietLogger(),
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		Schema:                      os.Getenv(envWorkerSchema),
		TestOnly:                    true,
		Workers:                     workers,
	}
	ctx := context.Background()
	dsn := os.Getenv(envWorkerDSN)
	switch driver {
	case "pgx":
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			fail(err)
		}
		client, err := river.NewClient(riverpgxv5.New(pool), cfg)
		if err != nil {
			fail(err)
		}
		err = client.Start(ctx)
		if err != nil {
			fail(err)
		}
	case "sqlite":
		db, err := openSQLite(dsn, 10*time.Second)
		if err != nil {
			fail(err)
		}
		client, err := river.NewClient(riversqlite.New(db), cfg)
		if err != nil {
			fail(err)
		}
		if err := client.Start(ctx); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown driver %q", driver))
	}
	fmt.Println("ready")
	select {}
}

// workerProcess is a running worker process.
type workerProcess struct {
	cmd     *exec.Cmd
	ready   chan struct{} // closed when it printed "ready"
	started chan string   // the ids it printed "started" for
	gone    chan struct{} // closed when its output ended
}

// startWorkerProcess starts a worker process on b's database; it is killed
// when the test ends, if it still runs.
func startWorkerProcess[TTx any](t *testing.T, b *backend[TTx]) *workerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorker+"="+b.name, envWorkerDSN+"="+b.dsn, envWorkerSchema+"="+b.schema)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	p := &workerProcess{cmd: cmd, ready: make(chan struct{}), started: make(chan string, 1), gone: make(chan struct{})}
	go func() {
		defer close(p.gone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			word, rest, _ := strings.Cut(sc.Text(), " ")
			switch word {
			case "ready":
				close(p.ready)
			case "started":
				p.started <- rest
			}
		}
	}()
	select {
	case <-p.ready:
	case <-p.gone:
		t.Fatal("the worker process ended before it was ready")
	case <-time.After(30 * time.Second):
		t.Fatal("the worker process was not ready within 30s")
	}
	return p
}

func TestWorkerKilledMidJob(t *testing.T) {
	t.Parallel()
	eachDriver(t, testWorkerKilledMidJob[pgx.Tx], testWorkerKilledMidJob[*sql.Tx])
}

func testWorkerKilledMidJob[TTx any](t *testing.T, b *backend[TTx]) {
	const rescueAfter = 2 * time.Second
	ctx := context.Background()
	inserter := insertClient(t, b)
	victim := startWorkerProcess(t, b)
	e := newEvent()
	require.NoError(t, clerkriver.NewQueue(inserter).Enqueue(ctx, e))
	select {
	case id := <-victim.started:
		require.Equal(t, e.ID, id)
	case <-victim.gone:
		t.Fatal("the worker process ended before it started the job")
	case <-time.After(30 * time.Second):
		t.Fatal("the worker process did not start the job within 30s")
	}
	require.NoError(t, victim.cmd.Process.Kill()) // SIGKILL
	_ = victim.cmd.Wait()
	killedAt := time.Now()
	job := onlyJob(t, inserter)
	require.Equal(t, rivertype.JobStateRunning, job.State, "the job of the killed worker")
	require.Equal(t, 1, job.Attempt)

	// The survivor: it leads, so its rescuer runs, at once when it starts
	// and every 30 seconds after. Start it once the job has been running
	// for RescueStuckJobsAfter, as a replica running all along would find
	// it on a later pass: the attempt is dated back by that much rather
	// than waited out (River's rescuer reads the real clock).
	require.NoError(t, b.setAttemptedAt(ctx, job.ID, job.AttemptedAt.Add(-rescueAfter-100*time.Millisecond)))
	calls := &runs{}
	h := newHandler(t, nil, nil)
	h.On(clerkwebhook.UserCreated, func(_ context.Context, e clerkwebhook.Event) error {
		calls.called(e.ID, true)
		return nil
	})
	survivor := workerClient(t, b, h, 10, func(c *river.Config) {
		c.JobTimeout = time.Second // RescueStuckJobsAfter must not be shorter
		c.RescueStuckJobsAfter = rescueAfter
	})
	start(t, survivor)
	job = waitForState(t, survivor, job.ID, rivertype.JobStateCompleted, 30*time.Second)
	t.Logf("%s: completed %v after the kill (RescueStuckJobsAfter %v)", b.name, time.Since(killedAt).Round(time.Millisecond), rescueAfter)
	assert.Equal(t, 2, job.Attempt)
	require.Len(t, job.Errors, 1, "the rescue River recorded")
	t.Logf("%s: the rescue as River recorded it: %q", b.name, job.Errors[0].Error)
	stopWorking(t, survivor) // a wrong extra attempt has run by now, or is due
	assert.Equal(t, 2, waitForState(t, survivor, job.ID, rivertype.JobStateCompleted, 0).Attempt)
	n, ok := calls.of(e.ID)
	assert.Equal(t, 1, n, "calls in the survivor")
	assert.Equal(t, 1, ok, "successes in the survivor")
}
