package clerksync

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
	"github.com/seed77920f6a/clerkwebhook/internal/storetest"
)

// What the tests share: a fresh database on each engine, a Mirror on it
// talking to a fakeclerk server through the real SDK, webhook events
// delivered through a clerkwebhook.Handler, and a comparison of the mirror
// with the fake's state.

const envPostgres = "CLERKWEBHOOK_TEST_POSTGRES"

// secret signs the tests' webhook events. It is a test value.
var secret = clerkwebhooktest.NewSecret()

// A testDB is a new, empty database with the mirror's tables.
type testDB struct {
	*sql.DB
	dialect Dialect
	dsn     string // sqlite:FILE or the postgres:// URL, as the command's --db
}

// eachDatabase runs test once per engine, as subtests "sqlite" and
// "postgres", at the same time; newDB returns a new database each call. The
// PostgreSQL subtest needs scripts/with-services.
func eachDatabase(t *testing.T, test func(t *testing.T, newDB func(t *testing.T) *testDB)) {
	t.Helper()
	var both sync.WaitGroup
	both.Go(func() { t.Run("sqlite", func(t *testing.T) { test(t, newSQLite) }) })
	both.Go(func() {
		t.Run("postgres", func(t *testing.T) {
			storetest.Service(t, envPostgres)
			test(t, newPostgres)
		})
	})
	both.Wait()
}

// sqliteParams are those a Mirror's SQLite file needs (see New), and
// _synchronous=NORMAL: commits synced at checkpoints only, which tests can
// afford.
const sqliteParams = "_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_synchronous=NORMAL"

func newSQLite(t *testing.T) *testDB {
	t.Helper()
	file := filepath.Join(t.TempDir(), "mirror.db")
	db, err := sql.Open("sqlite", "file:"+file+"?"+sqliteParams)
	require.NoError(t, err)
	db.SetMaxOpenConns(1) // as the command: one connection, which River shares in serve
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, Migrate(context.Background(), db, SQLite))
	return &testDB{DB: db, dialect: SQLite, dsn: "sqlite:" + file}
}

var schemas atomic.Int64

