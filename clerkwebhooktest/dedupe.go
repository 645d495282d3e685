package clerkwebhooktest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed77920f6a/clerkwebhook"
)

// SuiteLease and SuiteRetention are the lease and retention TestDeduplicator
// asks its factory for in the subtests that wait them out: short, so that
// the suite is quick. The other subtests ask for SuiteLongLease and
// SuiteLongRetention, so that however slow the machine, nothing expires
// while they run.
const (
	SuiteLease         = time.Second
	SuiteRetention     = 1200 * time.Millisecond
	SuiteLongLease     = time.Minute
	SuiteLongRetention = time.Hour
)

// TestDeduplicator runs the contract every clerkwebhook.Deduplicator must
// meet, as the memory, PostgreSQL and Redis deduplicators of this module do,
// so that a store of your own can prove it too. newDedup returns a
// Deduplicator whose in-progress claims are leased for lease and whose
// completed ids are remembered for retention (TestDeduplicator passes
// SuiteLease and SuiteRetention, or SuiteLongLease and SuiteLongRetention);
// each call may share the store with the others, since every subtest uses
// ids of its own.
//
// The contract, each point a subtest:
//
//   - Claim on a new id claims it; on a claimed id it is InProgress; once the
//     owner completes it, Completed, for the retention, and claimable again
//     after it.
//   - Release by the owner frees the id for a retry; Release never forgets a
//     completed id.
//   - Only the owner (the ClaimToken in the context of its Claim) can
//     complete or release a claim: any other caller gets an error wrapping
//     clerkwebhook.ErrLeaseExpired, and nothing changes. Complete on an id
//     nobody claimed is the same.
//   - A call whose context carries no ClaimToken is refused with an error
//     wrapping clerkwebhook.ErrNoClaimToken, and changes nothing: a
//     token-less Claim is never Claimed, even of a new id.
//   - A clerkwebhook.LeaseRenewer (only then): Renew by the owner extends
//     the claim to a whole lease from now, past the end of the first;
//     Renew by anyone else, of an id taken over or never claimed, is
//     ErrLeaseExpired; Renew of a completed id is nil.
//   - After the lease, another caller takes the claim over, and the old
//     owner's late Complete or Release changes nothing.
//   - Of any number of concurrent claims on one id, exactly one wins.
//   - Ids are opaque strings: any bytes, any length up to 1,000 bytes,
//     distinct even when one is a prefix of another.
//   - Claim with a cancelled context fails and claims nothing.
//
// The suite waits out the lease and the retention in real time, about eight
// seconds in all (the subtests run one after the other). The lease is a
// second, so that on a loaded machine a new owner's claim does not expire
// between the few calls that check it.
func TestDeduplicator(t *testing.T, newDedup func(t *testing.T, lease, retention time.Duration) clerkwebhook.Deduplicator) {
	t.Helper()
	prefix := fmt.Sprintf("msg_suite_%d_", time.Now().UnixNano())
	id := func(name string) string { return prefix + name }
	tests := []struct {
		name  string
		waits bool // waits out the lease or the retention
		fn    func(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string)
	}{
		{"ClaimCompleteDuplicate", false, suiteClaimComplete},
		{"ReleaseAllowsRetry", false, suiteRelease},
		{"OnlyTheOwnerCompletesOrReleases", false, suiteOwner},
		{"NoClaimToken", false, suiteNoToken},
		{"Renew", true, suiteRenew},
		{"LeaseTakeOver", true, suiteLease},
		{"Retention", true, suiteRetention},
		{"ConcurrentClaimsOneWinner", false, suiteConcurrent},
		{"OpaqueIDs", false, suiteOpaqueIDs},
		{"CancelledContext", false, suiteCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lease, retention := SuiteLongLease, SuiteLongRetention
			if tc.waits {
				lease, retention = SuiteLease, SuiteRetention
			}
			d := newDedup(t, lease, retention)
			if d == nil {
				t.Fatal("the factory returned a nil Deduplicator")
			}
			tc.fn(t, d, func(name string) string { return id(tc.name + "_" + name) })
		})
	}
}

// owner returns a context carrying a fresh claim token.
func owner() context.Context { return clerkwebhook.ClaimContext(context.Background()) }

func wantState(t *testing.T, d clerkwebhook.Deduplicator, ctx context.Context, id string, want clerkwebhook.ClaimState, why string) {
	t.Helper()
	got, err := d.Claim(ctx, id)
	if err != nil {
		t.Fatalf("Claim(%q): %v (%s)", id, err, why)
	}
	if got != want {
		t.Fatalf("Claim(%q) = %v, want %v (%s)", id, got, want, why)
	}
}

