package postgres_test

import (
	"testing"

	"github.com/rosterkit/roster/internal/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m)
}
