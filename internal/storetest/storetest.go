// Package storetest runs a shared Deduplicator the way production does, for
// the store modules' tests: several replicas (Handlers in this process, or
// whole processes), deliveries that arrive concurrently and are retried like
// Svix retries them, a replica killed mid-callback, and a count of how often
// each message's callback ran. Deliveries are signed by the Standard
// Webhooks reference library, never by the code under test.
package storetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/internal/fixtures"
)

// Secret signs every delivery of these tests. It is a test value.
const Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// Service returns the value of the environment variable that names a test
// server, set by scripts/with-services. Without it the test is skipped,
// naming the variable and the script (or, under the script, why it started
// no such server), unless CLERKWEBHOOK_REQUIRE_SERVICES=1 (as in CI), where
// a missing server is a failure.
func Service(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := fmt.Sprintf("%s is not set: run the tests through scripts/with-services, which starts the servers", name)
	if why := os.Getenv("CLERKWEBHOOK_TEST_SERVICES_MISSING"); why != "" {
		msg = fmt.Sprintf("%s is not set: scripts/with-services: %s", name, why)
	}
	if os.Getenv("CLERKWEBHOOK_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// A Delivery is one signed message, ready to POST.
type Delivery struct {
	ID     string
	Body   []byte
	Header http.Header
}

// Deliveries returns n distinct user.created messages, each signed now by
// the reference library.
func Deliveries(t testing.TB, n int) []Delivery {
	t.Helper()
	body, ok := fixtures.Get(string(clerkwebhook.UserCreated))
	if !ok {
		t.Fatal("no user.created fixture")
	}
	wh, err := standardwebhooks.NewWebhook(Secret)
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("msg_%d_", time.Now().UnixNano())
	out := make([]Delivery, n)
	for i := range out {
		id := prefix + strconv.Itoa(i)
		now := time.Now()
		sig, err := wh.Sign(id, now, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("svix-id", id)
		h.Set("svix-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("svix-signature", sig)
		out[i] = Delivery{ID: id, Body: body, Header: h}
	}
	return out
}

// Runs counts how often each message's callback ran to completion.
type Runs struct {
	mu sync.Mutex
	n  map[string]int
}

// Add records one run of message id.
func (r *Runs) Add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[id]++
}

// Of returns how often message id ran.
func (r *Runs) Of(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[id]
}

// ExactlyOnce fails the test for every message that did not run exactly once.
func (r *Runs) ExactlyOnce(t testing.TB, ds []Delivery) {
	t.Helper()
	wrong := 0
	for _, d := range ds {
		if n := r.Of(d.ID); n != 1 {
			wrong++
			if wrong <= 10 {
				t.Errorf("message %s ran %d times, want 1", d.ID, n)
			}
		}
	}
	if wrong > 10 {
		t.Errorf("... and %d more messages did not run exactly once", wrong-10)
	}
}

// Replicas starts n Handlers, each on its own loopback server with the
// Deduplicator newDedup returns for it (give each its own pool or client),
// whose user.created callback records a run after a short random pause, so
// that concurrent deliveries overlap. It returns the servers' URLs.
func Replicas(t testing.TB, n int, runs *Runs, newDedup func(t testing.TB, replica int) clerkwebhook.Deduplicator) []string {
	t.Helper()
	urls := make([]string, n)
	for i := range urls {
		v, err := clerkwebhook.NewVerifier(Secret)
		if err != nil {
			t.Fatal(err)
		}
		h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(newDedup(t, i)),
			clerkwebhook.WithoutLog())
		h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
			time.Sleep(time.Duration(rand.Intn(20)) * time.Millisecond)
			runs.Add(e.ID)
			return nil
		})
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	return urls
}

// Outcome counts the answers a DeliverAll run got.
type Outcome struct {
	mu       sync.Mutex
	Statuses map[int]int // every answer, retries included
	Failed   int         // transport errors
}

func (o *Outcome) add(status int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Statuses == nil {
		o.Statuses = map[int]int{}
	}
	if status == 0 {
		o.Failed++
		return
	}
	o.Statuses[status]++
}

// DeliverAll sends every delivery copies times at once, each copy to a
// replica chosen at random, and retries each copy (to another random
// replica) until it is answered 200, as Svix does, within the deadline.
func DeliverAll(t testing.TB, urls []string, ds []Delivery, copies int, deadline time.Duration) *Outcome {
	t.Helper()
	out := &Outcome{}
	client := &http.Client{Timeout: 10 * time.Second}
	stop := time.Now().Add(deadline)
	var wg sync.WaitGroup
	errs := make(chan error, len(ds)*copies)
	for _, d := range ds {
		for c := 0; c < copies; c++ {
			wg.Add(1)
			go func(d Delivery) {
				defer wg.Done()
				for {
					status := Post(client, urls[rand.Intn(len(urls))], d)
					out.add(status)
					if status == http.StatusOK {
						return
					}
					if time.Now().After(stop) {
						errs <- fmt.Errorf("message %s not acknowledged within %v (last status %d)", d.ID, deadline, status)
						return
					}
					time.Sleep(time.Duration(5+rand.Intn(20)) * time.Millisecond)
				}
			}(d)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return out
}

// Post sends d once and returns the status, or 0 on a transport error.
func Post(client *http.Client, url string, d Delivery) int {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return 0
	}
	for k, v := range d.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Environment of a replica process.
const (
	envReplica = "CLERKWEBHOOK_REPLICA"       // set in a replica process
	envBlock   = "CLERKWEBHOOK_REPLICA_BLOCK" // a message id whose callback never returns
)

// IsReplica reports whether this process was started by StartProcess as a
// replica. A store's TestMain calls ServeReplica when it is.
func IsReplica() bool { return os.Getenv(envReplica) != "" }

// ServeReplica is the whole life of a replica process: a Handler with the
// Deduplicator newDedup builds (from the environment the parent passed),
// served on a loopback port it prints ("addr host:port"), and a user.created
// callback that prints "ran <id>" when it has run, or "blocked <id>" and
// never returns for the message named by the parent. It serves until it
// is killed.
func ServeReplica(newDedup func() (clerkwebhook.Deduplicator, error)) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "replica:", err)
		os.Exit(3)
	}
	d, err := newDedup()
	if err != nil {
		fail(err)
	}
	v, err := clerkwebhook.NewVerifier(Secret)
	if err != nil {
		fail(err)
	}
	var out sync.Mutex
	say := func(format string, a ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", a...)
	}
	block := os.Getenv(envBlock)
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(d),
		clerkwebhook.WithoutLog())
	h.On(clerkwebhook.UserCreated, func(ctx context.Context, e clerkwebhook.Event) error {
		if e.ID == block {
			say("blocked %s", e.ID)
			select {} // until the parent kills this process
		}
		time.Sleep(time.Duration(rand.Intn(20)) * time.Millisecond)
		say("ran %s", e.ID)
		return nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	say("addr %s", ln.Addr())
	fail((&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln))
}

// A Process is a replica running in its own OS process.
type Process struct {
	URL     string
	cmd     *exec.Cmd
	blocked chan string
}

// StartProcess starts this test binary again as a replica (its TestMain
// must call ServeReplica when IsReplica), with env added to its
// environment, and records the runs it prints into runs. block names a
// message whose callback never returns in that replica ("" for none). The
// process is killed when the test ends.
func StartProcess(t testing.TB, runs *Runs, block string, env ...string) *Process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envReplica+"=1", envBlock+"="+block), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	p := &Process{cmd: cmd, blocked: make(chan string, 16)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			word, rest, _ := strings.Cut(sc.Text(), " ")
			switch word {
			case "addr":
				addr <- rest
			case "ran":
				runs.Add(rest)
			case "blocked":
				p.blocked <- rest
			}
		}
	}()
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("the replica process did not start within 30s")
	}
	return p
}

