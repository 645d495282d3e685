package fakeclerk

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A User is a Clerk user as the server keeps it. The API renders the rest of
// Clerk's user object from it: the email address as the only entry of
// email_addresses (verified, by the admin strategy) and as
// primary_email_address_id, image_url from ImageURL or Clerk's default
// image for the id, empty phone numbers, wallets and accounts, and so on.
// An empty string renders as null where Clerk's field is nullable.
type User struct {
	ID             string // user_…; PutUser makes one when empty
	ExternalID     string
	Username       string
	FirstName      string
	LastName       string
	EmailAddress   string // the primary (and only) email address; "" for none
	EmailAddressID string // its idn_… id; PutUser makes one when empty
	ImageURL       string // "" renders Clerk's default image, with has_image false
	// PublicMetadata and PrivateMetadata are JSON objects; nil renders {}.
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	// CreatedAt and UpdatedAt are Unix milliseconds; see PutUser.
	CreatedAt int64
	UpdatedAt int64
}

// An Organization is a Clerk organization as the server keeps it.
// members_count is counted from its memberships.
type Organization struct {
	ID                    string // org_…; PutOrganization makes one when empty
	Name                  string
	Slug                  string // unique; PutOrganization derives one from Name when empty
	ImageURL              string // "" renders Clerk's default image, with has_image false
	CreatedBy             string // a user id, or ""
	MaxAllowedMemberships int64  // 0 for no limit
	PublicMetadata        json.RawMessage
	PrivateMetadata       json.RawMessage
	CreatedAt             int64
	UpdatedAt             int64
}

// A Membership is a user's membership of an organization. The API renders
// the organization and the user's public data from the current records, as
// Clerk does.
type Membership struct {
	ID              string // orgmem_…; PutMembership makes one when empty
	OrganizationID  string
	UserID          string
	Role            string // org:admin, org:member or a custom key
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	CreatedAt       int64
	UpdatedAt       int64
}

// state holds the records. Each kind is kept sorted by (created_at, id),
// Clerk's default order read backwards, so a page of the default listing
// is a slice of it.
type state struct {
	users    sorted[*User]
	userByID map[string]*User
	// userVersion counts changes of users, for updatedCache.
	userVersion  int
	updatedCache struct {
		version int
		items   []*User
	}
	orgs      sorted[*Organization]
	orgByID   map[string]*Organization
	orgBySlug map[string]*Organization
	mems      map[string]*Membership
	memsByOrg map[string]*sorted[*Membership]
	// memsByUser maps a user id to its memberships, by id.
	memsByUser map[string]map[string]*Membership
	memByPair  map[[2]string]*Membership // {organization id, user id}
	// memVersion counts changes of memberships, for memsCache, all of them
	// in ascending (created_at, id) order.
	memVersion int
	memsCache  struct {
		version int
		items   []*Membership
	}
	// gone keeps every deleted record's last state and its deletion stamp,
	// for Event and DeletedAt; Clerk never reuses an id.
	gone map[string]deleted
}

type deleted struct {
	record any // User, Organization or Membership
	at     int64
}

func newState() state {
	return state{
		users:      sorted[*User]{cmp: byCreated[*User]},
		userByID:   map[string]*User{},
		orgs:       sorted[*Organization]{cmp: byCreated[*Organization]},
		orgByID:    map[string]*Organization{},
		orgBySlug:  map[string]*Organization{},
		mems:       map[string]*Membership{},
		memsByOrg:  map[string]*sorted[*Membership]{},
		memsByUser: map[string]map[string]*Membership{},
		memByPair:  map[[2]string]*Membership{},
		gone:       map[string]deleted{},
	}
}

// record is what every kind has.
type record interface {
	*User | *Organization | *Membership
	key() (createdAt int64, id string)
}

func (u *User) key() (int64, string)         { return u.CreatedAt, u.ID }
func (o *Organization) key() (int64, string) { return o.CreatedAt, o.ID }
func (m *Membership) key() (int64, string)   { return m.CreatedAt, m.ID }

