package clerksync

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/jackc/pgx/v5/pgconn"
)

// Reconcile.
//
// A run reads every user, every organization and each organization's
// memberships from the Backend API, and stores each record as one version
// under the order rule (store.go), marking the rows it read with the run's
// id (reconciled_run). After each kind's listing, the live rows the run did
// not read are ones Clerk may have deleted: each is deleted only when Clerk
// confirms it (a get answering 404; for a membership, its organization's
// membership list filtered by its user), and a confirmed deletion leaves a
// tombstone. Offset pagination shifts when records are created or deleted
// during the listing, so a live record can be missed by the listing; it is
// then read by the confirmation and kept.
//
// The run's state is in the database (clerksync_reconcile_runs): its phase,
// a cursor in it, its counts. Each page is stored in one transaction with
// the state, so a run stopped anywhere (killed, a database or API failure,
// a context's end) is resumed from its last page by the next Reconcile on
// the database. One run is active at a time per database: the process
// running it holds a lease on its row, renewed every few seconds; the next
// Reconcile takes over once the lease has expired.

// A Kind is a kind of record the mirror holds.
type Kind string

// The kinds, in the order a reconcile reads them.
const (
	Users         Kind = "users"
	Organizations Kind = "organizations"
	Memberships   Kind = "memberships"
)

// Counts are what a reconcile did with one kind of record.
type Counts struct {
	// Listed is how many records the listings returned (a record listed
	// twice, as offsets shift, counts twice).
	Listed int64 `json:"listed"`
	// Inserted, Updated, Unchanged and Stale classify the versions read
	// (listed, or read to confirm a row): new to the mirror, newer than
	// the mirror's, the mirror's own, or older than the mirror's or of a
	// record the mirror holds as deleted, which is left as it is.
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Stale     int64 `json:"stale"`
	// Deleted is how many live rows became tombstones: Clerk confirmed
	// that it no longer has them.
	Deleted int64 `json:"deleted"`
}

// A Summary is the outcome of a reconcile run.
type Summary struct {
	// Run is the run's id, in clerksync_reconcile_runs.
	Run int64
	// Resumed is true when this Reconcile took over a run that an earlier
	// one had started; the counts are those of the whole run.
	Resumed bool
	// Complete is true when the run finished.
	Complete bool

	Users, Organizations, Memberships Counts
	// Requests is how many requests the run sent to the Backend API,
	// retries included (and LookupUser's, if any were made meanwhile by
	// the same Mirror).
	Requests int64
}

// A Phase is what a reconcile is doing with a kind.
type Phase string

// The phases of each kind.
const (
	// Listing: paging through Clerk's list.
	Listing Phase = "listing"
	// Confirming: asking Clerk about the live rows the listing did not
	// return.
	Confirming Phase = "confirming"
)

// Progress is what a reconcile reports after each page and confirmation.
type Progress struct {
	Kind  Kind
	Phase Phase
	// Seen is how many records this run has listed (Listing) or rows it
	// has asked Clerk about (Confirming) for the kind so far.
	Seen int64
	// Total is Clerk's count of the kind when the listing began (for
	// memberships, the sum of the organizations' members counts), 0 when
	// unknown; in Confirming, 0.
	Total int64
	// Rate is records (or rows) a second in this call's phase.
	Rate float64
	// Remaining is the estimated time left in the phase, -1 when unknown.
	Remaining time.Duration
}

// runStats is the state of a run that its row's stats column keeps.
type runStats struct {
	Users         Counts `json:"users"`
	Organizations Counts `json:"organizations"`
	Memberships   Counts `json:"memberships"`
	Requests      int64  `json:"requests"`
	// Totals for the progress: Clerk's counts when the listings began.
	UserTotal       int64 `json:"user_total"`
	OrgTotal        int64 `json:"org_total"`
	MembershipTotal int64 `json:"membership_total"`
	// Confirmed counts the rows asked about, per kind.
	UsersConfirmed       int64 `json:"users_confirmed"`
	OrgsConfirmed        int64 `json:"orgs_confirmed"`
	MembershipsConfirmed int64 `json:"memberships_confirmed"`
}

// The phases of a run, in order, as its row records them.
const (
	phaseUsers            = "users"
	phaseUsersSweep       = "users_sweep"
	phaseOrgs             = "organizations"
	phaseOrgsSweep        = "organizations_sweep"
	phaseMemberships      = "memberships"
	phaseMembershipsSweep = "memberships_sweep"
	phaseDone             = "done"
)

const (
	// leaseTTL is how long a run's lease lasts without renewal: how long a
	// killed reconcile keeps the next one waiting.
	leaseTTL = 20 * time.Second
	// maxResumeAge: a run started longer ago is abandoned, not resumed,
	// so that a reconcile never ends on a listing a day old.
	maxResumeAge = 24 * time.Hour
	// confirmBatch is how many rows a confirmation step reads at once,
	// and how many users one filtered membership list asks about (Clerk
	// accepts up to 100 user_id values).
	confirmBatch = 100
)

