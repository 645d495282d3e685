package synctest

import (
	"fmt"

	"github.com/seed77920f6a/clerkwebhook"
)

// The order rule, case by case: each short history is applied in every
// order its events could arrive in (all permutations), straight through the
// callbacks, and must leave the state of the history applied in order.

// T0 is when the cases' histories begin, in Clerk's milliseconds.
const T0 = int64(1764331200000)

// An OrderCase is a history of a few events, built with ids ending in sfx
// so that each order of arrival has objects of its own.
type OrderCase struct {
	Name    string
	History func(sfx string) *History
}

func Str(s string) *string { return &s }

// Helpers for the cases: one version of each object, at T0 plus a few
// milliseconds.
func CaseUser(sfx string, at int64) UserVersion {
	return UserVersion{ID: "user_" + sfx, FirstName: Str("Ada"), LastName: Str("Okafor"),
		ImageURL: "https://img.clerk.com/" + sfx, Emails: []string{"ada@example.com", "ada@work.example.com"},
		Primary: 1, Plan: "free", CreatedAt: T0, UpdatedAt: at}
}

func CaseOrg(sfx string, at int64) OrganizationVersion {
	return OrganizationVersion{ID: "org_" + sfx, Name: "Northwind", Slug: "northwind", CreatedAt: T0, UpdatedAt: at}
}

func CaseMembership(id, sfx string, role string, at int64) MembershipVersion {
	return MembershipVersion{ID: id + "_" + sfx, Organization: CaseOrg(sfx, T0), UserID: "user_" + sfx,
		Role: role, CreatedAt: at, UpdatedAt: at}
}

func Msg(typ clerkwebhook.EventType, body []byte) Message { return Message{Type: typ, Body: body} }

// About returns the History of ms, about the case's user and organization,
// with message ids.
func About(sfx string, ms ...Message) *History {
	for i := range ms {
		ms[i].ID = fmt.Sprintf("msg_%s_%d", sfx, i)
	}
	return &History{Messages: ms, UserIDs: []string{"user_" + sfx}, OrgIDs: []string{"org_" + sfx}}
}

