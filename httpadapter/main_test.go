package httpadapter_test

import (
	"context"
	"testing"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/internal/pgtest"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/storage/storagetest"
	"github.com/rosterkit/roster/users"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// storeKind is a storage backend that the adapter tests run on.
type storeKind struct {
	name string
	// open returns an empty store that lives until t ends. The
	// PostgreSQL store skips t when the server is unreachable, unless
	// ROSTER_REQUIRE_POSTGRES=1 makes it fail.
	open func(t *testing.T) storagetest.Store
}

var storeKinds = []storeKind{
	{"memory", func(*testing.T) storagetest.Store { return memory.New() }},
	{"postgres", func(t *testing.T) storagetest.Store { return pgtest.NewStore(t) }},
}

// forEachStore runs fn as one subtest per store kind, each with a fresh
// fixture on that store.
func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			fn(t, newFixtureOn(t, kind.open(t), nil))
		})
	}
}

// newFixtureOn builds the fixture of newFixtureWith on store. The
// fixture's store field stays nil, so a test on it cannot inject faults.
func newFixtureOn(t *testing.T, store storagetest.Store, opts *httpadapter.Options) *fixture {
	t.Helper()
	f := &fixture{
		t:      t,
		ctx:    context.Background(),
		clock:  &clock{now: seedTime},
		logs:   &syncBuffer{},
		tokens: map[string]string{},
	}
	f.users = users.NewService(store, &users.Options{
		Now:      f.clock.Now,
		Notifier: users.NotifierFunc(f.notify),
	})
	f.seats = seats.NewService(store, &seats.Options{Now: f.clock.Now})
	f.activity = activity.NewService(store, nil)
	if opts == nil {
		opts = &httpadapter.Options{}
	}
	if opts.Logger == nil {
		opts.Logger = f.handlerLogger()
	}
	f.handler = httpadapter.New(httpadapter.Services{Users: f.users, Seats: f.seats, Activity: f.activity}, bearerAuth, opts)
	f.seed()
	return f
}
