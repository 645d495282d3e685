package clerksync

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// installTombstoneLog makes the database record every user that becomes a
// tombstone, in the table tombstone_log, whatever makes it one: a test can
// then tell that a user was never deleted, not only that it is live now.
func installTombstoneLog(t *testing.T, db *testDB) {
	t.Helper()
	script := `CREATE TABLE tombstone_log (id TEXT NOT NULL);
CREATE TRIGGER users_tombstoned AFTER UPDATE OF deleted_at ON users
	WHEN NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL
	BEGIN INSERT INTO tombstone_log (id) VALUES (NEW.id); END;
CREATE TRIGGER users_inserted_tombstone AFTER INSERT ON users
	WHEN NEW.deleted_at IS NOT NULL
	BEGIN INSERT INTO tombstone_log (id) VALUES (NEW.id); END;`
	if db.dialect == PostgreSQL {
		script = `CREATE TABLE tombstone_log (id text NOT NULL);
CREATE FUNCTION log_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.deleted_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.deleted_at IS NULL) THEN
		INSERT INTO tombstone_log (id) VALUES (NEW.id);
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER users_tombstoned AFTER INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION log_tombstone();`
	}
	_, err := db.Exec(script)
	require.NoError(t, err)
}

func tombstoneLog(t *testing.T, db *testDB) map[string]bool {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM tombstone_log`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		out[id] = true
	}
	require.NoError(t, rows.Err())
	return out
}

// While a reconcile pages through the lists, Clerk changes: before every
// page, three of the oldest users are deleted and three users older than
// all are created (each shifting the listing by created_at), before the
// third page of users 150 of the oldest are deleted (more than the pages
// overlap), and a few other changes are made; their webhooks are
// delivered meanwhile by four concurrent senders. No user that was live
// throughout is ever deleted from the mirror (the database logs every
// tombstone), or left out of the listing, and a second reconcile, once
// Clerk is still, gives exactly Clerk's state.
func TestReconcileUnderChurn(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
		srv := newFake(t)
		srv.Generate(5, 2500, 60, 10)
		db := newDB(t)
		installTombstoneLog(t, db)
		m := newMirror(t, db, srv)
		w := newWebhooks(t, m)
		ctx := context.Background()
		_, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)

		// Changes whose webhooks never arrive: deletions for the
		// reconcile to confirm.
		c := newChanger(srv, 5)
		for range 150 {
			c.step()
		}
		c.take()
		liveAtStart := map[string]bool{}
		for _, u := range srv.Users() {
			liveAtStart[u.ID] = true
		}
		before := len(srv.Requests())

		events := make(chan []byte, 100000)
		var deliveryErrs []error
		var mu sync.Mutex
		var senders sync.WaitGroup
		for range 4 {
			senders.Go(func() {
				for body := range events {
					if err := w.deliver(ctx, body); err != nil {
						mu.Lock()
						deliveryErrs = append(deliveryErrs, err)
						mu.Unlock()
					}
				}
			})
		}
		pages, userPages := 0, 0
		srv.BeforePage(func(p fakeclerk.Page) {
			mu.Lock()
			pages++
			if p.Path == "/v1/users" {
				userPages++
			}
			third := p.Path == "/v1/users" && userPages == 3
			mu.Unlock()
			if third {
				// More deletions before the offset than the pages
				// overlap: the listing must step back.
				c.lowOffsetDeletions(3 * pageOverlap)
			}
			c.lowOffsetChurn(3)
			for range 3 {
				c.step()
			}
			for _, e := range c.take() {
				events <- e
			}
		})
		sum, err := m.Reconcile(ctx, nil)
		srv.BeforePage(nil)
		close(events)
		senders.Wait()
		require.NoError(t, err)
		require.Empty(t, deliveryErrs)

		liveThroughout := map[string]bool{}
		for _, u := range srv.Users() {
			if liveAtStart[u.ID] {
				liveThroughout[u.ID] = true
			}
		}
		logged := tombstoneLog(t, db)
		for id := range logged {
			if liveThroughout[id] {
				t.Errorf("user %s, live in Clerk throughout, was deleted from the mirror", id)
			}
		}
		require.NotEmpty(t, logged, "no user was deleted: the test tests nothing")
		// The listing missed no user live throughout: the users it
		// left out, and the reconcile asked about, were created during
		// it. And it stepped back when the anchors had gone.
		gotLive, stepsBack, lastOffset := 0, 0, -1
		for _, r := range srv.Requests()[before:] {
			switch r.Route {
			case "GET /v1/users/{user_id}":
				if r.Status == http.StatusOK {
					gotLive++
					assert.False(t, liveThroughout[r.Path[len("/v1/users/"):]], "the listing missed %s, live throughout", r.Path)
				}
			case "GET /v1/users":
				offset, _ := strconv.Atoi(r.Query.Get("offset"))
				if offset < lastOffset {
					stepsBack++
				}
				lastOffset = offset
			}
		}
		assert.Positive(t, stepsBack, "the listing never stepped back")
		t.Logf("%d pages under churn; %d users live throughout, %d tombstones logged; %d users created during the listing confirmed by a get; the users' listing stepped back %d times; users %+v, memberships %+v; %d requests",
			pages, len(liveThroughout), len(logged), gotLive, stepsBack, sum.Users, sum.Memberships, sum.Requests)

		again, err := m.Reconcile(ctx, nil)
		require.NoError(t, err)
		requireMirrorsClerk(t, db, srv)
		for id := range tombstoneLog(t, db) {
			assert.False(t, liveThroughout[id], "user %s deleted by the second reconcile", id)
		}
		t.Logf("second reconcile: users %+v, organizations %+v, memberships %+v; %d requests", again.Users, again.Organizations, again.Memberships, again.Requests)
	})
}

// A listing read before a user's deletion never brings the user back: here
// the second page of users is read, then, before the mirror stores it, a
// user on it is deleted and another updated, and their webhooks applied. The
// page's versions of both are stale; the mirror keeps the tombstone and the
// newer version. On an empty mirror, the deletion's tombstone is the first
// the mirror knows of the user.
func TestStaleListingNeverResurrects(t *testing.T) {
	t.Parallel()
	for _, baseline := range []bool{false, true} {
		name := map[bool]string{false: "empty mirror", true: "after a reconcile"}[baseline]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachDatabase(t, func(t *testing.T, newDB func(*testing.T) *testDB) {
				srv := newFake(t)
				srv.Generate(6, 1200, 0, 0)
				db := newDB(t)
				installTombstoneLog(t, db)
				rec := newRecorder()
				m := newMirror(t, db, srv, WithTransport(rec))
				w := newWebhooks(t, m)
				ctx := context.Background()
				if baseline {
					_, err := m.Reconcile(ctx, nil)
					require.NoError(t, err)
				}
				var victim, updated string
				pages := 0
				rec.setRewrite(func(req *http.Request, body []byte) []byte {
					if req.URL.Path != "/v1/users" {
						return body
					}
					if pages++; pages != 2 {
						return body
					}
					var page []struct {
						ID string `json:"id"`
					}
					require.NoError(t, json.Unmarshal(body, &page))
					// Past the records it shares with the first page.
					victim, updated = page[pageOverlap+10].ID, page[pageOverlap+11].ID
					srv.DeleteUser(victim)
					require.NoError(t, w.deliver(ctx, srv.Event("user.deleted", victim)))
					u, _ := srv.User(updated)
					u.LastName = "Newer"
					srv.PutUser(u)
					require.NoError(t, w.deliver(ctx, srv.Event("user.updated", updated)))
					return body
				})
				sum, err := m.Reconcile(ctx, nil)
				require.NoError(t, err)
				require.NotEmpty(t, victim)
				requireMirrorsClerk(t, db, srv)
				rows := readMirror(t, db, "users")
				assert.True(t, rows[victim].deleted, "the deleted user is live again")
				assert.Equal(t, "Newer", rows[updated].fields["last_name"])
				assert.EqualValues(t, 2, sum.Users.Stale)
				assert.Equal(t, map[string]bool{victim: true}, tombstoneLog(t, db))
			})
		})
	}
}
