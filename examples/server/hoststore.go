package main

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/rosterkit/roster/httpadapter"
)

// tokenHash is the SHA-256 hash of a bearer token, the only form in which
// a host store keeps a session's token.
type tokenHash = [sha256.Size]byte

// hostStore keeps the host's own state beside Roster's: the password
// credentials and the open sessions. memoryHostStore keeps them in process
// memory and postgresHostStore in the tables example_credentials and
// example_sessions. Implementations must be safe for concurrent use.
type hostStore interface {
	// credential returns the credential stored under an email key, with
	// found=false when there is none.
	credential(ctx context.Context, emailKey string) (cred credential, found bool, err error)
	// putCredential stores cred under emailKey and replaces the earlier
	// credential of that key, whichever user it named. A user has one
	// email address for life, so cred's user must have no credential
	// under another key.
	putCredential(ctx context.Context, emailKey string, cred credential) error
	// putSession stores a session under the hash of its token and may drop
	// the sessions that expired at now.
	putSession(ctx context.Context, hash tokenHash, sess session, now time.Time) error
	// session returns the session of a token hash, with found=false when
	// there is none or it expired at now.
	session(ctx context.Context, hash tokenHash, now time.Time) (sess session, found bool, err error)
	// deleteSession removes the session of a token hash and returns it,
	// with found=false when there was none or it had expired at now.
	// Of several concurrent calls for one hash, at most one finds it.
	deleteSession(ctx context.Context, hash tokenHash, now time.Time) (sess session, found bool, err error)
	// deleteUserSessions removes every session of one user and returns
	// how many there were.
	deleteUserSessions(ctx context.Context, id httpadapter.Identity) (int, error)
	// withSeedLock runs fn while it holds a lock that every host process
	// on the same store takes before it seeds, so that two processes
	// starting at once do not both seed a company.
	withSeedLock(ctx context.Context, fn func(ctx context.Context) error) error
}

// memoryHostStore is the hostStore of the memory mode. Its state ends
// with the process, like the memory store's.
type memoryHostStore struct {
	mu          sync.Mutex
	credentials map[string]credential
	sessions    map[tokenHash]session
	// seedMu serializes seeding within the process, the only one that
	// can see this store.
	seedMu sync.Mutex
}

func newMemoryHostStore() *memoryHostStore {
	return &memoryHostStore{
		credentials: make(map[string]credential),
		sessions:    make(map[tokenHash]session),
	}
}

func (m *memoryHostStore) credential(_ context.Context, emailKey string) (credential, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cred, ok := m.credentials[emailKey]
	return cred, ok, nil
}

func (m *memoryHostStore) putCredential(_ context.Context, emailKey string, cred credential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.credentials[emailKey] = cred
	return nil
}

func (m *memoryHostStore) putSession(_ context.Context, hash tokenHash, sess session, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Dropping expired sessions here keeps the map bounded by the logins
	// of one session lifetime.
	for k, s := range m.sessions {
		if !now.Before(s.expiresAt) {
			delete(m.sessions, k)
		}
	}
	m.sessions[hash] = sess
	return nil
}

func (m *memoryHostStore) session(_ context.Context, hash tokenHash, now time.Time) (session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sess, ok := m.sessions[hash]
	if !ok {
		return session{}, false, nil
	}
	if !now.Before(sess.expiresAt) {
		delete(m.sessions, hash)
		return session{}, false, nil
	}
	return sess, true, nil
}

func (m *memoryHostStore) deleteSession(_ context.Context, hash tokenHash, now time.Time) (session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sess, ok := m.sessions[hash]
	if !ok {
		return session{}, false, nil
	}
	delete(m.sessions, hash)
	return sess, now.Before(sess.expiresAt), nil
}

func (m *memoryHostStore) deleteUserSessions(_ context.Context, id httpadapter.Identity) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for hash, sess := range m.sessions {
		if sess.identity == id {
			delete(m.sessions, hash)
			n++
		}
	}
	return n, nil
}

func (m *memoryHostStore) withSeedLock(ctx context.Context, fn func(ctx context.Context) error) error {
	m.seedMu.Lock()
	defer m.seedMu.Unlock()
	return fn(ctx)
}
