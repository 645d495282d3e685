package clerksync

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Fetch-on-miss: the first request of a user who just signed up may arrive
// before the user.created webhook. LookupUser then asks Clerk.

const (
	// missingTTL is how long an id Clerk answered 404 for is answered
	// ErrNotFound without asking again.
	missingTTL = time.Minute
	// fetchTimeout bounds a lookup's request to the API (its retries
	// included), whoever is waiting for it.
	fetchTimeout = 30 * time.Second
	// maxMissing is the size at which the negative cache drops expired
	// entries. At the default pace, at most about 480 ids a minute can be
	// added, so it stays near this size.
	maxMissing = 1024
)

// lookups holds the fetches under way (one per id) and the ids Clerk does
// not know.
type lookups struct {
	mu       sync.Mutex
	inflight map[string]*fetch
	missing  map[string]time.Time // id → when Clerk answered 404
}

// A fetch is one request for a user, shared by every lookup of its id
// while it runs.
type fetch struct {
	done    chan struct{}
	waiters int // lookups waiting for it, for tests
	user    *User
	err     error
}

func newLookups() *lookups {
	return &lookups{inflight: map[string]*fetch{}, missing: map[string]time.Time{}}
}

// LookupUser returns the user with id, asking Clerk when the mirror never
// saw it. In order:
//
//   - a user the mirror holds is returned, and a user it holds as deleted is
//     ErrDeleted, without asking Clerk;
//   - without a secret key, an id the mirror never saw is ErrNotFound;
//   - an id Clerk answered 404 for less than a minute ago is ErrNotFound,
//     without asking again;
//   - otherwise Clerk is asked (GET /users/{id}): the user it returns is
//     stored under the order rule, like a webhook's version, and returned
//     as the mirror then holds it; a 404 is ErrNotFound, remembered for a
//     minute. Lookups of one id at the same moment share one request.
//
// An id that is not of Clerk's form (user_ and base62) is ErrNotFound
// without a request. A failed request returns its *APIError (the mirror
// is unchanged) or the context's error; the request goes on for the other
// lookups of the id, up to 30 seconds.
func (m *Mirror) LookupUser(ctx context.Context, id string) (*User, error) {
	u, err := m.User(ctx, id)
	if !errors.Is(err, ErrNotFound) || m.api == nil {
		return u, err
	}
	if !strings.HasPrefix(id, "user_") || !clerkID.MatchString(id) {
		return nil, ErrNotFound
	}
	l := m.lookups
	l.mu.Lock()
	if at, ok := l.missing[id]; ok && m.now().Sub(at) < missingTTL {
		l.mu.Unlock()
		return nil, ErrNotFound
	}
	f := l.inflight[id]
	if f == nil {
		f = &fetch{done: make(chan struct{})}
		l.inflight[id] = f
		go m.fetchUser(context.WithoutCancel(ctx), id, f)
	}
	f.waiters++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		f.waiters--
		l.mu.Unlock()
	}()
	select {
	case <-f.done:
		return f.user, f.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// fetchUser asks Clerk for the user, stores it, and completes f.
func (m *Mirror) fetchUser(ctx context.Context, id string, f *fetch) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	defer func() {
		l := m.lookups
		l.mu.Lock()
		delete(l.inflight, id)
		l.mu.Unlock()
		close(f.done)
	}()
	cu, found, err := m.api.getUser(ctx, id)
	switch {
	case err != nil:
		m.logger.Warn("clerksync: fetching a user the mirror does not have", "id", id, "error", err)
		f.err = err
		return
	case !found:
		m.rememberMissing(id)
		f.err = ErrNotFound
		return
	}
	row, err := userFromAPI(cu)
	if err != nil {
		f.err = m.api.malformed("/users/"+id, "%v", err)
		return
	}
	if row.ID != id {
		f.err = m.api.malformed("/users/"+id, "the answer is user %s", row.ID)
		return
	}
	if err := putUser(ctx, m.db, fromAPI, row); err != nil {
		f.err = err
		return
	}
	// As the mirror holds it now: a webhook may have stored a newer
	// version, or the deletion, meanwhile.
	f.user, f.err = m.User(ctx, id)
}

// rememberMissing records that Clerk does not know id, dropping expired
// entries when the cache is large.
func (m *Mirror) rememberMissing(id string) {
	l := m.lookups
	l.mu.Lock()
	defer l.mu.Unlock()
	now := m.now()
	if len(l.missing) >= maxMissing {
		for k, at := range l.missing {
			if now.Sub(at) >= missingTTL {
				delete(l.missing, k)
			}
		}
	}
	l.missing[id] = now
}
