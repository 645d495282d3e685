package synctest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"testing"

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

// A Message is one Clerk event as Svix delivers it: the svix-id and the
// body. Every delivery of it is signed afresh, as Svix signs each attempt.
type Message struct {
	ID   string
	Type clerkwebhook.EventType
	Body []byte
}

// A History is a sequence of Clerk events in the order they happened, and
// the ids it is about.
type History struct {
	Messages []Message
	UserIDs  []string
	OrgIDs   []string
	Counts   map[clerkwebhook.EventType]int // events by type
}

// Generate returns the History of seed: creates, many updates and deletes
// of users, organizations and memberships. Every stamp (a created or
// updated object's updated_at, a deletion's envelope timestamp) is later
// than the one before, and no id is used again after its deletion, as with
// Clerk.
func Generate(seed uint64) *History {
	g := &generator{
		rng:   rand.New(rand.NewPCG(seed, 0x5eed)),
		clock: 1764331200000,
		h:     &History{Counts: map[clerkwebhook.EventType]int{}},
		users: map[string]*UserVersion{}, orgs: map[string]*OrganizationVersion{},
		memberships: map[string]*MembershipVersion{},
	}
	for len(g.h.Messages) < historyEvents || len(g.h.UserIDs) < historyUsers || len(g.h.OrgIDs) < historyOrganizations {
		g.step()
	}
	// At least a few deletions of each kind, whatever the dice said.
	for g.h.Counts[clerkwebhook.UserDeleted] < 2 {
		g.deleteUser()
	}
	for g.h.Counts[clerkwebhook.OrganizationMembershipDeleted] < 2 && len(g.liveMemberships) > 0 {
		g.deleteMembership()
	}
	for g.h.Counts[clerkwebhook.OrganizationDeleted] < 1 {
		g.deleteOrganization()
	}
	return g.h
}

type generator struct {
	rng   *rand.Rand
	clock int64
	h     *History
	// The live objects, by id, and their ids in creation order (for
	// choices that do not depend on map order).
	users                                map[string]*UserVersion
	orgs                                 map[string]*OrganizationVersion
	memberships                          map[string]*MembershipVersion
	liveUsers, liveOrgs, liveMemberships []string
}

