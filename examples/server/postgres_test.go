package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
)

// Environment variables of the PostgreSQL tests.
const (
	// envTestDSN names the server to test against. The tests create and
	// drop their own databases on it.
	envTestDSN = "ROSTER_TEST_DSN"
	// envRequirePostgres set to 1 turns an unreachable server into a
	// failure instead of a skip.
	envRequirePostgres = "ROSTER_REQUIRE_POSTGRES"
)

// defaultTestDSN is the server the tests try when ROSTER_TEST_DSN is unset.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// newTestDatabase creates an empty database named roster_e2e_<random hex>
// on the test server and returns its connection string. t's cleanup drops
// it, ending any connection that a server process left open. When the
// server is unreachable, newTestDatabase skips t, or fails it when
// ROSTER_REQUIRE_POSTGRES=1.
func newTestDatabase(t *testing.T) string {
	t.Helper()
	adminDSN := os.Getenv(envTestDSN)
	if adminDSN == "" {
		adminDSN = defaultTestDSN
	}
	config, err := pgx.ParseConfig(adminDSN)
	require.NoError(t, err, "%s is not a valid PostgreSQL connection string", envTestDSN)
	address := fmt.Sprintf("%s:%d", config.Host, config.Port)
	config.ConnectTimeout = 5 * time.Second
	admin := stdlib.OpenDB(*config)
	t.Cleanup(func() { admin.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv(envRequirePostgres) == "1" {
			require.Failf(t, "PostgreSQL is unreachable",
				"no PostgreSQL server is reachable at %s, which %s=1 requires: %v", address, envRequirePostgres, err)
		}
		t.Skipf("no PostgreSQL server is reachable at %s (%v); set %s to a server, or %s=1 to fail instead of skipping",
			address, err, envTestDSN, envRequirePostgres)
	}

	name := "roster_e2e_" + randomHex(t, 6)
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err, "creating the test database %s", name)
	t.Cleanup(func() { dropTestDatabase(t, admin, name) })
	return dsnWithDatabase(t, adminDSN, name)
}

// dropTestDatabase drops a database that newTestDatabase created. WITH
// (FORCE) ends the connections of server processes that a failed test
// left running.
func dropTestDatabase(t *testing.T, admin *sql.DB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("dropping the test database %s failed: %v; drop it by hand", name, err)
	}
}

// dsnWithDatabase returns dsn with its database replaced by name. It
// accepts URLs and key=value strings.
func dsnWithDatabase(t *testing.T, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err, "parsing %s as a URL", envTestDSN)
		u.Path = "/" + name
		return u.String()
	}
	// In a key=value string, a later key overrides an earlier one. The
	// generated name needs no quoting.
	return dsn + " dbname=" + name
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}
