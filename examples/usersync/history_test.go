package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
)

// Generated histories: what Clerk would send about users, organizations and
// memberships over a while, delivered the way Svix may deliver it (in any
// order, some messages more than once, some copies at the same moment),
// must leave the same state as the history applied in order.

// Sizes of a generated history.
const (
	historyUsers         = 24  // users created (some are deleted)
	historyOrganizations = 6   // organizations created
	historyEvents        = 320 // events at least
)

// historySeeds is how many histories run on each database, and
// seedsAtOnce how many of them at once: 20 and 4, or 3 and 1 under the race
// detector, which makes SQLite about ten times slower here; a data race
// shows in a few histories as well as in many.
func historySeeds() (seeds uint64, atOnce int) {
	if raceEnabled {
		return 3, 1
	}
	return 20, 4
}

// A history is a sequence of Clerk events in the order they happened, and
// the ids it is about.
type history struct {
	messages []message
	userIDs  []string
	orgIDs   []string
	counts   map[clerkwebhook.EventType]int
}

// generate returns the history of seed: creates, many updates and deletes
// of users, organizations and memberships. Every stamp (a created or
// updated object's updated_at, a deletion's envelope timestamp) is later
// than the one before, and no id is used again after its deletion, as with
// Clerk.
func generate(seed uint64) *history {
	g := &generator{
		rng:   rand.New(rand.NewPCG(seed, 0x5eed)),
		clock: 1764331200000,
		h:     &history{counts: map[clerkwebhook.EventType]int{}},
		users: map[string]*userVersion{}, orgs: map[string]*organizationVersion{},
		memberships: map[string]*membershipVersion{},
	}
	for len(g.h.messages) < historyEvents || len(g.h.userIDs) < historyUsers || len(g.h.orgIDs) < historyOrganizations {
		g.step()
	}
	// At least a few deletions of each kind, whatever the dice said.
	for g.h.counts[clerkwebhook.UserDeleted] < 2 {
		g.deleteUser()
	}
	for g.h.counts[clerkwebhook.OrganizationMembershipDeleted] < 2 && len(g.liveMemberships) > 0 {
		g.deleteMembership()
	}
	for g.h.counts[clerkwebhook.OrganizationDeleted] < 1 {
		g.deleteOrganization()
	}
	return g.h
}

type generator struct {
	rng   *rand.Rand
	clock int64
	h     *history
	// The live objects, by id, and their ids in creation order (for
	// choices that do not depend on map order).
	users                                map[string]*userVersion
	orgs                                 map[string]*organizationVersion
	memberships                          map[string]*membershipVersion
	liveUsers, liveOrgs, liveMemberships []string
}

// step makes one change, chosen at random among those possible.
func (g *generator) step() {
	switch w := g.rng.IntN(100); {
	case len(g.liveUsers) == 0 || (w < 12 && len(g.h.userIDs) < historyUsers+4):
		g.createUser()
	case len(g.liveOrgs) == 0 || (w < 18 && len(g.h.orgIDs) < historyOrganizations+1):
		g.createOrganization()
	case w < 48:
		g.updateUser()
	case w < 56:
		g.updateOrganization()
	case w < 70:
		g.createMembership()
	case w < 84:
		g.updateMembership()
	case w < 90:
		g.deleteMembership()
	case w < 95:
		if len(g.liveUsers) > 12 {
			g.deleteUser()
		}
	default:
		if len(g.liveOrgs) > 4 {
			g.deleteOrganization()
		}
	}
}

// tick advances the clock and returns it: the stamp of the next change.
func (g *generator) tick() int64 {
	g.clock += 25 + g.rng.Int64N(5000)
	return g.clock
}

const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// id returns a new Clerk-like id: prefix and 27 base-62 characters.
func (g *generator) id(prefix string) string {
	b := []byte(prefix)
	for range 27 {
		b = append(b, idChars[g.rng.IntN(len(idChars))])
	}
	return string(b)
}

func (g *generator) emit(typ clerkwebhook.EventType, body []byte) {
	g.h.messages = append(g.h.messages, message{ID: g.id("msg_"), Type: typ, Body: body})
	g.h.counts[typ]++
}

func (g *generator) pick(ids []string) string { return ids[g.rng.IntN(len(ids))] }

var firstNames = []string{"Ada", "Bruno", "Chioma", "Dmitri", "Elodie", "Farah", "Goran", "Hana", "Ines", "José"}
var lastNames = []string{"Okafor", "Marchetti", "Nakamura", "Lindqvist", "Haddad", "Novak", "Silva", "O'Brien"}

