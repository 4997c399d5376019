package main

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rosterkit/roster/httpadapter"
	"github.com/rosterkit/roster/storage/postgres"
)

// The host store tests run one contract against both implementations.
// openHostStores returns two stores on the same state, which for
// PostgreSQL are two pools on one database, as two processes would have.
type openHostStores func(t *testing.T) (hostStore, hostStore)

func TestMemoryHostStore(t *testing.T) {
	testHostStore(t, func(t *testing.T) (hostStore, hostStore) {
		s := newMemoryHostStore()
		return s, s
	})
}

func TestPostgresHostStore(t *testing.T) {
	dsn := newTestDatabase(t)
	testHostStore(t, func(t *testing.T) (hostStore, hostStore) {
		return openTestHostStore(t, dsn), openTestHostStore(t, dsn)
	})
}

func TestPostgresHostStoreConcurrentSetup(t *testing.T) {
	dsn := newTestDatabase(t)
	const processes = 4
	dbs := make([]*postgres.Store, processes)
	for i := range dbs {
		dbs[i] = openTestStore(t, dsn)
	}
	var wg sync.WaitGroup
	errs := make([]error, processes)
	for i, db := range dbs {
		wg.Go(func() {
			_, errs[i] = newPostgresHostStore(context.Background(), db.DB(), slog.New(slog.DiscardHandler))
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "setup %d of %d concurrent ones", i+1, processes)
	}
}

// openTestStore opens a PostgreSQL store on dsn, which t's cleanup closes.
func openTestStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	store, err := postgres.Open(context.Background(), dsn, &postgres.Options{MaxOpenConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, store.Close()) })
	return store
}

