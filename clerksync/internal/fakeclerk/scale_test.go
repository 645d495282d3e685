package fakeclerk_test

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 50,000 users, the size clerksync's issue measures, are held in modest
// memory and listed through the SDK in pages of 500.
func TestFiftyThousandUsers(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("generates and lists 50,000 users; too slow under -short or -race")
	}
	t.Parallel()
	const n = 50_000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	srv := newServer(t)
	start := time.Now()
	srv.Generate(50, n, 500, 20)
	generated := time.Since(start)
	held := heap() - before
	t.Logf("generated %d users, 500 organizations, 10,000 memberships in %v; heap %.1f MiB",
		n, generated.Round(time.Millisecond), float64(held)/(1<<20))
	// Other tests run in parallel, so the measure is loose.
	assert.Less(t, held, uint64(64<<20), "the records are small")

	start = time.Now()
	ids, _ := listAllUsers(t, user.NewClient(srv.Config()), 500, "")
	t.Logf("listed %d users in %v, %d requests", len(ids), time.Since(start).Round(time.Millisecond), srv.RequestCount(""))
	require.Len(t, ids, n)
	slices.Sort(ids)
	assert.Len(t, slices.Compact(ids), n)
	assert.Equal(t, 101, srv.RequestCount("GET /v1/users"), "100 full pages and an empty one")

	// Ordering by updated_at sorts per request; still quick.
	start = time.Now()
	ids, _ = listAllUsers(t, user.NewClient(srv.Config()), 500, "-updated_at")
	t.Logf("listed %d users by -updated_at in %v", len(ids), time.Since(start).Round(time.Millisecond))
	require.Len(t, ids, n)
}