var errLeaseLost = errors.New("clerksync: the reconcile lost its lease on the run (another process took it over)")

// Reconcile makes the mirror match Clerk: it lists every user, every
// organization and each organization's memberships through the Backend
// API and stores each record as a version under the order rule, so that a
// record read before a newer webhook never overwrites it and a deleted one
// never comes back; then it deletes, leaving a tombstone, each live row
// that the listings did not return and that Clerk confirms it no longer
// has. It is safe beside webhooks being applied, on the same database.
//
// progress, when not nil, is called after each page and each confirmation,
// from the calling goroutine.
//
// Reconcile returns ErrNoSecretKey without a secret key, and
// ErrReconcileRunning at once when another reconcile holds this database's
// lease. A failure returns the Summary so far and an error: an *APIError
// (ErrUnauthorized, ErrUnavailable, ErrMalformedResponse), a database
// error, or the context's. Nothing is deleted on the strength of a failed
// or malformed answer, and the run is resumed where it stopped by the next
// Reconcile, in this process or another.
func (m *Mirror) Reconcile(ctx context.Context, progress func(Progress)) (Summary, error) {
	if m.api == nil {
		return Summary{}, ErrNoSecretKey
	}
	r, err := m.acquire(ctx)
	if err != nil {
		return Summary{}, err
	}
	r.progress = progress
	r.sentAtStart = m.api.t.sent.Load()
	r.requestsAtStart = r.stats.Requests

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	id, holder := r.id, r.holder
	go func() {
		defer close(renewed)
		m.keepLease(ctx, cancel, id, holder)
	}()
	err = r.work(ctx)
	cancel(nil)
	<-renewed
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, errLeaseLost) {
			err = cause
		}
		r.release()
		return r.summary(false), err
	}
	if err := r.finish(); err != nil {
		return r.summary(false), err
	}
	return r.summary(true), nil
}

// A ReconcileStatus is what the database records of the reconcile runs.
type ReconcileStatus struct {
	// LastCompleted is when the last complete run finished; zero if none
	// did.
	LastCompleted time.Time
	// Unfinished is true when a run is under way or was stopped before
	// its end (the next Reconcile resumes it).
	Unfinished bool
}

// ReconcileStatus reads the state of the reconcile runs, for a scheduler
// that reconciles when the last run is old enough.
func (m *Mirror) ReconcileStatus(ctx context.Context) (ReconcileStatus, error) {
	var last sql.NullInt64
	var unfinished int
	err := m.db.QueryRowContext(ctx, `SELECT
		(SELECT max(finished_at) FROM clerksync_reconcile_runs WHERE outcome = 'completed'),
		(SELECT count(*) FROM clerksync_reconcile_runs WHERE unfinished = 1)`).Scan(&last, &unfinished)
	if err != nil {
		return ReconcileStatus{}, fmt.Errorf("clerksync: reading the reconcile runs: %w", err)
	}
	s := ReconcileStatus{Unfinished: unfinished > 0}
	if last.Valid {
		s.LastCompleted = time.UnixMilli(last.Int64)
	}
	return s, nil
}

// A run is a reconcile run this process holds the lease of.
type run struct {
	m       *Mirror
	id      int64
	holder  string
	resumed bool
	phase   string
	cursor  string
	stats   runStats

	progress        func(Progress)
	sentAtStart     int64 // the transport's count when this call began
	requestsAtStart int64 // stats.Requests then
	phaseStart      time.Time
	phaseSeenStart  int64
}

// newHolder names this call as a lease holder: unique, and readable for
// whoever looks at the table.
func newHolder() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// acquire takes the lease of the unfinished run, or of a new one.
func (m *Mirror) acquire(ctx context.Context) (*run, error) {
	holder := newHolder()
	for attempt := 0; ; attempt++ {
		r, err := m.tryAcquire(ctx, holder)
		var pgErr *pgconn.PgError
		if err != nil && attempt < 3 && (errors.As(err, &pgErr) && pgErr.Code == "23505" || strings.Contains(err.Error(), "UNIQUE constraint failed")) {
			continue // another process created a run at the same moment: look again
		}
		return r, err
	}
}