var OrderCases = []OrderCase{
	{"user updated twice", func(sfx string) *History {
		u1, u2, u3 := CaseUser(sfx, T0), CaseUser(sfx, T0+1000), CaseUser(sfx, T0+2000)
		u2.FirstName = Str("Adaeze")
		u3.Primary = 0
		return About(sfx, Msg(clerkwebhook.UserCreated, u1.Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.UserUpdated, u2.Body(clerkwebhook.UserUpdated)),
			Msg(clerkwebhook.UserUpdated, u3.Body(clerkwebhook.UserUpdated)))
	}},
	{"user deleted after an update", func(sfx string) *History {
		u1, u2 := CaseUser(sfx, T0), CaseUser(sfx, T0+1000)
		u2.LastName = nil
		return About(sfx, Msg(clerkwebhook.UserCreated, u1.Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.UserUpdated, u2.Body(clerkwebhook.UserUpdated)),
			Msg(clerkwebhook.UserDeleted, DeletedBody(clerkwebhook.UserDeleted, u1.ID, nil, T0+2000)))
	}},
	{"user deleted in the millisecond of an update", func(sfx string) *History {
		u1, u2 := CaseUser(sfx, T0), CaseUser(sfx, T0+1000)
		return About(sfx, Msg(clerkwebhook.UserCreated, u1.Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.UserUpdated, u2.Body(clerkwebhook.UserUpdated)),
			Msg(clerkwebhook.UserDeleted, DeletedBody(clerkwebhook.UserDeleted, u1.ID, nil, T0+1000)))
	}},
	{"user deleted, with an Envelope timestamp in seconds", func(sfx string) *History {
		u1 := CaseUser(sfx, T0)
		return About(sfx, Msg(clerkwebhook.UserCreated, u1.Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.UserDeleted, DeletedBody(clerkwebhook.UserDeleted, u1.ID, nil, (T0+5000)/1000)))
	}},
	{"user updated after its deletion (Clerk never does)", func(sfx string) *History {
		u1, u3 := CaseUser(sfx, T0), CaseUser(sfx, T0+2000)
		return About(sfx, Msg(clerkwebhook.UserCreated, u1.Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.UserDeleted, DeletedBody(clerkwebhook.UserDeleted, u1.ID, nil, T0+1000)),
			Msg(clerkwebhook.UserUpdated, u3.Body(clerkwebhook.UserUpdated)))
	}},
	{"user without a primary email address, then with one", func(sfx string) *History {
		u1, u2 := CaseUser(sfx, T0), CaseUser(sfx, T0+1000)
		u1.Primary, u1.FirstName = -1, nil
		return About(sfx, Msg(clerkwebhook.UserCreated, u1.Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.UserUpdated, u2.Body(clerkwebhook.UserUpdated)))
	}},
	{"organization renamed, then deleted", func(sfx string) *History {
		o1, o2 := CaseOrg(sfx, T0), CaseOrg(sfx, T0+1000)
		o2.Name, o2.Slug = "Northwind Traders", "northwind-traders"
		return About(sfx, Msg(clerkwebhook.OrganizationCreated, o1.Body(clerkwebhook.OrganizationCreated)),
			Msg(clerkwebhook.OrganizationUpdated, o2.Body(clerkwebhook.OrganizationUpdated)),
			Msg(clerkwebhook.OrganizationDeleted, DeletedBody(clerkwebhook.OrganizationDeleted, o1.ID, &o2.Slug, T0+2000)))
	}},
	{"member's role changed", func(sfx string) *History {
		m1, m2 := CaseMembership("orgmem_a", sfx, "org:member", T0+2), CaseMembership("orgmem_a", sfx, "org:admin", T0+3)
		m2.CreatedAt = m1.CreatedAt
		return About(sfx, Msg(clerkwebhook.OrganizationCreated, CaseOrg(sfx, T0).Body(clerkwebhook.OrganizationCreated)),
			Msg(clerkwebhook.UserCreated, CaseUser(sfx, T0+1).Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.OrganizationMembershipCreated, m1.Body(clerkwebhook.OrganizationMembershipCreated, T0+5)),
			Msg(clerkwebhook.OrganizationMembershipUpdated, m2.Body(clerkwebhook.OrganizationMembershipUpdated, T0+6)))
	}},
	{"member removed after a role change", func(sfx string) *History {
		m1, m2 := CaseMembership("orgmem_a", sfx, "org:member", T0+2), CaseMembership("orgmem_a", sfx, "org:admin", T0+3)
		m2.CreatedAt = m1.CreatedAt
		return About(sfx, Msg(clerkwebhook.OrganizationCreated, CaseOrg(sfx, T0).Body(clerkwebhook.OrganizationCreated)),
			Msg(clerkwebhook.UserCreated, CaseUser(sfx, T0+1).Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.OrganizationMembershipCreated, m1.Body(clerkwebhook.OrganizationMembershipCreated, T0+4)),
			Msg(clerkwebhook.OrganizationMembershipUpdated, m2.Body(clerkwebhook.OrganizationMembershipUpdated, T0+5)),
			// deleted carries the membership as last changed; its stamp is the envelope's
			Msg(clerkwebhook.OrganizationMembershipDeleted, m2.Body(clerkwebhook.OrganizationMembershipDeleted, T0+6)))
	}},
	{"member removed, then added again", func(sfx string) *History {
		m1, m2 := CaseMembership("orgmem_a", sfx, "org:member", T0+2), CaseMembership("orgmem_b", sfx, "org:admin", T0+4)
		return About(sfx, Msg(clerkwebhook.OrganizationCreated, CaseOrg(sfx, T0).Body(clerkwebhook.OrganizationCreated)),
			Msg(clerkwebhook.UserCreated, CaseUser(sfx, T0+1).Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.OrganizationMembershipCreated, m1.Body(clerkwebhook.OrganizationMembershipCreated, T0+2)),
			Msg(clerkwebhook.OrganizationMembershipDeleted, m1.Body(clerkwebhook.OrganizationMembershipDeleted, T0+3)),
			Msg(clerkwebhook.OrganizationMembershipCreated, m2.Body(clerkwebhook.OrganizationMembershipCreated, T0+5)))
	}},
	{"member's user deleted, membership not", func(sfx string) *History {
		m := CaseMembership("orgmem_a", sfx, "org:member", T0+2)
		return About(sfx, Msg(clerkwebhook.OrganizationCreated, CaseOrg(sfx, T0).Body(clerkwebhook.OrganizationCreated)),
			Msg(clerkwebhook.UserCreated, CaseUser(sfx, T0+1).Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.OrganizationMembershipCreated, m.Body(clerkwebhook.OrganizationMembershipCreated, T0+3)),
			Msg(clerkwebhook.UserDeleted, DeletedBody(clerkwebhook.UserDeleted, "user_"+sfx, nil, T0+4)))
	}},
	{"organization deleted with its members", func(sfx string) *History {
		m := CaseMembership("orgmem_a", sfx, "org:member", T0+2)
		return About(sfx, Msg(clerkwebhook.OrganizationCreated, CaseOrg(sfx, T0).Body(clerkwebhook.OrganizationCreated)),
			Msg(clerkwebhook.UserCreated, CaseUser(sfx, T0+1).Body(clerkwebhook.UserCreated)),
			Msg(clerkwebhook.OrganizationMembershipCreated, m.Body(clerkwebhook.OrganizationMembershipCreated, T0+3)),
			Msg(clerkwebhook.OrganizationDeleted, DeletedBody(clerkwebhook.OrganizationDeleted, "org_"+sfx, Str("northwind"), T0+4)))
	}},
}

// Permutations returns every order of 0, 1, ..., n-1.
func Permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range Permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}
