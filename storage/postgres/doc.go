// Package postgres is a Roster store in PostgreSQL, on github.com/uptrace/bun
// with its pgdialect. A Store implements users.Store, seats.Store and
// activity.Store, and keeps every invariant when any number of host
// processes share one database, because it enforces them in the database
// and never in process memory.
//
// A host opens a store, migrates the schema once per start and hands the
// store to the services:
//
//	store, err := postgres.Open(ctx, dsn, nil)
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	if err := postgres.Migrate(ctx, store.DB(), logger); err != nil {
//		return err
//	}
//	team := users.NewService(store, &users.Options{Notifier: notifier})
//
// A host that has a *bun.DB or a *sql.DB already passes it to New or
// NewFromSQL instead of Open.
//
// # Driver
//
// Open connects through pgx (github.com/jackc/pgx/v5) and its database/sql
// adapter, not through bun's pgdriver. pgx reads the libpq connection
// string formats, the PG* environment variables, service files and
// .pgpass, so a host configures Roster as it configures psql. Its errors
// carry the SQLSTATE code and the constraint name, which the store
// translates into Roster errors.
//
// NOTE: a host's *sql.DB on bun's pgdriver works with NewFromSQL, and the
// error translation reads pgdriver's error type, but the tests run on pgx
// only, because pgdriver is not a dependency of this module.
//
// # Schema
//
// Migrate applies numbered SQL migrations that are embedded in the
// package, under a PostgreSQL advisory lock, so several processes may call
// it at once. The tables, all named roster_*, go to the first schema of
// the connection's search_path, so a DSN whose search_path names an
// existing schema keeps them in that schema. Every table carries company_id, and every primary key,
// unique constraint and foreign key includes it, so that the schema can be
// distributed by company_id, on Citus for example. Constraints back the
// invariants: a partial unique index keeps email keys unique among a
// company's active users, and CHECK constraints keep seats in use between
// 0 and the seat limit and open conversations at 0 or more. Triggers make
// the activity log append-only.
//
// # Transactions and locks
//
// Each use case runs in one READ COMMITTED transaction. Changes to a
// company's users and seats start by locking the company row with SELECT
// ... FOR NO KEY UPDATE, so they run one after another per company and
// never across companies. Conversation claims and releases are single
// conditional UPDATE statements that need no transaction: PostgreSQL
// checks the limit on the latest committed row while it holds the row
// lock, so concurrent claims never pass the limit. A user update never
// writes the open conversation count, so it cannot undo a concurrent
// claim.
//
// # Errors
//
// The store translates driver errors once, where they leave it. A missing
// row is a KindNotFound error, and a unique violation of the email index
// is KindEmailTaken. A seat CHECK violation is KindNoSeatAvailable, or
// KindSeatLimitBelowUsage when the seat limit changes. Lost connections,
// timeouts, cancellations and server shutdowns are roster.Unavailable
// errors, which the HTTP adapter turns into 503 responses. Messages never
// contain SQL or connection strings.
//
// The package is tested with PostgreSQL 15.
package postgres