func (m *Mirror) tryAcquire(ctx context.Context, holder string) (*run, error) {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("clerksync: starting a reconcile: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	now := m.now().UnixMilli()
	r := &run{m: m, holder: holder}
	var startedAt int64
	var stats string
	var other sql.NullString
	var until sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT id, started_at, phase, cursor, stats, holder, lease_until
		FROM clerksync_reconcile_runs WHERE unfinished = 1`).Scan(&r.id, &startedAt, &r.phase, &r.cursor, &stats, &other, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("clerksync: starting a reconcile: %w", err)
	case other.Valid && until.Valid && until.Int64 > now:
		return nil, fmt.Errorf("%w (run %d, held by %s until %s)", ErrReconcileRunning, r.id, other.String,
			time.UnixMilli(until.Int64).UTC().Format(time.RFC3339))
	case startedAt < now-maxResumeAge.Milliseconds():
		if _, err := tx.ExecContext(ctx, `UPDATE clerksync_reconcile_runs
			SET finished_at = $1, outcome = 'abandoned', unfinished = NULL, holder = NULL, lease_until = NULL WHERE id = $2`, now, r.id); err != nil {
			return nil, fmt.Errorf("clerksync: abandoning reconcile run %d: %w", r.id, err)
		}
		err = sql.ErrNoRows
	default:
		res, err := tx.ExecContext(ctx, `UPDATE clerksync_reconcile_runs SET holder = $1, lease_until = $2
			WHERE id = $3 AND (holder IS NULL OR lease_until IS NULL OR lease_until <= $4)`, holder, now+m.leaseTTL.Milliseconds(), r.id, now)
		if err != nil {
			return nil, fmt.Errorf("clerksync: resuming reconcile run %d: %w", r.id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, fmt.Errorf("%w (run %d)", ErrReconcileRunning, r.id)
		}
		if err := json.Unmarshal([]byte(stats), &r.stats); err != nil {
			return nil, fmt.Errorf("clerksync: resuming reconcile run %d: its stats: %w", r.id, err)
		}
		r.resumed = true
	}
	if errors.Is(err, sql.ErrNoRows) {
		r.phase, r.cursor, r.stats = phaseUsers, "", runStats{}
		err = tx.QueryRowContext(ctx, `INSERT INTO clerksync_reconcile_runs
			(started_at, unfinished, phase, cursor, stats, holder, lease_until) VALUES ($1, 1, $2, '', '{}', $3, $4) RETURNING id`,
			now, r.phase, holder, now+m.leaseTTL.Milliseconds()).Scan(&r.id)
		if err != nil {
			return nil, fmt.Errorf("clerksync: starting a reconcile: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("clerksync: starting a reconcile: %w", err)
	}
	m.logger.Info("clerksync: reconcile", "run", r.id, "resumed", r.resumed, "phase", r.phase)
	return r, nil
}

// keepLease renews the lease of run id held by holder until ctx is done;
// losing it cancels ctx. (It runs beside the run's goroutine, and reads
// nothing of the run that changes.)
func (m *Mirror) keepLease(ctx context.Context, cancel context.CancelCauseFunc, id int64, holder string) {
	t := time.NewTicker(m.leaseTTL / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := m.db.ExecContext(ctx, `UPDATE clerksync_reconcile_runs SET lease_until = $1 WHERE id = $2 AND holder = $3`,
			m.now().Add(m.leaseTTL).UnixMilli(), id, holder)
		if err != nil {
			// The next renewal, or the next page's, may succeed; a page
			// is never stored without the lease (fence).
			m.logger.Warn("clerksync: renewing the reconcile lease", "run", id, "error", err)
			continue
		}
		if n, _ := res.RowsAffected(); n == 0 {
			cancel(errLeaseLost)
			return
		}
	}
}

// fence renews the lease inside tx, and fails if the run is no longer
// this call's: every transaction of a run begins with it, so that nothing
// is stored by a call that lost the lease. (Its write also takes SQLite's
// write lock first thing.)
func (r *run) fence(ctx context.Context, tx *sql.Tx) error {
	res, err := tx.ExecContext(ctx, `UPDATE clerksync_reconcile_runs SET lease_until = $1 WHERE id = $2 AND holder = $3`,
		r.m.now().Add(r.m.leaseTTL).UnixMilli(), r.id, r.holder)
	if err != nil {
		return fmt.Errorf("clerksync: reconcile run %d: %w", r.id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost
	}
	return nil
}

// save records the run's phase, cursor and stats in tx.
func (r *run) save(ctx context.Context, tx *sql.Tx) error {
	r.stats.Requests = r.requestsAtStart + r.m.api.t.sent.Load() - r.sentAtStart
	stats, err := json.Marshal(r.stats)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE clerksync_reconcile_runs SET phase = $1, cursor = $2, stats = $3 WHERE id = $4`,
		r.phase, r.cursor, string(stats), r.id); err != nil {
		return fmt.Errorf("clerksync: reconcile run %d: %w", r.id, err)
	}
	return nil
}

// step runs fn in a transaction that begins with the fence and ends with
// save: one page, or one confirmation, and the run's state after it.
// The state is changed in memory only once the transaction committed.
func (r *run) step(ctx context.Context, fn func(tx *sql.Tx, next *run) error) error {
	tx, err := r.m.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("clerksync: reconcile run %d: %w", r.id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := r.fence(ctx, tx); err != nil {
		return err
	}
	next := *r
	if err := fn(tx, &next); err != nil {
		return err
	}
	if err := next.save(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("clerksync: reconcile run %d: %w", r.id, err)
	}
	*r = next
	return nil
}

// release gives the lease up after a failure, so that the next Reconcile
// resumes the run at once.
func (r *run) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.m.db.ExecContext(ctx, `UPDATE clerksync_reconcile_runs SET holder = NULL, lease_until = NULL WHERE id = $1 AND holder = $2`,
		r.id, r.holder); err != nil {
		r.m.logger.Warn("clerksync: releasing the reconcile lease", "run", r.id, "error", err)
	}
}