func wantNil(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantLost(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, clerkwebhook.ErrLeaseExpired) {
		t.Fatalf("%s: got %v, want an error wrapping ErrLeaseExpired", what, err)
	}
}

func wantNoToken(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, clerkwebhook.ErrNoClaimToken) {
		t.Fatalf("%s: got %v, want an error wrapping ErrNoClaimToken", what, err)
	}
}

func suiteNoToken(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	none := context.Background()
	fresh, msg := id("fresh"), id("a")
	// Two callers without a token are not one owner: neither claims.
	for i := 0; i < 2; i++ {
		state, err := d.Claim(none, fresh)
		wantNoToken(t, err, "Claim of a new id with no claim token")
		if state == clerkwebhook.Claimed {
			t.Fatalf("token-less Claim %d was answered Claimed", i+1)
		}
	}
	wantState(t, d, owner(), fresh, clerkwebhook.Claimed, "a token-less Claim claimed the id")

	a := owner()
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	for i := 0; i < 2; i++ {
		state, err := d.Claim(none, msg)
		wantNoToken(t, err, "Claim with no claim token of an id in progress")
		if state == clerkwebhook.Claimed {
			t.Fatal("a token-less Claim was answered Claimed while the id is in progress")
		}
	}
	wantNoToken(t, d.Complete(none, msg), "Complete with no claim token")
	wantNoToken(t, d.Release(none, msg), "Release with no claim token")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "a token-less call changed the claim")
	if r, ok := d.(clerkwebhook.LeaseRenewer); ok {
		wantNoToken(t, r.Renew(none, msg), "Renew with no claim token")
	}
	wantNil(t, d.Complete(a, msg), "Complete by the owner")
}

func suiteRenew(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	r, ok := d.(clerkwebhook.LeaseRenewer)
	if !ok {
		return // renewal is optional
	}
	if r.Lease() != SuiteLease {
		t.Fatalf("Lease() = %v, want the lease it was made with, %v", r.Lease(), SuiteLease)
	}
	a, msg, other := owner(), id("a"), id("other")
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	wantLost(t, r.Renew(owner(), msg), "Renew by another")
	wantLost(t, r.Renew(a, id("never-claimed")), "Renew of an id nobody claimed")
	wantState(t, d, owner(), id("never-claimed"), clerkwebhook.Claimed, "a Renew without a claim recorded it")
	// Renewed every quarter of a lease for two leases: the claim outlives
	// its first lease, and is still the owner's.
	for start := time.Now(); time.Since(start) < 2*SuiteLease; {
		time.Sleep(SuiteLease / 4)
		wantNil(t, r.Renew(a, msg), "Renew by the owner")
	}
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "renewed, but taken over after its first lease")
	wantNil(t, d.Complete(a, msg), "Complete by the owner after renewals")
	wantNil(t, r.Renew(a, msg), "Renew of a completed id")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "Renew changed a completed id")

	// Not renewed: taken over after the lease; the old owner's Renew is lost.
	wantState(t, d, a, other, clerkwebhook.Claimed, "a new id")
	time.Sleep(SuiteLease + SuiteLease/2)
	b := owner()
	wantState(t, d, b, other, clerkwebhook.Claimed, "the lease ended: taken over")
	wantLost(t, r.Renew(a, other), "the old owner's Renew after a takeover")
	wantState(t, d, owner(), other, clerkwebhook.InProgress, "the old owner's Renew freed or took the claim")
	wantNil(t, r.Renew(b, other), "Renew by the new owner")
	wantNil(t, d.Release(b, other), "Release by the new owner")
	wantLost(t, r.Renew(b, other), "Renew of a released id")
}

func suiteClaimComplete(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	a, msg := owner(), id("a")
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "claimed by another")
	wantNil(t, d.Complete(a, msg), "Complete by the owner")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "completed")
	wantState(t, d, a, msg, clerkwebhook.Completed, "completed, asked by its owner")
	wantNil(t, d.Complete(a, msg), "Complete again")
	wantNil(t, d.Release(a, msg), "Release of a completed id")
	wantNil(t, d.Release(owner(), msg), "Release of a completed id by another")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "Release forgot a completed id")
	wantState(t, d, owner(), id("b"), clerkwebhook.Claimed, "another id is independent")
}

func suiteRelease(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	a, msg := owner(), id("a")
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	wantNil(t, d.Release(a, msg), "Release by the owner")
	b := owner()
	wantState(t, d, b, msg, clerkwebhook.Claimed, "released: the retry claims it")
	wantNil(t, d.Complete(b, msg), "Complete by the new owner")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "completed by the retry")
}