// openTestHostStore opens a pool on dsn and returns the host store on it.
func openTestHostStore(t *testing.T, dsn string) *postgresHostStore {
	t.Helper()
	store := openTestStore(t, dsn)
	host, err := newPostgresHostStore(context.Background(), store.DB(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return host
}

func testHostStore(t *testing.T, open openHostStores) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	alice := credential{companyID: uuid.New(), userID: uuid.New(), hash: []byte("hash-1")}

	t.Run("credential missing", func(t *testing.T) {
		s, _ := open(t)
		_, found, err := s.credential(ctx, "nobody@example.test")
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("credential round trip", func(t *testing.T) {
		s, other := open(t)
		require.NoError(t, s.putCredential(ctx, "alice@example.test", alice))
		got, found, err := other.credential(ctx, "alice@example.test")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, alice, got)
	})

	t.Run("credential replaced by email", func(t *testing.T) {
		s, other := open(t)
		archived := credential{companyID: uuid.New(), userID: uuid.New(), hash: []byte("hash-2")}
		require.NoError(t, s.putCredential(ctx, "bob@example.test", archived))
		// A user re-invited in another company takes over the address.
		bob := credential{companyID: uuid.New(), userID: uuid.New(), hash: []byte("hash-3")}
		require.NoError(t, other.putCredential(ctx, "bob@example.test", bob))
		got, found, err := s.credential(ctx, "bob@example.test")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, bob, got)
	})

	t.Run("credential password change", func(t *testing.T) {
		s, _ := open(t)
		carol := credential{companyID: uuid.New(), userID: uuid.New(), hash: []byte("hash-4")}
		require.NoError(t, s.putCredential(ctx, "carol@example.test", carol))
		carol.hash = []byte("hash-5")
		require.NoError(t, s.putCredential(ctx, "carol@example.test", carol))
		got, found, err := s.credential(ctx, "carol@example.test")
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, carol, got)
	})

	t.Run("session round trip", func(t *testing.T) {
		s, other := open(t)
		hash := newTokenHash(t)
		sess := testSession(now.Add(time.Hour))
		require.NoError(t, s.putSession(ctx, hash, sess, now))
		got, found, err := other.session(ctx, hash, now)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, sess, got)
	})

	t.Run("deleteUserSessions ends one user's sessions", func(t *testing.T) {
		s, other := open(t)
		mine := testSession(now.Add(time.Hour))
		theirs := testSession(now.Add(time.Hour))
		first, second, kept := newTokenHash(t), newTokenHash(t), newTokenHash(t)
		require.NoError(t, s.putSession(ctx, first, mine, now))
		require.NoError(t, s.putSession(ctx, second, mine, now))
		require.NoError(t, s.putSession(ctx, kept, theirs, now))

		n, err := other.deleteUserSessions(ctx, mine.identity)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		for _, hash := range []tokenHash{first, second} {
			_, found, err := s.session(ctx, hash, now)
			require.NoError(t, err)
			assert.False(t, found, "the user's session is gone")
		}
		_, found, err := s.session(ctx, kept, now)
		require.NoError(t, err)
		assert.True(t, found, "another user's session stays")
	})

	t.Run("session unknown", func(t *testing.T) {
		s, _ := open(t)
		_, found, err := s.session(ctx, newTokenHash(t), now)
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("session expires", func(t *testing.T) {
		s, _ := open(t)
		hash := newTokenHash(t)
		expiresAt := now.Add(time.Minute)
		require.NoError(t, s.putSession(ctx, hash, testSession(expiresAt), now))
		_, found, err := s.session(ctx, hash, expiresAt.Add(-time.Microsecond))
		require.NoError(t, err)
		assert.True(t, found, "one microsecond before the expiry")
		_, found, err = s.session(ctx, hash, expiresAt)
		require.NoError(t, err)
		assert.False(t, found, "at the expiry")
	})

	t.Run("putSession drops expired sessions", func(t *testing.T) {
		s, _ := open(t)
		old := newTokenHash(t)
		require.NoError(t, s.putSession(ctx, old, testSession(now.Add(time.Minute)), now))
		later := now.Add(2 * time.Minute)
		require.NoError(t, s.putSession(ctx, newTokenHash(t), testSession(later.Add(time.Hour)), later))
		// Read at a time before the expiry, the old session is gone only
		// if the second putSession deleted it.
		_, found, err := s.session(ctx, old, now)
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("deleteSession finds it once", func(t *testing.T) {
		s, other := open(t)
		hash := newTokenHash(t)
		sess := testSession(now.Add(time.Hour))
		require.NoError(t, s.putSession(ctx, hash, sess, now))
		got, found, err := other.deleteSession(ctx, hash, now)
		require.NoError(t, err)
		require.True(t, found)
		assert.Equal(t, sess, got)
		_, found, err = s.deleteSession(ctx, hash, now)
		require.NoError(t, err)
		assert.False(t, found, "second delete")
		_, found, err = s.session(ctx, hash, now)
		require.NoError(t, err)
		assert.False(t, found, "lookup after delete")
	})

	t.Run("deleteSession of expired session", func(t *testing.T) {
		s, _ := open(t)
		hash := newTokenHash(t)
		require.NoError(t, s.putSession(ctx, hash, testSession(now.Add(time.Minute)), now))
		_, found, err := s.deleteSession(ctx, hash, now.Add(time.Minute))
		require.NoError(t, err)
		assert.False(t, found)
	})

	t.Run("deleteSession concurrent", func(t *testing.T) {
		s, other := open(t)
		hash := newTokenHash(t)
		require.NoError(t, s.putSession(ctx, hash, testSession(now.Add(time.Hour)), now))
		const callers = 8
		var wg sync.WaitGroup
		var foundCount atomic.Int32
		for i := range callers {
			store := s
			if i%2 == 1 {
				store = other
			}
			wg.Go(func() {
				_, found, err := store.deleteSession(ctx, hash, now)
				assert.NoError(t, err)
				if found {
					foundCount.Add(1)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int32(1), foundCount.Load())
	})

	t.Run("withSeedLock excludes others", func(t *testing.T) {
		s, other := open(t)
		entered := make(chan struct{})
		release := make(chan struct{})
		firstDone := make(chan error, 1)
		go func() {
			firstDone <- s.withSeedLock(ctx, func(context.Context) error {
				close(entered)
				<-release
				return nil
			})
		}()
		<-entered

		var secondInside atomic.Bool
		secondDone := make(chan error, 1)
		go func() {
			secondDone <- other.withSeedLock(ctx, func(context.Context) error {
				secondInside.Store(true)
				return nil
			})
		}()
		// The second caller must wait while the first holds the lock.
		time.Sleep(200 * time.Millisecond)
		assert.False(t, secondInside.Load(), "second caller ran while the first held the lock")
		close(release)
		require.NoError(t, <-firstDone)
		require.NoError(t, <-secondDone)
		assert.True(t, secondInside.Load(), "second caller ran after the release")
	})
}

func newTokenHash(t *testing.T) tokenHash {
	return sha256.Sum256([]byte(randomHex(t, 32)))
}

func testSession(expiresAt time.Time) session {
	return session{
		identity:  httpadapter.Identity{CompanyID: uuid.New(), UserID: uuid.New()},
		expiresAt: expiresAt,
	}
}
