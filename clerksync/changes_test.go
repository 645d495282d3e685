package clerksync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/seed77920f6a/clerkwebhook/clerksync/internal/fakeclerk"
)

// A changer makes random changes to the fake's records, as users and
// admins of an instance would, and keeps the webhook event body Clerk
// would send for each, rendered at the moment of the change.
type changer struct {
	srv *fakeclerk.Server
	rng *rand.Rand

	mu     sync.Mutex
	users  []string // live, oldest first
	orgs   []string
	pairs  map[[2]string]string // {org, user} → membership id
	events [][]byte
	// deleted are the users deleted, by id.
	deleted map[string]bool
	// oldest is the creation stamp a user inserted "at a low offset" gets:
	// earlier than every user's, so that it sorts first in a listing by
	// created_at (Clerk's import sets created_at).
	oldest int64
}

func newChanger(srv *fakeclerk.Server, seed uint64) *changer {
	c := &changer{srv: srv, rng: rand.New(rand.NewPCG(seed, 0xc4a9)), pairs: map[[2]string]string{}, deleted: map[string]bool{}}
	for _, u := range srv.Users() {
		c.users = append(c.users, u.ID)
	}
	for _, o := range srv.Organizations() {
		c.orgs = append(c.orgs, o.ID)
	}
	for _, m := range srv.Memberships() {
		c.pairs[[2]string{m.OrganizationID, m.UserID}] = m.ID
	}
	c.oldest = fakeclerk.Epoch - 2*365*24*3600*1000
	return c
}

func (c *changer) event(typ, id string) {
	c.events = append(c.events, c.srv.Event(typ, id))
}

// take returns the events recorded since the last take.
func (c *changer) take() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.events
	c.events = nil
	return out
}

// step makes one random change.
func (c *changer) step() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch w := c.rng.IntN(100); {
	case w < 15:
		c.createUser(false)
	case w < 40:
		c.updateUser(c.users[c.rng.IntN(len(c.users))])
	case w < 50:
		c.deleteUser(c.users[c.rng.IntN(len(c.users))])
	case w < 55:
		c.createOrganization()
	case w < 62:
		c.updateOrganization()
	case w < 65:
		if len(c.orgs) > 3 {
			c.deleteOrganization(c.orgs[c.rng.IntN(len(c.orgs))])
		}
	case w < 80:
		c.createMembership()
	case w < 90:
		c.updateMembership()
	default:
		c.deleteMembership()
	}
}

// lowOffsetChurn deletes n of the oldest users and creates n users older
// than all: the changes that shift a listing by created_at under a
// client paging through it.
func (c *changer) lowOffsetChurn(n int) (deletedUsers []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		id := c.users[c.rng.IntN(min(len(c.users), 20))]
		c.deleteUser(id)
		deletedUsers = append(deletedUsers, id)
		c.createUser(true)
	}
	return deletedUsers
}

// lowOffsetDeletions deletes n of the oldest users.
func (c *changer) lowOffsetDeletions(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range slices.Clone(c.users[:n]) {
		c.deleteUser(id)
	}
}

func (c *changer) createUser(old bool) {
	u := fakeclerk.User{FirstName: pick(c.rng, "Ada", "Bruno", "Chen"), LastName: pick(c.rng, "Okafor", "Silva"),
		EmailAddress: fmt.Sprintf("churn.%d@example.com", c.rng.Int64())}
	if old {
		c.oldest += 1000
		u.CreatedAt = c.oldest
	}
	u = c.srv.PutUser(u)
	c.users = append(c.users, u.ID)
	if old {
		c.users = append([]string{u.ID}, c.users[:len(c.users)-1]...)
	}
	c.event("user.created", u.ID)
}

func (c *changer) updateUser(id string) {
	u, _ := c.srv.User(id)
	u.FirstName = pick(c.rng, "Dalia", "Elodie", "Farah", "")
	u.PublicMetadata = json.RawMessage(fmt.Sprintf(`{"plan":%q}`, pick(c.rng, "free", "pro", "team")))
	c.srv.PutUser(u)
	c.event("user.updated", id)
}

func (c *changer) deleteUser(id string) {
	mids, _ := c.srv.DeleteUser(id)
	for _, mid := range mids {
		c.event("organizationMembership.deleted", mid)
	}
	c.event("user.deleted", id)
	c.users = slices.DeleteFunc(c.users, func(s string) bool { return s == id })
	for k := range c.pairs {
		if k[1] == id {
			delete(c.pairs, k)
		}
	}
	c.deleted[id] = true
}

