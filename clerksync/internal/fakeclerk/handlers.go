package fakeclerk

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// An endpoint's query parameters: those it models, and those the real API
// also accepts, which answer fakeclerk_unsupported.
type params struct {
	modelled []string
	// orders are the order_by fields modelled; others lists the fields the
	// real API also orders by.
	orders, otherOrders []string
	unmodelled          []string
}

var (
	userParams = params{
		modelled:    []string{"limit", "offset", "order_by", "user_id"},
		orders:      []string{"created_at", "updated_at"},
		otherOrders: []string{"email_address", "web3wallet", "first_name", "last_name", "phone_number", "username", "last_active_at", "last_sign_in_at"},
		unmodelled: []string{"email_address", "phone_number", "external_id", "username", "web3_wallet", "organization_id",
			"query", "email_address_query", "phone_number_query", "username_query", "name_query", "banned",
			"last_active_at_before", "last_active_at_after", "last_active_at_since", "created_at_before", "created_at_after",
			"last_sign_in_at_before", "last_sign_in_at_after", "provider", "provider_user_id", "starting_after"},
	}
	organizationParams = params{
		modelled:   []string{"limit", "offset", "order_by", "user_id", "include_members_count", "include_missing_member_with_elevated_permissions"},
		orders:     []string{"created_at", "name", "members_count"},
		unmodelled: []string{"query", "organization_id"},
	}
	organizationGetParams = params{
		modelled: []string{"include_members_count", "include_missing_member_with_elevated_permissions"},
	}
	membershipParams = params{
		modelled:    []string{"limit", "offset", "order_by", "user_id"},
		orders:      []string{"created_at"},
		otherOrders: []string{"phone_number", "email_address", "first_name", "last_name", "username"},
		unmodelled: []string{"query", "email_address_query", "phone_number_query", "username_query", "name_query",
			"role", "email_address", "phone_number", "username", "web3_wallet",
			"last_active_at_before", "last_active_at_after", "created_at_before", "created_at_after"},
	}
	userMembershipParams     = params{modelled: []string{"limit", "offset"}}
	instanceMembershipParams = params{
		modelled:    []string{"limit", "offset", "order_by"},
		orders:      []string{"created_at"},
		otherOrders: membershipParams.otherOrders,
	}
)

// listQuery is a parsed list request.
type listQuery struct {
	limit, offset int
	order         string // a field of params.orders
	desc          bool
	// include and exclude are the user_id filter: + (or no sign) and -.
	include, exclude []string
	counts           bool // include_members_count
}

func (q listQuery) filtered() bool { return len(q.include)+len(q.exclude) > 0 }

// parseQuery checks the parameters against p and reads them. Defaults are
// Clerk's: limit 10, offset 0, order_by -created_at.
func parseQuery(v url.Values, p params) (listQuery, *apiError) {
	q := listQuery{limit: 10, order: "created_at", desc: true}
	for name := range v {
		switch {
		case slices.Contains(p.modelled, name):
		case slices.Contains(p.unmodelled, name):
			return q, errUnsupported(name, fmt.Sprintf("fakeclerk does not model the %s parameter", name))
		default:
			return q, errUnsupported(name, fmt.Sprintf("%s is not a parameter fakeclerk knows for this endpoint", name))
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return q, errParam("limit", "limit must be an integer between 1 and 500")
		}
		q.limit = n
	}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, errParam("offset", "offset must be an integer greater than or equal to 0")
		}
		q.offset = n
	}
	// Clerk keeps the first order_by when several are given.
	if s := v.Get("order_by"); s != "" {
		field, desc := s, false
		switch s[0] {
		case '-':
			field, desc = s[1:], true
		case '+', ' ': // a raw "+" in a query string decodes as a space
			field = s[1:]
		}
		switch {
		case slices.Contains(p.orders, field):
			q.order, q.desc = field, desc
		case slices.Contains(p.otherOrders, field):
			return q, errUnsupported("order_by", fmt.Sprintf("fakeclerk does not model ordering by %s", field))
		default:
			return q, errParam("order_by", fmt.Sprintf("%s does not match one of the allowed values for parameter order_by", s))
		}
	}
	ids := v["user_id"]
	if len(ids) > 100 {
		return q, errParam("user_id", "user_id accepts up to 100 values")
	}
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "-"):
			q.exclude = append(q.exclude, id[1:])
		case strings.HasPrefix(id, "+"):
			q.include = append(q.include, id[1:])
		default:
			q.include = append(q.include, id)
		}
	}
	for _, name := range []string{"include_members_count", "include_missing_member_with_elevated_permissions"} {
		if s := v.Get(name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return q, errParam(name, name+" must be a boolean")
			}
			if name == "include_members_count" {
				q.counts = b
			}
		}
	}
	return q, nil
}

