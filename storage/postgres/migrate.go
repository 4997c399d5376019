package postgres

import (
	"context"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migrationFiles holds the schema as numbered SQL migrations. A file named
// NNNN_name.tx.up.sql runs in one transaction and is recorded as version
// NNNN.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// Tables of bun's migrator. They are prefixed like Roster's tables so that
// a host's own bun migrations in the same schema stay apart.
const (
	migrationsTable = "roster_migrations"
	// migrationLocksTable is named for bun's migrator, which Migrate does
	// not use for locking, so the table is never created.
	migrationLocksTable = "roster_migration_locks"
)

// migrationLockKey is the PostgreSQL advisory lock key that serializes
// Migrate calls on one database: the ASCII bytes of "roster".
const migrationLockKey int64 = 0x726f73746572

// unlockTimeout bounds the release of the migration lock, which runs even
// after ctx has ended.
const unlockTimeout = 5 * time.Second

// Migrate brings the database schema of db up to date by applying the
// embedded migrations that it lacks, in version order, each in its own
// transaction, and logs each applied version to logger, which may be nil.
// It does nothing on an up-to-date database.
//
// Migrate is safe to call from several processes at once. It holds a
// PostgreSQL session advisory lock on a dedicated connection while it
// runs, so concurrent calls wait and then find nothing left to apply.
// bun's own migration lock is a row in a table: taking it fails at once
// when another process has it, and it stays taken when that process dies.
// The server releases an advisory lock when its session ends. db's pool
// needs at least two connections, because the migrations run beside the
// lock's connection.
func Migrate(ctx context.Context, db *bun.DB, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if db.Stats().MaxOpenConnections == 1 {
		return errors.New("postgres: Migrate needs a pool of at least 2 connections, got 1; raise SetMaxOpenConns")
	}
	migrations, err := embeddedMigrations()
	if err != nil {
		return err
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: acquire a connection for the migration lock: %w", err)
	}
	defer conn.Close()
	if err := lockMigrations(ctx, conn, logger); err != nil {
		return err
	}
	defer unlockMigrations(ctx, conn, logger)

	return applyMigrations(ctx, db, migrations, logger)
}

func embeddedMigrations() (*migrate.Migrations, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: open the embedded migrations: %w", err)
	}
	migrations := migrate.NewMigrations()
	if err := migrations.Discover(files); err != nil {
		return nil, fmt.Errorf("postgres: read the embedded migrations: %w", err)
	}
	return migrations, nil
}

// lockMigrations takes the migration lock on conn, and logs when it has to
// wait for another process.
func lockMigrations(ctx context.Context, conn bun.Conn, logger *slog.Logger) error {
	var locked bool
	if err := conn.NewRaw("SELECT pg_try_advisory_lock(?)", migrationLockKey).Scan(ctx, &locked); err != nil {
		return fmt.Errorf("postgres: take the migration lock: %w", err)
	}
	if locked {
		return nil
	}
	logger.InfoContext(ctx, "postgres: waiting for another process to finish migrating", "lock_key", migrationLockKey)
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return fmt.Errorf("postgres: wait for the migration lock: %w", err)
	}
	return nil
}

// unlockMigrations releases the migration lock. When that fails, it
// closes conn's session instead, which releases the lock too.
func unlockMigrations(ctx context.Context, conn bun.Conn, logger *slog.Logger) {
	unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	_, err := conn.ExecContext(unlockCtx, "SELECT pg_advisory_unlock(?)", migrationLockKey)
	if err == nil {
		return
	}
	logger.WarnContext(ctx, "postgres: releasing the migration lock failed; closing its connection instead", "err", err)
	// Returning driver.ErrBadConn from Raw makes database/sql discard the
	// connection rather than reuse it while it holds the lock.
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// applyMigrations creates bun's migrations table if needed and applies
// the missing migrations. A migration is recorded only after it
// committed, so a failed one runs again on the next call.
func applyMigrations(ctx context.Context, db *bun.DB, migrations *migrate.Migrations, logger *slog.Logger) error {
	migrator := migrate.NewMigrator(db, migrations,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true),
	)
	// Migrator.Init would also create bun's locks table, which Migrate
	// does not use, so only the migrations table is created here.
	_, err := db.NewCreateTable().
		Model((*migrate.Migration)(nil)).
		ModelTableExpr(migrationsTable).
		IfNotExists().
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("postgres: create the %s table: %w", migrationsTable, err)
	}

	group, err := migrator.Migrate(ctx)
	applied := group.Migrations
	if err != nil && len(applied) > 0 {
		// The last migration of the group is the one that failed.
		applied = applied[:len(applied)-1]
	}
	for _, m := range applied {
		logger.InfoContext(ctx, "postgres: applied migration", "version", m.Name, "name", m.Comment)
	}
	if err != nil {
		return fmt.Errorf("postgres: migrate the schema: %w", err)
	}
	if len(applied) == 0 {
		logger.DebugContext(ctx, "postgres: the schema is up to date")
	}
	return nil
}