func byCreated[T record](a, b T) int {
	ac, ai := a.key()
	bc, bi := b.key()
	return cmp.Or(cmp.Compare(ac, bc), strings.Compare(ai, bi))
}

// sorted is a slice kept in cmp order.
type sorted[T any] struct {
	items []T
	cmp   func(a, b T) int
}

func (l *sorted[T]) insert(v T) {
	i, _ := slices.BinarySearchFunc(l.items, v, l.cmp)
	l.items = slices.Insert(l.items, i, v)
}

func (l *sorted[T]) remove(v T) {
	if i, ok := slices.BinarySearchFunc(l.items, v, l.cmp); ok {
		l.items = slices.Delete(l.items, i, i+1)
	}
}

// tick returns a new stamp, later than every stamp so far.
func (s *Server) tick() int64 {
	s.clock++
	return s.clock
}

// observe moves the clock to t if t is later, so that later ticks are.
func (s *Server) observe(ts ...int64) {
	for _, t := range ts {
		s.clock = max(s.clock, t)
	}
}

// stamps settles a put record's created_at and updated_at. A new record
// with no CreatedAt is created now, and a new record's UpdatedAt defaults
// to its CreatedAt. A replaced record keeps its CreatedAt unless given
// another, and its UpdatedAt is the given one only when that is later than
// the old one; otherwise it is stamped now. So every change moves
// updated_at forward, as Clerk's do.
func (s *Server) stamps(createdAt, updatedAt *int64, oldCreated, oldUpdated int64, exists bool) {
	switch {
	case *createdAt != 0:
	case exists:
		*createdAt = oldCreated
	default:
		*createdAt = s.tick()
	}
	switch {
	case exists && *updatedAt <= oldUpdated:
		*updatedAt = s.tick()
	case !exists && *updatedAt == 0:
		*updatedAt = *createdAt
	}
	s.observe(*createdAt, *updatedAt)
}

func (s *Server) checkNotGone(kind, id string) {
	if _, ok := s.st.gone[id]; ok {
		panic(fmt.Sprintf("fakeclerk: %s %s was deleted, and Clerk never brings an id back", kind, id))
	}
}

func checkMetadata(kind, id, field string, raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		panic(fmt.Sprintf("fakeclerk: %s %s: %s is not a JSON object: %s", kind, id, field, raw))
	}
	return slices.Clone(raw)
}

// PutUser creates u, or replaces the user with its id, and returns it as
// stored, with the ids and stamps filled in. A new user without CreatedAt
// is created now; a replaced one's UpdatedAt moves past the old one (see
// Epoch). Putting a user unchanged is how to bump its updated_at. It
// panics on a deleted id or metadata that is not a JSON object.
func (s *Server) PutUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.putUser(u)
}

func (s *Server) putUser(u User) *User {
	s.checkNotGone("user", u.ID)
	old := s.st.userByID[u.ID]
	var oldCreated, oldUpdated int64
	if old != nil {
		oldCreated, oldUpdated = old.CreatedAt, old.UpdatedAt
	}
	s.stamps(&u.CreatedAt, &u.UpdatedAt, oldCreated, oldUpdated, old != nil)
	if u.ID == "" {
		u.ID = newID(s.rng, "user_", u.CreatedAt)
	}
	if u.EmailAddress != "" && u.EmailAddressID == "" {
		if old != nil && old.EmailAddress == u.EmailAddress && old.EmailAddressID != "" {
			u.EmailAddressID = old.EmailAddressID
		} else {
			u.EmailAddressID = newID(s.rng, "idn_", u.UpdatedAt)
		}
	}
	u.PublicMetadata = checkMetadata("user", u.ID, "PublicMetadata", u.PublicMetadata)
	u.PrivateMetadata = checkMetadata("user", u.ID, "PrivateMetadata", u.PrivateMetadata)
	p := &u
	if old != nil {
		s.st.users.remove(old)
	}
	s.st.users.insert(p)
	s.st.userByID[u.ID] = p
	s.st.userVersion++
	return p
}

