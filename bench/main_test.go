// Package bench measures Roster's hot paths beside hand-written code that
// does the same work, in the same run and on the same PostgreSQL database,
// so that each ratio comes from one run. docs/benchmarks.md has the
// commands, the figures and the query plans.
//
// The PostgreSQL benchmarks read a generated dataset whose size the
// ROSTER_BENCH_* environment variables set (see dataset_test.go). They skip
// when the server is unreachable, unless ROSTER_REQUIRE_POSTGRES=1. The
// memory-store and HTTP benchmarks need no server.
package bench

import (
	"testing"

	"github.com/rosterkit/roster/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m)
}