// newPostgres returns a new schema on the test server, first on the
// connection's search_path, dropped when the test ends.
func newPostgres(t *testing.T) *testDB {
	t.Helper()
	base := storetest.Service(t, envPostgres)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer conn.Close(ctx)
	schema := fmt.Sprintf("clerksync_test_%x_%d", time.Now().UnixNano(), schemas.Add(1))
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	require.NoError(t, err)
	db.SetMaxOpenConns(10)
	t.Cleanup(func() {
		_ = db.Close()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	require.NoError(t, Migrate(ctx, db, PostgreSQL))
	return &testDB{DB: db, dialect: PostgreSQL, dsn: u.String()}
}

// newFake starts a fakeclerk server, closed when the test ends.
func newFake(t *testing.T, opts ...fakeclerk.Option) *fakeclerk.Server {
	t.Helper()
	srv := fakeclerk.New(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// fastRate is the tests' pace: the fake has no limit unless a test sets
// one, and the default pace would make a test of thousands of records
// wait for minutes.
var fastRate = WithRequestRate(10000, time.Second)

// newMirror returns a Mirror on db with the fake's URL and key, at
// fastRate, and opts.
func newMirror(t *testing.T, db *testDB, srv *fakeclerk.Server, opts ...Option) *Mirror {
	t.Helper()
	all := []Option{fastRate}
	if srv != nil {
		all = append(all, WithAPIURL(srv.URL()), WithSecretKey(srv.Key()))
	}
	m, err := New(db.DB, db.dialect, append(all, opts...)...)
	require.NoError(t, err)
	return m
}

// A webhooks delivers webhook events to a Mirror as clerkwebhook's Handler
// does: verified, then dispatched to the callback Register made.
type webhooks struct {
	v *clerkwebhook.Verifier
	h *clerkwebhook.Handler
	n atomic.Int64
}

func newWebhooks(t *testing.T, m *Mirror) *webhooks {
	t.Helper()
	v, err := clerkwebhook.NewVerifier(secret)
	require.NoError(t, err)
	h := clerkwebhook.NewHandler(v)
	m.Register(h)
	return &webhooks{v: v, h: h}
}

// deliver verifies and applies one event body, as a delivery of a new
// message.
func (w *webhooks) deliver(ctx context.Context, body []byte) error {
	id := fmt.Sprintf("msg_test_%d", w.n.Add(1))
	e, err := w.v.Verify(body, clerkwebhooktest.Sign(secret, id, time.Now(), body))
	if err != nil {
		return err
	}
	return w.h.Dispatch(ctx, e)
}

// A mirrorRow is a row of the mirror, as the comparison reads it.
type mirrorRow struct {
	fields  map[string]any // the columns the comparison checks
	deleted bool
}

// readMirror returns every row of table, by id.
func readMirror(t *testing.T, db *testDB, table string) map[string]mirrorRow {
	t.Helper()
	var cols []string
	switch table {
	case "users":
		cols = []string{"email", "first_name", "last_name", "public_metadata", "created_at", "updated_at", "image_url"}
	case "organizations":
		cols = []string{"name", "slug", "public_metadata", "created_at", "updated_at"}
	case "organization_memberships":
		cols = []string{"organization_id", "user_id", "role", "created_at", "updated_at"}
	}
	rows, err := db.Query(`SELECT id, deleted_at IS NOT NULL, ` + strings.Join(cols, ", ") + ` FROM ` + table)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]mirrorRow{}
	for rows.Next() {
		var id string
		var deleted bool
		vals := make([]any, len(cols))
		ptrs := []any{&id, &deleted}
		for i := range vals {
			ptrs = append(ptrs, &vals[i])
		}
		require.NoError(t, rows.Scan(ptrs...))
		r := mirrorRow{fields: map[string]any{}, deleted: deleted}
		for i, c := range cols {
			v := vals[i]
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if c == "public_metadata" && v != nil {
				v = normalizeJSON(t, v.(string))
			}
			if n, ok := v.(int32); ok {
				v = int64(n)
			}
			r.fields[c] = v
		}
		out[id] = r
	}
	require.NoError(t, rows.Err())
	return out
}

func normalizeJSON(t *testing.T, s string) string {
	t.Helper()
	if s == "" {
		s = "{}"
	}
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v), "JSON %q", s)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func metadataJSON(t *testing.T, raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return "{}"
	}
	return normalizeJSON(t, string(raw))
}

// differences compares the mirror in db with the fake's state and returns
// each difference, one sentence each: a record live in one and not the
// other, a field that differs, a row deleted in Clerk but live in the
// mirror.
func differences(t *testing.T, db *testDB, srv *fakeclerk.Server) []string {
	t.Helper()
	var out []string
	compare := func(kind string, have map[string]mirrorRow, want map[string]map[string]any) {
		for id, w := range want {
			h, ok := have[id]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s %s is live in Clerk, not in the mirror", kind, id))
			case h.deleted:
				out = append(out, fmt.Sprintf("%s %s is live in Clerk, deleted in the mirror", kind, id))
			default:
				for k, v := range w {
					if k == "image_url" {
						if h.fields[k] == nil {
							out = append(out, fmt.Sprintf("%s %s has no image_url", kind, id))
						}
						continue
					}
					if fmt.Sprint(h.fields[k]) != fmt.Sprint(v) {
						out = append(out, fmt.Sprintf("%s %s: %s is %v in the mirror, %v in Clerk", kind, id, k, h.fields[k], v))
					}
				}
			}
		}
		for id, h := range have {
			if _, ok := want[id]; !ok && !h.deleted {
				out = append(out, fmt.Sprintf("%s %s is live in the mirror, not in Clerk", kind, id))
			}
		}
	}
	users := map[string]map[string]any{}
	for _, u := range srv.Users() {
		users[u.ID] = map[string]any{"email": orNil(u.EmailAddress), "first_name": orNil(u.FirstName), "last_name": orNil(u.LastName),
			"public_metadata": metadataJSON(t, u.PublicMetadata), "created_at": u.CreatedAt, "updated_at": u.UpdatedAt, "image_url": true}
	}
	compare("user", readMirror(t, db, "users"), users)
	orgs := map[string]map[string]any{}
	for _, o := range srv.Organizations() {
		orgs[o.ID] = map[string]any{"name": o.Name, "slug": o.Slug, "public_metadata": metadataJSON(t, o.PublicMetadata),
			"created_at": o.CreatedAt, "updated_at": o.UpdatedAt}
	}
	compare("organization", readMirror(t, db, "organizations"), orgs)
	mems := map[string]map[string]any{}
	for _, m := range srv.Memberships() {
		mems[m.ID] = map[string]any{"organization_id": m.OrganizationID, "user_id": m.UserID, "role": m.Role,
			"created_at": m.CreatedAt, "updated_at": m.UpdatedAt}
	}
	compare("membership", readMirror(t, db, "organization_memberships"), mems)
	sort.Strings(out)
	return out
}

// requireMirrorsClerk fails the test, listing the first differences, unless
// the mirror holds exactly Clerk's state.
func requireMirrorsClerk(t *testing.T, db *testDB, srv *fakeclerk.Server) {
	t.Helper()
	diffs := differences(t, db, srv)
	if len(diffs) > 0 {
		t.Fatalf("the mirror differs from Clerk in %d ways; the first:\n%s", len(diffs), strings.Join(diffs[:min(len(diffs), 15)], "\n"))
	}
}

// countRows counts the live rows and the tombstones of a table.
func countRows(t *testing.T, db *testDB, table string) (live, tombstones int) {
	t.Helper()
	require.NoError(t, db.QueryRow(`SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NOT NULL) FROM `+table).
		Scan(&live, &tombstones))
	return live, tombstones
}

// statuses counts the fake's answers by status.
func statuses(srv *fakeclerk.Server) map[int]int {
	out := map[int]int{}
	for _, r := range srv.Requests() {
		out[r.Status]++
	}
	return out
}