// Blocked waits until the replica's callback has started on the blocking
// message, and returns its id.
func (p *Process) Blocked(t testing.TB, within time.Duration) string {
	t.Helper()
	select {
	case id := <-p.blocked:
		return id
	case <-time.After(within):
		t.Fatalf("the replica did not start the blocking callback within %v", within)
		return ""
	}
}

// Kill ends the replica with SIGKILL, as a crash or an OOM kill would.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// Messages and Copies size the replica scenarios: every message is
// delivered Copies times at once.
const (
	Messages = 120
	Copies   = 5
)

// TestReplicas runs three in-process replicas, each a Handler with its own
// Deduplicator from newDedup (its own pool or client on the shared store),
// and delivers Messages messages Copies times each, concurrently, across
// them: every callback must run exactly once.
func TestReplicas(t *testing.T, newDedup func(t testing.TB, replica int) clerkwebhook.Deduplicator) {
	runs := &Runs{}
	urls := Replicas(t, 3, runs, newDedup)
	ds := Deliveries(t, Messages)
	out := DeliverAll(t, urls, ds, Copies, time.Minute)
	runs.ExactlyOnce(t, ds)
	t.Logf("%d messages x %d copies over 3 replicas: answers %v, transport errors %d", len(ds), Copies, out.Statuses, out.Failed)
}