// name returns a name from names, or nil (Clerk's null) now and then.
func (g *generator) name(names []string) *string {
	if g.rng.IntN(8) == 0 {
		return nil
	}
	return &names[g.rng.IntN(len(names))]
}

// profile gives u new names, addresses, primary address, image and plan.
func (g *generator) profile(u *userVersion) {
	u.FirstName, u.LastName = g.name(firstNames), g.name(lastNames)
	u.ImageURL = "https://img.clerk.com/" + g.id("img_")
	u.Emails = nil
	for i := range g.rng.IntN(3) + 1 {
		u.Emails = append(u.Emails, fmt.Sprintf("%s.%d.%d@example.com", u.ID[len(u.ID)-6:], g.clock, i))
	}
	u.Primary = g.rng.IntN(len(u.Emails))
	if g.rng.IntN(10) == 0 {
		u.Primary = -1 // a phone-only user, say
	}
	u.Plan = []string{"free", "pro", "team"}[g.rng.IntN(3)]
}

func (g *generator) createUser() {
	at := g.tick()
	u := &userVersion{ID: g.id("user_"), CreatedAt: at, UpdatedAt: at}
	g.profile(u)
	g.users[u.ID] = u
	g.liveUsers = append(g.liveUsers, u.ID)
	g.h.userIDs = append(g.h.userIDs, u.ID)
	g.emit(clerkwebhook.UserCreated, u.body(clerkwebhook.UserCreated))
}

func (g *generator) updateUser() {
	u := g.users[g.pick(g.liveUsers)]
	u.UpdatedAt = g.tick()
	switch g.rng.IntN(3) {
	case 0:
		g.profile(u)
	case 1:
		u.FirstName = g.name(firstNames)
	default:
		if len(u.Emails) > 1 {
			u.Primary = (u.Primary + 1) % len(u.Emails)
		} else {
			u.ImageURL = "https://img.clerk.com/" + g.id("img_")
		}
	}
	g.emit(clerkwebhook.UserUpdated, u.body(clerkwebhook.UserUpdated))
}

// deleteUser deletes a user; half the time Clerk's deletions of the user's
// memberships come first, and otherwise they never come.
func (g *generator) deleteUser() {
	id := g.pick(g.liveUsers)
	if g.rng.IntN(2) == 0 {
		for _, mid := range slices.Clone(g.liveMemberships) {
			if g.memberships[mid].UserID == id {
				g.deleteMembershipID(mid)
			}
		}
	}
	g.liveUsers = slices.DeleteFunc(g.liveUsers, func(s string) bool { return s == id })
	g.liveMemberships = slices.DeleteFunc(g.liveMemberships, func(mid string) bool { return g.memberships[mid].UserID == id })
	delete(g.users, id)
	g.emit(clerkwebhook.UserDeleted, deletedBody(clerkwebhook.UserDeleted, id, nil, g.tick()))
}

func (g *generator) createOrganization() {
	at := g.tick()
	id := g.id("org_")
	o := &organizationVersion{ID: id, Name: "Org " + id[4:10], Slug: "org-" + id[4:10], CreatedAt: at, UpdatedAt: at}
	g.orgs[id] = o
	g.liveOrgs = append(g.liveOrgs, id)
	g.h.orgIDs = append(g.h.orgIDs, id)
	g.emit(clerkwebhook.OrganizationCreated, o.body(clerkwebhook.OrganizationCreated))
}

func (g *generator) updateOrganization() {
	o := g.orgs[g.pick(g.liveOrgs)]
	o.UpdatedAt = g.tick()
	o.Name = fmt.Sprintf("Org %s renamed at %d", o.ID[4:10], o.UpdatedAt)
	if g.rng.IntN(2) == 0 {
		o.Slug = fmt.Sprintf("org-%s-%d", o.ID[4:10], o.UpdatedAt)
	}
	g.emit(clerkwebhook.OrganizationUpdated, o.body(clerkwebhook.OrganizationUpdated))
}

// deleteOrganization deletes an organization; Clerk sends no deletions of
// its memberships here.
func (g *generator) deleteOrganization() {
	id := g.pick(g.liveOrgs)
	slug := g.orgs[id].Slug
	g.liveOrgs = slices.DeleteFunc(g.liveOrgs, func(s string) bool { return s == id })
	g.liveMemberships = slices.DeleteFunc(g.liveMemberships, func(mid string) bool { return g.memberships[mid].Organization.ID == id })
	delete(g.orgs, id)
	g.emit(clerkwebhook.OrganizationDeleted, deletedBody(clerkwebhook.OrganizationDeleted, id, &slug, g.tick()))
}

var roles = []string{"org:admin", "org:member", "org:billing_manager"}