func (c *changer) createOrganization() {
	o := c.srv.PutOrganization(fakeclerk.Organization{Name: fmt.Sprintf("Churn %d", c.rng.Int64())})
	c.orgs = append(c.orgs, o.ID)
	c.event("organization.created", o.ID)
}

func (c *changer) updateOrganization() {
	id := c.orgs[c.rng.IntN(len(c.orgs))]
	o, _ := c.srv.Organization(id)
	o.Name = fmt.Sprintf("Renamed %d", c.rng.Int64())
	c.srv.PutOrganization(o)
	c.event("organization.updated", id)
}

func (c *changer) deleteOrganization(id string) {
	mids, _ := c.srv.DeleteOrganization(id)
	for _, mid := range mids {
		c.event("organizationMembership.deleted", mid)
	}
	c.event("organization.deleted", id)
	c.orgs = slices.DeleteFunc(c.orgs, func(s string) bool { return s == id })
	for k := range c.pairs {
		if k[0] == id {
			delete(c.pairs, k)
		}
	}
}

func (c *changer) createMembership() {
	org, user := c.orgs[c.rng.IntN(len(c.orgs))], c.users[c.rng.IntN(len(c.users))]
	if _, ok := c.pairs[[2]string{org, user}]; ok {
		return
	}
	m := c.srv.PutMembership(fakeclerk.Membership{OrganizationID: org, UserID: user, Role: pick(c.rng, "org:admin", "org:member")})
	c.pairs[[2]string{org, user}] = m.ID
	c.event("organizationMembership.created", m.ID)
}

// aMembership returns a live membership's id, chosen at random.
func (c *changer) aMembership() (string, bool) {
	if len(c.pairs) == 0 {
		return "", false
	}
	keys := make([][2]string, 0, len(c.pairs))
	for k := range c.pairs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmpPair(a, b) })
	k := keys[c.rng.IntN(len(keys))]
	return c.pairs[k], true
}

func cmpPair(a, b [2]string) int {
	if a[0] != b[0] {
		if a[0] < b[0] {
			return -1
		}
		return 1
	}
	if a[1] < b[1] {
		return -1
	} else if a[1] > b[1] {
		return 1
	}
	return 0
}

func (c *changer) updateMembership() {
	id, ok := c.aMembership()
	if !ok {
		return
	}
	m, _ := c.srv.Membership(id)
	if m.Role == "org:admin" {
		m.Role = "org:member"
	} else {
		m.Role = "org:admin"
	}
	c.srv.PutMembership(m)
	c.event("organizationMembership.updated", id)
}

func (c *changer) deleteMembership() {
	id, ok := c.aMembership()
	if !ok {
		return
	}
	m, _ := c.srv.Membership(id)
	c.srv.DeleteMembership(id)
	delete(c.pairs, [2]string{m.OrganizationID, m.UserID})
	c.event("organizationMembership.deleted", id)
}

func pick[T any](rng *rand.Rand, vs ...T) T { return vs[rng.IntN(len(vs))] }

// An attempt is one request the Mirror's transport sent, as a recorder saw
// it.
type attempt struct {
	start, end time.Time
	method     string
	path       string // with the query
	status     int    // 0 for a transport error
}

// A recorder is a transport under the Mirror's that records every
// attempt, and lets a test change an answer (rewrite) before the Mirror
// reads it.
type recorder struct {
	base http.RoundTripper

	mu       sync.Mutex
	attempts []attempt
	rewrite  func(req *http.Request, body []byte) []byte // nil: none
}

func newRecorder() *recorder { return &recorder{base: http.DefaultTransport} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	a := attempt{start: time.Now(), method: req.Method, path: req.URL.RequestURI()}
	resp, err := r.base.RoundTrip(req)
	if err == nil {
		a.status = resp.StatusCode
		r.mu.Lock()
		rewrite := r.rewrite
		r.mu.Unlock()
		if rewrite != nil && resp.StatusCode == http.StatusOK {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr != nil {
				return nil, rerr
			}
			body = rewrite(req, body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Del("Content-Length")
		}
	}
	a.end = time.Now()
	r.mu.Lock()
	r.attempts = append(r.attempts, a)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) setRewrite(fn func(req *http.Request, body []byte) []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rewrite = fn
}

func (r *recorder) all() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}