// page returns the page of items (in ascending order) that q asks for.
func page[T any](items []T, q listQuery) []T {
	n := len(items)
	if q.offset >= n {
		return nil
	}
	end := min(q.offset+q.limit, n)
	if !q.desc {
		return items[q.offset:end]
	}
	out := make([]T, 0, end-q.offset)
	for i := q.offset; i < end; i++ {
		out = append(out, items[n-1-i])
	}
	return out
}

// keep applies the user_id filter of q to the items whose user ids are
// given by users: an item stays when no id is included or one of its users
// is, and none of its users is excluded.
func keep(q listQuery, users []string) bool {
	if len(q.include) > 0 && !slices.ContainsFunc(users, func(u string) bool { return slices.Contains(q.include, u) }) {
		return false
	}
	return !slices.ContainsFunc(users, func(u string) bool { return slices.Contains(q.exclude, u) })
}

// users returns the users q selects, in ascending order of q's field.
func (s *Server) users(q listQuery) []*User {
	items := s.st.users.items
	if q.order == "updated_at" {
		items = s.byUpdated()
	}
	if q.filtered() {
		items = slices.DeleteFunc(slices.Clone(items), func(u *User) bool { return !keep(q, []string{u.ID}) })
	}
	return items
}

// byUpdated returns the users in ascending (updated_at, id) order, sorted
// again only after a change, so that paging through 50,000 users by
// updated_at does not sort them for every page.
func (s *Server) byUpdated() []*User {
	if c := &s.st.updatedCache; c.items == nil || c.version != s.st.userVersion {
		c.items = slices.SortedFunc(slices.Values(s.st.users.items), func(a, b *User) int {
			return cmp.Or(cmp.Compare(a.UpdatedAt, b.UpdatedAt), strings.Compare(a.ID, b.ID))
		})
		c.version = s.st.userVersion
	}
	return s.st.updatedCache.items
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), userParams)
	if e != nil {
		writeError(w, e)
		return
	}
	s.runBeforePage(Page{Path: r.URL.Path, Offset: q.offset, Limit: q.limit})
	s.mu.Lock()
	users := page(s.users(q), q)
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = s.renderUser(u)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) countUsers(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), userParams)
	if e != nil {
		writeError(w, e)
		return
	}
	q.order = "created_at" // the count ignores order_by
	s.mu.Lock()
	n := len(s.users(q))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, totalCountJSON{Object: "total_count", TotalCount: n})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		_, e := parseQuery(r.URL.Query(), params{})
		writeError(w, e)
		return
	}
	id := r.PathValue("user_id")
	s.mu.Lock()
	u := s.st.userByID[id]
	var out userJSON
	if u != nil {
		out = s.renderUser(u)
	}
	s.mu.Unlock()
	if u == nil {
		writeError(w, errNotFound("No user was found with id "+id))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listUserMemberships(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), userMembershipParams)
	if e != nil {
		writeError(w, e)
		return
	}
	id := r.PathValue("user_id")
	s.runBeforePage(Page{Path: r.URL.Path, Offset: q.offset, Limit: q.limit})
	s.mu.Lock()
	if s.st.userByID[id] == nil {
		s.mu.Unlock()
		writeError(w, errNotFound("No user was found with id "+id))
		return
	}
	all := slices.SortedFunc(func(yield func(*Membership) bool) {
		for _, m := range s.st.memsByUser[id] {
			if !yield(m) {
				return
			}
		}
	}, byCreated[*Membership])
	out := listJSON[membershipJSON]{Data: []membershipJSON{}, TotalCount: len(all)}
	for _, m := range page(all, q) {
		out.Data = append(out.Data, s.renderMembership(m))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// organizations returns the organizations q selects, in ascending order of
// q's field.
func (s *Server) organizations(q listQuery) []*Organization {
	items := s.st.orgs.items
	if q.filtered() {
		items = slices.DeleteFunc(slices.Clone(items), func(o *Organization) bool {
			var members []string
			if l := s.st.memsByOrg[o.ID]; l != nil {
				for _, m := range l.items {
					members = append(members, m.UserID)
				}
			}
			return !keep(q, members)
		})
	}
	count := func(o *Organization) int {
		if l := s.st.memsByOrg[o.ID]; l != nil {
			return len(l.items)
		}
		return 0
	}
	switch q.order {
	case "name":
		items = slices.SortedFunc(slices.Values(items), func(a, b *Organization) int {
			return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
		})
	case "members_count":
		items = slices.SortedFunc(slices.Values(items), func(a, b *Organization) int {
			return cmp.Or(cmp.Compare(count(a), count(b)), strings.Compare(a.ID, b.ID))
		})
	}
	return items
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), organizationParams)
	if e != nil {
		writeError(w, e)
		return
	}
	s.runBeforePage(Page{Path: r.URL.Path, Offset: q.offset, Limit: q.limit})
	s.mu.Lock()
	all := s.organizations(q)
	out := listJSON[*organizationJSON]{Data: []*organizationJSON{}, TotalCount: len(all)}
	for _, o := range page(all, q) {
		out.Data = append(out.Data, s.renderOrganization(o, q.counts))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), organizationGetParams)
	if e != nil {
		writeError(w, e)
		return
	}
	id := r.PathValue("organization_id")
	s.mu.Lock()
	o := s.org(id)
	var out *organizationJSON
	if o != nil {
		out = s.renderOrganization(o, q.counts)
	}
	s.mu.Unlock()
	if o == nil {
		writeError(w, errNotFound("Given organization not found."))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listMemberships answers an organization's memberships. An organization
// that does not exist is a 404 (Clerk's OrganizationNotFound); the OpenAPI
// document lists no 404 for this endpoint, so that answer is a guess.
func (s *Server) listMemberships(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), membershipParams)
	if e != nil {
		writeError(w, e)
		return
	}
	id := r.PathValue("organization_id")
	s.runBeforePage(Page{Path: r.URL.Path, Offset: q.offset, Limit: q.limit})
	s.mu.Lock()
	o := s.st.orgByID[id]
	if o == nil {
		s.mu.Unlock()
		writeError(w, errNotFound("Given organization not found."))
		return
	}
	var all []*Membership
	if l := s.st.memsByOrg[id]; l != nil {
		all = l.items
	}
	if q.filtered() {
		all = slices.DeleteFunc(slices.Clone(all), func(m *Membership) bool { return !keep(q, []string{m.UserID}) })
	}
	out := listJSON[membershipJSON]{Data: []membershipJSON{}, TotalCount: len(all)}
	for _, m := range page(all, q) {
		out.Data = append(out.Data, s.renderMembership(m))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// listInstanceMemberships answers every membership of the instance, the
// list Clerk's JavaScript SDK reads with getInstanceOrganizationMembershipList.
// clerk-sdk-go v2.7.0 has no method for it; a client calls it with
// clerk.NewAPIRequest(http.MethodGet, "/organization_memberships") on a
// clerk.Backend.
func (s *Server) listInstanceMemberships(w http.ResponseWriter, r *http.Request) {
	q, e := parseQuery(r.URL.Query(), instanceMembershipParams)
	if e != nil {
		writeError(w, e)
		return
	}
	s.runBeforePage(Page{Path: r.URL.Path, Offset: q.offset, Limit: q.limit})
	s.mu.Lock()
	if c := &s.st.memsCache; c.items == nil || c.version != s.st.memVersion {
		c.items = slices.SortedFunc(func(yield func(*Membership) bool) {
			for _, m := range s.st.mems {
				if !yield(m) {
					return
				}
			}
		}, byCreated[*Membership])
		c.version = s.st.memVersion
	}
	all := s.st.memsCache.items
	out := listJSON[membershipJSON]{Data: []membershipJSON{}, TotalCount: len(all)}
	for _, m := range page(all, q) {
		out.Data = append(out.Data, s.renderMembership(m))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