// TestProcessReplicas is TestReplicas with the replicas as three separate
// OS processes (this test binary, started again; its TestMain must call
// ServeReplica), each given env to find the shared store.
func TestProcessReplicas(t *testing.T, env ...string) {
	runs := &Runs{}
	var urls []string
	for i := 0; i < 3; i++ {
		urls = append(urls, StartProcess(t, runs, "", env...).URL)
	}
	ds := Deliveries(t, Messages)
	out := DeliverAll(t, urls, ds, Copies, time.Minute)
	// A replica prints "ran" before its Handler answers 200, and the pipe
	// is read concurrently: wait for the last lines.
	waitForRuns(runs, ds, 5*time.Second)
	runs.ExactlyOnce(t, ds)
	t.Logf("%d messages x %d copies over 3 processes: answers %v, transport errors %d", len(ds), Copies, out.Statuses, out.Failed)
}

func waitForRuns(runs *Runs, ds []Delivery, within time.Duration) {
	stop := time.Now().Add(within)
	for time.Now().Before(stop) {
		all := true
		for _, d := range ds {
			if runs.Of(d.ID) == 0 {
				all = false
				break
			}
		}
		if all {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKilledReplica kills a replica process with SIGKILL in the middle of a
// callback: the message must be processed by another replica once the
// claim's lease ends, and only once. The replicas' store must be built with
// the given lease (pass it through env).
func TestKilledReplica(t *testing.T, lease time.Duration, env ...string) {
	runs := &Runs{}
	ds := Deliveries(t, 1)
	d := ds[0]
	victim := StartProcess(t, runs, d.ID, env...)
	survivor := StartProcess(t, runs, "", env...)
	client := &http.Client{Timeout: time.Minute}

	answered := make(chan int, 1)
	go func() { answered <- Post(client, victim.URL, d) }()
	if id := victim.Blocked(t, 30*time.Second); id != d.ID {
		t.Fatalf("blocked on %s, want %s", id, d.ID)
	}
	killedAt := time.Now()
	victim.Kill(t)
	if status := <-answered; status != 0 {
		t.Fatalf("the killed replica answered %d", status)
	}

	// Svix retries: within the lease the claim still holds the message.
	if status := Post(client, survivor.URL, d); status != http.StatusConflict {
		t.Fatalf("a retry within the lease got %d, want 409", status)
	}
	var took time.Duration
	for {
		status := Post(client, survivor.URL, d)
		if status == http.StatusOK {
			took = time.Since(killedAt)
			break
		}
		if status != http.StatusConflict {
			t.Fatalf("a retry got %d, want 409 until the lease ends, then 200", status)
		}
		if time.Since(killedAt) > lease+30*time.Second {
			t.Fatalf("the message was not taken over %v after the kill (lease %v)", time.Since(killedAt), lease)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if took < lease-time.Second {
		t.Fatalf("taken over %v after the kill, before the lease of %v ended", took, lease)
	}
	for i := 0; i < 3; i++ { // later retries are duplicates of a completed message
		if status := Post(client, survivor.URL, d); status != http.StatusOK {
			t.Fatalf("a duplicate after completion got %d", status)
		}
	}
	waitForRuns(runs, ds, 5*time.Second)
	runs.ExactlyOnce(t, ds)
	t.Logf("taken over %v after the kill, lease %v", took.Round(time.Millisecond), lease)
}

// BenchmarkHandler measures a Handler deduplicating with d: distinct
// user.created deliveries (signed beforehand by the reference library),
// served through ServeHTTP by 8 goroutines per CPU (a store is bound by its
// round trips, not by the CPU), without a network in between, and a
// callback that does nothing. It reports requests per second.
func BenchmarkHandler(b *testing.B, d clerkwebhook.Deduplicator) {
	v, err := clerkwebhook.NewVerifier(Secret)
	if err != nil {
		b.Fatal(err)
	}
	h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(d),
		clerkwebhook.WithObserver(func(_ *http.Request, d clerkwebhook.Delivery) {
			if d.Failed() {
				b.Error(errors.Join(d.Err, d.DedupErr))
			}
		}))
	h.On(clerkwebhook.UserCreated, func(context.Context, clerkwebhook.Event) error { return nil })
	ds := Deliveries(b, b.N)
	var next sync.Mutex
	i := 0
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			d := ds[i]
			i++
			next.Unlock()
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(d.Body))
			r.Header = d.Header
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// ErrorLog collects the errors of the deliveries a Handler observes
// (Delivery.Err and Delivery.DedupErr). Pass its Observe method to
// WithObserver; the zero ErrorLog is ready to use.
type ErrorLog struct {
	mu   sync.Mutex
	errs []error
}

// Observe records d's errors; it is an observer for WithObserver.
func (l *ErrorLog) Observe(_ *http.Request, d clerkwebhook.Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range []error{d.Err, d.DedupErr} {
		if err != nil {
			l.errs = append(l.errs, err)
		}
	}
}

// All returns the errors reported so far, in order.
func (l *ErrorLog) All() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// LongCallbacks is the overlapping-callback experiment, as a test: ids
// messages, each delivered three times (at once, after 1.2 leases and after
// 2.4 leases) to two replicas sharing the Deduplicator newDedup returns
// (made with the given lease), whose callback works for three leases. With
// a LeaseRenewer, the Handler keeps each claim alive, so each message takes
// effect once, and no two callbacks of a message overlap: the later
// deliveries are answered 409 while it runs, and a last delivery after all
// of them finds it done. It returns the number of
// effects (each message's callback that ran to its end).
func LongCallbacks(t *testing.T, ids int, lease time.Duration, newDedup func(t testing.TB, replica int) clerkwebhook.Deduplicator) int {
	t.Helper()
	runs, overlaps := &Runs{}, atomic.Int32{}
	var running sync.Map // message id -> struct{}: a callback of it is working
	work := func(ctx context.Context, e clerkwebhook.Event) error {
		if _, busy := running.LoadOrStore(e.ID, struct{}{}); busy {
			overlaps.Add(1)
		}
		defer running.Delete(e.ID)
		select {
		case <-time.After(3 * lease): // the callback's work
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		runs.Add(e.ID)
		return nil
	}
	v, err := clerkwebhook.NewVerifier(Secret)
	if err != nil {
		t.Fatal(err)
	}
	var urls [2]string
	for i := range urls {
		h := clerkwebhook.NewHandler(v, clerkwebhook.WithDeduplicator(newDedup(t, i)), clerkwebhook.WithoutLog())
		h.On(clerkwebhook.UserCreated, work)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}
	ds := Deliveries(t, ids)
	client := &http.Client{Timeout: 10 * lease}
	var wg sync.WaitGroup
	statuses := make([][3]int, len(ds))
	for i, d := range ds {
		for n, at := range []time.Duration{0, lease * 12 / 10, lease * 24 / 10} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(at) // Svix's next attempt
				statuses[i][n] = Post(client, urls[n%2], d)
			}()
		}
	}
	wg.Wait()
	for i, d := range ds {
		if got := Post(client, urls[i%2], d); got != http.StatusOK {
			t.Errorf("message %s: the last delivery was answered %d, want 200 (done)", d.ID, got)
		}
		if statuses[i][0] != http.StatusOK {
			t.Errorf("message %s: the first delivery was answered %d, want 200", d.ID, statuses[i][0])
		}
		// A later delivery finds the message in progress (409), or, when
		// it arrived late on a loaded machine, done (200, a duplicate). A
		// takeover would also answer 200, after running the callback again:
		// the effects and overlaps below catch that.
		for n := 1; n < 3; n++ {
			if st := statuses[i][n]; st != http.StatusConflict && st != http.StatusOK {
				t.Errorf("message %s: delivery %d was answered %d, want 409 or 200", d.ID, n+1, st)
			}
		}
	}
	if n := overlaps.Load(); n > 0 {
		t.Errorf("%d callbacks ran while another of the same message did", n)
	}
	effects := 0
	for _, d := range ds {
		effects += runs.Of(d.ID)
	}
	if effects != len(ds) {
		t.Errorf("%d effects for %d messages, want one each", effects, len(ds))
	}
	return effects
}