// finish records the run as complete.
func (r *run) finish() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.stats.Requests = r.requestsAtStart + r.m.api.t.sent.Load() - r.sentAtStart
	stats, err := json.Marshal(r.stats)
	if err != nil {
		return err
	}
	res, err := r.m.db.ExecContext(ctx, `UPDATE clerksync_reconcile_runs
		SET finished_at = $1, outcome = 'completed', unfinished = NULL, phase = $2, cursor = '', stats = $3, holder = NULL, lease_until = NULL
		WHERE id = $4 AND holder = $5`, r.m.now().UnixMilli(), phaseDone, string(stats), r.id, r.holder)
	if err != nil {
		return fmt.Errorf("clerksync: reconcile run %d: %w", r.id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost
	}
	r.m.logger.Info("clerksync: reconcile complete", "run", r.id, "requests", r.stats.Requests)
	return nil
}

func (r *run) summary(complete bool) Summary {
	return Summary{Run: r.id, Resumed: r.resumed, Complete: complete, Users: r.stats.Users,
		Organizations: r.stats.Organizations, Memberships: r.stats.Memberships,
		Requests: r.requestsAtStart + r.m.api.t.sent.Load() - r.sentAtStart}
}

// work runs the phases from the run's.
func (r *run) work(ctx context.Context) error {
	for r.phase != phaseDone {
		var err error
		r.phaseStart, r.phaseSeenStart = time.Now(), r.seen()
		switch r.phase {
		case phaseUsers:
			err = r.listUsers(ctx)
		case phaseUsersSweep:
			err = r.sweep(ctx, Users)
		case phaseOrgs:
			err = r.listOrganizations(ctx)
		case phaseOrgsSweep:
			err = r.sweep(ctx, Organizations)
		case phaseMemberships:
			err = r.listMemberships(ctx)
		case phaseMembershipsSweep:
			err = r.sweepMemberships(ctx)
		default:
			return fmt.Errorf("clerksync: reconcile run %d is in an unknown phase %q", r.id, r.phase)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// seen is the progress count of the run's phase.
func (r *run) seen() int64 {
	switch r.phase {
	case phaseUsers:
		return r.stats.Users.Listed
	case phaseUsersSweep:
		return r.stats.UsersConfirmed
	case phaseOrgs:
		return r.stats.Organizations.Listed
	case phaseOrgsSweep:
		return r.stats.OrgsConfirmed
	case phaseMemberships:
		return r.stats.Memberships.Listed
	case phaseMembershipsSweep:
		return r.stats.MembershipsConfirmed
	}
	return 0
}

// report calls the progress function: seen of total in the phase under
// way.
func (r *run) report(kind Kind, phase Phase, seen, total int64) {
	if r.progress == nil {
		return
	}
	p := Progress{Kind: kind, Phase: phase, Seen: seen, Total: total, Remaining: -1}
	if elapsed := time.Since(r.phaseStart).Seconds(); elapsed > 0 {
		p.Rate = float64(p.Seen-r.phaseSeenStart) / elapsed
	}
	if p.Rate > 0 && total > 0 {
		p.Remaining = time.Duration(float64(max(total-p.Seen, 0)) / p.Rate * float64(time.Second))
	}
	r.progress(p)
}

// Paging. Offset pagination shifts under a client paging through a list:
// a record deleted before the client's offset moves every later one a
// place earlier, so the first record of the next page is never seen. Each
// page is therefore requested to overlap the previous one by pageOverlap
// records, and must hold one of them (an anchor): then nothing between
// the two pages was skipped. A page that holds none (more than
// pageOverlap records deleted before the offset between two requests, or
// the anchors themselves deleted) is read again from further back,
// doubling the step each time, down to offset 0 if need be. A record
// created before the offset moves the others a place later, and is read
// twice, which changes nothing. So a listing returns every record that
// exists from its start to its end; a record created or deleted during it
// may be missed, and its webhook (or the next reconcile) brings it.

// pageOverlap is how many records each page shares with the previous one.
const pageOverlap = 50

// A pageCursor is where a listing stands: the offset of the next request,
// and the ids that page must hold one of.
type pageCursor struct {
	Offset  int      `json:"offset"`
	Anchors []string `json:"anchors,omitempty"`
	Back    int      `json:"back,omitempty"` // the last step back, when the anchors were not found
}

func parseCursor(s string) pageCursor {
	var c pageCursor
	if s != "" {
		_ = json.Unmarshal([]byte(s), &c) // a cursor this package wrote
	}
	return c
}

func (c pageCursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// advance takes a page of ids read at c's offset from a list of total
// records (as counted when the listing began, or as the page says), and
// returns the indexes of the page's records not read before, the next
// cursor, and whether the listing is over.
func (c pageCursor) advance(ids []string, total int64) (fresh []int, next pageCursor, done bool) {
	found := false
	for _, id := range ids {
		found = found || slices.Contains(c.Anchors, id)
	}
	if len(c.Anchors) > 0 && !found && c.Offset > 0 {
		// Something may have been skipped: read again from further back.
		back := max(2*c.Back, pageOverlap)
		fresh = make([]int, len(ids))
		for i := range ids {
			fresh[i] = i
		}
		return fresh, pageCursor{Offset: max(c.Offset-back, 0), Anchors: c.Anchors, Back: back}, false
	}
	for i, id := range ids {
		if !slices.Contains(c.Anchors, id) {
			fresh = append(fresh, i)
		}
	}
	if lastPage(len(ids), c.Offset, total) {
		return fresh, pageCursor{}, true
	}
	overlap := min(pageOverlap, len(ids)/2)
	return fresh, pageCursor{Offset: c.Offset + len(ids) - overlap, Anchors: slices.Clone(ids[len(ids)-overlap:])}, false
}

// lastPage reports whether a page of n records at offset ends a listing
// of total records: an empty page, or a short one that reaches the total.
// A short page short of the total is not taken as the end.
func lastPage(n, offset int, total int64) bool {
	return n == 0 || n < pageSize && int64(offset+n) >= total
}

// A lister reads the page at offset: its records as versions, in the
// list's order, and the list's total (0 when the answer has none).
type lister func(ctx context.Context, offset int) (vs []version, total int64, err error)

// listPages pages through a list of kind from c, storing each page's new
// records in table, with save recording the run's state after each page,
// and reporting the progress towards total.
func (r *run) listPages(ctx context.Context, kind Kind, table string, c pageCursor, list lister,
	counts func(*runStats) *Counts, totalOf func(*runStats) int64, save func(next *run, c pageCursor, done bool, total int64, news []version)) error {
	for {
		vs, total, err := list(ctx, c.Offset)
		if err != nil {
			return err
		}
		ids := make([]string, len(vs))
		for i, v := range vs {
			ids[i] = v.key()
		}
		fresh, next, done := c.advance(ids, total)
		news := make([]version, len(fresh))
		for i, j := range fresh {
			news[i] = vs[j]
		}
		err = r.step(ctx, func(tx *sql.Tx, n *run) error {
			if err := r.m.applyVersions(ctx, tx, table, r.id, news, counts(&n.stats)); err != nil {
				return err
			}
			counts(&n.stats).Listed += int64(len(news))
			save(n, next, done, total, news)
			return nil
		})
		if err != nil {
			return err
		}
		r.report(kind, Listing, counts(&r.stats).Listed, totalOf(&r.stats))
		if done {
			return nil
		}
		c = next
	}
}

// listUsers pages through the users, oldest first, from the run's cursor.
func (r *run) listUsers(ctx context.Context) error {
	if r.cursor == "" {
		n, err := r.m.api.countUsers(ctx)
		if err != nil {
			return err
		}
		r.stats.UserTotal = n
	}
	list := func(ctx context.Context, offset int) ([]version, int64, error) {
		page, err := r.m.api.listUsers(ctx, offset)
		if err != nil {
			return nil, 0, err
		}
		vs := make([]version, 0, len(page))
		for _, u := range page {
			row, err := userFromAPI(u)
			if err != nil {
				return nil, 0, r.m.api.malformed("/users", "user %d of the page at offset %d: %v", len(vs), offset, err)
			}
			vs = append(vs, row)
		}
		return vs, r.stats.UserTotal, nil
	}
	return r.listPages(ctx, Users, "users", parseCursor(r.cursor), list,
		func(s *runStats) *Counts { return &s.Users },
		func(s *runStats) int64 { return s.UserTotal },
		func(n *run, c pageCursor, done bool, _ int64, _ []version) {
			n.cursor = c.String()
			if done {
				n.phase, n.cursor = phaseUsersSweep, ""
			}
		})
}

// listOrganizations pages through the organizations, oldest first, and
// adds up their members counts for the memberships' progress.
func (r *run) listOrganizations(ctx context.Context) error {
	members := map[string]int64{} // of the page being stored, by organization
	list := func(ctx context.Context, offset int) ([]version, int64, error) {
		page, err := r.m.api.listOrganizations(ctx, offset)
		if err != nil {
			return nil, 0, err
		}
		vs := make([]version, 0, len(page.Organizations))
		clear(members)
		for _, o := range page.Organizations {
			row, err := organizationFromAPI(o)
			if err != nil {
				return nil, 0, r.m.api.malformed("/organizations", "organization %d of the page at offset %d: %v", len(vs), offset, err)
			}
			vs = append(vs, row)
			if o.MembersCount != nil {
				members[o.ID] = *o.MembersCount
			}
		}
		return vs, page.TotalCount, nil
	}
	return r.listPages(ctx, Organizations, "organizations", parseCursor(r.cursor), list,
		func(s *runStats) *Counts { return &s.Organizations },
		func(s *runStats) int64 { return s.OrgTotal },
		func(n *run, c pageCursor, done bool, total int64, news []version) {
			n.cursor = c.String()
			n.stats.OrgTotal = total
			for _, v := range news {
				n.stats.MembershipTotal += members[v.key()]
			}
			if done {
				n.phase, n.cursor = phaseOrgsSweep, ""
			}
		})
}

// listMemberships pages through the memberships of each organization the
// run read and holds as live, by organization id, from the run's cursor
// (the last organization done).
func (r *run) listMemberships(ctx context.Context) error {
	for r.phase == phaseMemberships {
		orgs, err := r.m.selectIDs(ctx, `SELECT id FROM organizations
			WHERE deleted_at IS NULL AND reconciled_run = $1 AND id > $2 ORDER BY id LIMIT $3`, r.id, r.cursor, confirmBatch)
		if err != nil {
			return err
		}
		if len(orgs) == 0 {
			return r.step(ctx, func(_ *sql.Tx, next *run) error {
				next.phase, next.cursor = phaseMembershipsSweep, ""
				return nil
			})
		}
		for _, org := range orgs {
			if err := r.listMembershipsOf(ctx, org); err != nil {
				return err
			}
		}
	}
	return nil
}

// listMembershipsOf pages through an organization's memberships. An
// organization Clerk no longer has has none: they are confirmed in the
// sweep.
func (r *run) listMembershipsOf(ctx context.Context, org string) error {
	path := "/organizations/" + org + "/memberships"
	list := func(ctx context.Context, offset int) ([]version, int64, error) {
		page, ok, err := r.m.api.listMemberships(ctx, org, offset, nil)
		if err != nil || !ok {
			return nil, 0, err
		}
		vs := make([]version, 0, len(page.OrganizationMemberships))
		for _, mb := range page.OrganizationMemberships {
			row, err := membershipFromAPI(mb)
			if err == nil && row.OrganizationID != org {
				err = fmt.Errorf("it is of organization %s", row.OrganizationID)
			}
			if err != nil {
				return nil, 0, r.m.api.malformed(path, "membership %d of the page at offset %d: %v", len(vs), offset, err)
			}
			vs = append(vs, row)
		}
		return vs, page.TotalCount, nil
	}
	return r.listPages(ctx, Memberships, "organization_memberships", pageCursor{}, list,
		func(s *runStats) *Counts { return &s.Memberships },
		func(s *runStats) int64 { return s.MembershipTotal },
		func(n *run, _ pageCursor, done bool, _ int64, _ []version) {
			if done {
				n.cursor = org
			}
		})
}

// selectIDs runs a query of one text column and returns its values.
func (m *Mirror) selectIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := m.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("clerksync: reconcile: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("clerksync: reconcile: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clerksync: reconcile: %w", err)
	}
	return ids, nil
}

// sweep asks Clerk about each live user (or organization) the run did not
// read, by id from the run's cursor: a get that answers the record stores
// it as a version, one that answers 404 makes the row a tombstone.
func (r *run) sweep(ctx context.Context, kind Kind) error {
	table, next := "users", phaseOrgs
	counts := func(s *runStats) (*Counts, *int64) { return &s.Users, &s.UsersConfirmed }
	if kind == Organizations {
		table, next = "organizations", phaseMemberships
		counts = func(s *runStats) (*Counts, *int64) { return &s.Organizations, &s.OrgsConfirmed }
	}
	for {
		ids, err := r.m.selectIDs(ctx, `SELECT id FROM `+table+`
			WHERE deleted_at IS NULL AND (reconciled_run IS NULL OR reconciled_run <> $1) AND id > $2 ORDER BY id LIMIT $3`,
			r.id, r.cursor, confirmBatch)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return r.step(ctx, func(_ *sql.Tx, n *run) error {
				n.phase, n.cursor = next, ""
				return nil
			})
		}
		for _, id := range ids {
			var v version
			found := true
			if clerkID.MatchString(id) {
				if kind == Users {
					var u *clerk.User
					if u, found, err = r.m.api.getUser(ctx, id); err == nil && found {
						v, err = userFromAPI(u)
						if err != nil {
							err = r.m.api.malformed("/users/"+id, "%v", err)
						}
					}
				} else {
					var o *clerk.Organization
					if o, found, err = r.m.api.getOrganization(ctx, id); err == nil && found {
						v, err = organizationFromAPI(o)
						if err != nil {
							err = r.m.api.malformed("/organizations/"+id, "%v", err)
						}
					}
				}
				if err != nil {
					return err
				}
			} else {
				// No such id can be asked about: it is kept.
				r.m.logger.Warn("clerksync: reconcile: an id that is not Clerk's is kept unconfirmed", "table", table, "id", id)
			}
			err := r.step(ctx, func(tx *sql.Tx, n *run) error {
				c, confirmed := counts(&n.stats)
				*confirmed++
				n.cursor = id
				switch {
				case v != nil:
					return r.m.applyVersions(ctx, tx, table, r.id, []version{v}, c)
				case !found:
					deleted, err := r.m.tombstone(ctx, tx, table, id)
					if deleted {
						c.Deleted++
					}
					return err
				}
				return nil
			})
			if err != nil {
				return err
			}
			_, confirmed := counts(&r.stats)
			r.report(kind, Confirming, *confirmed, 0)
		}
	}
}

// pendingMembership is a live membership row a run did not read.
type pendingMembership struct {
	id, org, user       string
	orgGone, userGone   bool
	orgKnown, userKnown bool
}

// sweepMemberships asks Clerk about each live membership the run did not
// read, by organization: a membership of an organization or a user that
// the mirror holds as deleted is gone with it (Clerk deletes them
// together); the others are looked for in their organization's membership
// list, filtered by their users, up to 100 at a time. One missing from the
// answer, or whose organization Clerk no longer has, is gone.
func (r *run) sweepMemberships(ctx context.Context) error {
	for {
		org, id, _ := strings.Cut(r.cursor, "\x1f")
		pending, err := r.m.pendingMemberships(ctx, r.id, org, id)
		if err != nil {
			return err
		}
		if len(pending) == 0 {
			return r.step(ctx, func(_ *sql.Tx, n *run) error {
				n.phase, n.cursor = phaseDone, ""
				return nil
			})
		}
		// One organization at a time: the rows of the batch's first.
		group := pending[:1]
		for _, p := range pending[1:] {
			if p.org != group[0].org {
				break
			}
			group = pending[:len(group)+1]
		}
		if err := r.confirmMemberships(ctx, group); err != nil {
			return err
		}
	}
}

func (m *Mirror) pendingMemberships(ctx context.Context, run int64, afterOrg, afterID string) ([]pendingMembership, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT m.id, m.organization_id, m.user_id,
			o.id IS NOT NULL, o.deleted_at IS NOT NULL, u.id IS NOT NULL, u.deleted_at IS NOT NULL
		FROM organization_memberships m
			LEFT JOIN organizations o ON o.id = m.organization_id
			LEFT JOIN users u ON u.id = m.user_id
		WHERE m.deleted_at IS NULL AND (m.reconciled_run IS NULL OR m.reconciled_run <> $1)
			AND (m.organization_id > $2 OR (m.organization_id = $2 AND m.id > $3))
		ORDER BY m.organization_id, m.id LIMIT $4`, run, afterOrg, afterID, confirmBatch)
	if err != nil {
		return nil, fmt.Errorf("clerksync: reconcile: %w", err)
	}
	defer rows.Close()
	var out []pendingMembership
	for rows.Next() {
		var p pendingMembership
		if err := rows.Scan(&p.id, &p.org, &p.user, &p.orgKnown, &p.orgGone, &p.userKnown, &p.userGone); err != nil {
			return nil, fmt.Errorf("clerksync: reconcile: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clerksync: reconcile: %w", err)
	}
	return out, nil
}

// confirmMemberships confirms a group of pending memberships of one
// organization, and moves the cursor past them.
func (r *run) confirmMemberships(ctx context.Context, group []pendingMembership) error {
	org := group[0].org
	gone := map[string]bool{} // membership id → deleted
	var ask []pendingMembership
	for _, p := range group {
		switch {
		case p.orgGone || p.userGone:
			gone[p.id] = true
		case !clerkID.MatchString(p.org) || !clerkID.MatchString(p.user):
			r.m.logger.Warn("clerksync: reconcile: a membership whose ids are not Clerk's is kept unconfirmed", "id", p.id)
		default:
			ask = append(ask, p)
		}
	}
	var live []version
	orgMissing := false
	if len(ask) > 0 {
		users := make([]string, 0, len(ask))
		for _, p := range ask {
			if !slices.Contains(users, p.user) {
				users = append(users, p.user)
			}
		}
		path := "/organizations/" + org + "/memberships"
		list, ok, err := r.m.api.listMemberships(ctx, org, 0, users)
		if err != nil {
			return err
		}
		found := map[string]bool{}
		if ok {
			if list.TotalCount > int64(len(list.OrganizationMemberships)) {
				return r.m.api.malformed(path, "the list filtered by %d users has %d memberships, more than it returned", len(users), list.TotalCount)
			}
			for _, mb := range list.OrganizationMemberships {
				row, err := membershipFromAPI(mb)
				if err == nil && (row.OrganizationID != org || !slices.Contains(users, row.UserID)) {
					err = fmt.Errorf("membership %s of organization %s and user %s is not one the filter asked for", row.ID, row.OrganizationID, row.UserID)
				}
				if err != nil {
					return r.m.api.malformed(path, "%v", err)
				}
				found[row.ID] = true
				live = append(live, row)
			}
		} else {
			orgMissing = true
		}
		for _, p := range ask {
			if !found[p.id] {
				gone[p.id] = true
			}
		}
	}
	// The organization's own row, when Clerk answered that it does not
	// have it: confirmed with a get, as any organization.
	var orgGone bool
	if orgMissing {
		_, found, err := r.m.api.getOrganization(ctx, org)
		if err != nil {
			return err
		}
		orgGone = !found
	}
	last := group[len(group)-1]
	err := r.step(ctx, func(tx *sql.Tx, n *run) error {
		n.stats.MembershipsConfirmed += int64(len(group))
		n.cursor = last.org + "\x1f" + last.id
		if err := r.m.applyVersions(ctx, tx, "organization_memberships", r.id, live, &n.stats.Memberships); err != nil {
			return err
		}
		for _, p := range group {
			if !gone[p.id] {
				continue
			}
			deleted, err := r.m.tombstone(ctx, tx, "organization_memberships", p.id)
			if err != nil {
				return err
			}
			if deleted {
				n.stats.Memberships.Deleted++
			}
		}
		if orgGone {
			deleted, err := r.m.tombstone(ctx, tx, "organizations", org)
			if err != nil {
				return err
			}
			if deleted {
				n.stats.Organizations.Deleted++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.report(Memberships, Confirming, r.stats.MembershipsConfirmed, 0)
	return nil
}

// applyVersions stores versions read from the API in tx, counts each as
// inserted, updated, unchanged or stale, and marks every row read as read
// by the run.
func (m *Mirror) applyVersions(ctx context.Context, tx *sql.Tx, table string, run int64, vs []version, c *Counts) error {
	if len(vs) == 0 {
		return nil
	}
	ids := make([]any, len(vs))
	for i, v := range vs {
		ids[i] = v.key()
	}
	type stored struct{ updatedAt, deletedAt sql.NullInt64 }
	have := make(map[string]stored, len(vs))
	rows, err := tx.QueryContext(ctx, `SELECT id, updated_at, deleted_at FROM `+table+` WHERE id IN (`+placeholders(1, len(ids))+`)`, ids...)
	if err != nil {
		return fmt.Errorf("clerksync: reconcile: reading %s: %w", table, err)
	}
	for rows.Next() {
		var id string
		var s stored
		if err := rows.Scan(&id, &s.updatedAt, &s.deletedAt); err != nil {
			rows.Close()
			return fmt.Errorf("clerksync: reconcile: reading %s: %w", table, err)
		}
		have[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("clerksync: reconcile: reading %s: %w", table, err)
	}
	for _, v := range vs {
		s, ok := have[v.key()]
		switch {
		case !ok:
			c.Inserted++
		case s.deletedAt.Valid || (s.updatedAt.Valid && s.updatedAt.Int64 > v.stamp()):
			c.Stale++
			continue
		case s.updatedAt.Valid && s.updatedAt.Int64 == v.stamp():
			c.Unchanged++
			continue
		default:
			c.Updated++
		}
		if err := v.put(ctx, tx, fromAPI); err != nil {
			return err
		}
		have[v.key()] = stored{updatedAt: sql.NullInt64{Int64: v.stamp(), Valid: true}}
	}
	args := append([]any{run}, ids...)
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET reconciled_run = $1 WHERE id IN (`+placeholders(2, len(ids))+`)`, args...); err != nil {
		return fmt.Errorf("clerksync: reconcile: marking %s: %w", table, err)
	}
	return nil
}

// placeholders returns "$from, $from+1, …", n of them.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// tombstoneSQL makes a live row of each table a tombstone, erasing what a
// deleted stub would not carry, stamped when Clerk confirmed the deletion
// ($2, now) or just after the row's version if that is later (another
// clock's), so that the order rule holds the deletion as the newest
// version.
var tombstoneSQL = map[string]string{
	"users": `UPDATE users SET email = NULL, first_name = NULL, last_name = NULL, image_url = NULL, public_metadata = NULL,
		created_at = NULL, updated_at = NULL, deleted_at = ` + tombstoneStamp + ` WHERE id = $1 AND deleted_at IS NULL`,
	"organizations": `UPDATE organizations SET name = NULL, image_url = NULL, public_metadata = NULL,
		created_at = NULL, updated_at = NULL, deleted_at = ` + tombstoneStamp + ` WHERE id = $1 AND deleted_at IS NULL`,
	"organization_memberships": `UPDATE organization_memberships SET deleted_at = ` + tombstoneStamp + ` WHERE id = $1 AND deleted_at IS NULL`,
}

const tombstoneStamp = `CASE WHEN updated_at IS NOT NULL AND updated_at >= $2 THEN updated_at + 1 ELSE $2 END`

// tombstone makes the live row with id a tombstone, and reports whether
// there was one.
func (m *Mirror) tombstone(ctx context.Context, tx *sql.Tx, table, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, tombstoneSQL[table], id, m.now().UnixMilli())
	if err != nil {
		return false, fmt.Errorf("clerksync: reconcile: deleting %s %s: %w", table, id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
