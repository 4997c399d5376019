package storagetest

import (
	"testing"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

// Store is a complete storage backend. It combines the users store with
// its transactions, the seats store, the activity log and its incremental
// sync.
type Store interface {
	users.Store
	seats.Store
	activity.Store
	activity.Syncer
}

// Run runs the conformance suite against the stores that newStore returns.
// It calls newStore once per subtest, from that subtest's goroutine, and
// runs most subtests in parallel, so every store it returns must be empty
// and share no data with the others.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	s := suite{newStore: newStore}
	groups := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"CreateCompany", s.testCreateCompany},
		{"Invite", s.testInvite},
		{"Verify", s.testVerify},
		{"List", s.testList},
		{"Update", s.testUpdate},
		{"Archive", s.testArchive},
		{"Seats", s.testSeats},
		{"Login", s.testLogin},
		{"Columns", s.testColumns},
		{"Conversations", s.testConversations},
		{"ActivityQuery", s.testActivityQuery},
		{"Isolation", s.testIsolation},
		{"OneEntryPerChange", s.testOneEntryPerChange},
		{"Transactions", s.testTransactions},
		{"Sync", s.testSync},
		{"Export", s.testExport},
		{"Concurrency", s.testConcurrency},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t)
		})
	}
}

// suite carries the store constructor to every subtest.
type suite struct {
	newStore func(t *testing.T) Store
}

// run runs fn as a parallel subtest of t with a fresh environment.
func (s suite) run(t *testing.T, name string, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t, s.newEnv(t))
	})
}
