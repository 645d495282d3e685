package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed77920f6a/clerkwebhook"
	"github.com/seed77920f6a/clerkwebhook/clerkwebhooktest"
)

// The order rule, case by case: each short history is applied in every
// order its events could arrive in (all permutations), straight through the
// callbacks, and must leave the state of the history applied in order.

// t0 is when the cases' histories begin, in Clerk's milliseconds.
const t0 = int64(1764331200000)

// An orderCase is a history of a few events, built with ids ending in sfx
// so that each order of arrival has objects of its own.
type orderCase struct {
	name    string
	history func(sfx string) *history
}

func str(s string) *string { return &s }

// Helpers for the cases: one version of each object, at t0 plus a few
// milliseconds.
func caseUser(sfx string, at int64) userVersion {
	return userVersion{ID: "user_" + sfx, FirstName: str("Ada"), LastName: str("Okafor"),
		ImageURL: "https://img.clerk.com/" + sfx, Emails: []string{"ada@example.com", "ada@work.example.com"},
		Primary: 1, Plan: "free", CreatedAt: t0, UpdatedAt: at}
}

func caseOrg(sfx string, at int64) organizationVersion {
	return organizationVersion{ID: "org_" + sfx, Name: "Northwind", Slug: "northwind", CreatedAt: t0, UpdatedAt: at}
}

func caseMembership(id, sfx string, role string, at int64) membershipVersion {
	return membershipVersion{ID: id + "_" + sfx, Organization: caseOrg(sfx, t0), UserID: "user_" + sfx,
		Role: role, CreatedAt: at, UpdatedAt: at}
}

func msg(typ clerkwebhook.EventType, body []byte) message { return message{Type: typ, Body: body} }

// about returns the history of ms, about the case's user and organization,
// with message ids.
func about(sfx string, ms ...message) *history {
	for i := range ms {
		ms[i].ID = fmt.Sprintf("msg_%s_%d", sfx, i)
	}
	return &history{messages: ms, userIDs: []string{"user_" + sfx}, orgIDs: []string{"org_" + sfx}}
}

