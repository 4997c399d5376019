package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/rosterkit/roster"
	"github.com/rosterkit/roster/activity"
	"github.com/rosterkit/roster/seats"
	"github.com/rosterkit/roster/users"
)

var (
	_ users.Store     = (*Store)(nil)
	_ seats.Store     = (*Store)(nil)
	_ activity.Store  = (*Store)(nil)
	_ activity.Syncer = (*Store)(nil)
)

// Defaults of the pool that Open creates. They follow pgxpool v5, whose
// defaults are max(4, runtime.NumCPU()) connections, a lifetime of one
// hour and an idle time of 30 minutes.
const (
	DefaultConnMaxLifetime = time.Hour
	DefaultConnMaxIdleTime = 30 * time.Minute
	minDefaultOpenConns    = 4
)

// Options configures a Store. A nil *Options means the defaults.
type Options struct {
	// Logger receives the errors that the store handles without returning
	// them, such as a failed rollback or migration unlock. The default
	// discards them.
	Logger *slog.Logger
	// MaxOpenConns caps the connections of the pool that Open creates;
	// the default is max(4, runtime.NumCPU()). New and NewFromSQL ignore
	// it, because the host configures its own pool.
	MaxOpenConns int
	// ConnMaxLifetime closes connections of Open's pool after this age,
	// so that the pool follows a failover or a DNS change; the default is
	// DefaultConnMaxLifetime.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections of Open's pool that stayed idle
	// this long; the default is DefaultConnMaxIdleTime.
	ConnMaxIdleTime time.Duration
}

func (o *Options) logger() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o *Options) maxOpenConns() int {
	if o == nil || o.MaxOpenConns <= 0 {
		return max(minDefaultOpenConns, runtime.NumCPU())
	}
	return o.MaxOpenConns
}

func (o *Options) connMaxLifetime() time.Duration {
	if o == nil || o.ConnMaxLifetime <= 0 {
		return DefaultConnMaxLifetime
	}
	return o.ConnMaxLifetime
}

func (o *Options) connMaxIdleTime() time.Duration {
	if o == nil || o.ConnMaxIdleTime <= 0 {
		return DefaultConnMaxIdleTime
	}
	return o.ConnMaxIdleTime
}

// Store is a Roster store in PostgreSQL. It implements users.Store,
// seats.Store and activity.Store, and it is safe for concurrent use by
// any number of goroutines and processes that share one database.
type Store struct {
	db     *bun.DB
	owned  bool
	logger *slog.Logger
}

// Open connects to the database at dsn through pgx, checks the connection
// with a ping and returns a Store whose pool Close closes. dsn is a
// PostgreSQL URL or key=value connection string, as pgx.ParseConfig reads
// it. Open does not migrate, so call Migrate first. It returns a
// KindUnavailable error when it cannot reach the server.
//
// The pool uses pgx's simple protocol, because bun interpolates every
// argument into the SQL text: the default, a prepared statement per
// distinct text, would prepare each query once and never reuse it.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password from the errors of ParseConfig.
		return nil, fmt.Errorf("postgres: parse the connection string: %w", err)
	}
	config.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol

	sqldb := stdlib.OpenDB(*config)
	sqldb.SetMaxOpenConns(opts.maxOpenConns())
	sqldb.SetMaxIdleConns(opts.maxOpenConns())
	sqldb.SetConnMaxLifetime(opts.connMaxLifetime())
	sqldb.SetConnMaxIdleTime(opts.connMaxIdleTime())

	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, roster.Unavailable(fmt.Errorf("postgres: ping the server: %w", err))
	}
	s := New(bun.NewDB(sqldb, pgdialect.New()), opts)
	s.owned = true
	return s, nil
}

// New returns a Store on a host's *bun.DB, which must use the pgdialect.
// Close leaves db open.
func New(db *bun.DB, opts *Options) *Store {
	return &Store{db: db, logger: opts.logger()}
}

// NewFromSQL returns a Store on a host's *sql.DB connected to PostgreSQL,
// through pgx's stdlib driver or bun's pgdriver. Close leaves sqldb open.
func NewFromSQL(sqldb *sql.DB, opts *Options) *Store {
	return New(bun.NewDB(sqldb, pgdialect.New()), opts)
}

// DB returns the store's database handle, for Migrate and for the host's
// own queries.
func (s *Store) DB() *bun.DB {
	return s.db
}

// Close closes the pool if Open created it, and does nothing for a store
// from New or NewFromSQL, whose pool belongs to the host.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.db.Close()
}
