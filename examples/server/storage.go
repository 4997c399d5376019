package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/storage/memory"
	"github.com/rosterkit/roster/storage/postgres"
	"github.com/rosterkit/roster/users"
)

// stores is the storage backend the host runs on: Roster's stores and the
// host store of the same backend.
type stores struct {
	// name is the backend's name for the start log line.
	name     string
	users    users.Store
	seats    seats.Store
	activity activity.Store
	host     hostStore
	// close releases the backend's resources.
	close func() error
}

// openStores returns the backend for dsn: the memory store when dsn is
// empty, PostgreSQL otherwise. It is the one place that chooses a backend.
func openStores(ctx context.Context, dsn string, logger *slog.Logger) (stores, error) {
	if dsn == "" {
		logger.InfoContext(ctx, "using the memory store, whose data ends with the process")
		st := memory.New()
		return stores{
			name:     "memory",
			users:    st,
			seats:    st,
			activity: st,
			host:     newMemoryHostStore(),
			close:    func() error { return nil },
		}, nil
	}
	return openPostgres(ctx, dsn, logger)
}

// openPostgres connects to the database at dsn, migrates Roster's schema,
// creates the host's tables and returns the stores on them.
func openPostgres(ctx context.Context, dsn string, logger *slog.Logger) (stores, error) {
	target, err := describeDSN(dsn)
	if err != nil {
		return stores{}, err
	}
	logger.InfoContext(ctx, "using the PostgreSQL store", "database", target)

	store, err := postgres.Open(ctx, dsn, &postgres.Options{Logger: logger})
	if err != nil {
		return stores{}, fmt.Errorf("connecting to PostgreSQL database %s failed: %w; "+
			"check that the server runs and that -dsn or DATABASE_URL names it", target, withCause(err))
	}
	host, err := preparePostgres(ctx, store, logger)
	if err != nil {
		if closeErr := store.Close(); closeErr != nil {
			logger.ErrorContext(ctx, "closing the PostgreSQL store failed", "database", target, "err", closeErr)
		}
		return stores{}, fmt.Errorf("preparing PostgreSQL database %s failed: %w", target, err)
	}
	return stores{
		name:     "postgres",
		users:    store,
		seats:    store,
		activity: store,
		host:     host,
		close:    store.Close,
	}, nil
}

// preparePostgres brings Roster's schema up to date and creates the host's
// tables beside it.
func preparePostgres(ctx context.Context, store *postgres.Store, logger *slog.Logger) (*postgresHostStore, error) {
	if err := postgres.Migrate(ctx, store.DB(), logger); err != nil {
		return nil, fmt.Errorf("migrating Roster's schema: %w", err)
	}
	return newPostgresHostStore(ctx, store.DB(), logger)
}

// describeDSN returns user@host:port/database of a connection string, for
// logs and errors. It never contains the password.
func describeDSN(dsn string) (string, error) {
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx leaves the password out of its parse errors.
		return "", fmt.Errorf("invalid PostgreSQL connection string in -dsn or DATABASE_URL: %w; "+
			"use a URL such as postgres://user@127.0.0.1:5432/roster or key=value pairs such as host=127.0.0.1 dbname=roster",
			err)
	}
	return config.User + "@" + config.Host + ":" + strconv.Itoa(int(config.Port)) + "/" + config.Database, nil
}

// causeError shows the cause of a *roster.Error in its message. A
// roster.Error's message is written for API clients and leaves the cause
// out, but the operator who starts the server needs it.
type causeError struct{ err *roster.Error }

func (e causeError) Error() string { return e.err.Err.Error() }

func (e causeError) Unwrap() error { return e.err }

// withCause returns err with its cause in the message when err is a
// *roster.Error with a cause, and err otherwise.
func withCause(err error) error {
	var re *roster.Error
	if errors.As(err, &re) && re.Err != nil {
		return causeError{re}
	}
	return err
}
