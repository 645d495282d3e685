package main

import (
	"bufio"
	"database/sql"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
)

// The command as a real process: this test binary, started again, runs
// main's run with the arguments given, so that a test can kill it with
// SIGKILL and start it again on the same database.

// envRunMain makes this test binary run the command instead of the tests.
const envRunMain = "CLERKSYNC_TEST_RUN_MAIN"

// envServeArgs, in startProcess's env, holds more flags for serve.
const envServeArgs = "CLERKSYNC_TEST_SERVE_ARGS"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// A process is the command running in a process of its own.
type process struct {
	cmd     *exec.Cmd
	URL     string        // where it receives webhooks, without the path
	ReadURL string        // where it serves the read endpoints
	exited  chan struct{} // closed when it has exited
	err     error         // Wait's, once exited is closed

	mu     sync.Mutex
	stdout strings.Builder
}

var listening = regexp.MustCompile(`receiving webhooks at (http://\S+)/webhooks/clerk, reads at (http://\S+),`)

// startProcess starts serve on db, listening on a free loopback port,
// with env added to its environment, and waits until it serves. It is
// killed when the test ends, if it still runs.
func startProcess(t *testing.T, db string, env ...string) *process {
	t.Helper()
	args := []string{"serve", "--addr", "127.0.0.1:0", "--read-addr", "127.0.0.1:0", "--db", db, "--secret", secret}
	for _, e := range env {
		if more, ok := strings.CutPrefix(e, envServeArgs+"="); ok {
			args = append(args, strings.Fields(more)...)
		}
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), envRunMain+"=1"), env...)
	cmd.Stderr = io.Discard
	if os.Getenv("CLERKSYNC_TEST_LOG") == "1" {
		cmd.Stderr = os.Stderr
	}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, exited: make(chan struct{})}
	serving := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				serving <- m[1:]
			}
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	select {
	case urls := <-serving:
		p.URL, p.ReadURL = urls[0], urls[1]
	case <-p.exited:
		t.Fatalf("the command exited before serving: %v", p.err)
	case <-time.After(60 * time.Second):
		t.Fatal("the command did not serve within 60s")
	}
	return p
}

// output returns what the process printed on standard output.
func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// signal sends sig and waits until the process has exited.
func (p *process) signal(t *testing.T, sig os.Signal, within time.Duration) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("the command did not exit within %v of %v", within, sig)
	}
}

// openForTest opens db (a --db value) for the test's own queries.
func openForTest(t *testing.T, db string) *sql.DB {
	t.Helper()
	var conn *sql.DB
	var err error
	if file, ok := strings.CutPrefix(db, "sqlite:"); ok {
		file, _, _ = strings.Cut(file, "?")
		conn, err = sql.Open("sqlite", "file:"+file+"?_journal_mode=WAL&_busy_timeout=10000")
	} else {
		conn, err = sql.Open("pgx", db) // registered by pgx's stdlib, which database.go imports
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// runningJobs returns the ids of River's jobs in the state running.
func runningJobs(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM river_job WHERE state = 'running' ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	return ids
}

// The command killed with SIGKILL while it applies events, and started
// again on the same database: every event delivered before the kill or
// after it is applied once (nothing lost, nothing doubled), and the jobs
// that were running at the kill, which River sees as running still, are
// rescued and completed within a minute of the restart (River's default
// would wait an hour). Then SIGTERM stops it gracefully.
// rescueBound is how long after the restart the jobs running at the kill
// may take to complete: River rescues them, then retries them after a
// backoff. The race detector, and the machine's other load, slow SQLite
// several times over.
var rescueBound = map[bool]time.Duration{false: time.Minute, true: 4 * time.Minute}[raceEnabled]

func TestRestartAfterSIGKILL(t *testing.T) {
	t.Parallel() // with TestHistoriesInAnyOrder: this one mostly waits for River
	eachDatabaseAtOnce(t, func(t *testing.T, newDB func(*testing.T) string) {
		db := newDB(t)
		if strings.HasPrefix(db, "sqlite:") {
			// The default durability, one synced commit each, as in production.
			db = "sqlite:" + filepath.Join(t.TempDir(), "clerksync.db")
		}
		h := synctest.Generate(1001)
		rng := rand.New(rand.NewPCG(1001, 1))
		plan, _ := synctest.DeliveryPlan(rng, h.Messages)
		half := len(plan) / 2

		// Applies take 200 ms each in the first process: a backlog builds
		// up, and 10 jobs are running whenever it is killed.
		first := startProcess(t, db, envApplyDelay+"=200ms")
		deliver(t, first.URL, plan[:half], 8)
		conn := openForTest(t, db)
		for stop := time.Now().Add(30 * time.Second); len(runningJobs(t, conn)) < maxWorkers; {
			require.True(t, time.Now().Before(stop), "fewer than %d jobs running after 30s", maxWorkers)
			time.Sleep(50 * time.Millisecond)
		}
		first.signal(t, syscall.SIGKILL, 10*time.Second)
		// River records as running the jobs the process was applying, and
		// those it had applied but not yet recorded as completed (River
		// records completions in batches): both run again.
		stuck := runningJobs(t, conn)
		require.GreaterOrEqual(t, len(stuck), maxWorkers/2, "jobs running at the kill")
		n, err := unfinishedJobs(t.Context(), conn)
		require.NoError(t, err)
		t.Logf("killed with %d jobs running and %d unfinished", len(stuck), n)

		restarted := time.Now()
		second := startProcess(t, db)
		// The rest, and again some of what the first process acknowledged.
		rest := slices.Concat(plan[half:], plan[:half/4])
		rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		deliver(t, second.URL, rest, 8)

		for {
			states := map[string]bool{}
			for _, id := range stuck {
				var state string
				require.NoError(t, conn.QueryRow(`SELECT state FROM river_job WHERE id = $1`, id).Scan(&state))
				states[state] = true
			}
			if len(states) == 1 && states["completed"] {
				break
			}
			require.Less(t, time.Since(restarted), rescueBound, "the jobs running at the kill are %v %v after the restart", states, rescueBound)
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("the %d jobs running at the kill completed %v after the restart", len(stuck), time.Since(restarted).Round(100*time.Millisecond))
		for _, id := range stuck {
			var attempt int
			var errs string
			require.NoError(t, conn.QueryRow(`SELECT attempt, CAST(errors AS text) FROM river_job WHERE id = $1`, id).Scan(&attempt, &errs))
			assert.Equal(t, 2, attempt, "job %d: attempts", id)
			assert.Contains(t, errs, "Stuck job rescued", "job %d: River's record of the rescue", id)
		}
		waitDrained(t, conn, len(h.Messages), 2*time.Minute)
		require.True(t, synctest.CheckState(t, getter(t, second.ReadURL), h))

		second.signal(t, syscall.SIGTERM, 15*time.Second)
		var exit *exec.ExitError
		if errors.As(second.err, &exit) {
			t.Fatalf("after SIGTERM: %v", second.err)
		}
		require.NoError(t, second.err)
		assert.Contains(t, second.output(), "clerksync: stopped")
	})
}
