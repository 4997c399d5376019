package main

import (
	"context"
	"errors"

	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/users"
)

// stores is the storage backend the host runs Roster on.
type stores struct {
	// name is the backend's name for the start log line.
	name     string
	users    users.Store
	seats    seats.Store
	activity activity.Store
	// close releases the backend's resources.
	close func() error
}

// errPostgresNotBuiltIn is returned for a -dsn or DATABASE_URL.
var errPostgresNotBuiltIn = errors.New("PostgreSQL support is not built into this example yet; " +
	"unset -dsn and DATABASE_URL to keep everything in memory")

// openStores returns the backend for dsn: the memory store when dsn is
// empty. It is the one place that chooses a backend.
//
// NOTE: the host's credentials and sessions stay in process memory
// whatever the backend. A persistent backend needs persistent credentials
// too, because seeding skips a company whose admin has a credential.
func openStores(ctx context.Context, dsn string) (stores, error) {
	if dsn != "" {
		return stores{}, errPostgresNotBuiltIn
	}
	st := memory.New()
	return stores{
		name:     "memory",
		users:    st,
		seats:    st,
		activity: st,
		close:    func() error { return nil },
	}, nil
}