// step makes one change, chosen at random among those possible.
func (g *generator) step() {
	switch w := g.rng.IntN(100); {
	case len(g.liveUsers) == 0 || (w < 12 && len(g.h.UserIDs) < historyUsers+4):
		g.createUser()
	case len(g.liveOrgs) == 0 || (w < 18 && len(g.h.OrgIDs) < historyOrganizations+1):
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
	g.h.Messages = append(g.h.Messages, Message{ID: g.id("msg_"), Type: typ, Body: body})
	g.h.Counts[typ]++
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
func (g *generator) profile(u *UserVersion) {
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
	u := &UserVersion{ID: g.id("user_"), CreatedAt: at, UpdatedAt: at}
	g.profile(u)
	g.users[u.ID] = u
	g.liveUsers = append(g.liveUsers, u.ID)
	g.h.UserIDs = append(g.h.UserIDs, u.ID)
	g.emit(clerkwebhook.UserCreated, u.Body(clerkwebhook.UserCreated))
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
	g.emit(clerkwebhook.UserUpdated, u.Body(clerkwebhook.UserUpdated))
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
	g.emit(clerkwebhook.UserDeleted, DeletedBody(clerkwebhook.UserDeleted, id, nil, g.tick()))
}

func (g *generator) createOrganization() {
	at := g.tick()
	id := g.id("org_")
	o := &OrganizationVersion{ID: id, Name: "Org " + id[4:10], Slug: "org-" + id[4:10], CreatedAt: at, UpdatedAt: at}
	g.orgs[id] = o
	g.liveOrgs = append(g.liveOrgs, id)
	g.h.OrgIDs = append(g.h.OrgIDs, id)
	g.emit(clerkwebhook.OrganizationCreated, o.Body(clerkwebhook.OrganizationCreated))
}

func (g *generator) updateOrganization() {
	o := g.orgs[g.pick(g.liveOrgs)]
	o.UpdatedAt = g.tick()
	o.Name = fmt.Sprintf("Org %s renamed at %d", o.ID[4:10], o.UpdatedAt)
	if g.rng.IntN(2) == 0 {
		o.Slug = fmt.Sprintf("org-%s-%d", o.ID[4:10], o.UpdatedAt)
	}
	g.emit(clerkwebhook.OrganizationUpdated, o.Body(clerkwebhook.OrganizationUpdated))
}

// deleteOrganization deletes an organization; Clerk sends no deletions of
// its memberships here.
func (g *generator) deleteOrganization() {
	id := g.pick(g.liveOrgs)
	slug := g.orgs[id].Slug
	g.liveOrgs = slices.DeleteFunc(g.liveOrgs, func(s string) bool { return s == id })
	g.liveMemberships = slices.DeleteFunc(g.liveMemberships, func(mid string) bool { return g.memberships[mid].Organization.ID == id })
	delete(g.orgs, id)
	g.emit(clerkwebhook.OrganizationDeleted, DeletedBody(clerkwebhook.OrganizationDeleted, id, &slug, g.tick()))
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
	m := &MembershipVersion{ID: g.id("orgmem_"), Organization: *g.orgs[org], UserID: user,
		Role: roles[g.rng.IntN(len(roles))], CreatedAt: at, UpdatedAt: at}
	g.memberships[m.ID] = m
	g.liveMemberships = append(g.liveMemberships, m.ID)
	g.emit(clerkwebhook.OrganizationMembershipCreated, m.Body(clerkwebhook.OrganizationMembershipCreated, at+3))
}

func (g *generator) updateMembership() {
	if len(g.liveMemberships) == 0 {
		return
	}
	m := g.memberships[g.pick(g.liveMemberships)]
	m.UpdatedAt = g.tick()
	m.Role = roles[(slices.Index(roles, m.Role)+1)%len(roles)]
	m.Organization = *g.orgs[m.Organization.ID]
	g.emit(clerkwebhook.OrganizationMembershipUpdated, m.Body(clerkwebhook.OrganizationMembershipUpdated, m.UpdatedAt+3))
}

func (g *generator) deleteMembership() {
	if len(g.liveMemberships) > 0 {
		g.deleteMembershipID(g.pick(g.liveMemberships))
	}
}

func (g *generator) deleteMembershipID(id string) {
	m := g.memberships[id]
	g.liveMemberships = slices.DeleteFunc(g.liveMemberships, func(s string) bool { return s == id })
	g.emit(clerkwebhook.OrganizationMembershipDeleted, m.Body(clerkwebhook.OrganizationMembershipDeleted, g.tick()))
}

// A Want is the state the read endpoints must show: what each answers 200
// with, as decoded JSON; an id missing from users or orgs is a 404.
type Want struct {
	users   map[string]any
	orgs    map[string]any
	members map[string]any // by organization id
}

// ApplyInOrder is the reference: it applies the messages one after the
// other, each replacing what its object was, from the bodies alone (not
// with the service's code), and returns what the endpoints must answer.
func ApplyInOrder(t *testing.T, ms []Message) Want {
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
	w := Want{users: map[string]any{}, orgs: map[string]any{}, members: map[string]any{}}
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

// A Getter reads a path of the read endpoints (GET /users/{id},
// /organizations/{id}, /organizations/{id}/members) and returns the status
// and the decoded JSON body.
type Getter func(path string) (status int, body any)

// CheckState compares what get answers, for every id of h and for ids
// never seen, with the state of h applied in order, and fails the test for
// each difference. It returns whether there was none.
func CheckState(t *testing.T, get Getter, h *History) bool {
	t.Helper()
	w := ApplyInOrder(t, h.Messages)
	wrong := 0
	check := func(path string, want any, ok bool) {
		status, got := get(path)
		switch {
		case !ok && status != http.StatusNotFound:
			wrong++
			t.Errorf("GET %s: %d %v, want 404", path, status, got)
		case ok && (status != http.StatusOK || !assert.ObjectsAreEqual(want, got)):
			wrong++
			t.Errorf("GET %s: %d\n got %v\nwant %v", path, status, got, want)
		}
	}
	for _, id := range append(h.UserIDs, "user_never_seen") {
		u, ok := w.users[id]
		check("/users/"+id, u, ok)
	}
	for _, id := range append(h.OrgIDs, "org_never_seen") {
		o, ok := w.orgs[id]
		check("/organizations/"+id, o, ok)
		check("/organizations/"+id+"/members", w.members[id], ok)
	}
	return wrong == 0
}

// A Burst is one message's copies, delivered at the same moment.
type Burst []Message

// DeliveryPlan returns how Svix might deliver ms: every message, and 40% of
// them once or twice again, in an order shuffled by rng; a third of the
// repeated messages arrive with all their copies at once.
func DeliveryPlan(rng *rand.Rand, ms []Message) (plan []Burst, copies int) {
	for _, m := range ms {
		if rng.IntN(10) >= 4 {
			plan = append(plan, Burst{m})
			continue
		}
		n := 2 + rng.IntN(2)
		copies += n - 1
		if rng.IntN(3) == 0 {
			plan = append(plan, slices.Repeat(Burst{m}, n))
			continue
		}
		for range n {
			plan = append(plan, Burst{m})
		}
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan, copies
}