// createMembership adds a user to an organization they are not a member
// of, if there is such a pair.
func (g *generator) createMembership() {
	org, user := g.pick(g.liveOrgs), g.pick(g.liveUsers)
	for _, mid := range g.liveMemberships {
		if m := g.memberships[mid]; m.Organization.ID == org && m.UserID == user {
			return
		}
	}
	at := g.tick()
	m := &membershipVersion{ID: g.id("orgmem_"), Organization: *g.orgs[org], UserID: user,
		Role: roles[g.rng.IntN(len(roles))], CreatedAt: at, UpdatedAt: at}
	g.memberships[m.ID] = m
	g.liveMemberships = append(g.liveMemberships, m.ID)
	g.emit(clerkwebhook.OrganizationMembershipCreated, m.body(clerkwebhook.OrganizationMembershipCreated, at+3))
}

func (g *generator) updateMembership() {
	if len(g.liveMemberships) == 0 {
		return
	}
	m := g.memberships[g.pick(g.liveMemberships)]
	m.UpdatedAt = g.tick()
	m.Role = roles[(slices.Index(roles, m.Role)+1)%len(roles)]
	m.Organization = *g.orgs[m.Organization.ID]
	g.emit(clerkwebhook.OrganizationMembershipUpdated, m.body(clerkwebhook.OrganizationMembershipUpdated, m.UpdatedAt+3))
}

func (g *generator) deleteMembership() {
	if len(g.liveMemberships) > 0 {
		g.deleteMembershipID(g.pick(g.liveMemberships))
	}
}

func (g *generator) deleteMembershipID(id string) {
	m := g.memberships[id]
	g.liveMemberships = slices.DeleteFunc(g.liveMemberships, func(s string) bool { return s == id })
	g.emit(clerkwebhook.OrganizationMembershipDeleted, m.body(clerkwebhook.OrganizationMembershipDeleted, g.tick()))
}

// A want is the state the read endpoints must show: what each answers 200
// with, as decoded JSON; an id missing from users or orgs is a 404.
type want struct {
	users   map[string]any
	orgs    map[string]any
	members map[string]any // by organization id
}

// applyInOrder is the reference: it applies the messages one after the
// other, each replacing what its object was, from the bodies alone (not
// with the service's code), and returns what the endpoints must answer.
func applyInOrder(t *testing.T, ms []message) want {
	t.Helper()
	type membership struct{ org, user, role string }
	users := map[string]map[string]any{}
	orgs := map[string]map[string]any{}
	memberships := map[string]*membership{}
	deletedUsers := map[string]bool{}
	for _, m := range ms {
		var env struct {
			Type string
			Data map[string]any
		}
		require.NoError(t, json.Unmarshal(m.Body, &env))
		d := env.Data
		id := d["id"].(string)
		switch clerkwebhook.EventType(env.Type) {
		case clerkwebhook.UserCreated, clerkwebhook.UserUpdated:
			var email any
			for _, e := range d["email_addresses"].([]any) {
				if e := e.(map[string]any); e["id"] == d["primary_email_address_id"] {
					email = e["email_address"]
				}
			}
			users[id] = map[string]any{"id": id, "email": email, "first_name": d["first_name"],
				"last_name": d["last_name"], "image_url": d["image_url"], "updated_at": d["updated_at"]}
			delete(deletedUsers, id)
		case clerkwebhook.UserDeleted:
			delete(users, id)
			deletedUsers[id] = true
		case clerkwebhook.OrganizationCreated, clerkwebhook.OrganizationUpdated:
			orgs[id] = map[string]any{"id": id, "name": d["name"], "slug": d["slug"], "updated_at": d["updated_at"]}
		case clerkwebhook.OrganizationDeleted:
			delete(orgs, id)
		case clerkwebhook.OrganizationMembershipCreated, clerkwebhook.OrganizationMembershipUpdated:
			memberships[id] = &membership{
				org:  d["organization"].(map[string]any)["id"].(string),
				user: d["public_user_data"].(map[string]any)["user_id"].(string),
				role: d["role"].(string),
			}
		case clerkwebhook.OrganizationMembershipDeleted:
			delete(memberships, id)
		default:
			t.Fatalf("the reference does not know %s", env.Type)
		}
	}
	w := want{users: map[string]any{}, orgs: map[string]any{}, members: map[string]any{}}
	for id, u := range users {
		w.users[id] = u
	}
	for id, o := range orgs {
		w.orgs[id] = o
		var ms []*membership
		for _, m := range memberships {
			if m.org == id && !deletedUsers[m.user] {
				ms = append(ms, m)
			}
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].user < ms[j].user })
		list := []any{}
		for _, m := range ms {
			list = append(list, map[string]any{"user_id": m.user, "role": m.role})
		}
		w.members[id] = list
	}
	return w
}