var orderCases = []orderCase{
	{"user updated twice", func(sfx string) *history {
		u1, u2, u3 := caseUser(sfx, t0), caseUser(sfx, t0+1000), caseUser(sfx, t0+2000)
		u2.FirstName = str("Adaeze")
		u3.Primary = 0
		return about(sfx, msg(clerkwebhook.UserCreated, u1.body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.UserUpdated, u2.body(clerkwebhook.UserUpdated)),
			msg(clerkwebhook.UserUpdated, u3.body(clerkwebhook.UserUpdated)))
	}},
	{"user deleted after an update", func(sfx string) *history {
		u1, u2 := caseUser(sfx, t0), caseUser(sfx, t0+1000)
		u2.LastName = nil
		return about(sfx, msg(clerkwebhook.UserCreated, u1.body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.UserUpdated, u2.body(clerkwebhook.UserUpdated)),
			msg(clerkwebhook.UserDeleted, deletedBody(clerkwebhook.UserDeleted, u1.ID, nil, t0+2000)))
	}},
	{"user deleted in the millisecond of an update", func(sfx string) *history {
		u1, u2 := caseUser(sfx, t0), caseUser(sfx, t0+1000)
		return about(sfx, msg(clerkwebhook.UserCreated, u1.body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.UserUpdated, u2.body(clerkwebhook.UserUpdated)),
			msg(clerkwebhook.UserDeleted, deletedBody(clerkwebhook.UserDeleted, u1.ID, nil, t0+1000)))
	}},
	{"user deleted, with an envelope timestamp in seconds", func(sfx string) *history {
		u1 := caseUser(sfx, t0)
		return about(sfx, msg(clerkwebhook.UserCreated, u1.body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.UserDeleted, deletedBody(clerkwebhook.UserDeleted, u1.ID, nil, (t0+5000)/1000)))
	}},
	{"user updated after its deletion (Clerk never does)", func(sfx string) *history {
		u1, u3 := caseUser(sfx, t0), caseUser(sfx, t0+2000)
		return about(sfx, msg(clerkwebhook.UserCreated, u1.body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.UserDeleted, deletedBody(clerkwebhook.UserDeleted, u1.ID, nil, t0+1000)),
			msg(clerkwebhook.UserUpdated, u3.body(clerkwebhook.UserUpdated)))
	}},
	{"user without a primary email address, then with one", func(sfx string) *history {
		u1, u2 := caseUser(sfx, t0), caseUser(sfx, t0+1000)
		u1.Primary, u1.FirstName = -1, nil
		return about(sfx, msg(clerkwebhook.UserCreated, u1.body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.UserUpdated, u2.body(clerkwebhook.UserUpdated)))
	}},
	{"organization renamed, then deleted", func(sfx string) *history {
		o1, o2 := caseOrg(sfx, t0), caseOrg(sfx, t0+1000)
		o2.Name, o2.Slug = "Northwind Traders", "northwind-traders"
		return about(sfx, msg(clerkwebhook.OrganizationCreated, o1.body(clerkwebhook.OrganizationCreated)),
			msg(clerkwebhook.OrganizationUpdated, o2.body(clerkwebhook.OrganizationUpdated)),
			msg(clerkwebhook.OrganizationDeleted, deletedBody(clerkwebhook.OrganizationDeleted, o1.ID, &o2.Slug, t0+2000)))
	}},
	{"member's role changed", func(sfx string) *history {
		m1, m2 := caseMembership("orgmem_a", sfx, "org:member", t0+2), caseMembership("orgmem_a", sfx, "org:admin", t0+3)
		m2.CreatedAt = m1.CreatedAt
		return about(sfx, msg(clerkwebhook.OrganizationCreated, caseOrg(sfx, t0).body(clerkwebhook.OrganizationCreated)),
			msg(clerkwebhook.UserCreated, caseUser(sfx, t0+1).body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.OrganizationMembershipCreated, m1.body(clerkwebhook.OrganizationMembershipCreated, t0+5)),
			msg(clerkwebhook.OrganizationMembershipUpdated, m2.body(clerkwebhook.OrganizationMembershipUpdated, t0+6)))
	}},
	{"member removed after a role change", func(sfx string) *history {
		m1, m2 := caseMembership("orgmem_a", sfx, "org:member", t0+2), caseMembership("orgmem_a", sfx, "org:admin", t0+3)
		m2.CreatedAt = m1.CreatedAt
		return about(sfx, msg(clerkwebhook.OrganizationCreated, caseOrg(sfx, t0).body(clerkwebhook.OrganizationCreated)),
			msg(clerkwebhook.UserCreated, caseUser(sfx, t0+1).body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.OrganizationMembershipCreated, m1.body(clerkwebhook.OrganizationMembershipCreated, t0+4)),
			msg(clerkwebhook.OrganizationMembershipUpdated, m2.body(clerkwebhook.OrganizationMembershipUpdated, t0+5)),
			// deleted carries the membership as last changed; its stamp is the envelope's
			msg(clerkwebhook.OrganizationMembershipDeleted, m2.body(clerkwebhook.OrganizationMembershipDeleted, t0+6)))
	}},
	{"member removed, then added again", func(sfx string) *history {
		m1, m2 := caseMembership("orgmem_a", sfx, "org:member", t0+2), caseMembership("orgmem_b", sfx, "org:admin", t0+4)
		return about(sfx, msg(clerkwebhook.OrganizationCreated, caseOrg(sfx, t0).body(clerkwebhook.OrganizationCreated)),
			msg(clerkwebhook.UserCreated, caseUser(sfx, t0+1).body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.OrganizationMembershipCreated, m1.body(clerkwebhook.OrganizationMembershipCreated, t0+2)),
			msg(clerkwebhook.OrganizationMembershipDeleted, m1.body(clerkwebhook.OrganizationMembershipDeleted, t0+3)),
			msg(clerkwebhook.OrganizationMembershipCreated, m2.body(clerkwebhook.OrganizationMembershipCreated, t0+5)))
	}},
	{"member's user deleted, membership not", func(sfx string) *history {
		m := caseMembership("orgmem_a", sfx, "org:member", t0+2)
		return about(sfx, msg(clerkwebhook.OrganizationCreated, caseOrg(sfx, t0).body(clerkwebhook.OrganizationCreated)),
			msg(clerkwebhook.UserCreated, caseUser(sfx, t0+1).body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.OrganizationMembershipCreated, m.body(clerkwebhook.OrganizationMembershipCreated, t0+3)),
			msg(clerkwebhook.UserDeleted, deletedBody(clerkwebhook.UserDeleted, "user_"+sfx, nil, t0+4)))
	}},
	{"organization deleted with its members", func(sfx string) *history {
		m := caseMembership("orgmem_a", sfx, "org:member", t0+2)
		return about(sfx, msg(clerkwebhook.OrganizationCreated, caseOrg(sfx, t0).body(clerkwebhook.OrganizationCreated)),
			msg(clerkwebhook.UserCreated, caseUser(sfx, t0+1).body(clerkwebhook.UserCreated)),
			msg(clerkwebhook.OrganizationMembershipCreated, m.body(clerkwebhook.OrganizationMembershipCreated, t0+3)),
			msg(clerkwebhook.OrganizationDeleted, deletedBody(clerkwebhook.OrganizationDeleted, "org_"+sfx, str("northwind"), t0+4)))
	}},
}

// permutations returns every order of 0, 1, ..., n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestOrderRule(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, newDB func(*testing.T) string) {
		svc := startService(t, newDB(t))
		// The callbacks, run straight, in the order of each permutation;
		// events verified as the Handler verifies them.
		v, err := clerkwebhook.NewVerifier(secret)
		require.NoError(t, err)
		h := clerkwebhook.NewHandler(v)
		(&applier{store: svc.store}).register(h)
		ctx := context.Background()
		for i, c := range orderCases {
			t.Run(c.name, func(t *testing.T) {
				n := len(c.history("").messages)
				for j, order := range permutations(n) {
					hist := c.history(fmt.Sprintf("c%dp%d", i, j))
					for _, k := range order {
						m := hist.messages[k]
						e, err := v.Verify(m.Body, clerkwebhooktest.Sign(secret, m.ID, time.Now(), m.Body))
						require.NoError(t, err)
						require.NoError(t, h.Dispatch(ctx, e), "%s", m.Type)
					}
					if !checkState(t, svc.ReadURL, hist) {
						t.Fatalf("the events arrived in the order %v of the history (%d orders tried)", order, j+1)
					}
				}
			})
		}
	})
}
