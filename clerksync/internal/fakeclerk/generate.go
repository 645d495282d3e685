package fakeclerk

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

var (
	firstNames = []string{"Ada", "Amara", "Aiko", "Bruno", "Chen", "Dalia", "Elodie", "Emeka", "Farah", "Goran",
		"Hana", "Ines", "Ivan", "Jonas", "Kwame", "Lena", "Luca", "Maya", "Mateo", "Nadia", "Noah", "Olga",
		"Omar", "Priya", "Quentin", "Rosa", "Sami", "Sofia", "Tariq", "Tomasz", "Uma", "Vera", "Wei", "Yara", "Zoe"}
	lastNames = []string{"Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
		"Ivanova", "Jensen", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okafor", "Petrov", "Quispe",
		"Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang"}
	orgWords1 = []string{"Northwind", "Blue", "Copper", "Granite", "Harbor", "Lumen", "Maple", "Nimbus",
		"Orbit", "Pioneer", "Quartz", "Summit", "Tidal", "Vertex"}
	orgWords2 = []string{"Analytics", "Labs", "Logistics", "Health", "Studio", "Systems", "Partners",
		"Foods", "Energy", "Capital", "Works", "Media"}
	// Shared metadata values: generated records point at these, which keeps
	// 50,000 users small.
	userMetadata = []json.RawMessage{nil, nil, json.RawMessage(`{"plan":"free"}`), json.RawMessage(`{"plan":"pro"}`),
		json.RawMessage(`{"plan":"pro","beta":true}`), json.RawMessage(`{"plan":"team","seats":5}`)}
	orgMetadata = []json.RawMessage{nil, json.RawMessage(`{"tier":"starter"}`), json.RawMessage(`{"tier":"growth","region":"eu"}`)}
)

const year = 365 * 24 * 3600 * 1000

// Generate adds users, organizations and, to each organization,
// membershipsPerOrg memberships of distinct users (the first an org:admin,
// who also created it), all made from seed alone: the same seed gives the
// same ids, names, emails and stamps. Records are created in the year
// before the clock (Epoch on a new server), oldest first; about a third
// have been updated since. Users have names, an email address
// first.last.N@example.com, sometimes a username or an external id, and
// share a few metadata values. Generate panics if an id it makes exists
// (the same seed used twice).
func (s *Server) Generate(seed uint64, users, orgs, membershipsPerOrg int) {
	rng := rand.New(rand.NewPCG(seed, 0x6e6e_7261))
	s.mu.Lock()
	defer s.mu.Unlock()
	end := s.clock
	start := end - year
	// created returns the i-th of n creation stamps spread over the year,
	// strictly increasing; updated, a stamp after it, before end.
	created := func(i, n int) int64 {
		step := int64(year) / int64(n+1)
		return start + int64(i)*step + rng.Int64N(max(step, 1))
	}
	updated := func(c int64) int64 {
		if rng.IntN(3) != 0 || c >= end-1 {
			return c
		}
		return c + 1 + rng.Int64N(end-1-c)
	}
	all := make([]*User, 0, users)
	for i := range users {
		c := created(i, users)
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		u := User{
			ID:             newID(rng, "user_", c),
			FirstName:      first,
			LastName:       last,
			EmailAddress:   fmt.Sprintf("%s.%s.%d@example.com", asciiLower(first), asciiLower(last), i),
			EmailAddressID: newID(rng, "idn_", c),
			PublicMetadata: userMetadata[rng.IntN(len(userMetadata))],
			CreatedAt:      c,
			UpdatedAt:      updated(c),
		}
		switch rng.IntN(10) {
		case 0:
			u.FirstName, u.LastName = "", ""
		case 1:
			u.ExternalID = fmt.Sprintf("legacy-%06d", i)
		case 2, 3:
			u.Username = fmt.Sprintf("%s%d", asciiLower(first), i)
		}
		s.checkNewID(u.ID)
		p := &u
		s.st.users.insert(p)
		s.st.userByID[u.ID] = p
		s.st.userVersion++
		all = append(all, p)
	}
	for i := range orgs {
		c := created(i, orgs)
		name := fmt.Sprintf("%s %s %d", orgWords1[rng.IntN(len(orgWords1))], orgWords2[rng.IntN(len(orgWords2))], i)
		o := &Organization{
			ID:                    newID(rng, "org_", c),
			Name:                  name,
			Slug:                  strings.Trim(slugRE.ReplaceAllString(strings.ToLower(name), "-"), "-"),
			MaxAllowedMemberships: 0,
			PublicMetadata:        orgMetadata[rng.IntN(len(orgMetadata))],
			CreatedAt:             c,
			UpdatedAt:             updated(c),
		}
		s.checkNewID(o.ID)
		if other := s.st.orgBySlug[o.Slug]; other != nil {
			panic(fmt.Sprintf("fakeclerk: Generate: slug %q is %s's", o.Slug, other.ID))
		}
		s.st.orgs.insert(o)
		s.st.orgByID[o.ID] = o
		s.st.orgBySlug[o.Slug] = o
		// Distinct members, by a partial shuffle of the users.
		n := min(membershipsPerOrg, len(all))
		members := make([]*User, len(all))
		copy(members, all)
		for j := range n {
			k := j + rng.IntN(len(members)-j)
			members[j], members[k] = members[k], members[j]
			u := members[j]
			after := max(o.CreatedAt, u.CreatedAt)
			mc := after
			if after < end-1 {
				mc = after + rng.Int64N(end-1-after)
			}
			role := "org:member"
			if j == 0 {
				role = "org:admin"
				o.CreatedBy = u.ID
			}
			m := Membership{
				ID:             newID(rng, "orgmem_", mc),
				OrganizationID: o.ID,
				UserID:         u.ID,
				Role:           role,
				CreatedAt:      mc,
				UpdatedAt:      updated(mc),
			}
			s.checkNewID(m.ID)
			if s.st.memByPair[[2]string{o.ID, u.ID}] != nil {
				continue // generated on a server that already had it
			}
			s.putMembership(m)
		}
	}
	s.observe(end)
}

func (s *Server) checkNewID(id string) {
	_, user := s.st.userByID[id]
	_, org := s.st.orgByID[id]
	_, mem := s.st.mems[id]
	_, gone := s.st.gone[id]
	if user || org || mem || gone {
		panic(fmt.Sprintf("fakeclerk: Generate: id %s exists; was the seed used twice?", id))
	}
}

// asciiLower lowercases s and drops what is not a-z, for email addresses.
func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