// checkState compares what the endpoints at base answer, for every id of h
// and for ids never seen, with the state of h applied in order, and fails
// the test for each difference. It returns whether there was none.
func checkState(t *testing.T, base string, h *history) bool {
	t.Helper()
	w := applyInOrder(t, h.messages)
	client := &http.Client{Timeout: 10 * time.Second}
	wrong := 0
	check := func(path string, want any, ok bool) {
		status, got := get(t, client, base, path)
		switch {
		case !ok && status != http.StatusNotFound:
			wrong++
			t.Errorf("GET %s: %d %v, want 404", path, status, got)
		case ok && (status != http.StatusOK || !assert.ObjectsAreEqual(want, got)):
			wrong++
			t.Errorf("GET %s: %d\n got %v\nwant %v", path, status, got, want)
		}
	}
	for _, id := range append(h.userIDs, "user_never_seen") {
		u, ok := w.users[id]
		check("/users/"+id, u, ok)
	}
	for _, id := range append(h.orgIDs, "org_never_seen") {
		o, ok := w.orgs[id]
		check("/organizations/"+id, o, ok)
		check("/organizations/"+id+"/members", w.members[id], ok)
	}
	return wrong == 0
}

// A burst is one message's copies, delivered at the same moment.
type burst []message

// deliveryPlan returns how Svix might deliver ms: every message, and 40% of
// them once or twice again, in an order shuffled by rng; a third of the
// repeated messages arrive with all their copies at once.
func deliveryPlan(rng *rand.Rand, ms []message) (plan []burst, copies int) {
	for _, m := range ms {
		if rng.IntN(10) >= 4 {
			plan = append(plan, burst{m})
			continue
		}
		n := 2 + rng.IntN(2)
		copies += n - 1
		if rng.IntN(3) == 0 {
			plan = append(plan, slices.Repeat(burst{m}, n))
			continue
		}
		for range n {
			plan = append(plan, burst{m})
		}
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan, copies
}

// deliver sends the plan to base from concurrency senders at once, each
// delivery retried until it is answered 200 (as Svix retries), and fails
// the test for any other answer.
func deliver(t *testing.T, base string, plan []burst, concurrency int) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	var mu sync.Mutex
	answers := map[int]int{}
	send := func(m message) {
		for attempt := 0; ; attempt++ {
			status := post(client, base, m)
			mu.Lock()
			answers[status]++
			mu.Unlock()
			if status == http.StatusOK || attempt == 20 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	work := make(chan burst)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for b := range work {
				var copies sync.WaitGroup
				for _, m := range b {
					copies.Go(func() { send(m) })
				}
				copies.Wait()
			}
		})
	}
	for _, b := range plan {
		work <- b
	}
	close(work)
	wg.Wait()
	if len(answers) != 1 || answers[http.StatusOK] == 0 {
		t.Errorf("answers by status: %v, want only 200", answers)
	}
}

// Each of historySeeds histories, delivered shuffled with 40% of its
// messages repeated (some copies at once) by 8 concurrent senders, leaves
// the state of the history applied in order, on each database; River ran
// one job per message, and each completed. Histories run a few at a time,
// each on its own database and service.
func TestHistoriesInAnyOrder(t *testing.T) {
	t.Parallel() // with TestRestartAfterSIGKILL, which mostly waits
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		began := time.Now()
		seeds, atOnce := historySeeds()
		var wg sync.WaitGroup
		running := make(chan struct{}, atOnce)
		for seed := uint64(1); seed <= seeds; seed++ {
			running <- struct{}{}
			wg.Go(func() {
				defer func() { <-running }()
				t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
					h := generate(seed)
					plan, copies := deliveryPlan(rand.New(rand.NewPCG(seed, 1)), h.messages)
					svc := startService(t, newDB(t))
					deliver(t, svc.URL, plan, 8)
					waitDrained(t, svc.db.sql, len(h.messages), 2*time.Minute)
					if !checkState(t, svc.ReadURL, h) {
						t.FailNow()
					}
					t.Logf("%d users, %d organizations, %d events %v; %d more deliveries (%.0f%%)",
						len(h.userIDs), len(h.orgIDs), len(h.messages), h.counts, copies,
						100*float64(copies)/float64(len(h.messages)))
				})
			})
		}
		wg.Wait()
		t.Logf("%d histories in %v", seeds, time.Since(began).Round(time.Millisecond))
	})
}