// DeleteUser deletes the user and the user's memberships, which cannot
// outlive it. It returns the ids of those memberships and whether the user
// existed. Event renders the deleted events of all of them.
func (s *Server) DeleteUser(id string) (memberships []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.userByID[id]
	if u == nil {
		return nil, false
	}
	for _, m := range s.st.memsByUser[id] {
		memberships = append(memberships, m.ID)
	}
	slices.Sort(memberships)
	for _, mid := range memberships {
		s.deleteMembership(mid)
	}
	s.st.users.remove(u)
	delete(s.st.userByID, id)
	s.st.userVersion++
	delete(s.st.memsByUser, id)
	s.st.gone[id] = deleted{record: *u, at: s.tick()}
	return memberships, true
}

// User returns the user with the id, if it exists.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.userByID[id]
	if u == nil {
		return User{}, false
	}
	return *u, true
}

// Users returns every user, oldest first.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.st.users.items))
	for i, u := range s.st.users.items {
		out[i] = *u
	}
	return out
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// PutOrganization creates o, or replaces the organization with its id, and
// returns it as stored; stamps as PutUser. It panics on a deleted id, a
// slug another organization has, or metadata that is not a JSON object.
func (s *Server) PutOrganization(o Organization) Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.putOrganization(o)
}

func (s *Server) putOrganization(o Organization) *Organization {
	s.checkNotGone("organization", o.ID)
	old := s.st.orgByID[o.ID]
	var oldCreated, oldUpdated int64
	if old != nil {
		oldCreated, oldUpdated = old.CreatedAt, old.UpdatedAt
	}
	s.stamps(&o.CreatedAt, &o.UpdatedAt, oldCreated, oldUpdated, old != nil)
	if o.ID == "" {
		o.ID = newID(s.rng, "org_", o.CreatedAt)
	}
	if o.Slug == "" {
		o.Slug = strings.Trim(slugRE.ReplaceAllString(strings.ToLower(o.Name), "-"), "-")
	}
	if other := s.st.orgBySlug[o.Slug]; other != nil && other.ID != o.ID {
		panic(fmt.Sprintf("fakeclerk: organization %s: slug %q is %s's", o.ID, o.Slug, other.ID))
	}
	o.PublicMetadata = checkMetadata("organization", o.ID, "PublicMetadata", o.PublicMetadata)
	o.PrivateMetadata = checkMetadata("organization", o.ID, "PrivateMetadata", o.PrivateMetadata)
	p := &o
	if old != nil {
		s.st.orgs.remove(old)
		delete(s.st.orgBySlug, old.Slug)
	}
	s.st.orgs.insert(p)
	s.st.orgByID[o.ID] = p
	s.st.orgBySlug[o.Slug] = p
	return p
}

// DeleteOrganization deletes the organization and its memberships. It
// returns the ids of those memberships and whether the organization
// existed.
func (s *Server) DeleteOrganization(id string) (memberships []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.st.orgByID[id]
	if o == nil {
		return nil, false
	}
	if l := s.st.memsByOrg[id]; l != nil {
		for _, m := range l.items {
			memberships = append(memberships, m.ID)
		}
	}
	for _, mid := range memberships {
		s.deleteMembership(mid)
	}
	s.st.orgs.remove(o)
	delete(s.st.orgByID, id)
	delete(s.st.orgBySlug, o.Slug)
	delete(s.st.memsByOrg, id)
	s.st.gone[id] = deleted{record: *o, at: s.tick()}
	return memberships, true
}

// Organization returns the organization with the id or slug, if it exists.
func (s *Server) Organization(idOrSlug string) (Organization, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.org(idOrSlug)
	if o == nil {
		return Organization{}, false
	}
	return *o, true
}

func (s *Server) org(idOrSlug string) *Organization {
	if o := s.st.orgByID[idOrSlug]; o != nil {
		return o
	}
	return s.st.orgBySlug[idOrSlug]
}

// Organizations returns every organization, oldest first.
func (s *Server) Organizations() []Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Organization, len(s.st.orgs.items))
	for i, o := range s.st.orgs.items {
		out[i] = *o
	}
	return out
}

