package main

import (
	"bufio"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/synctest"
)

// A reconcileProcess is clerksync reconcile running in a process of its
// own (this test binary, as TestMain runs it).
type reconcileProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // Wait's, once exited is closed

	mu     sync.Mutex
	stdout strings.Builder
	stderr strings.Builder
}

// startReconcile starts clerksync reconcile with args, the key in its
// environment, and env added.
func startReconcile(t *testing.T, key string, args []string, env ...string) *reconcileProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"reconcile"}, args...)...)
	cmd.Env = append(append(os.Environ(), envRunMain+"=1", EnvSecretKey+"="+key), env...)
	p := &reconcileProcess{cmd: cmd, exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

func (p *reconcileProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String() + p.stderr.String()
}

// wait waits for the process to exit, and returns its exit status.
func (p *reconcileProcess) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("reconcile did not exit within %v:\n%s", within, p.output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// A reconcile killed with SIGKILL halfway through the users, and started
// again, ends with exactly Clerk's state: the second waits for the dead
// one's lease to run out, resumes its run where its last page left it, and
// reports the whole run.
func TestReconcileKilledAndRestarted(t *testing.T) {
	t.Parallel()
	eachDatabaseAtOnce(t, func(t *testing.T, newDB func(*testing.T) string) {
		srv := newFake(t)
		srv.Generate(41, 4000, 20, 5)
		db := newDB(t)
		// 10 requests a second: slow enough to be killed halfway.
		args := []string{"--db", db, "--api-url", srv.URL(), "--api-rate", "100"}
		first := startReconcile(t, srv.Key(), args)
		require.Eventually(t, func() bool { return srv.RequestCount("GET /v1/users") >= 4 }, 60*time.Second, 5*time.Millisecond)
		require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
		first.wait(t, 10*time.Second)
		listed := srv.RequestCount("GET /v1/users")
		t.Logf("killed after %d pages of users", listed)

		second := startReconcile(t, srv.Key(), args)
		require.Equal(t, 0, second.wait(t, 2*time.Minute), second.output())
		out := second.output()
		assert.Contains(t, out, "clerksync: waiting: clerksync: another reconcile is running on this database (run 1")
		assert.Contains(t, out, "reconcile complete: run 1 (resumed)")
		assert.Regexp(t, `(?m)^  users +4000 +4000 +0 +0 +0 +0$`, out)
		assert.Equal(t, 1, srv.RequestCount("GET /v1/users/count"), "the resumed run counted the users again")
		assert.Less(t, srv.RequestCount("GET /v1/users"), listed+9, "the resumed run listed the users from the start")
		conn := openForTest(t, db)
		requireCountsMatch(t, conn, srv)
		t.Logf("second reconcile:\n%s", out)
	})
}

// clerksync reconcile beside clerksync serve, on one SQLite file (each with
// its connection, commits synced to disk as by default) while webhooks
// arrive: both complete, with no error of either, and the mirror ends as
// Clerk is.
func TestReconcileBesideServeOnOneSQLiteFile(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	srv.Generate(42, 6000, 30, 10)
	db := "sqlite:" + filepath.Join(t.TempDir(), "clerksync.db")
	serving := startProcess(t, db, EnvSecretKey+"="+srv.Key(), "CLERKSYNC_TEST_SERVE_ARGS=--reconcile-every=0 --api-url="+srv.URL())
	// Changes, and their webhooks, while the reconcile runs.
	stop := make(chan struct{})
	changes := make(chan int, 1)
	go func() {
		client := &http.Client{Timeout: 30 * time.Second}
		rng := rand.New(rand.NewPCG(42, 1))
		n := 0
		for {
			select {
			case <-stop:
				changes <- n
				return
			default:
			}
			users := srv.Users()
			var m synctest.Message
			switch rng.IntN(3) {
			case 0:
				u := srv.PutUser(fakeclerk.User{FirstName: "New", EmailAddress: "new." + users[0].ID + "@example.com"})
				m = eventMessage(srv, "user.created", u.ID)
			case 1:
				u := users[rng.IntN(len(users))]
				u.FirstName = "Changed"
				srv.PutUser(u)
				m = eventMessage(srv, "user.updated", u.ID)
			default:
				u := users[rng.IntN(len(users))]
				srv.DeleteUser(u.ID)
				m = eventMessage(srv, "user.deleted", u.ID)
			}
			if status := post(client, serving.URL, m); status != http.StatusOK {
				t.Errorf("a delivery was answered %d", status)
			}
			n++
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// 20 requests in any 10 seconds: the users at once, the rest over
	// about 10 seconds.
	rec := startReconcile(t, srv.Key(), []string{"--db", db, "--api-url", srv.URL(), "--api-rate", "20"})
	status := rec.wait(t, 2*time.Minute)
	close(stop)
	delivered := <-changes
	require.Equal(t, 0, status, rec.output())
	assert.NotContains(t, rec.output(), "level=WARN")
	assert.Greater(t, delivered, 100, "webhooks delivered during the reconcile")
	conn := openForTest(t, db)
	waitDrained(t, conn, delivered, time.Minute)

	// Once still, one more reconcile: the mirror is exactly Clerk's.
	again := startReconcile(t, srv.Key(), []string{"--db", db, "--api-url", srv.URL(), "--api-rate", "100000"})
	require.Equal(t, 0, again.wait(t, 2*time.Minute), again.output())
	requireCountsMatch(t, conn, srv)
	serving.signal(t, syscall.SIGTERM, 15*time.Second)
	require.NoError(t, serving.err)
	t.Logf("%d webhooks delivered during the reconcile:\n%s", delivered, rec.output())
}
