// Package pgtest gives tests a PostgreSQL server of their own: a database
// created for the test binary's run and dropped after it, and a fresh,
// migrated schema per test.
//
// The server comes from ROSTER_TEST_DSN, by default the local server
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. When it does
// not respond, the tests that need it skip with a message, unless
// ROSTER_REQUIRE_POSTGRES=1 makes them fail. A package that uses pgtest
// calls Main from its TestMain.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/storage/postgres"
)

// Environment variables of the PostgreSQL tests.
const (
	// EnvTestDSN names the server to test against. The tests create and
	// drop their own database on it.
	EnvTestDSN = "ROSTER_TEST_DSN"
	// EnvRequire set to 1 turns a missing server into a failure.
	EnvRequire = "ROSTER_REQUIRE_POSTGRES"
	// EnvWorkerDSN is set in the child processes of the multi-process
	// test, which use the parent's database and create none.
	EnvWorkerDSN = "ROSTER_POSTGRES_WORKER_DSN"
)

const DefaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PoolSize is the pool size of each test store. The conformance suite
// runs two subtests at a time with -parallel 2 and many goroutines each,
// which share the pool.
const PoolSize = 4

// server describes the test run's database.
var server struct {
	// adminDSN connects to the server's maintenance database.
	adminDSN string
	// address is the host and port, for messages without the password.
	address string
	// database is the database this run created.
	database string
	// dsn connects to database.
	dsn string
	// unreachable is the connection error of the server, or nil.
	unreachable error
	// setupErr is the error that kept the test database from being prepared, or nil.
	setupErr error
}

// Main runs the tests of m around a database created for this run, and
// exits with their status. It creates no database in a child process whose
// EnvWorkerDSN is set.
func Main(m *testing.M) {
	if os.Getenv(EnvWorkerDSN) != "" {
		os.Exit(m.Run())
	}
	cleanup := setupServer()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// setupServer creates the run's database with a random name, so that
// parallel packages and reruns never share one, and returns the function
// that drops it.
func setupServer() (cleanup func()) {
	server.adminDSN = os.Getenv(EnvTestDSN)
	if server.adminDSN == "" {
		server.adminDSN = DefaultTestDSN
	}
	config, err := pgx.ParseConfig(server.adminDSN)
	if err != nil {
		server.setupErr = fmt.Errorf("%s is not a valid connection string: %w", EnvTestDSN, err)
		return func() {}
	}
	server.address = fmt.Sprintf("%s:%d", config.Host, config.Port)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := OpenSQL(server.adminDSN)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		server.unreachable = err
		return func() {}
	}

	server.database = "roster_test_" + RandomHex(6)
	server.dsn = WithParams(server.adminDSN, server.database, nil)
	if err := createDatabase(ctx, admin, server.database); err != nil {
		server.setupErr = err
		admin.Close()
		return func() {}
	}
	// The schema-per-test stores find pg_trgm in public, where it is
	// created once, because an extension exists once per database.
	server.setupErr = Exec(ctx, server.dsn, "CREATE EXTENSION IF NOT EXISTS pg_trgm")
	return func() {
		dropDatabase(admin, server.database)
		admin.Close()
	}
}

// DSN returns the connection string of the run's database.
func DSN() string { return server.dsn }

// AdminDSN returns the connection string of the server's maintenance
// database, from which tests create databases.
func AdminDSN() string { return server.adminDSN }

func createDatabase(ctx context.Context, admin *sql.DB, name string) error {
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create the test database %s: %w", name, err)
	}
	return nil
}

// dropDatabase drops a database that this run created. WITH (FORCE) ends
// connections that a failed test left open.
func dropDatabase(admin *sql.DB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "drop the test database %s failed: %v\n", name, err)
	}
}

// Exec runs one statement on a new connection to dsn.
func Exec(ctx context.Context, dsn, statement string) error {
	db, err := OpenSQL(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, statement)
	return err
}

// OpenSQL opens a pgx *sql.DB with a short connect timeout.
func OpenSQL(dsn string) (*sql.DB, error) {
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	config.ConnectTimeout = 5 * time.Second
	return stdlib.OpenDB(*config), nil
}

// Require skips t when the PostgreSQL server is unreachable. It
// fails t instead when ROSTER_REQUIRE_POSTGRES=1, or when the test
// database could not be set up.
func Require(t testing.TB) {
	t.Helper()
	if server.setupErr != nil {
		t.Fatalf("set up the PostgreSQL test database: %v", server.setupErr)
	}
	if server.unreachable == nil {
		return
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("cannot reach the PostgreSQL server at %s, which %s=1 requires: %v", server.address, EnvRequire, server.unreachable)
	}
	t.Skipf("cannot reach the PostgreSQL server at %s (%v); set %s to a server, or %s=1 to fail instead of skipping",
		server.address, server.unreachable, EnvTestDSN, EnvRequire)
}

// WithParams returns dsn with the database replaced, when database is not
// empty, and with the given run-time parameters added. It accepts URLs and
// key=value strings.
func WithParams(dsn, database string, params map[string]string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			panic(fmt.Sprintf("parse the test DSN: %v", err))
		}
		if database != "" {
			u.Path = "/" + database
		}
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	parts := []string{dsn}
	if database != "" {
		parts = append(parts, "dbname="+quoteKeywordValue(database))
	}
	for k, v := range params {
		parts = append(parts, k+"="+quoteKeywordValue(v))
	}
	return strings.Join(parts, " ")
}

func quoteKeywordValue(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// RandomHex returns n random bytes in hex, for unique names.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var schemaCounter atomic.Int64

// NewStore returns a migrated Store on a fresh schema of the run's
// database, which t's cleanup drops.
func NewStore(t testing.TB) *postgres.Store {
	t.Helper()
	store, _ := NewSchema(t)
	return store
}

// NewSchema creates a fresh schema in the run's database, which t's
// cleanup drops, and returns a migrated Store on it with its DSN. The
// DSN's search_path selects the schema, and keeps public for pg_trgm's
// operator classes.
func NewSchema(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	schema := fmt.Sprintf("roster_s%d_%s", schemaCounter.Add(1), RandomHex(3))
	require.NoError(t, Exec(ctx, server.dsn, "CREATE SCHEMA "+schema))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := Exec(ctx, server.dsn, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop the test schema %s: %v", schema, err)
		}
	})

	dsn := WithParams(server.dsn, "", map[string]string{"search_path": schema + ",public"})
	store := OpenStore(t, dsn)
	require.NoError(t, postgres.Migrate(ctx, store.DB(), nil))
	return store, dsn
}

// OpenStore opens a Store on dsn with the test pool size, which t's
// cleanup closes.
func OpenStore(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := postgres.Open(ctx, dsn, &postgres.Options{MaxOpenConns: PoolSize})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	return store
}

// NewDatabase creates an empty database for t, which t's cleanup drops,
// and returns its DSN.
func NewDatabase(t testing.TB) string {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := OpenSQL(server.adminDSN)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })

	name := "roster_test_" + RandomHex(6)
	require.NoError(t, createDatabase(ctx, admin, name))
	t.Cleanup(func() { dropDatabase(admin, name) })
	return WithParams(server.adminDSN, name, nil)
}