// PutMembership creates m, or replaces the membership with its id, and
// returns it as stored; stamps as PutUser. Role defaults to org:member. It
// panics when the organization or the user does not exist, when the user
// already has another membership of the organization, on a deleted id, or
// on metadata that is not a JSON object.
func (s *Server) PutMembership(m Membership) Membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.putMembership(m)
}

func (s *Server) putMembership(m Membership) *Membership {
	s.checkNotGone("membership", m.ID)
	if s.st.orgByID[m.OrganizationID] == nil {
		panic(fmt.Sprintf("fakeclerk: membership %s: no organization %q", m.ID, m.OrganizationID))
	}
	if s.st.userByID[m.UserID] == nil {
		panic(fmt.Sprintf("fakeclerk: membership %s: no user %q", m.ID, m.UserID))
	}
	old := s.st.mems[m.ID]
	if old != nil && (old.OrganizationID != m.OrganizationID || old.UserID != m.UserID) {
		panic(fmt.Sprintf("fakeclerk: membership %s: its organization and user cannot change", m.ID))
	}
	pair := [2]string{m.OrganizationID, m.UserID}
	if other := s.st.memByPair[pair]; other != nil && other.ID != m.ID {
		panic(fmt.Sprintf("fakeclerk: user %s is already a member of %s (%s)", m.UserID, m.OrganizationID, other.ID))
	}
	var oldCreated, oldUpdated int64
	if old != nil {
		oldCreated, oldUpdated = old.CreatedAt, old.UpdatedAt
	}
	s.stamps(&m.CreatedAt, &m.UpdatedAt, oldCreated, oldUpdated, old != nil)
	if m.ID == "" {
		m.ID = newID(s.rng, "orgmem_", m.CreatedAt)
	}
	if m.Role == "" {
		m.Role = "org:member"
	}
	m.PublicMetadata = checkMetadata("membership", m.ID, "PublicMetadata", m.PublicMetadata)
	m.PrivateMetadata = checkMetadata("membership", m.ID, "PrivateMetadata", m.PrivateMetadata)
	p := &m
	l := s.st.memsByOrg[m.OrganizationID]
	if l == nil {
		l = &sorted[*Membership]{cmp: byCreated[*Membership]}
		s.st.memsByOrg[m.OrganizationID] = l
	}
	if old != nil {
		l.remove(old)
	}
	l.insert(p)
	s.st.mems[m.ID] = p
	byUser := s.st.memsByUser[m.UserID]
	if byUser == nil {
		byUser = map[string]*Membership{}
		s.st.memsByUser[m.UserID] = byUser
	}
	byUser[m.ID] = p
	s.st.memByPair[pair] = p
	s.st.memVersion++
	return p
}

// DeleteMembership deletes the membership and reports whether it existed.
func (s *Server) DeleteMembership(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteMembership(id)
}

func (s *Server) deleteMembership(id string) bool {
	m := s.st.mems[id]
	if m == nil {
		return false
	}
	s.st.memsByOrg[m.OrganizationID].remove(m)
	delete(s.st.memsByUser[m.UserID], id)
	delete(s.st.memByPair, [2]string{m.OrganizationID, m.UserID})
	delete(s.st.mems, id)
	s.st.memVersion++
	s.st.gone[id] = deleted{record: *m, at: s.tick()}
	return true
}

// Membership returns the membership with the id, if it exists.
func (s *Server) Membership(id string) (Membership, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.st.mems[id]
	if m == nil {
		return Membership{}, false
	}
	return *m, true
}

// Memberships returns every membership, by organization (oldest
// organization first), then oldest first.
func (s *Server) Memberships() []Membership {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Membership, 0, len(s.st.mems))
	for _, o := range s.st.orgs.items {
		if l := s.st.memsByOrg[o.ID]; l != nil {
			for _, m := range l.items {
				out = append(out, *m)
			}
		}
	}
	return out
}

// Count returns how many users, organizations and memberships exist.
func (s *Server) Count() (users, organizations, memberships int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.userByID), len(s.st.orgByID), len(s.st.mems)
}

// DeletedAt returns the stamp at which the user, organization or
// membership with the id was deleted, and whether it was.
func (s *Server) DeletedAt(id string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.st.gone[id]
	return d.at, ok
}
