package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/rosterkit/roster/internal/pgtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/storage/postgres"
)

// wantVersions are the versions of the embedded migrations.
var wantVersions = []string{"0001", "0002", "0003", "0004", "0005", "0006"}

// logBuffer is a slog handler target that records JSON lines and is safe
// for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// appliedVersions returns the versions of the "applied migration" records.
func (b *logBuffer) appliedVersions(t *testing.T) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var versions []string
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for dec.More() {
		var record struct {
			Msg     string `json:"msg"`
			Version string `json:"version"`
		}
		require.NoError(t, dec.Decode(&record))
		if record.Msg == "postgres: applied migration" {
			versions = append(versions, record.Version)
		}
	}
	return versions
}

func newLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// recordedVersions returns the versions in bun's migrations table.
func recordedVersions(t *testing.T, store *postgres.Store) []string {
	t.Helper()
	var versions []string
	err := store.DB().NewRaw("SELECT name FROM roster_migrations ORDER BY name").Scan(context.Background(), &versions)
	require.NoError(t, err)
	return versions
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(t), nil)
	require.NoError(t, err)
	defer store.Close()

	var first, second logBuffer
	require.NoError(t, postgres.Migrate(ctx, store.DB(), newLogger(&first)))
	assert.Equal(t, wantVersions, first.appliedVersions(t))
	require.NoError(t, postgres.Migrate(ctx, store.DB(), newLogger(&second)))
	assert.Empty(t, second.appliedVersions(t), "a second run applies nothing")
	assert.Equal(t, wantVersions, recordedVersions(t, store))

	var trigramIndexes int
	err = store.DB().NewRaw(`SELECT count(*) FROM pg_indexes WHERE tablename = 'roster_users' AND indexname LIKE '%_trgm'`).
		Scan(ctx, &trigramIndexes)
	require.NoError(t, err)
	assert.Equal(t, 2, trigramIndexes, "pg_trgm is installed, so both trigram indexes exist")
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn := pgtest.NewDatabase(t)

	const processes = 4
	var logs logBuffer
	stores := make([]*postgres.Store, processes)
	for i := range stores {
		store, err := postgres.Open(ctx, dsn, &postgres.Options{MaxOpenConns: 2})
		require.NoError(t, err)
		defer store.Close()
		stores[i] = store
	}
	errs := make([]error, processes)
	var wg sync.WaitGroup
	for i, store := range stores {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, store.DB(), newLogger(&logs)) })
	}
	wg.Wait()

	for i, err := range errs {
		assert.NoError(t, err, "Migrate call %d", i)
	}
	assert.ElementsMatch(t, wantVersions, logs.appliedVersions(t), "each version is applied once")
	assert.Equal(t, wantVersions, recordedVersions(t, stores[0]))
}

func TestMigrateRejectsSingleConnectionPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := postgres.Open(ctx, pgtest.NewDatabase(t), &postgres.Options{MaxOpenConns: 1})
	require.NoError(t, err)
	defer store.Close()

	err = postgres.Migrate(ctx, store.DB(), nil)
	assert.ErrorContains(t, err, "at least 2 connections")
}
