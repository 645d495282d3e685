package main

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envMeasure turns on TestReconcile50kUsers, which takes several minutes.
const envMeasure = "CLERKSYNC_TEST_50K"

// The measurement of the issue: clerksync reconcile, a process of its own
// at the default pace, of an instance of 50,000 users, 500 organizations
// and 5,000 memberships, behind Clerk's limit of 100 requests in any 10
// seconds, into an empty mirror and then again into the full one, on each
// database. It reports the time, the peak resident memory of the process
// (its VmHWM, read from /proc every 10 ms until it exits), and the
// requests, and fails if the peak
// reaches 150 MiB, if a request is answered 429, or if the mirror is not
// Clerk's. Run it with
//
//	CLERKSYNC_TEST_50K=1 scripts/with-services go test -run TestReconcile50kUsers -v -timeout 30m ./clerksync/cmd/clerksync
func TestReconcile50kUsers(t *testing.T) {
	if os.Getenv(envMeasure) != "1" {
		t.Skipf("takes several minutes: set %s=1 to run it", envMeasure)
	}
	const users, orgs, perOrg = 50000, 500, 10
	const maxRSS = 150 << 20
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := newFake(t)
			srv.Generate(50, users, orgs, perOrg)
			srv.RateLimit(100, 10*time.Second)
			db := "sqlite:" + filepath.Join(t.TempDir(), "clerksync.db") // synced commits, the default
			if engine == "postgres" {
				db = newPostgres(t)
			}
			for _, run := range []string{"empty mirror", "full mirror, nothing changed"} {
				before := len(srv.Requests())
				began := time.Now()
				p := startReconcile(t, srv.Key(), []string{"--db", db, "--api-url", srv.URL()})
				hwm := watchHWM(p)
				require.Equal(t, 0, p.wait(t, 20*time.Minute), p.output())
				took := time.Since(began)
				// Not wait4's ru_maxrss: Go starts a child with vfork, and
				// Linux carries the parent's high-water mark over at exec.
				rss := <-hwm
				limited := 0
				for _, r := range srv.Requests()[before:] {
					if r.Status == http.StatusTooManyRequests {
						limited++
					}
				}
				requests := len(srv.Requests()) - before
				t.Logf("%s, %s: %v, peak RSS (VmHWM) %.1f MiB, %d requests, %d answered 429",
					engine, run, took.Round(100*time.Millisecond), float64(rss)/(1<<20), requests, limited)
				t.Logf("output:\n%s", p.output())
				assert.Positive(t, rss)
				assert.Less(t, rss, int64(maxRSS))
				assert.Zero(t, limited)
				requireCountsMatch(t, openForTest(t, db), srv)
			}
		})
	}
}

// watchHWM reads the process's VmHWM from /proc until it exits, and sends
// the last value read, in bytes.
func watchHWM(p *reconcileProcess) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var last int64
		for {
			select {
			case <-p.exited:
				out <- last
				return
			case <-time.After(10 * time.Millisecond):
			}
			f, err := os.Open("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
					kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
					last = kb << 10
				}
			}
			f.Close()
		}
	}()
	return out
}