func suiteOwner(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	a, msg := owner(), id("a")
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	wantLost(t, d.Release(owner(), msg), "Release by another")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "another's Release freed the claim")
	wantLost(t, d.Complete(owner(), msg), "Complete by another")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "another's Complete completed the claim")
	wantNoToken(t, d.Complete(context.Background(), msg), "Complete with no claim token")
	wantNil(t, d.Complete(a, msg), "Complete by the owner")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "completed by its owner")

	never := id("never-claimed")
	wantLost(t, d.Complete(owner(), never), "Complete of an id nobody claimed")
	wantState(t, d, owner(), never, clerkwebhook.Claimed, "a Complete without a claim recorded it")
}

func suiteLease(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	a, msg, gone := owner(), id("a"), id("gone")
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	wantState(t, d, a, gone, clerkwebhook.Claimed, "a new id")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "within the lease")
	time.Sleep(SuiteLease + SuiteLease/2)

	b := owner()
	wantState(t, d, b, msg, clerkwebhook.Claimed, "the lease ended: taken over")
	wantLost(t, d.Complete(a, msg), "the old owner's late Complete")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "the old owner's late Complete completed the new claim")
	wantLost(t, d.Release(a, msg), "the old owner's late Release")
	wantState(t, d, owner(), msg, clerkwebhook.InProgress, "the old owner's late Release freed the new claim")
	wantNil(t, d.Complete(b, msg), "Complete by the new owner")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "completed by the new owner")

	// An expired lease nobody took over: the owner may still finish.
	wantNil(t, d.Complete(a, gone), "Complete by the owner after its lease, not taken over")
	wantState(t, d, owner(), gone, clerkwebhook.Completed, "completed late")
}

func suiteRetention(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	a, msg := owner(), id("a")
	wantState(t, d, a, msg, clerkwebhook.Claimed, "a new id")
	wantNil(t, d.Complete(a, msg), "Complete")
	time.Sleep(SuiteRetention / 2)
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "forgotten before its retention")
	time.Sleep(SuiteRetention)
	wantState(t, d, owner(), msg, clerkwebhook.Claimed, "remembered past its retention")
}

func suiteConcurrent(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	const n = 50
	msg := id("a")
	owners := make([]context.Context, n)
	states := make([]clerkwebhook.ClaimState, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range owners {
		owners[i] = owner()
		done.Add(1)
		go func(i int) {
			defer done.Done()
			start.Wait()
			states[i], errs[i] = d.Claim(owners[i], msg)
		}(i)
	}
	start.Done()
	done.Wait()
	winner := -1
	for i := range states {
		wantNil(t, errs[i], "concurrent Claim")
		switch states[i] {
		case clerkwebhook.Claimed:
			if winner >= 0 {
				t.Fatalf("claims %d and %d both won", winner, i)
			}
			winner = i
		case clerkwebhook.InProgress:
		default:
			t.Fatalf("claim %d: %v", i, states[i])
		}
	}
	if winner < 0 {
		t.Fatal("no concurrent claim won")
	}
	wantNil(t, d.Complete(owners[winner], msg), "Complete by the winner")
	wantState(t, d, owner(), msg, clerkwebhook.Completed, "completed by the winner")
}

func suiteOpaqueIDs(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	base := id("x")
	ids := []string{
		base,
		base + "y",                      // the first is its prefix
		base + " 'quote\" \\ ; -- %_*?", // SQL and glob metacharacters
		base + "\x00\r\n\t\u00fc\u202e", // control characters and Unicode
		base + strings.Repeat("z", 1000-len(base)), // 1,000 bytes
	}
	owners := make([]context.Context, len(ids))
	for i, msg := range ids {
		owners[i] = owner()
		wantState(t, d, owners[i], msg, clerkwebhook.Claimed, fmt.Sprintf("id %d is distinct", i))
	}
	wantNil(t, d.Complete(owners[0], ids[0]), "Complete")
	wantState(t, d, owner(), ids[0], clerkwebhook.Completed, "completed")
	for i := 1; i < len(ids); i++ {
		wantState(t, d, owner(), ids[i], clerkwebhook.InProgress, fmt.Sprintf("id %d shares state with another", i))
	}
}

func suiteCancelled(t *testing.T, d clerkwebhook.Deduplicator, id func(string) string) {
	msg := id("a")
	ctx, cancel := context.WithCancel(owner())
	cancel()
	if state, err := d.Claim(ctx, msg); err == nil {
		t.Fatalf("Claim with a cancelled context = %v, want an error", state)
	}
	wantState(t, d, owner(), msg, clerkwebhook.Claimed, "a failed Claim claimed the id")
}
